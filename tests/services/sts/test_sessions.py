"""Issued credentials: persisted as they are issued, read back at start, forgotten a week after expiry."""

from __future__ import annotations

import asyncio

from headwater.engine.memory import MemoryMetaStore
from headwater.runtime.clock import TestClock
from headwater.services.sts.sessions import KEEP_EXPIRED_S, NAMESPACE, Sessions


def issue(sessions: Sessions, duration_s: int = 900) -> str:
    identity = asyncio.run(
        sessions.issue(
            account="111122223333", arn="arn", user_id="id", kind="assumed-role", duration_s=duration_s
        )
    )
    return identity.access_key


def test_issued_credentials_survive_a_restart() -> None:
    meta, clock = MemoryMetaStore(), TestClock()
    sessions = Sessions(meta, clock)
    key = issue(sessions)
    issued = sessions.lookup(key)
    restarted = Sessions(meta, clock)
    assert restarted.lookup(key) is None
    asyncio.run(restarted.start())
    assert restarted.lookup(key) == issued


def test_expired_credentials_are_kept_a_week_then_forgotten() -> None:
    meta, clock = MemoryMetaStore(), TestClock()
    sessions = Sessions(meta, clock)
    key = issue(sessions)
    clock.advance(900 + KEEP_EXPIRED_S - 10)
    fresh = issue(sessions)
    assert sessions.lookup(key) is not None  # expired, still answered ExpiredToken
    clock.advance(20)
    asyncio.run(sessions.start())  # a restart forgets it
    assert sessions.lookup(key) is None and sessions.lookup(fresh) is not None
    assert [k for k, _ in meta.scan(NAMESPACE)] == [fresh]


def test_reset_forgets_everything() -> None:
    sessions = Sessions(MemoryMetaStore(), TestClock())
    key = issue(sessions)
    asyncio.run(sessions.reset())
    assert sessions.lookup(key) is None and len(sessions) == 0
