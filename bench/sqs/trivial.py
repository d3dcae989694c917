"""An SQS endpoint that answers from memory, to measure the SQS load generator's own ceiling.

Just enough HTTP/1.1 (Content-Length, X-Amz-Target) and canned AWS JSON 1.0 answers shaped like the real
ones: every SendMessageBatch / DeleteMessageBatch entry succeeds; every ReceiveMessage returns 10 messages
of 1 KiB whose ids count up from (0, 0), so a consumer's ledger sees a stream of new messages.

Run: python -m bench.sqs.trivial --port P
"""

from __future__ import annotations

import json
import re

from bench.common.trivial import Framed, main
from bench.common.wire import HEADER_SIZE, encode_header
from bench.sqs.wire import filler

_TARGET = re.compile(rb"x-amz-target:\s*amazonsqs\.(\w+)")
MD5 = "0" * 32


def _entries_reply(count: int, with_message_id: bool) -> bytes:
    extra = {"MessageId": "00000000-0000-0000-0000-000000000000", "MD5OfMessageBody": MD5}
    entries = [{"Id": str(i), **(extra if with_message_id else {})} for i in range(count)]
    return json.dumps({"Successful": entries, "Failed": []}).encode()


SEND_REPLIES = [_entries_reply(n, True) for n in range(11)]
DELETE_REPLIES = [_entries_reply(n, False) for n in range(11)]
SEND_ONE = json.dumps({"MessageId": "00000000-0000-0000-0000-000000000000", "MD5OfMessageBody": MD5}).encode()


class _Protocol(Framed):
    counter = 0  # next message sequence number, shared by every connection
    tail = filler(1024 - HEADER_SIZE)

    def receive_reply(self) -> bytes:
        first, _Protocol.counter = _Protocol.counter, _Protocol.counter + 10
        messages = b",".join(
            b'{"MessageId":"m%d","ReceiptHandle":"rh%d","MD5OfBody":"%s","Body":"%s%s"}'
            % (seq, seq, MD5.encode(), encode_header(0, seq), self.tail)
            for seq in range(first, first + 10)
        )
        return b'{"Messages":[' + messages + b"]}"

    def respond(self, head: bytes, body: bytes) -> None:
        target = _TARGET.search(head)
        operation = target.group(1) if target else b""
        if operation == b"sendmessagebatch":
            reply = SEND_REPLIES[min(body.count(b'"Id"'), 10)]
        elif operation == b"deletemessagebatch":
            reply = DELETE_REPLIES[min(body.count(b'"Id"'), 10)]
        elif operation == b"receivemessage":
            reply = self.receive_reply()
        elif operation == b"sendmessage":
            reply = SEND_ONE
        else:
            reply = b"{}"
        self.reply(b"application/x-amz-json-1.0", [reply])


if __name__ == "__main__":
    main("trivial SQS server", lambda args: _Protocol)
