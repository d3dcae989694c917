"""Running one invocation: admission, a worker from the pool, the log lines Lambda writes around it.

Each invocation's log is START, what the function printed, END and REPORT (Duration, Billed
Duration, Memory Size, Max Memory Used, and Init Duration on a cold start), the way Lambda writes
them to ``/aws/lambda/<name>``: into the `LogSink` when a logs service offers one, through the
`LogShipper` (batched, off the invocation's path). The same lines (the last 4 KB) are what
LogType=Tail returns; a timeout adds Lambda's "Task timed out" line.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from headwater.services.functions.concurrency import Concurrency
from headwater.services.functions.invocation import Invocation, Outcome, error_payload
from headwater.services.functions.launch import Launch, LaunchError
from headwater.services.functions.logship import LogShipper
from headwater.services.functions.pool import Pools
from headwater.services.functions.record import FunctionRecord, log_group
from headwater.services.ports import LogSink

log = logging.getLogger("headwater.services.functions")
TAIL_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    log_tail: str  # the last 4 KB of the invocation's log


class Invoker:
    def __init__(
        self,
        pools: Pools,
        concurrency: Concurrency,
        prepare: Callable[[FunctionRecord, Path, str], Awaitable[Launch]],
        sink: LogSink | None,
    ) -> None:
        self.pools = pools
        self.concurrency = concurrency
        self._prepare = prepare
        self._logs = LogShipper(sink)

    async def invoke(self, record: FunctionRecord, invocation: Invocation, tail: bool = True) -> Result:
        """Runs the invocation (admission is the caller's: `Concurrency.admit` before, so a
        throttle is answered before anything runs). Without `tail` (nobody reads the log tail) the
        REPORT line's Max Memory Used is read from /proc when the line is written, after the answer:
        the worker's peak so far, as its high-water mark only grows."""
        try:
            return await self._run(record, invocation, tail)
        finally:
            self.concurrency.leave(record.key)

    async def _run(self, record: FunctionRecord, invocation: Invocation, tail: bool) -> Result:
        async def prepare(root: Path, stream: str) -> Launch:
            return await self._prepare(record, root, stream)

        pool = self.pools.pool(record.pool_key, record.revision_id, prepare, record.version)
        started = time.monotonic()
        try:
            worker, cold = await pool.acquire()
        except LaunchError as exc:
            return Result(Outcome(error_payload(exc.error_type, exc.message), exc.error_type), "")
        try:
            outcome = await worker.run(invocation)
            memory = worker.peak_memory_mb() if tail else None
        finally:
            await pool.release(worker)
        ended = time.monotonic()
        lines: list[tuple[int, str]] = []
        if cold and worker.init_logs:
            lines += worker.init_logs
            worker.init_logs = []
        now_ms = int(time.time() * 1000)
        request_id = invocation.request_id
        lines.append((now_ms, f"START RequestId: {request_id} Version: {record.version}"))
        lines += invocation.logs
        if outcome.error_type == "Sandbox.Timedout":
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
            lines.append(
                (now_ms, f"{text}.000Z {request_id} Task timed out after {record.timeout:.2f} seconds")
            )
        duration = (ended - (invocation.started or started)) * 1000
        head = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(duration))} ms\tMemory Size: {record.memory_size} MB\t"
        )
        init = f"Init Duration: {worker.init_ms:.2f} ms\t" if cold and worker.init_ms is not None else ""
        lines.append((now_ms, f"END RequestId: {request_id}"))

        def report(used: int | None = memory) -> str:
            used = worker.peak_memory_mb(read_after=ended) if used is None else used
            return f"{head}Max Memory Used: {used} MB\t{init}"

        group = log_group(record.name)
        if not tail:
            await self._logs.put(
                record.account, record.region, group, worker.log_stream, lines, (now_ms, report)
            )
            return Result(outcome, "")
        lines.append((now_ms, report()))
        await self._logs.put(record.account, record.region, group, worker.log_stream, lines)
        return Result(outcome, _tail(lines))

    async def close(self) -> None:
        """Writes the logs still queued."""
        await self._logs.close()


def _tail(lines: list[tuple[int, str]]) -> str:
    text = "".join(line + "\n" for _, line in lines).encode()
    return text[-TAIL_BYTES:].decode("utf-8", "ignore")
