"""One worker: a runtime process, its Runtime API channel, and the invocation it is running.

Theory of operation. `start` unpacks the package into the worker's own directory, asks the runtime
API listener for an address, and starts the runtime (in a session of its own, so a timeout kills
the whole tree). The runtime's first ``next`` ends its init phase (Init Duration). A ``next`` parks
its connection's `Deliver` with the worker; `run` hands a warm worker's invocation straight to it
(the event is written from `run` itself: no task, no queue, no extra turn of the loop), and only a
runtime not yet waiting (a cold start) finds it in the one-slot inbox on its next ``next``. Its
``response`` or ``error`` post settles the invocation's `done` future, which is all `run` awaits: the
deadline's timer and the process's end settle the same future with a marker outcome. Everything the process writes to stdout and stderr becomes log lines of
the current invocation (before the first one: of the init phase). When the process exits, an
invocation still open is settled as Lambda does: with the init error it posted, if any, else
Runtime.ExitError. A worker serves one invocation at a time; the pool decides which worker runs
which, and kills a worker whose invocation timed out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from headwater.protocol import lambda_runtime as api
from headwater.services.functions import invocation as outcomes
from headwater.services.functions.invocation import Invocation, Outcome
from headwater.services.functions.launch import Launch
from headwater.services.functions.memory import peak_rss_mb
from headwater.services.functions.zygote import Forked, Zygote
from headwater.services.ports import Deliver, RuntimeEndpoints

log = logging.getLogger("headwater.services.functions")
INIT_TIMEOUT_S = 10.0
LINE_LIMIT = 256 * 1024  # a longer line is cut into pieces of this size
# markers settling `Invocation.done` for `run` (never returned): the deadline passed, the process ended
_EXPIRED = Outcome(b"", "expired")
_EXITED = Outcome(b"", "exited")
_ACCEPTED = api.status_body("OK")  # every accepted post's body


class Worker:
    def __init__(self, worker_id: str, root: Path, endpoints: RuntimeEndpoints, log_stream: str) -> None:
        self.id = worker_id
        self.root = root
        self.log_stream = log_stream
        self._endpoints = endpoints
        self._address = ""
        self._inbox: Invocation | None = None  # handed over before the runtime asked for it
        self._parked: Deliver | None = None  # the runtime's waiting ``next``
        self._process: asyncio.subprocess.Process | Forked | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.current: Invocation | None = None
        self.init_error: Outcome | None = None
        self.init_logs: list[tuple[int, str]] = []
        self.spawned = 0.0
        self.init_ms: float | None = None  # set by the first `next`; reported once
        self.initialised = asyncio.Event()
        self.exited = asyncio.Event()
        self._gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()  # = exited
        self._memory = (0.0, 0)  # (monotonic time of the reading, MB): see `peak_memory_mb`
        self.idle_since = time.monotonic()
        self.invocations = 0

    @property
    def alive(self) -> bool:
        return not self.exited.is_set()

    async def start(self, launch: Launch, zygote: Zygote | None = None) -> None:
        """Starts the runtime: forked from `zygote` when there is one (a Python runtime), else
        as a new process."""
        self._address = await self._endpoints.open(self)
        env = {**launch.env, "AWS_LAMBDA_RUNTIME_API": self._address}
        self.spawned = time.monotonic()
        if zygote is not None:
            try:
                self._process = await zygote.spawn(Launch(launch.command, env, launch.cwd))
            except OSError as exc:
                log.warning("forking a worker failed (%s): starting it directly", exc)
        if self._process is None:
            self._process = await asyncio.create_subprocess_exec(
                *launch.command,
                cwd=launch.cwd,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        assert self._process.stdout is not None and self._process.stderr is not None
        self._tasks = [
            asyncio.create_task(self._pump(self._process.stdout)),
            asyncio.create_task(self._pump(self._process.stderr)),
            asyncio.create_task(self._watch()),
        ]

    # -- the Runtime API channel --------------------------------------------------------------------

    def park(self, deliver: Deliver) -> Callable[[], None]:
        if self.init_ms is None:
            self.init_ms = (time.monotonic() - self.spawned) * 1000
            self.initialised.set()
        invocation, self._inbox = self._inbox, None
        if invocation is not None:
            self._hand(invocation, deliver)
            return _nothing
        self._parked = deliver
        return lambda: self._withdraw(deliver)

    def _withdraw(self, deliver: Deliver) -> None:
        if self._parked is deliver:
            self._parked = None

    def _hand(self, invocation: Invocation, deliver: Deliver) -> None:
        self.current = invocation
        invocation.started = time.monotonic()
        invocation.deadline_ms = int(time.time() * 1000) + invocation.timeout_s * 1000
        if invocation.delivered is not None and not invocation.delivered.done():
            invocation.delivered.set_result(None)
        headers = api.event_headers(
            invocation.request_id,
            invocation.deadline_ms,
            invocation.function_arn,
            invocation.trace_id,
            invocation.client_context,
            invocation.cognito_identity,
        )
        deliver(invocation.payload, headers)

    def post(self, call: api.Call, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
        if call.kind is api.Kind.INIT_ERROR:
            if self.init_ms is not None:
                return 403, api.error_body(
                    "InvalidStateTransition", "State transition from Ready to InitError failed"
                )
            error_type = headers.get(api.ERROR_TYPE, "Runtime.Unknown") or "Runtime.Unknown"
            self.init_error = Outcome(body or outcomes.error_payload(error_type, ""), error_type)
            self.initialised.set()
            return 202, _ACCEPTED
        current = self.current
        if current is None or call.request_id != current.request_id or current.done.done():
            return 403, api.error_body("InvalidRequestID", "Invalid request ID")
        if call.kind is api.Kind.RESPONSE:
            if len(body) > outcomes.MAX_RESPONSE:
                current.finish(outcomes.too_large())
                return 413, api.error_body("RequestEntityTooLarge", "Response payload too large")
            current.finish(Outcome(body))
        else:
            error_type = headers.get(api.ERROR_TYPE) or "Unhandled"
            current.finish(Outcome(body or outcomes.error_payload(error_type, ""), error_type))
        return 202, _ACCEPTED

    # -- running one invocation ---------------------------------------------------------------------

    async def run(self, invocation: Invocation) -> Outcome:
        """Hands the invocation to the runtime and waits for its outcome, its deadline, or the
        process's end (a timed-out worker is killed: the caller must not reuse it)."""
        self.invocations += 1
        loop = asyncio.get_running_loop()
        try:
            parked, self._parked = self._parked, None
            if parked is not None:
                self._hand(invocation, parked)  # warm: the runtime waits in ``next``
            else:
                delivered = invocation.delivered = loop.create_future()
                self._inbox = invocation
                gone: asyncio.Future[Any] = self._gone
                await asyncio.wait(
                    {delivered, gone}, timeout=INIT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
                )
                if not delivered.done():
                    self._inbox = None
                    if self.exited.is_set():
                        return self._exit_outcome(invocation)
                    await self.kill()  # the init phase outlived its 10 seconds
                    return outcomes.timed_out(invocation.request_id, invocation.timeout_s)
            done = invocation.done
            if not done.done():
                if self.exited.is_set():
                    invocation.finish(_EXITED)
                else:
                    timer = loop.call_later(invocation.timeout_s, invocation.finish, _EXPIRED)
                    try:
                        await done
                    finally:
                        timer.cancel()
            outcome = done.result()
            if outcome is _EXITED:
                return self._exit_outcome(invocation)
            if outcome is _EXPIRED:
                await self.kill()
                return outcomes.timed_out(invocation.request_id, invocation.timeout_s)
            return outcome
        except asyncio.CancelledError:
            # the caller went away mid-invocation: this worker's state is unknown, so it goes
            await self.kill()
            raise
        finally:
            await self._flush()
            self.current = None
            self.idle_since = time.monotonic()

    def _exit_outcome(self, invocation: Invocation) -> Outcome:
        if self.init_error is not None:
            return self.init_error
        code = self._process.returncode if self._process else None
        return outcomes.exited(invocation.request_id, code if code is not None else -9)

    def peak_memory_mb(self, read_after: float = 0.0) -> int:
        """The process tree's peak RSS so far: a reading taken after monotonic `read_after` (an
        invocation's end) serves again, as the peak only grows (the REPORT lines of a log batch
        then cost one reading per worker, not one each)."""
        at, mb = self._memory
        if at > read_after and read_after:
            return mb
        now = time.monotonic()
        mb = peak_rss_mb(self._process.pid) if self._process and self.alive else 0
        self._memory = (now, mb)
        return mb

    async def _flush(self) -> None:
        """Gives the pipes a few loop turns: what the runtime printed before it posted its answer is
        already in them."""
        for _ in range(3):
            await asyncio.sleep(0)

    # -- the process --------------------------------------------------------------------------------

    async def _pump(self, stream: asyncio.StreamReader) -> None:
        pending = b""
        while True:
            chunk = await stream.read(65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            while len(pending) > LINE_LIMIT:
                lines.append(pending[:LINE_LIMIT])
                pending = pending[LINE_LIMIT:]
            for line in lines:
                self._line(line)
        if pending:
            self._line(pending)

    def _line(self, raw: bytes) -> None:
        entry = (int(time.time() * 1000), raw.decode("utf-8", "replace").rstrip("\r"))
        if self.current is not None:
            self.current.logs.append(entry)
        else:
            self.init_logs.append(entry)

    async def _watch(self) -> None:
        assert self._process is not None
        try:
            await self._process.wait()
        finally:
            self.exited.set()
            if not self._gone.done():
                self._gone.set_result(None)
            if self.current is not None:
                self.current.finish(_EXITED)  # no-op when its answer came first
            self.initialised.set()
            await self._endpoints.close(self._address)

    async def kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.exited.wait(), 5)
        await self._endpoints.close(self._address)

    async def close(self) -> None:
        """Kills the process, ends its tasks and removes its directory."""
        await self.kill()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        await asyncio.to_thread(shutil.rmtree, self.root, True)


def _nothing() -> None:
    """Withdraws a ``next`` answered at once: nothing to do."""
