"""Topic syntax (MQTT 5 section 4.7, the same in 3.1.1): valid topic names, valid topic filters and
shared subscriptions. Pure functions; matching a topic against filters is the broker's.
"""

from __future__ import annotations

SHARE_PREFIX = "$share/"
MAX_TOPIC_BYTES = 65_535


def valid_topic_name(topic: str) -> bool:
    """A topic a PUBLISH may name: at least one character, no wildcard, no U+0000, at most 65,535
    bytes of UTF-8 [MQTT-4.7.3-1, -2, 3.3.2-2]."""
    return (
        bool(topic)
        and "+" not in topic
        and "#" not in topic
        and "\x00" not in topic
        and _encoded_length(topic) <= MAX_TOPIC_BYTES
    )


def valid_topic_filter(topic_filter: str) -> bool:
    """A filter a SUBSCRIBE may name: at least one character; `#` only as the whole last level and
    `+` only as a whole level [MQTT-4.7.1-1, -2]. A shared subscription is checked as such."""
    if topic_filter.startswith(SHARE_PREFIX):
        try:
            parse_shared_subscription(topic_filter)
        except ValueError:
            return False
        return True
    return _valid_plain_filter(topic_filter)


def parse_shared_subscription(topic_filter: str) -> tuple[str, str] | None:
    """(group, filter) for `$share/<group>/<filter>`, None for a filter that is not shared. The
    ShareName is at least one character and holds no `/`, `+` or `#`; the filter after it is a
    valid, non-shared filter [MQTT-4.8.2-1, -2]. Raises ValueError for a malformed shared one."""
    if not topic_filter.startswith(SHARE_PREFIX):
        return None
    group, slash, rest = topic_filter[len(SHARE_PREFIX) :].partition("/")
    if not group or "+" in group or "#" in group:
        raise ValueError(f"{topic_filter!r}: the share name must be one or more characters without + or #")
    if not slash or not rest:
        raise ValueError(f"{topic_filter!r}: a topic filter must follow the share name")
    if rest.startswith(SHARE_PREFIX) or not _valid_plain_filter(rest):
        raise ValueError(f"{topic_filter!r}: {rest!r} is not a valid topic filter")
    return group, rest


def _valid_plain_filter(topic_filter: str) -> bool:
    if not topic_filter or "\x00" in topic_filter or _encoded_length(topic_filter) > MAX_TOPIC_BYTES:
        return False
    if "+" not in topic_filter and "#" not in topic_filter:
        return True
    levels = topic_filter.split("/")
    last = len(levels) - 1
    for i, level in enumerate(levels):
        if level in ("+", "#"):
            if level == "#" and i != last:
                return False
        elif "+" in level or "#" in level:
            return False
    return True


def _encoded_length(text: str) -> int:
    # Every character is at least one byte: skip the encoding for the common short topic.
    if len(text) * 4 <= MAX_TOPIC_BYTES:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))
