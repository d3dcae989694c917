"""Topic names and filters: syntax, AWS IoT's size rules, shared-subscription filters.

AWS counts a topic's length (256 bytes) and depth (at most 7 slashes) without the Basic Ingest
prefix `$aws/rules/<rule>/`; the same rules apply to filters. Relaxed mode checks the syntax only.
"""

from __future__ import annotations

from headwater.protocol.mqtt import reason_codes as rc

MAX_TOPIC_BYTES = 256
MAX_TOPIC_SLASHES = 7
RULES_PREFIX = "$aws/rules/"


def without_rules_prefix(topic: str) -> str:
    """The part of a topic AWS's limits count: `$aws/rules/<rule>/x/y` -> `x/y`."""
    if topic.startswith(RULES_PREFIX):
        rest = topic[len(RULES_PREFIX) :]
        _, sep, tail = rest.partition("/")
        return tail if sep else ""
    return topic


def within_aws_limits(topic: str) -> bool:
    counted = without_rules_prefix(topic)
    if len(counted) > MAX_TOPIC_BYTES // 4 and len(counted.encode()) > MAX_TOPIC_BYTES:
        return False  # (the cheap length test first: 64 characters can never exceed 256 bytes)
    return counted.count("/") <= MAX_TOPIC_SLASHES


def topic_name_error(topic: str, aws: bool) -> int | None:
    """None for a valid PUBLISH topic name, else the MQTT 5 reason code refusing it."""
    if not topic or "+" in topic or "#" in topic or "\x00" in topic:
        return rc.TOPIC_NAME_INVALID
    if aws and not within_aws_limits(topic):
        return rc.TOPIC_NAME_INVALID
    return None


def split_shared(topic_filter: str) -> tuple[str | None, str]:
    """`$share/<group>/<filter>` -> (group, filter); an ordinary filter -> (None, filter).
    A malformed shared filter gives (group "", ...), which `filter_error` refuses."""
    if not topic_filter.startswith("$share/"):
        return None, topic_filter
    _, group, rest = topic_filter.split("/", 2) if topic_filter.count("/") >= 2 else ("", "", "")
    if not group or "+" in group or "#" in group or not rest:
        return "", rest
    return group, rest


def filter_error(topic_filter: str, aws: bool) -> int | None:
    """None for a valid subscription filter (shared ones included), else the reason code."""
    group, inner = split_shared(topic_filter)
    if group == "":
        return rc.TOPIC_FILTER_INVALID
    if not inner or "\x00" in inner:
        return rc.TOPIC_FILTER_INVALID
    levels = inner.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return rc.TOPIC_FILTER_INVALID
        if "+" in level and level != "+":
            return rc.TOPIC_FILTER_INVALID
    if aws:
        if inner.startswith(RULES_PREFIX):  # Basic Ingest topics go to rules, never to subscribers
            return rc.TOPIC_FILTER_INVALID
        if not within_aws_limits(inner):
            return rc.TOPIC_FILTER_INVALID
    return None


def is_wildcard(topic_filter: str) -> bool:
    return "+" in topic_filter or "#" in topic_filter


def matches(topic_filter: str, topic: str) -> bool:
    """One filter against one topic with AWS's rules (`a/#` does not match `a`; a filter starting
    with a wildcard never matches a `$` topic). The index does this for routing; this is for scans."""
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    flevels = topic_filter.split("/")
    tlevels = topic.split("/")
    for index, level in enumerate(flevels):
        if level == "#":
            return len(tlevels) > index
        if index >= len(tlevels):
            return False
        if level != "+" and level != tlevels[index]:
            return False
    return len(flevels) == len(tlevels)
