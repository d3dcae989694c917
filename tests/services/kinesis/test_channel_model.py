"""OutputKeyTemplate rules and DataFreshnessInSeconds as CreateChannel checks them."""

from __future__ import annotations

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.kinesis.channels.model import DEFAULT_TEMPLATE, check_freshness, check_template


@pytest.mark.parametrize(
    "template",
    [
        DEFAULT_TEMPLATE,
        "!{channel-id}/!{yyyy}/!{MM}/!{dd}/data",
        "year=!{yyyy}/month=!{MM}/!{channel-name}.json",
        "!{YY}!{HH}!{mm}+x!{extension}",
    ],
)
def test_valid_templates(template: str) -> None:
    check_template(template)


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("a/../!{yyyy}", "'..'"),
        ("./!{yyyy}", "'./'"),
        ("/!{yyyy}", "start nor end"),
        ("!{yyyy}/", "start nor end"),
        ("!{yyyy", "closed"),
        ("!{badvar}/x", "unknown variable !{badvar}"),
        ("no-variables", "at least one variable"),
        ("!{extension}/!{yyyy}", "at the end"),
        ("a b/!{yyyy}", "letters, digits"),
    ],
)
def test_invalid_templates(template: str, why: str) -> None:
    with pytest.raises(AwsError) as info:
        check_template(template)
    assert info.value.code == "ValidationException"
    assert why in info.value.message


def test_freshness_range_and_default() -> None:
    assert check_freshness(None) == 300
    assert check_freshness(900) == 900
    for wrong in (299, 901, 0, -1):
        with pytest.raises(AwsError):
            check_freshness(wrong)
