"""One relaxed-mode gateway (plain MQTT on) per test module of the rules engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.iot.gateway import Gateway, gateway


@pytest.fixture(scope="module")
def relaxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with gateway(tmp_path_factory, "relaxed") as running:
        yield running


def _sql_ready() -> bool:
    from headwater.services.iot.rules.sql import compile_statement

    try:
        compile_statement("SELECT * FROM 'a'", "2016-03-23")
    except NotImplementedError:
        return False
    return True


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if _sql_ready():
        return
    skip = pytest.mark.skip(reason="IoT SQL (branch iot-sql) is not merged yet")
    for item in items:
        if "iot_rules" in str(item.fspath):
            item.add_marker(skip)
