"""The shadow topics: `$aws/things/<thing>/shadow[/name/<shadow>]/{get,update,delete}` are requests;
the service answers on `<request>/accepted` and `<request>/rejected`, and an update also publishes
`<base>/update/delta` and `<base>/update/documents`."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "$aws/things/"
OPERATIONS = ("get", "update", "delete")


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


def shadow_base(thing: str, name: str | None) -> str:
    return f"{PREFIX}{thing}/shadow" if name is None else f"{PREFIX}{thing}/shadow/name/{name}"


def parse_request(topic: str) -> ShadowTopic | None:
    """The shadow request a topic names; None for any other topic (responses included)."""
    if not topic.startswith(PREFIX):
        return None
    levels = topic[len(PREFIX) :].split("/")
    if len(levels) == 3 and levels[1] == "shadow" and levels[2] in OPERATIONS and levels[0]:
        return ShadowTopic(levels[0], None, levels[2])
    if (
        len(levels) == 5
        and levels[1] == "shadow"
        and levels[2] == "name"
        and levels[4] in OPERATIONS
        and levels[0]
        and levels[3]
    ):
        return ShadowTopic(levels[0], levels[3], levels[4])
    return None
