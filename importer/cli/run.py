"""ropo-import run and ropo-import demo: import a bank export, write the workbook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from importer.cli.exits import exit_code
from importer.cli.options import (
    demo_lang_option,
    endpoint_options,
    journal_options,
    journal_path,
    lang_option,
    output_options,
    rule_options,
    settings_options,
)
from importer.clock import SYSTEM_CLOCK, Clock
from importer.defaults import CONNECT_TIMEOUT, DEFAULT_RATE, EXIT_FAILED, READ_TIMEOUT
from importer.errors import ConfigError

if TYPE_CHECKING:
    from importer.i18n import Words
    from importer.models import RowResult
    from importer.report import Report
    from importer.settings import ApiSettings, Settings
    from importer.workbook import Saved


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--profile",
    metavar="NAME|PATH",
    help="The bank export's profile; recognised from the content when left out.",
)
@endpoint_options
@click.option("--output", type=click.Path(path_type=Path), help="Workbook path.")
@journal_options("The SQLite file that remembers what was sent, shared by every run.")
@click.option("--dry-run", is_flag=True, help="Do everything but post; needs no credentials.")
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1, max=10_000),
    default=DEFAULT_RATE,
    show_default=True,
    help="Requests started per second at most (backs off on HTTP 429). Env: ROPO_RATE.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    help="Requests in flight at once at most (default: the rate ÷ 5, at least 4).",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0.1),
    default=CONNECT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for a connection (a refused one is retried).",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=1),
    default=READ_TIMEOUT,
    show_default=True,
    help="Seconds to wait for an answer (without one the payment is 'unknown').",
)
@click.option(
    "--reports",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder for the workbook when --output is not given.",
)
@output_options
@lang_option
@rule_options
@settings_options
def run(
    file: Path,
    output: Path | None,
    dry_run: bool,
    quiet: bool,
    verbose: bool,
    settings: Settings,
) -> int:
    """Import FILE (a bank export) and register its incoming payments in Ropo One.

    FILE is a KTL reference payment file, camt.054/053 XML, a bank's CSV or a spreadsheet;
    its format is recognised from the content ('ropo-import profiles' lists them).

    Credentials come from the environment only: ROPO_CID and ROPO_APICODE, or the
    variables a client in ropo-import.toml names. Settings not given here come from the
    environment (ROPO_BASE_URL, ROPO_RATE, ROPO_TODAY), then ropo-import.toml (its
    client's, then its own), then the defaults shown. The words are in --lang's language,
    else the settings file's lang, else the locale's (LANG=fi_FI.UTF-8: Finnish).

    \b
    Example:
      export ROPO_CID=1000011 ROPO_APICODE=...   # from Ropo support
      ropo-import run november.csv --env fi-test
      ropo-import run acme-november.csv --client acme   # with ropo-import.toml
    """
    from importer.cli.progress import Watch
    from importer.pipeline import run_import
    from importer.problems import WENT_OUT
    from importer.workbook import check_output, default_output, save_workbook, warm_up

    api: ApiSettings | None
    try:
        api = settings.api()
    except ConfigError:
        if not dry_run:
            raise
        api = None  # a dry run without settings cannot look rows up in the journal; fine
    clock, words = settings.clock(), settings.words()
    journal = journal_path(settings.journal)
    # Checked before the first request: once payments are posted, the workbook is their record.
    target = check_output(
        output or default_output(file, settings.reports, clock.now()),
        input_path=file,
        journal_path=journal,
        option="--output" if output is not None else "--reports folder or give --output",
    )
    with Watch(file.name, quiet=quiet, verbose=verbose, words=words) as watch:
        warming: list[object] = []

        def heard(result: RowResult) -> None:
            watch.on_result(result)
            if not warming and result.outcome in WENT_OUT:  # the requests are under way
                warming.append(warm_up(words.lang))

        report = run_import(
            file,
            journal_path=journal,
            api=api,
            profile=settings.profile,
            rules=settings.rules(clock),
            dry_run=dry_run,
            on_result=heard,
            on_read=watch.on_read,
            on_settled=watch.on_settled,
            wait=settings.wait,
            on_pace=watch.on_pace,
            clock=clock,
        )
    saved = save_workbook(report, target, lang=words.lang)
    return _shown(report, saved, clock, quiet, verbose, words) or exit_code(report)


def _shown(
    report: Report, saved: Saved, clock: Clock, quiet: bool, verbose: bool, words: Words
) -> int | None:
    """Print the report and where its workbook went; EXIT_FAILED when it went nowhere."""
    from importer.cli.render import render

    render(report, saved.path, clock, quiet=quiet, verbose=verbose, words=words)
    refused = "; ".join(saved.refusals)
    if saved.path is None:
        why = words(
            "no workbook could be written ({refused}); the balances and every row that needs "
            "attention are above",
            refused=refused,
        )
        click.echo(f"ropo-import: error: {why}", err=True)
        return EXIT_FAILED
    if saved.refusals:
        why = words(
            "could not write the workbook ({refused}); it was written to {path} instead",
            refused=refused,
            path=saved.path,
        )
        click.echo(f"ropo-import: {why}", err=True)
    return None


@click.command()
@click.option(
    "--reports",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder for the workbook.",
)
@output_options
@demo_lang_option
def demo(reports: Path, quiet: bool, verbose: bool, lang: str | None) -> int:
    """Import a sample bank export into a built-in sandbox: no credentials, no network.

    The words are in --lang's language, else the locale's (LANG=fi_FI.UTF-8: Finnish).

    \b
    Example:
      ropo-import demo
      ropo-import demo --lang fi
    """
    from importer.cli.progress import Watch
    from importer.demo import run_demo
    from importer.i18n import choose_lang, words

    said = words(choose_lang(lang))
    with Watch("demo", quiet=quiet, verbose=verbose, words=said) as watch:
        report, saved = run_demo(
            reports,
            SYSTEM_CLOCK,
            on_result=watch.on_result,
            on_read=watch.on_read,
            on_settled=watch.on_settled,
            lang=said.lang,
        )
    code = _shown(report, saved, SYSTEM_CLOCK, quiet, verbose, said) or (
        0 if not report.stopped else EXIT_FAILED
    )
    if not quiet:
        click.echo(said(SERVE_DEMO))
    return code


SERVE_DEMO = (
    "The same in a web page: run `ropo-import serve --demo` and open the address it prints."
)
