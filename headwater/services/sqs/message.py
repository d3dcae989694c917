"""One SQS message in memory, and its two stored forms.

A message is written to the queue store once as an immutable *record* (id, body, attributes,
digests, FIFO fields) and rewritten as a small *state* each time it moves (visibility deadline,
receive count, receipt token). Status is derived from the state, so a restart needs nothing else:
never received and not yet due = delayed; received and not yet due = in flight; due = visible.
A deleted FIFO message whose de-duplication window is still open stays stored as a tombstone
(state with `deleted` set) so the window survives a restart; the sweeper removes it afterwards.
"""

from __future__ import annotations

from typing import Any

import cbor2

VISIBLE, INFLIGHT, DELAYED, DELETED = 0, 1, 2, 3
_UNTOUCHED = cbor2.dumps([0, 0, 0, 0, False, 0])  # state() of a message never received nor delayed


class Message:
    __slots__ = (
        "seq",
        "message_id",
        "body",
        "attributes",
        "system",
        "md5_body",
        "md5_attributes",
        "md5_system",
        "sent_ms",
        "group",
        "dedup",
        "sequence_number",
        "source_arn",
        "sender",
        "size",
        "visible_at",
        "receive_count",
        "first_receive_ms",
        "token",
        "status",
        "epoch",
        "received_ms",
    )

    def __init__(
        self,
        seq: int,
        message_id: str,
        body: str,
        attributes: dict[str, Any] | None,
        system: dict[str, Any] | None,
        md5_body: str,
        md5_attributes: str | None,
        md5_system: str | None,
        sent_ms: int,
        size: int,
        group: str | None = None,
        dedup: str | None = None,
        sequence_number: str | None = None,
        source_arn: str | None = None,
        sender: str = "",
    ) -> None:
        self.seq = seq
        self.message_id = message_id
        self.body = body
        self.attributes = attributes
        self.system = system
        self.md5_body = md5_body
        self.md5_attributes = md5_attributes
        self.md5_system = md5_system
        self.sent_ms = sent_ms
        self.size = size
        self.group = group
        self.dedup = dedup
        self.sequence_number = sequence_number
        self.source_arn = source_arn
        self.sender = sender  # the SenderId: the sending request's access key id or account
        self.visible_at = 0
        self.receive_count = 0
        self.first_receive_ms = 0
        self.token = 0
        self.status = VISIBLE
        # bumped on every status change: index entries that carry an older epoch are stale
        self.epoch = 0
        self.received_ms = 0  # when the current receive happened (12-hour cap, processing time)

    def record(self, body: bytes | str | None = None) -> bytes:
        """The immutable stored form; `body` replaces the clear body when it is stored encrypted."""
        return cbor2.dumps(
            [
                self.message_id,
                self.body if body is None else body,
                self.attributes,
                self.system,
                self.md5_body,
                self.md5_attributes,
                self.md5_system,
                self.sent_ms,
                self.size,
                self.group,
                self.dedup,
                self.sequence_number,
                self.source_arn,
                self.sender,
            ]
        )

    def state(self) -> bytes:
        if not (self.visible_at or self.receive_count or self.first_receive_ms or self.token) and (
            self.status != DELETED and not self.received_ms
        ):
            return _UNTOUCHED  # a message just sent: one encoding for them all
        return cbor2.dumps(
            [
                self.visible_at,
                self.receive_count,
                self.first_receive_ms,
                self.token,
                self.status == DELETED,
                self.received_ms,
            ]
        )

    @classmethod
    def restore(cls, seq: int, record: bytes, state: bytes, now_ms: int) -> tuple[Message, Any]:
        """Rebuilds a message; returns it and the stored body (maybe encrypted bytes) for the caller
        to decrypt into `message.body`."""
        fields = cbor2.loads(record)  # the record() list; older records lack trailing fields
        message = cls(seq, fields[0], "", *fields[2:])
        body = fields[1]
        visible_at, count, first, token, deleted, received = cbor2.loads(state)
        message.received_ms = received
        message.visible_at, message.receive_count, message.first_receive_ms, message.token = (
            visible_at,
            count,
            first,
            token,
        )
        if deleted:
            message.status = DELETED
        elif visible_at > now_ms:
            message.status = INFLIGHT if count else DELAYED
        else:
            message.status = VISIBLE
        return message, body
