"""Options shared by several commands, and turning them into the library's settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from importer.settings import ENVIRONMENTS
from importer.validation import MAX_AGE_DAYS, Rules

F = TypeVar("F", bound=Callable[..., Any])
JOURNAL = Path("reports/ropo-import-journal.sqlite")


def _apply(options: list[Callable[[F], F]], command: F) -> F:
    for option in reversed(options):
        command = option(command)
    return command


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


def journal_option(help_text: str) -> Callable[[F], F]:
    """--journal: the SQLite file that remembers what was sent."""
    return click.option(
        "--journal",
        type=click.Path(path_type=Path),
        default=JOURNAL,
        show_default=True,
        help=help_text,
    )


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
        ],
        command,
    )


def rules_from(
    today: str | None,
    max_age: int,
    allow_future: bool,
    allow_identical: bool,
    domestic_references: bool,
) -> Rules:
    """The validation rules the rule options ask for."""
    try:
        day = datetime.strptime(today, "%Y-%m-%d").date() if today else date.today()
    except ValueError:
        raise click.BadParameter(
            f"{today!r} is not a date like 2026-11-30", param_hint="--today"
        ) from None
    return Rules(day, max_age, allow_future, allow_identical, domestic_references)
