"""`--iot-shadow-history`: seconds or a duration with a unit, into Config.iot_shadow_history."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from headwater.cli.serve import Duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400.0), ("90m", 5400.0), ("7d", 604800.0), ("45s", 45.0), ("0", 0.0), ("1.5", 1.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert Duration().convert(text, None, None) == seconds


@pytest.mark.parametrize("text", ["soon", "-1h", "h", ""])
def test_bad_durations(text: str) -> None:
    @click.command()
    @click.option("--window", type=Duration())
    def command(window: float) -> None: ...

    result = CliRunner().invoke(command, ["--window", text])
    assert result.exit_code == 2
