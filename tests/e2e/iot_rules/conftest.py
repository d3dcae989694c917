"""One relaxed-mode gateway (plain MQTT on) per test module of the rules engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.iot.gateway import Gateway, gateway


@pytest.fixture(scope="module")
def relaxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with gateway(tmp_path_factory, "relaxed") as running:
        yield running
