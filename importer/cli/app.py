"""The ropo-import command group: every usage error exits 1, Ctrl-C exits 130.

Importing the command line is cheap: each command imports the library (pandas, httpx, ...)
when it runs, so `--help` and usage errors answer at once (tests/test_startup.py).
"""

from __future__ import annotations

import gc
import signal
import sys
from collections.abc import Sequence
from typing import Any

import click

from importer.cli.inspect import inspect, profiles
from importer.cli.resolve import resolve
from importer.cli.run import demo, run
from importer.cli.sandbox import sandbox
from importer.cli.serve import serve
from importer.defaults import EXIT_FAILED, EXIT_INTERRUPTED
from importer.errors import ImporterError


class _Cli(click.Group):
    """Exit 1 for every usage error (click's default is 2, which here means 'rows need work')."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("ropo-import: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as exc:
            click.echo(f"ropo-import: {exc.format_message()}", err=True)
            sys.exit(EXIT_FAILED)
        except ImporterError as exc:
            click.echo(f"ropo-import: error: {exc}", err=True)
            sys.exit(EXIT_FAILED)
        sys.exit(code if isinstance(code, int) else 0)


def _version(context: click.Context, _: click.Parameter, asked: bool) -> None:
    """--version: read from the installed package only when asked (importlib.metadata is slow
    to import, and every other command would pay for it)."""
    if not asked or context.resilient_parsing:
        return
    from importer.version import __version__

    click.echo(f"ropo-import, version {__version__}")
    context.exit()


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """Register payments from bank exports in Ropo One (POST /jobs/payment), in bulk.

    Try it with no credentials: ropo-import demo
    """
    import logging  # here, not at the top: --help alone never needs it

    for name in ("httpx", "httpcore"):
        # httpx logs full URLs at INFO and httpcore response headers at DEBUG: keep them quiet.
        logging.getLogger(name).setLevel(logging.WARNING)


for _command in (run, resolve, inspect, profiles, sandbox, demo, serve):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point. SIGTERM and SIGHUP stop a run as Ctrl-C does: what was sent is
    recorded and the workbook written (posting.py takes all three over while it sends)."""
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, signal.default_int_handler)
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="ropo-import")
    finally:
        # The command is done and its files closed: what is left is the interpreter's last
        # collection over every object pandas, httpx and the rest made, 0.25-0.3 s on each
        # run's exit. Frozen objects are left to the operating system; exit handlers still run.
        gc.freeze()
