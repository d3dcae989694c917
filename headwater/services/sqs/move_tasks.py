"""Message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask).

A move task redrives the messages that were in a dead-letter queue when it started, to one
destination or each back to the queue it came from, at most MaxNumberOfMessagesPerSecond.
Redriven messages are new messages: new MessageId, new send time. Tasks are persisted and resume
after a restart; a queue has at most one running task. The tasks run on the SQS core's background
tasks, so closing the core stops them; `start` (after the core's) resumes the persisted ones.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.sqs import errors, window
from headwater.services.sqs.message import VISIBLE
from headwater.services.sqs.redrive import copy_to, key_failure, sources_of
from headwater.services.sqs.service import SqsCore

TASKS = "sqs.movetasks"
DEFAULT_RATE = 500  # "adaptive" in AWS; as fast as the largest explicit rate
CHUNK = 50
KEEP_FINISHED = 10


@dataclass(slots=True)
class MoveTask:
    task_id: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    to_move: int
    started: int  # epoch ms
    status: str = "RUNNING"
    moved: int = 0
    failure: str | None = None

    @property
    def handle(self) -> str:
        raw = json.dumps({"taskId": self.task_id, "sourceArn": self.source_arn}).encode()
        return base64.b64encode(raw).decode()

    def entry(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started,
        }
        if self.status == "RUNNING":
            out["TaskHandle"] = self.handle
        if self.destination_arn:
            out["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            out["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            out["FailureReason"] = self.failure
        return out


class MoveTasks:
    def __init__(self, core: SqsCore) -> None:
        self.core = core
        self.tasks: dict[str, MoveTask] = {}

    async def close(self) -> None:
        pass  # the runs are the core's background tasks: closing the core ends them

    async def reset(self) -> None:
        await self.start()  # after the core's reset: the persisted tasks are gone with the engine's

    async def start(self) -> None:
        self.tasks.clear()
        for _, raw in self.core.meta.scan(TASKS):
            task = MoveTask(**json.loads(raw))
            self.tasks[task.task_id] = task
            if task.status in ("RUNNING", "CANCELLING"):
                self.core.spawn(self._run(task))

    def _save(self, task: MoveTask) -> Awaitable[None]:
        return self.core.meta.put(TASKS, task.task_id, json.dumps(asdict(task)).encode())

    def of_source(self, arn: str) -> list[MoveTask]:
        found = [t for t in self.tasks.values() if t.source_arn == arn]
        return sorted(found, key=lambda t: t.started, reverse=True)

    async def begin(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        core = self.core
        source_arn = params.get("SourceArn")
        if not source_arn:
            raise errors.missing_parameter("SourceArn")
        source = core.find_arn(source_arn)
        if source is None:
            raise errors.resource_not_found(
                "The resource that you specified for the SourceArn parameter doesn't exist."
            )
        destination_arn = params.get("DestinationArn")
        if destination_arn:
            destination = core.find_arn(destination_arn)
            if destination is None:
                raise errors.resource_not_found(
                    "The resource that you specified for the DestinationArn parameter doesn't exist."
                )
        rate = params.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and (not isinstance(rate, int) or not 1 <= rate <= 500):
            raise errors.invalid_value(
                "MaxNumberOfMessagesPerSecond",
                rate,
                "Must be greater than or equal to 1 and less than or equal to 500.",
            )
        if not sources_of(core, source):
            raise errors.invalid_parameter("Source queue must be configured as a Dead Letter Queue.")
        if any(t.status == "RUNNING" for t in self.of_source(source_arn)):
            raise errors.invalid_parameter(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
            )
        source.settle(core.clock.now_ms())
        task = MoveTask(
            task_id=str(uuid.uuid4()),
            source_arn=source_arn,
            destination_arn=destination_arn or None,
            rate=rate,
            to_move=source.approximate_visible,
            started=core.clock.now_ms(),
        )
        self.tasks[task.task_id] = task
        self._forget_old(source_arn)
        await self._save(task)
        core.spawn(self._run(task))
        return {"TaskHandle": task.handle}

    def _forget_old(self, source_arn: str) -> None:
        for task in self.of_source(source_arn)[KEEP_FINISHED:]:
            if task.status not in ("RUNNING", "CANCELLING"):
                del self.tasks[task.task_id]
                self.core.meta.delete(TASKS, task.task_id)

    async def list(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        source_arn = params.get("SourceArn")
        if not source_arn:
            raise errors.missing_parameter("SourceArn")
        if self.core.find_arn(source_arn) is None:
            raise errors.resource_not_found(
                "The resource that you specified for the SourceArn parameter doesn't exist."
            )
        limit = params.get("MaxResults", 1)
        if not isinstance(limit, int) or not 1 <= limit <= 10:
            raise errors.invalid_value(
                "MaxResults", limit, "You must enter a number that's between 1 and 10."
            )
        return {"Results": [task.entry() for task in self.of_source(source_arn)[:limit]]}

    async def cancel(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        handle = params.get("TaskHandle")
        if not handle:
            raise errors.missing_parameter("TaskHandle")
        task = self._by_handle(handle)
        if task is None:
            raise errors.resource_not_found("Task does not exist.")
        if task.status != "RUNNING":
            raise errors.unsupported("Only active tasks can be cancelled.")
        task.status = "CANCELLED"
        await self._save(task)
        return {"ApproximateNumberOfMessagesMoved": task.moved}

    def _by_handle(self, handle: str) -> MoveTask | None:
        try:
            decoded = json.loads(base64.b64decode(handle, validate=True))
            return self.tasks.get(decoded["taskId"])
        except (ValueError, KeyError, TypeError):
            return None

    async def _run(self, task: MoveTask) -> None:
        core = self.core
        clock = core.clock
        rate = task.rate or DEFAULT_RATE
        while task.status == "RUNNING" and task.moved < task.to_move:
            source = core.find_arn(task.source_arn)
            if source is None:
                task.status, task.failure = "FAILED", "AWS.SimpleQueueService.NonExistentQueue"
                break
            started = clock.now()
            now_ms = clock.now_ms()
            source.settle(now_ms)
            chunk = min(CHUNK, rate, task.to_move - task.moved)
            await window.ensure(core, source, chunk)
            candidates = [m for m in source.take(chunk, now_ms) if m.status == VISIBLE]
            if not candidates:
                break
            for index, message in enumerate(candidates):
                target = core.find_arn(task.destination_arn or message.source_arn or "")
                failure = (
                    "AWS.SimpleQueueService.NonExistentQueue" if target is None else key_failure(core, target)
                )
                if target is None or failure:
                    task.status, task.failure = "FAILED", failure
                    for left in candidates[index:]:
                        source.index.changed(left, VISIBLE)  # back in line: take() consumed them
                    break
                # the copy, the removal and the progress go to the writer in one loop turn, so they
                # normally commit together: a crash then loses none of them, or all
                copy_to(core, target, message, now_ms, redrive=True, source_arn=None)
                source.remove(message, now_ms, keep_dedup=False)
                task.moved += 1
                self._save(task)
            await self._save(task)
            await clock.sleep_until(started + len(candidates) / rate)
        if task.status == "RUNNING":
            task.status = "COMPLETED"
        await self._save(task)
