"""The subscription index and topic rules (AWS's: `a/#` does not match `a`; wildcards first never
match `$` topics), checked against the one-filter matcher on many pairs."""

from __future__ import annotations

import itertools

import pytest

from headwater.protocol.mqtt import reason_codes as rc
from headwater.services.iot.broker.index import SubscriptionIndex
from headwater.services.iot.broker.topics import filter_error, matches, split_shared, topic_name_error


@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        ("a/#", "a", False),
        ("a/#", "a/", True),
        ("a/#", "a/b/c", True),
        ("a/+", "a/b", True),
        ("a/+", "a/b/c", False),
        ("+/+", "/x", True),
        ("#", "$aws/things/t/shadow/get", False),
        ("+/things/#", "$aws/things/t", False),
        ("$aws/things/+/shadow/#", "$aws/things/t/shadow/get", True),
        ("a/b", "a/b", True),
        ("a/b", "a/b/", False),
    ],
)
def test_matching_rules(topic_filter: str, topic: str, expected: bool) -> None:
    index: SubscriptionIndex[str] = SubscriptionIndex()
    index.add(topic_filter, "c", "entry")
    assert (list(index.match(topic)) == ["entry"]) is expected
    assert matches(topic_filter, topic) is expected


def test_index_agrees_with_the_matcher_and_prunes() -> None:
    filters = ["a", "a/b", "a/+", "a/#", "+/b", "#", "+", "+/+/c", "a/+/c", "$x/#", "$x/+", "/#", ""]
    filters = [f for f in filters if f]
    topics = ["a", "a/b", "a/c", "a/b/c", "b/b", "x/y/c", "$x/y", "$x", "/", "/a", "a/"]
    index: SubscriptionIndex[str] = SubscriptionIndex()
    for number, topic_filter in enumerate(filters):
        index.add(topic_filter, f"client{number}", topic_filter)
    for topic in topics:
        assert sorted(index.match(topic)) == sorted(f for f in filters if matches(f, topic)), topic
    for number, topic_filter in enumerate(filters):
        assert index.remove(topic_filter, f"client{number}") == topic_filter
    assert len(index) == 0
    assert all(index.match(t) == () for t in topics)
    assert index._root.children == {}  # every branch pruned


def test_one_entry_per_key_and_filter() -> None:
    index: SubscriptionIndex[int] = SubscriptionIndex()
    for key, value in itertools.product(["c1", "c2"], [1, 2]):
        index.add("s/+", key, value)  # a second subscribe replaces the first
    assert sorted(index.match("s/x")) == [2, 2]
    assert index.get("s/+", "c1") == 2


def test_topic_and_filter_syntax() -> None:
    assert topic_name_error("a/+", aws=False) == rc.TOPIC_NAME_INVALID
    assert topic_name_error("", aws=False) == rc.TOPIC_NAME_INVALID
    assert topic_name_error("/".join("x" * 8), aws=True) is None  # 7 slashes
    assert topic_name_error("/".join("x" * 9), aws=True) == rc.TOPIC_NAME_INVALID
    assert topic_name_error("/".join("x" * 9), aws=False) is None
    # the Basic Ingest prefix is not counted
    assert topic_name_error("$aws/rules/r/" + "/".join("x" * 8), aws=True) is None
    assert topic_name_error("t" * 256, aws=True) is None
    assert topic_name_error("t" * 257, aws=True) == rc.TOPIC_NAME_INVALID
    assert topic_name_error("é" * 129, aws=True) == rc.TOPIC_NAME_INVALID  # 258 bytes
    for bad in ["a/#/b", "a#", "a/b+", "$share/g", "$share//a", "$share/g+/a"]:
        assert filter_error(bad, aws=False) == rc.TOPIC_FILTER_INVALID, bad
    assert filter_error("$share/g/a/#", aws=True) is None
    assert filter_error("$aws/rules/r/a", aws=True) == rc.TOPIC_FILTER_INVALID
    assert split_shared("$share/g/a/+") == ("g", "a/+")


def test_cached_matches_follow_subscription_changes() -> None:
    index: SubscriptionIndex[str] = SubscriptionIndex()
    index.add("t/+", "c1", "wild")
    assert index.match("t/x") == ("wild",)
    index.add("t/x", "c2", "exact")  # a topic matched (and cached) before sees the new filter
    assert sorted(index.match("t/x")) == ["exact", "wild"]
    index.remove("t/+", "c1")
    assert index.match("t/x") == ("exact",)
