"""Queue receipt handles round-trip and refuse what they did not make."""

from __future__ import annotations

import pytest

from headwater.services.kinesis.queues.handles import DEAD, NORMAL, Handle, parse


@pytest.mark.parametrize("side", [NORMAL, DEAD])
def test_round_trip(side: str) -> None:
    handle = Handle("abcdefghij0123456789", "shardId-000000000003", 12345, 7, side)
    assert parse(handle.encode()) == handle


@pytest.mark.parametrize(
    "token", ["", "bogus", "!!!!", Handle("q", "s", 1, 1, "x").encode(), "cXxzfC0xfDF8bg"]
)
def test_foreign_tokens_do_not_parse(token: str) -> None:
    assert parse(token) is None
