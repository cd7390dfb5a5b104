"""Options shared by several commands, and turning them into the one Settings.

Declaring the options imports nothing of the library but importer.defaults: what they turn
into (Settings, with the settings file and the environment under the command line) is
imported when a command runs. The options carry no envvar: the environment is one layer of
Settings (importer/settings.py), below the command line and above the settings file.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from click.core import ParameterSource

from importer.defaults import CONFIG_NAME, ENVIRONMENTS, MAX_AGE_DAYS, default_journal
from importer.errors import ImporterError
from importer.i18n import LANGS  # no babel: the catalogues are read when words are asked for
from importer.said import Said

if TYPE_CHECKING:
    from importer.i18n import Words

F = TypeVar("F", bound=Callable[..., Any])
CREDIT_NOTES = ("note", "send")
DIRECT_DEBITS = ("skip", "send")


def _apply(options: list[Callable[[F], F]], command: F) -> F:
    for option in reversed(options):
        command = option(command)
    return command


def settings_options(command: F) -> F:
    """--config and --client, and the one Settings every setting option turns into.

    The command's setting options (those named as Settings fields) are taken out of its
    parameters; the ones typed on the command line go into Settings.resolve over the
    environment, the client's table and the file. The command gets `settings`.
    """

    @functools.wraps(command)
    def configured(*args: Any, config: Path | None, client: str | None, **params: Any) -> Any:
        from importer.config import load_config
        from importer.settings import SettingError, Settings

        context = click.get_current_context()
        names = [name for name in params if name in Settings.model_fields]
        typed = {
            name: params.pop(name)
            for name in names
            if context.get_parameter_source(name) is ParameterSource.COMMANDLINE
        }
        for name in names:
            params.pop(name, None)
        loaded = load_config(config, Path.cwd())
        try:
            settings = Settings.resolve(typed, os.environ, loaded, client)
        except SettingError as refused:
            hint = (
                f"{refused.variable}={refused.value!r} in the environment (it sets "
                f"{refused.option})"
                if refused.variable
                else f"'{refused.option}'"
            )
            raise click.BadParameter(refused.why, context, param_hint=hint) from None
        try:
            return command(*args, settings=settings, **params)
        except ImporterError as stop:
            raise worded(stop, settings.words()) from None

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


def worded(stop: ImporterError, words: Words) -> ImporterError:
    """A stop in the language of `words`: its message worded where it was said as a template
    (importer/said.py), the stop itself otherwise."""
    said = stop.args[0] if len(stop.args) == 1 else None
    if words.lang == "en" or not isinstance(said, Said):
        return stop
    return ImporterError(said.words(words))


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
    The command passes the setting through `journal_path`."""
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


def lang_option(command: F) -> F:
    """--lang: the language of the summary and the workbook (a setting: see Settings)."""
    return _lang(
        "(default: the settings file's lang, else the locale's: LANG=fi_FI.UTF-8 gives "
        "Finnish; else English)."
    )(command)


def _lang(default: str) -> Callable[[F], F]:
    return click.option(
        "--lang",
        type=click.Choice(LANGS, case_sensitive=False),
        help=f"Words of the summary and the workbook: fi, sv or en {default}",
    )


# The demo reads no settings file: its language is the one asked for, else the locale's.
demo_lang_option = _lang("(default: the locale's: LANG=fi_FI.UTF-8 gives Finnish; else English).")


def rule_options(command: F) -> F:
    """The options that relax validation, shared by run and inspect."""
    return _apply(
        [
            click.option(
                "--today",
                metavar="YYYY-MM-DD",
                help="Judge future and old dates as of this day (default: the computer's date). "
                "Env: ROPO_TODAY.",
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
