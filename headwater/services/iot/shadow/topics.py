"""The shadow topics: `$aws/things/<thing>/shadow[/name/<shadow>]/{get,update,delete}` are requests;
the service answers on `<request>/accepted` and `<request>/rejected`, and an update also publishes
`<base>/update/delta` and `<base>/update/documents`."""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "$aws/things/"
OPERATIONS = ("get", "update", "delete")
_REQUEST_ENDS = ("/get", "/update", "/delete")
# the names AWS's API accepts (botocore's ThingName and ShadowName); a topic naming anything else is
# not a shadow request (it is routed as any message), so no name can reach the store's key space
THING_NAME = re.compile(r"[a-zA-Z0-9:_-]{1,128}")
SHADOW_NAME = re.compile(r"[$a-zA-Z0-9:_-]{1,64}")


@dataclass(frozen=True, slots=True)
class ShadowTopic:
    thing: str
    name: str | None  # None: the classic shadow
    operation: str

    @property
    def base(self) -> str:
        return shadow_base(self.thing, self.name)

    @property
    def request(self) -> str:
        return f"{self.base}/{self.operation}"


_parsed: dict[str, ShadowTopic | None] = {}
PARSED_MAX = 8192  # topics remembered (a device updates the same few): emptied when full


def shadow_base(thing: str, name: str | None) -> str:
    return f"{PREFIX}{thing}/shadow" if name is None else f"{PREFIX}{thing}/shadow/name/{name}"


def parse_request(topic: str) -> ShadowTopic | None:
    """The shadow request a topic names; None for any other topic (responses included)."""
    # every message the broker routes passes here, the service's own answers included: two C calls
    # turn away almost all of them
    if not topic.endswith(_REQUEST_ENDS) or not topic.startswith(PREFIX):
        return None
    try:
        return _parsed[topic]
    except KeyError:
        pass
    if len(_parsed) >= PARSED_MAX:
        _parsed.clear()
    parsed = _parsed[topic] = _parse(topic)
    return parsed


def _parse(topic: str) -> ShadowTopic | None:
    levels = topic[len(PREFIX) :].split("/")
    if len(levels) not in (3, 5) or levels[1] != "shadow" or not THING_NAME.fullmatch(levels[0]):
        return None
    if len(levels) == 3:
        return ShadowTopic(levels[0], None, levels[2]) if levels[2] in OPERATIONS else None
    if levels[2] == "name" and levels[4] in OPERATIONS and SHADOW_NAME.fullmatch(levels[3]):
        return ShadowTopic(levels[0], levels[3], levels[4])
    return None
