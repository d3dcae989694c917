"""`headwater serve`: every flag also has a HEADWATER_* environment variable, and its help shows both
and the default."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from headwater.cli.edge import edge_config, edge_options
from headwater.config import Config, parse_credentials

F = Callable[..., Any]


class OnOff(click.ParamType):
    name = "on|off"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bool:
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in ("on", "true", "1", "yes"):
            return True
        if lowered in ("off", "false", "0", "no"):
            return False
        self.fail(f"expected on or off, not {value!r}", param, ctx)


class Duration(click.ParamType):
    """Seconds, or a number with s, m, h or d: `24h`, `90m`, `0` (none)."""

    name = "duration"
    UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip().lower()
        scale = self.UNITS.get(text[-1:], 0)
        try:
            seconds = float(text[:-1] if scale else text) * (scale or 1)
        except ValueError:
            self.fail(f"expected seconds or a duration like 24h, not {value!r}", param, ctx)
        if seconds < 0:
            self.fail("a duration is not negative", param, ctx)
        return seconds


class Account(click.ParamType):
    name = "12 digits"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if len(text) != 12 or not text.isdigit():
            self.fail("an account id has 12 digits", param, ctx)
        return text


ON_OFF = OnOff()
PATH = click.Path(path_type=Path)


def option(flag: str, default: Any, help: str, **kwargs: Any) -> Callable[[F], F]:
    """A flag whose value may come from HEADWATER_<FLAG>; its help shows the variable and default."""
    env = "HEADWATER_" + flag.lstrip("-").replace("-", "_").upper()
    return click.option(
        flag,
        default=default,
        envvar=env,
        show_envvar=True,
        show_default=default not in (None, ""),
        help=help,
        **kwargs,
    )


SERVE_OPTIONS = [
    option("--host", "127.0.0.1", "Address to listen on."),
    option("--port", 4566, "One port for HTTP/1.1 and h2c (and TLS when on).", type=int),
    option(
        "--data-dir",
        "./data",
        "Where durable data (and the generated certificate) live.",
        type=PATH,
    ),
    option(
        "--durability",
        "durable",
        "durable: fsync before ack; fast: no fsync; memory: nothing on disk.",
        type=click.Choice(("durable", "fast", "memory")),
    ),
    option("--limits", "on", "AWS throughput and control-plane limits.", type=ON_OFF),
    option(
        "--account-id", "000000000000", "Default account (a 12-digit key id selects its own).", type=Account()
    ),
    option("--region", "us-east-1", "Default region (the SigV4 scope wins)."),
    option("--auth", "open", "strict verifies SigV4 signatures.", type=click.Choice(("open", "strict"))),
    option("--credentials", "", "ACCESS_KEY_ID:SECRET[,...] accepted with --auth strict."),
    option("--tls", "off", "HTTPS with a self-signed certificate generated into the data dir.", type=ON_OFF),
    option("--tls-cert", None, "Your certificate (PEM; implies TLS).", type=PATH),
    option("--tls-key", None, "Its private key (PEM).", type=PATH),
    option("--tls-names", "", "Extra DNS names or IPs for the generated certificate (comma-separated)."),
    option(
        "--log-level",
        "info",
        "Log level (debug adds the libraries' lines).",
        type=click.Choice(("debug", "info", "warning", "error")),
    ),
    option(
        "--log-format",
        "text",
        "text, or json: one object per line.",
        type=click.Choice(("text", "json")),
    ),
    option(
        "--aws-timing",
        "on",
        "AWS's timing rules (60-second queue delete/purge rules, CREATING/DELETING delays); off lifts them.",
        type=ON_OFF,
    ),
    option("--init", "", "Seed files or script folders applied at start (comma-separated paths)."),
    option("--test-mode", "off", "Enables POST /_headwater/clock to advance time.", type=ON_OFF),
    option(
        "--transition-delay",
        0.5,
        "Seconds a stream or consumer spends CREATING/UPDATING/DELETING (0 allowed).",
        type=float,
    ),
    option("--functions-concurrency", 1000, "Concurrent function invocations per account.", type=int),
    option(
        "--function-roles",
        "checked",
        "checked: a function's role must exist in IAM and trust lambda.amazonaws.com; any: any role ARN.",
        type=click.Choice(("checked", "any")),
    ),
    option(
        "--iot-port",
        None,
        "IoT MQTT over mutual TLS [default: 8883, skipped if it cannot bind; 0: off].",
        type=int,
    ),
    option(
        "--iot-alpn-port",
        None,
        "IoT port 443 with ALPN (MQTT, HTTPS publish, WebSocket) [default: 443, skipped if it cannot bind; 0: off].",
        type=int,
    ),
    option(
        "--iot-https-port",
        None,
        "IoT HTTPS publish with X.509 [default: 8443, skipped if it cannot bind; 0: off].",
        type=int,
    ),
    option("--mqtt-port", 0, "Plain MQTT (no TLS; 1883 is usual; 0: off).", type=int),
    option(
        "--iot-mode",
        "aws",
        "aws: AWS IoT's limits and rules; relaxed: QoS 2 downgraded, limits off, anonymous plain MQTT.",
        type=click.Choice(("aws", "relaxed")),
    ),
    option(
        "--iot-session-expiry", 3600, "Seconds a persistent MQTT session outlives its connection.", type=int
    ),
    *edge_options(option),
    option(
        "--iot-replay-rate",
        10.0,
        "Stored messages per second a resumed MQTT session is sent in aws mode (AWS: 10; 0: unpaced).",
        type=float,
    ),
    option(
        "--iot-shadow-history",
        "24h",
        "How long Device Shadow changes stay readable at /_headwater/iot/shadow-history (0: none).",
        type=Duration(),
    ),
]


def config_from(values: dict[str, Any]) -> Config:
    if values["auth"] == "strict" and not values["credentials"]:
        raise SystemExit("--auth strict needs --credentials ACCESS_KEY_ID:SECRET (or HEADWATER_CREDENTIALS)")
    if (values["tls_cert"] is None) != (values["tls_key"] is None):
        raise SystemExit("--tls-cert and --tls-key go together")
    try:
        credentials = parse_credentials(values["credentials"] or "")
    except ValueError as exc:
        raise SystemExit(f"--credentials: {exc}") from None
    return Config(
        host=values["host"],
        port=values["port"],
        data_dir=values["data_dir"],
        durability=values["durability"],
        limits=values["limits"],
        account_id=values["account_id"],
        region=values["region"],
        auth=values["auth"],
        credentials=credentials,
        tls=values["tls"] or values["tls_cert"] is not None,
        tls_cert=values["tls_cert"],
        tls_key=values["tls_key"],
        log_level=values["log_level"],
        log_format=values["log_format"],
        test_mode=values["test_mode"],
        transition_delay=max(0.0, values["transition_delay"]),  # Config zeroes it with --aws-timing off
        aws_timing=values["aws_timing"],
        tls_names=_listed(values["tls_names"]),
        init=tuple(Path(path) for path in _listed(values["init"])),
        functions_concurrency=max(1, values["functions_concurrency"]),
        function_roles=values["function_roles"],
        iot_port=_port(values["iot_port"], "--iot-port"),
        iot_alpn_port=_port(values["iot_alpn_port"], "--iot-alpn-port"),
        iot_https_port=_port(values["iot_https_port"], "--iot-https-port"),
        mqtt_port=_port(values["mqtt_port"], "--mqtt-port") or 0,
        iot_mode=values["iot_mode"],
        iot_session_expiry=max(0, values["iot_session_expiry"]),
        iot_replay_rate=max(0.0, values["iot_replay_rate"]),
        edge=edge_config(values),
        iot_shadow_history=values["iot_shadow_history"],
    )


def _port(value: int | None, flag: str) -> int | None:
    if value is not None and not 0 <= value <= 65535:
        raise SystemExit(f"{flag}: {value} is not a port (0-65535; 0 turns it off)")
    return value


def _listed(text: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (text or "").split(",") if item.strip())


def serve_command() -> click.Command:
    def serve(**values: Any) -> None:
        """Run the server (Ctrl-C stops it)."""
        run(config_from(values))

    command: Any = serve
    for decorate in reversed(SERVE_OPTIONS):
        command = decorate(command)
    return click.command("serve", help="Run the server (Ctrl-C stops it).")(command)


def run(config: Config) -> None:
    from headwater.runtime.allocator import tune_allocator

    tune_allocator()  # before the imports below start threads that take arenas of their own
    from headwater.app import Headwater
    from headwater.runtime import logs

    logs.configure(config.log_level, config.log_format)

    async def serve() -> None:
        await Headwater(config).run()

    try:
        import uvloop
    except ImportError:
        asyncio.run(serve())
    else:
        uvloop.run(serve())
