"""`headwater status`, `ls`, `reset` and `iot root-ca`: a running server asked over its admin routes
(`/_headwater/health`, `/_headwater/resources`, `/_headwater/reset`, `/_headwater/iot/root-ca`).

They speak plain HTTP(S) with the standard library: a server that is not running is one line and
exit status 1, never a traceback. Output is plain text when it goes to a pipe or a file, and a
`rich` table on a terminal.
"""

from __future__ import annotations

import json
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import click

from headwater.health import describe_counts

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
F = Callable[..., Any]


def _endpoint_options(command: F) -> F:
    command = click.option(
        "--ca-bundle",
        type=click.Path(exists=True, dir_okay=False),
        envvar="HEADWATER_CA_BUNDLE",
        show_envvar=True,
        help="Certificate to trust for an https endpoint (default: the server's is not checked).",
    )(command)
    return click.option(
        "--endpoint",
        default=DEFAULT_ENDPOINT,
        envvar="HEADWATER_ENDPOINT",
        show_envvar=True,
        show_default=True,
        help="The running server.",
    )(command)


def _call(endpoint: str, ca_bundle: str | None, method: str, route: str) -> Any:
    try:
        return json.loads(_fetch(endpoint, ca_bundle, method, route))
    except ValueError:
        raise SystemExit(f"headwater: {endpoint} is not a Headwater server (no JSON answer)") from None


def _fetch(endpoint: str, ca_bundle: str | None, method: str, route: str) -> bytes:
    url = f"{endpoint.rstrip('/')}/_headwater/{route}"
    context = None
    if url.startswith("https:"):
        # a local server's self-signed certificate: checked only when the user names it
        context = (
            ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl._create_unverified_context()
        )
    request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        raise SystemExit(
            f"headwater: {endpoint} answered {exc.code} to {method} /_headwater/{route}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        strerror = getattr(reason, "strerror", None)
        why = strerror.lower() if strerror else str(reason)
        raise SystemExit(f"headwater: no Headwater server at {endpoint} ({why})") from None


def _fancy() -> bool:
    if not sys.stdout.isatty():
        return False
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    shown = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    parts = [f"{value}{unit}" for value, unit in shown if value]
    return " ".join(parts[:2]) or "0s"


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"


def status_lines(endpoint: str, health: dict[str, Any]) -> list[str]:
    storage = health.get("storage", {"durability": health.get("durability")})
    where = f", {storage['data_dir']}" if "data_dir" in storage else ""
    used = f", {_size(storage['used_bytes'])} used" if "used_bytes" in storage else ""
    tls = health.get("tls", {})
    tls_text = (
        f"on ({tls['certificate']})" if tls.get("certificate") else "on" if tls.get("enabled") else "off"
    )
    lines = [
        f"Headwater {health['version']} at {endpoint}: {health['status']}, up {_duration(health['uptime_s'])}",
        f"  storage    {storage['durability']}{where}{used}",
        f"  auth       {health.get('auth', '?')}    limits {health['limits']}    tls {tls_text}",
        "  services",
    ]
    resources = health.get("resources", {})
    for name, state in health["services"].items():
        counted = describe_counts({name: resources.get(name, {})}).removeprefix(f"{name} ")
        lines.append(f"    {name:<9} {state:<8} {counted}".rstrip())
    return lines


def _print_status(endpoint: str, health: dict[str, Any]) -> None:
    if not _fancy():
        click.echo("\n".join(status_lines(endpoint, health)))
        return
    from rich.console import Console
    from rich.table import Table

    head, *rest = status_lines(endpoint, health)
    console = Console()
    console.print(f"[bold]{head}[/bold]")
    for line in rest[:2]:  # the table replaces the services lines
        console.print(line)
    table = Table(show_edge=False, pad_edge=False, box=None)
    for column in ("service", "state", "resources"):
        table.add_column(column, style="bold" if column == "service" else None)
    resources = health.get("resources", {})
    for name, state in health["services"].items():
        counted = describe_counts({name: resources.get(name, {})}).removeprefix(f"{name} ")
        table.add_row(name, state, counted or "-")
    console.print(table)


def add_commands(group: click.Group) -> None:
    @group.command()
    @_endpoint_options
    @click.option("--json", "as_json", is_flag=True, help="The health document as JSON.")
    def status(endpoint: str, ca_bundle: str | None, as_json: bool) -> None:
        """Show a running server: services, resources, storage, uptime, auth and TLS."""
        health = _call(endpoint, ca_bundle, "GET", "health")
        if as_json:
            click.echo(json.dumps(health, indent=2))
        else:
            _print_status(endpoint, health)

    @group.command(name="ls")
    @_endpoint_options
    @click.argument("service", required=False)
    def ls(endpoint: str, ca_bundle: str | None, service: str | None) -> None:
        """List resources (streams, queue URLs, buckets, KMS keys and aliases), one per line."""
        resources: dict[str, dict[str, list[str]]] = _call(endpoint, ca_bundle, "GET", "resources")
        if service is not None:
            known = _call(endpoint, ca_bundle, "GET", "health")["services"]
            if service not in known:
                raise SystemExit(f"headwater: no service {service!r} (running: {', '.join(known)})")
            resources = {service: resources.get(service, {})}
        rows = [
            (name, kind, item)
            for name, kinds in resources.items()
            for kind, items in kinds.items()
            for item in items
        ]
        if not rows:
            click.echo("no resources", err=True)
            return
        width = max(len(f"{name} {kind}") for name, kind, _ in rows)
        for name, kind, item in rows:
            click.echo(f"{f'{name} {kind}':<{width}}  {item}")

    @group.command()
    @_endpoint_options
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def reset(endpoint: str, ca_bundle: str | None, yes: bool) -> None:
        """Drop all state of a running server (every service, every account)."""
        if not yes:
            click.confirm(f"Drop every resource and all data of {endpoint}?", abort=True)
        _call(endpoint, ca_bundle, "POST", "reset")
        click.echo(f"reset {endpoint}: every service is empty")

    @group.group()
    def iot() -> None:
        """AWS IoT Core helpers."""

    @iot.command(name="root-ca")
    @_endpoint_options
    @click.option(
        "--output", "-o", type=click.Path(dir_okay=False), help="Write it to this file (default: stdout)."
    )
    def root_ca(endpoint: str, ca_bundle: str | None, output: str | None) -> None:
        """Print the IoT root CA certificate (PEM) that device TLS clients trust."""
        pem = _fetch(endpoint, ca_bundle, "GET", "iot/root-ca")
        if output:
            with open(output, "wb") as file:
                file.write(pem)
            click.echo(f"wrote the IoT root CA to {output}", err=True)
        else:
            click.echo(pem.decode(), nl=False)
