"""`headwater serve`: every flag also has a HEADWATER_* environment variable."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="headwater", description="Self-hosted AWS data-collection services."
    )
    parser.add_argument("--version", action="version", version=f"headwater {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", default=env_default("HOST", "127.0.0.1"), help="address to listen on")
    serve.add_argument(
        "--port",
        type=int,
        default=int(env_default("PORT", "4566")),
        help="HTTP/1.1 and h2c (and TLS when on)",
    )
    serve.add_argument(
        "--data-dir",
        type=Path,
        default=Path(env_default("DATA_DIR", "./data")),
        help="where durable data lives",
    )
    serve.add_argument(
        "--durability",
        choices=("durable", "fast", "memory"),
        default=env_default("DURABILITY", "durable"),
        help="durable: fsync before ack; fast: no fsync; memory: nothing on disk",
    )
    serve.add_argument(
        "--limits",
        type=_on_off,
        default=_on_off(env_default("LIMITS", "on")),
        metavar="on|off",
        help="AWS throughput and control-plane limits",
    )
    serve.add_argument(
        "--account-id",
        type=_account,
        default=env_default("ACCOUNT_ID", "000000000000"),
        help="default account (a 12-digit access key id selects its own)",
    )
    serve.add_argument(
        "--region", default=env_default("REGION", "us-east-1"), help="default region (the SigV4 scope wins)"
    )
    serve.add_argument("--auth", choices=("open", "strict"), default=env_default("AUTH", "open"))
    serve.add_argument(
        "--credentials",
        default=env_default("CREDENTIALS", ""),
        help="ACCESS_KEY_ID:SECRET[,...] accepted in --auth strict",
    )
    serve.add_argument(
        "--tls",
        type=_on_off,
        default=_on_off(env_default("TLS", "off")),
        metavar="on|off",
        help="HTTPS with a self-signed certificate generated into the data dir",
    )
    serve.add_argument("--tls-cert", type=Path, default=env_default("TLS_CERT", "") or None)
    serve.add_argument("--tls-key", type=Path, default=env_default("TLS_KEY", "") or None)
    serve.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), default=env_default("LOG_LEVEL", "info")
    )
    serve.add_argument(
        "--test-mode",
        type=_on_off,
        default=_on_off(env_default("TEST_MODE", "off")),
        metavar="on|off",
        help="enables POST /_headwater/clock to advance time",
    )
    serve.add_argument(
        "--transition-delay",
        type=float,
        default=float(env_default("TRANSITION_DELAY", "0.5")),
        help="seconds a stream or consumer spends CREATING/UPDATING/DELETING (0 allowed)",
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
        credentials=parse_credentials(args.credentials),
        tls=args.tls or args.tls_cert is not None,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        log_level=args.log_level,
        test_mode=args.test_mode,
        transition_delay=max(0.0, args.transition_delay),
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
        from headwater.memory import tune_allocator

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
