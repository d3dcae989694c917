"""The `headwater` command: `serve` runs the server; `status`, `ls` and `reset` talk to a running one;
`version`. With no command it prints its help."""

from __future__ import annotations

from collections.abc import Sequence

import click

from headwater import __version__
from headwater.cli.remote import add_commands
from headwater.cli.serve import serve_command

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.version_option(__version__, "--version", prog_name="headwater", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Headwater: self-hosted AWS data services (Kinesis, SQS, S3, KMS, STS) on one port.

    Start with `headwater serve`, then point boto3, the AWS CLI or an SDK at http://localhost:4566.
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@cli.command()
def version() -> None:
    """Print the version."""
    click.echo(f"headwater {__version__}")


cli.add_command(serve_command())
add_commands(cli)


def main(argv: Sequence[str] | None = None) -> int:
    cli.main(args=list(argv) if argv is not None else None, prog_name="headwater")
    return 0
