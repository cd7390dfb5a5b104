"""Options shared by several commands, and turning them into the library's settings.

Declaring the options imports nothing of the library but importer.defaults: what they turn
into (a loaded config file, Rules, the journal) is imported when a command runs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from click.core import ParameterSource

from importer.defaults import CONFIG_NAME, ENVIRONMENTS, MAX_AGE_DAYS, default_journal

if TYPE_CHECKING:
    from importer.validation import Rules

F = TypeVar("F", bound=Callable[..., Any])
CREDIT_NOTES = ("note", "send")
DIRECT_DEBITS = ("skip", "send")


def _apply(options: list[Callable[[F], F]], command: F) -> F:
    for option in reversed(options):
        command = option(command)
    return command


def config_options(command: F) -> F:
    """--config and --client: settings from ropo-import.toml, under the command line's.

    A setting left at its default takes the client's value, else the file's. The environment
    (ROPO_RATE, ROPO_BASE_URL, ...) still wins over the file. The command gets the loaded file
    as `config` and the client's name as `client`.
    """

    @functools.wraps(command)
    def configured(*args: Any, config: Path | None, client: str | None, **params: Any) -> Any:
        from importer.config import load_config

        context = click.get_current_context()
        loaded = load_config(config, Path.cwd())
        settings = loaded.settings(client)
        keys = ("env", "base_url")
        endpoint: dict[str, Any] = {k: settings.pop(k) for k in keys if k in settings}
        if (
            "env" in params
            and all(_defaulted(context, key) for key in keys)
            and not os.environ.get("ROPO_BASE_URL")
        ):
            settings |= endpoint
        for key, value in settings.items():
            if key in params and _defaulted(context, key):
                params[key] = value
        return command(*args, config=loaded, client=client, **params)

    return _apply(
        [
            click.option(
                "--config",
                type=click.Path(path_type=Path),
                help=f"Settings file (default: ./{CONFIG_NAME} when there is one).",
            ),
            click.option(
                "--client",
                metavar="NAME",
                help="A client named in the settings file: its customer id, credentials and "
                "settings.",
            ),
        ],
        cast(F, configured),
    )


class EnvOption(click.Option):
    """An option that may come from an environment variable, and names that variable when
    its value there is refused: ROPO_RATE=0 is not blamed on a --rate nobody typed.

    Declare such options with `cls=EnvOption` beside `envvar=`.
    """

    def get_error_hint(self, ctx: click.Context | None) -> str:
        variable = self.variable(ctx)
        if variable is None:
            return super().get_error_hint(ctx)
        return f"{variable}={os.environ[variable]!r} in the environment (it sets {self.opts[0]})"

    def variable(self, ctx: click.Context | None) -> str | None:
        """The environment variable this option's value came from, if it did."""
        if ctx is None or self.name is None:
            return None
        if ctx.get_parameter_source(self.name) is not ParameterSource.ENVIRONMENT:
            return None
        names = [self.envvar] if isinstance(self.envvar, str) else list(self.envvar or ())
        return next((name for name in names if os.environ.get(name)), None)


def _defaulted(context: click.Context, name: str) -> bool:
    source = context.get_parameter_source(name)
    return source in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)


def endpoint_options(command: F) -> F:
    """--env and --base-url: which Ropo One to talk to."""
    return _apply(
        [
            click.option(
                "--env", "env", type=click.Choice(sorted(ENVIRONMENTS)), help="A documented host."
            ),
            click.option(
                "--base-url", help="Any other API base URL, e.g. a sandbox. Env: ROPO_BASE_URL."
            ),
        ],
        command,
    )


def journal_options(help_text: str) -> Callable[[F], F]:
    """--journal (the SQLite file that remembers what was sent) and --wait (for its lock).
    The command passes the option's value (or the settings file's) through `journal_path`."""
    return lambda command: _apply(
        [
            click.option(
                "--journal",
                type=click.Path(path_type=Path, dir_okay=False),
                help=f"{help_text} Default: {default_journal()}",
            ),
            click.option(
                "--wait",
                type=click.FloatRange(min=0),
                default=0.0,
                show_default=True,
                metavar="SECONDS",
                help="How long to wait while another run holds the journal for the same "
                "Ropo One and customer id.",
            ),
        ],
        command,
    )


def journal_path(given: Path | None) -> Path:
    """The journal to use: the one given, or the user's, whatever folder the command runs in
    (with the journal earlier versions kept under ./reports merged into it, once)."""
    if given is not None:
        return given
    from importer.journal.adopt import adopt_old_journal

    journal = default_journal()
    merged = adopt_old_journal(journal, Path.cwd())
    if merged:
        click.echo(f"ropo-import: journal {journal}: {merged}", err=True)
    return journal


def output_options(command: F) -> F:
    """--quiet and --verbose: how much the terminal shows."""
    return _apply(
        [
            click.option(
                "--quiet",
                "-q",
                is_flag=True,
                help="No progress bar and no problem lines: the balance and the workbook only.",
            ),
            click.option(
                "--verbose",
                "-v",
                is_flag=True,
                help="One line for every row that needs attention, as it happens.",
            ),
        ],
        command,
    )


def rule_options(command: F) -> F:
    """The options that relax validation, shared by run and inspect."""
    return _apply(
        [
            click.option(
                "--today",
                cls=EnvOption,
                metavar="YYYY-MM-DD",
                envvar="ROPO_TODAY",
                help="Judge future and old dates as of this day (default: the computer's date).",
            ),
            click.option(
                "--max-age",
                type=click.IntRange(min=0),
                default=MAX_AGE_DAYS,
                show_default=True,
                metavar="DAYS",
                help="A payment dated more than DAYS before today is invalid.",
            ),
            click.option("--allow-future", is_flag=True, help="Send payments dated after today."),
            click.option(
                "--allow-identical",
                is_flag=True,
                help="Send rows identical in date, amount, reference and payer to another row "
                "when no archive id tells them apart (the bank really received both).",
            ),
            click.option(
                "--domestic-references",
                is_flag=True,
                help="Send an RF reference that wraps a Finnish reference as the Finnish one.",
            ),
            click.option(
                "--credit-notes",
                type=click.Choice(CREDIT_NOTES),
                default="note",
                show_default=True,
                help="Credit notes a payer deducted (camt remittance): 'note' names them on the "
                "payment and flags the invoice if it stays open; 'send' also registers each "
                "one on the invoice (creditnotebillnum): confirm with Ropo support first.",
            ),
            click.option(
                "--direct-debits",
                type=click.Choice(DIRECT_DEBITS),
                default="skip",
                show_default=True,
                help="Direct debits (KTL record 5, camt 704, a profile's [kind]): 'skip' leaves "
                "them out as 'direct-debit'; 'send' registers them like any other payment.",
            ),
        ],
        command,
    )


def rules_from(
    today: str | None,
    max_age: int,
    allow_future: bool,
    allow_identical: bool,
    domestic_references: bool,
    credit_notes: str = "note",
    direct_debits: str = "skip",
) -> Rules:
    """The validation rules the rule options ask for."""
    from importer.validation import Rules

    try:
        day = datetime.strptime(today, "%Y-%m-%d").date() if today else date.today()
    except ValueError:
        context = click.get_current_context()
        option = next((p for p in context.command.params if p.name == "today"), None)
        raise click.BadParameter(
            f"{today!r} is not a date like 2026-11-30", context, option
        ) from None
    return Rules(
        day,
        max_age,
        allow_future,
        allow_identical,
        domestic_references,
        send_credit_notes=credit_notes == "send",
        send_direct_debits=direct_debits == "send",
    )
