"""Device Shadow sync between the edge and its upstream (`--edge-shadows`), both ways, over the
shadow MQTT topics only (so it works against AWS IoT Core as against another Headwater).

Theory of operation
-------------------
Up: an accepted local change is published by the local shadow service on
`$aws/things/<thing>/shadow[/name/<name>]/update/accepted` (or `/delete/accepted`); the bridge's
tap turns it into the same request upstream (`.../update` with the accepted partial state, nulls
included, or `.../delete`), queued like any forwarded message: on disk, in order, sent when the
upstream is reachable. Every request the sync makes carries the client token `SYNC_TOKEN`.

Down: the bridge subscribes upstream to the synced shadows' `/update/accepted` and
`/delete/accepted`. An accepted change with the sync's own token is the echo of what went up
and is not applied again; any other is applied to the local shadow with the sync's token, so the
local accepted answer it causes is not sent back up. No loops either way.

Version rules: each side keeps its own `version` (a shadow's version counts its own accepted
changes); the sync never sends one, so neither side refuses the other's change as a conflict.
An upstream change whose version is not above the last one seen from upstream for that shadow is
a redelivery (QoS 1 is at least once) and is skipped. Concurrent changes of one field on both
sides end with the later arrival on each side (field-level last writer wins); fields changed on
one side only merge. The versions seen are kept in memory: after a restart the first redelivered
change may be applied once more, which merging makes harmless.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from typing import Any

from headwater.services.ports import ShadowError, ShadowStore

log = logging.getLogger("headwater.iot.edge")

SYNC_TOKEN = "headwater-edge-sync"
PREFIX = "$aws/things/"
ALL = "*"

Key = tuple[str, str | None]  # (thing, shadow name or None)


def parse(topic: str) -> tuple[Key, str] | None:
    """(thing, name) and "update"/"delete" for an `/update/accepted` or `/delete/accepted` topic."""
    if not topic.startswith(PREFIX) or not topic.endswith("/accepted"):
        return None
    levels = topic[len(PREFIX) :].split("/")
    if len(levels) == 4 and levels[1] == "shadow" and levels[2] in ("update", "delete") and levels[0]:
        return (levels[0], None), levels[2]
    named = len(levels) == 6 and levels[1:3] == ["shadow", "name"] and levels[4] in ("update", "delete")
    if named and levels[0] and levels[3]:
        return (levels[0], levels[3]), levels[4]
    return None


def base(key: Key) -> str:
    thing, name = key
    return f"{PREFIX}{thing}/shadow" if name is None else f"{PREFIX}{thing}/shadow/name/{name}"


class ShadowSync:
    def __init__(self, things: tuple[str, ...], shadows: ShadowStore, account: str, region: str) -> None:
        self.things = things
        self.all = ALL in things
        self.shadows = shadows
        self.account, self.region = account, region
        self.seen: dict[Key, int] = {}  # the last upstream version applied or echoed, per shadow
        self._deleting: set[Key] = set()  # local deletes the sync makes: not sent back up
        self.applied = 0  # upstream changes applied locally
        self.sent = 0  # local changes queued upstream

    def filters(self) -> list[str]:
        """The upstream subscriptions: the synced shadows' accepted changes."""
        things = ["+"] if self.all else list(self.things)
        return [
            f"{PREFIX}{thing}/shadow{named}/{operation}/accepted"
            for thing in things
            for named in ("", "/name/+")
            for operation in ("update", "delete")
        ]

    def synced(self, thing: str) -> bool:
        return self.all or thing in self.things

    # --- up ---------------------------------------------------------------------------------------

    def outgoing(self, topic: str, payload: bytes) -> tuple[str, bytes] | None:
        """The upstream request for a local accepted change; None when it is not one to send."""
        parsed = parse(topic)
        if parsed is None or not self.synced(parsed[0][0]):
            return None
        key, operation = parsed
        document = _object(payload)
        if document is None or document.get("clientToken") == SYNC_TOKEN:
            return None
        if operation == "delete":
            if key in self._deleting:
                self._deleting.discard(key)
                return None
            request: dict[str, Any] = {"clientToken": SYNC_TOKEN}
        else:
            state = document.get("state")
            if not isinstance(state, dict) or not state:
                return None
            request = {"state": state, "clientToken": SYNC_TOKEN}
        self.sent += 1
        return f"{base(key)}/{operation}", json.dumps(request, separators=(",", ":")).encode()

    # --- down -------------------------------------------------------------------------------------

    def wants(self, topic: str) -> bool:
        parsed = parse(topic)
        return parsed is not None and self.synced(parsed[0][0])

    def incoming(self, topic: str, payload: bytes) -> Awaitable[None] | None:
        """Applies an upstream accepted change locally (the awaitable its PUBACK waits for)."""
        parsed = parse(topic)
        document = _object(payload)
        if parsed is None or document is None:
            return None
        key, operation = parsed
        version = document.get("version")
        if isinstance(version, int):
            if version <= self.seen.get(key, -1) and operation == "update":
                return None  # a redelivery
            self.seen[key] = version
        if document.get("clientToken") == SYNC_TOKEN:
            return None  # the echo of a change that went up from here
        if operation == "delete":
            self.seen.pop(key, None)  # a re-created shadow may start again at version 1
            return self._delete(key)
        state = document.get("state")
        if not isinstance(state, dict) or not state:
            return None
        request = json.dumps({"state": state, "clientToken": SYNC_TOKEN}).encode()
        return self._update(key, request)

    async def _update(self, key: Key, request: bytes) -> None:
        try:
            await self.shadows.update(self.account, self.region, key[0], key[1], request)
            self.applied += 1
        except ShadowError as error:  # e.g. over the size limit here: skipped, not retried forever
            log.warning("edge: an upstream change of %s was refused locally: %s", base(key), error.message)

    async def _delete(self, key: Key) -> None:
        self._deleting.add(key)
        try:
            await self.shadows.delete(self.account, self.region, key[0], key[1])
            self.applied += 1
        except ShadowError:  # already gone here
            self._deleting.discard(key)

    def status(self) -> dict[str, Any]:
        return {"things": list(self.things), "sent": self.sent, "applied": self.applied}


def _object(payload: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
