"""Which FIFO messages a receive may return.

Theory of operation. Each message group keeps every live message of the group in send order
(visible, in flight or delayed alike), since order is what the group promises. A receive walks a
group from its head and takes messages while they are visible, stopping at the first one that is
not: a group whose head is in flight is locked, and when a message in the middle of a group is in
flight (its visibility was extended while earlier ones came back) only the messages before it can be
returned. Deleted messages are dropped from the head eagerly and skipped elsewhere.

Groups with a visible head wait in a heap ordered by the head's seq, so the group holding the oldest
available message is served first and a receive costs O(log groups) per group it visits, whatever
the backlog. Heap entries are validated on pop (the head may have moved since).
"""

from __future__ import annotations

import heapq
from collections import deque

from headwater.services.sqs.message import DELETED, VISIBLE, Message


class FifoIndex:
    def __init__(self) -> None:
        self.groups: dict[str, deque[Message]] = {}
        self._heap: list[tuple[int, str]] = []
        self._queued: dict[str, int] = {}  # group -> head seq already in the heap

    def added(self, message: Message) -> None:
        group = message.group or ""
        messages = self.groups.get(group)
        if messages is None:
            messages = self.groups[group] = deque()
        messages.append(message)
        if len(messages) == 1:
            self._offer(group, messages)

    def changed(self, message: Message, old: int) -> None:
        group = message.group or ""
        messages = self.groups.get(group)
        if messages is None:
            return
        if message.status == DELETED:
            while messages and messages[0].status == DELETED:
                messages.popleft()
            if not messages:
                del self.groups[group]
                self._queued.pop(group, None)
                return
        self._offer(group, messages)

    def take(self, count: int) -> list[Message]:
        taken: list[Message] = []
        heap = self._heap
        while heap and len(taken) < count:
            seq, group = heapq.heappop(heap)
            if self._queued.get(group) == seq:
                del self._queued[group]
            messages = self.groups.get(group)
            if not messages or messages[0].seq != seq or messages[0].status != VISIBLE:
                continue
            for message in messages:
                if message.status == DELETED:
                    continue
                if message.status != VISIBLE:
                    break
                taken.append(message)
                if len(taken) == count:
                    break
        return taken

    def clear(self) -> None:
        self.groups.clear()
        self._heap.clear()
        self._queued.clear()

    def _offer(self, group: str, messages: deque[Message]) -> None:
        head = messages[0]
        if head.status == VISIBLE and self._queued.get(group) != head.seq:
            self._queued[group] = head.seq
            heapq.heappush(self._heap, (head.seq, group))
