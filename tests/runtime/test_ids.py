from __future__ import annotations

import uuid

from headwater.runtime import ids


def test_new_uuid_is_a_random_uuid() -> None:
    seen = {ids.new_uuid() for _ in range(10_000)}
    assert len(seen) == 10_000
    for text in list(seen)[:500]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)


def test_nonces_are_unique_and_renew_their_prefix_on_wrap() -> None:
    nonces = ids.Nonces()
    drawn = [nonces.next() for _ in range(1000)]
    assert len(set(drawn)) == 1000 and all(len(n) == 12 for n in drawn)
    nonces._counter = (1 << 32) - 1
    wrapped = nonces.next()
    assert wrapped[:8] != drawn[0][:8] and wrapped[8:] == (1).to_bytes(4, "big")
