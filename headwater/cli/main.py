"""`headwater serve`: every flag also has a HEADWATER_* environment variable."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from headwater import __version__
from headwater.config import Config, env_default, parse_credentials


def _on_off(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("on", "true", "1", "yes"):
        return True
    if lowered in ("off", "false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, not {value!r}")


def _account(value: str) -> str:
    if len(value) != 12 or not value.isdigit():
        raise argparse.ArgumentTypeError("an account id has 12 digits")
    return value


def _option(parser: argparse.ArgumentParser, flag: str, default: str, help: str, **kwargs: Any) -> None:
    """A flag whose default comes from HEADWATER_<FLAG> (argparse converts string defaults with `type`)."""
    env = flag.lstrip("-").replace("-", "_").upper()
    value = env_default(env, default)
    parser.add_argument(flag, default=value or None, help=f"{help} [HEADWATER_{env}]", **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="headwater", description="Self-hosted AWS data-collection services."
    )
    parser.add_argument("--version", action="version", version=f"headwater {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    ON_OFF = {"type": _on_off, "metavar": "on|off"}
    _option(serve, "--host", "127.0.0.1", "address to listen on")
    _option(serve, "--port", "4566", "HTTP/1.1 and h2c (and TLS when on)", type=int)
    _option(serve, "--data-dir", "./data", "where durable data lives", type=Path)
    _option(
        serve,
        "--durability",
        "durable",
        "durable: fsync before ack; fast: no fsync; memory: nothing on disk",
        choices=("durable", "fast", "memory"),
    )
    _option(serve, "--limits", "on", "AWS throughput and control-plane limits", **ON_OFF)
    _option(
        serve,
        "--account-id",
        "000000000000",
        "default account (a 12-digit key id selects its own)",
        type=_account,
    )
    _option(serve, "--region", "us-east-1", "default region (the SigV4 scope wins)")
    _option(serve, "--auth", "open", "strict verifies SigV4 signatures", choices=("open", "strict"))
    _option(serve, "--credentials", "", "ACCESS_KEY_ID:SECRET[,...] accepted in --auth strict")
    _option(
        serve, "--tls", "off", "HTTPS with a self-signed certificate generated into the data dir", **ON_OFF
    )
    _option(serve, "--tls-cert", "", "your certificate (PEM; implies TLS)", type=Path)
    _option(serve, "--tls-key", "", "its private key (PEM)", type=Path)
    _option(serve, "--log-level", "info", "log level", choices=("debug", "info", "warning", "error"))
    _option(serve, "--log-format", "text", "text or json (one object per line)", choices=("text", "json"))
    _option(
        serve, "--tls-names", "", "extra DNS names or IPs for the generated certificate (comma-separated)"
    )
    _option(
        serve,
        "--aws-timing",
        "on",
        "AWS's timing rules (60-second queue delete/purge rules, CREATING/DELETING delays); off lifts them",
        **ON_OFF,
    )
    _option(serve, "--init", "", "seed files or script folders applied at start (comma-separated paths)")
    _option(serve, "--test-mode", "off", "enables POST /_headwater/clock to advance time", **ON_OFF)
    _option(
        serve,
        "--transition-delay",
        "0.5",
        "seconds a stream or consumer spends CREATING/UPDATING/DELETING (0 allowed)",
        type=float,
    )
    return parser


def config_from(args: argparse.Namespace) -> Config:
    if args.auth == "strict" and not args.credentials:
        raise SystemExit("--auth strict needs --credentials ACCESS_KEY_ID:SECRET (or HEADWATER_CREDENTIALS)")
    if (args.tls_cert is None) != (args.tls_key is None):
        raise SystemExit("--tls-cert and --tls-key go together")
    return Config(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        durability=args.durability,
        limits=args.limits,
        account_id=args.account_id,
        region=args.region,
        auth=args.auth,
        credentials=parse_credentials(args.credentials or ""),
        tls=args.tls or args.tls_cert is not None,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        log_level=args.log_level,
        log_format=args.log_format,
        test_mode=args.test_mode,
        transition_delay=max(0.0, args.transition_delay) if args.aws_timing else 0.0,
        aws_timing=args.aws_timing,
        tls_names=tuple(name.strip() for name in (args.tls_names or "").split(",") if name.strip()),
        init=tuple(Path(path.strip()) for path in (args.init or "").split(",") if path.strip()),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        config = config_from(args)
        logging.basicConfig(
            level=getattr(logging, config.log_level.upper()),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        from headwater.app import Headwater
        from headwater.runtime.allocator import tune_allocator

        tune_allocator()

        async def serve() -> None:
            await Headwater(config).run()

        try:
            import uvloop
        except ImportError:
            asyncio.run(serve())
        else:
            uvloop.run(serve())
    return 0
