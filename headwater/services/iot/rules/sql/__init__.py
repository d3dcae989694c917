"""IoT SQL (versions 2015-10-08 and 2016-03-23): being written on branch iot-sql."""

from __future__ import annotations

from headwater.services.iot.rules.contracts import CompiledSql, SqlEnvironment, SqlMessage


def compile_statement(sql: str, version: str = "2016-03-23") -> CompiledSql:
    """Parses and checks a rule's SQL (versions "2015-10-08", "2016-03-23", "beta"); SqlError when bad."""
    raise NotImplementedError("IoT SQL lands with branch iot-sql")


def render(template: str, message: SqlMessage, env: SqlEnvironment, version: str = "2016-03-23") -> str:
    """Replaces each `${expression}` in an action field with its value, as AWS renders them."""
    raise NotImplementedError("IoT SQL lands with branch iot-sql")
