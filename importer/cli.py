"""The command line: parse options, build settings once, call the library, render, exit.

The only module that imports click and rich. Exit codes: 0 every row posted or skipped;
2 the run finished but some rows are rejected, invalid or unknown; 1 usage, configuration,
credential or unreadable-file errors (and a run stopped early).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from importer import __version__, json_decimal
from importer.demo import default_output, run_demo, sample_files
from importer.errors import ConfigError, ImporterError
from importer.inspection import inspect_export
from importer.journal import Journal
from importer.models import Outcome, RowResult
from importer.pipeline import run_import
from importer.profiles import builtin_profiles
from importer.report import EXIT_ATTENTION, EXIT_FAILED, Report, money
from importer.sandbox import Ledger, SandboxState
from importer.sandbox.faults import Faults
from importer.sandbox.server import serve
from importer.settings import ENVIRONMENTS, ApiSettings, base_url_from, credentials_from
from importer.validation import MAX_AGE_DAYS, Rules, Valid
from importer.workbook import write_workbook

ATTENTION = (Outcome.REJECTED, Outcome.INVALID, Outcome.UNKNOWN)
SHOWN_PROBLEMS = 20
_SHOWN_COUNTS = (
    "rows",
    "incoming",
    "outgoing",
    "pending",
    "with reference",
    "without reference",
    "ready to post",
    "invalid",
)


F = TypeVar("F", bound=Callable[..., Any])


def _rule_options(command: F) -> F:
    """The options that relax validation, shared by run and inspect."""
    options = [
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
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _rules(
    today: str | None,
    max_age: int,
    allow_future: bool,
    allow_identical: bool,
    domestic_references: bool,
) -> Rules:
    try:
        day = datetime.strptime(today, "%Y-%m-%d").date() if today else date.today()
    except ValueError:
        raise click.BadParameter(
            f"{today!r} is not a date like 2026-11-30", param_hint="--today"
        ) from None
    return Rules(day, max_age, allow_future, allow_identical, domestic_references)


class _Cli(click.Group):
    """Exit 1 for every usage error (click's default is 2, which here means 'rows need work')."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("ropo-import: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            click.echo(f"ropo-import: {exc.format_message()}", err=True)
            sys.exit(EXIT_FAILED)
        except ImporterError as exc:
            click.echo(f"ropo-import: error: {exc}", err=True)
            sys.exit(EXIT_FAILED)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ropo-import")
def cli() -> None:
    """Register payments from bank exports in Ropo One (POST /jobs/payment), in bulk.

    Try it with no credentials: ropo-import demo
    """
    for name in ("httpx", "httpcore"):
        # httpx logs full URLs at INFO and httpcore response headers at DEBUG: keep them quiet.
        logging.getLogger(name).setLevel(logging.WARNING)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--profile",
    metavar="NAME|PATH",
    help="The bank export's profile; recognised from the content when left out.",
)
@click.option("--env", "env", type=click.Choice(sorted(ENVIRONMENTS)), help="A documented host.")
@click.option("--base-url", help="Any other API base URL, e.g. a sandbox. Env: ROPO_BASE_URL.")
@click.option("--output", type=click.Path(path_type=Path), help="Workbook path.")
@click.option(
    "--journal",
    type=click.Path(path_type=Path),
    default=Path("reports/ropo-import-journal.sqlite"),
    show_default=True,
    help="SQLite file that remembers what was sent.",
)
@click.option("--dry-run", is_flag=True, help="Do everything but post; needs no credentials.")
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1, max=10_000),
    default=5.0,
    show_default=True,
    envvar="ROPO_RATE",
    help="Requests started per second at most (backs off on HTTP 429). Env: ROPO_RATE.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=4,
    show_default=True,
    help="Requests in flight at once at most.",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds to wait for a connection (a refused one is retried).",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for an answer (without one the payment is 'unknown').",
)
@_rule_options
def run(
    file: Path,
    profile: str | None,
    env: str | None,
    base_url: str | None,
    output: Path | None,
    journal: Path,
    dry_run: bool,
    rate: float,
    concurrency: int,
    connect_timeout: float,
    read_timeout: float,
    **rules: Any,
) -> int:
    """Import FILE (a bank export) and register its incoming payments in Ropo One.

    FILE is a KTL reference payment file, camt.054/053 XML, a bank's CSV or a spreadsheet;
    its format is recognised from the content ('ropo-import profiles' lists them).

    Credentials come from the environment only: ROPO_CID and ROPO_APICODE.

    \b
    Example:
      export ROPO_CID=1000011 ROPO_APICODE=...   # from Ropo support
      ropo-import run november.csv --env fi-test
    """
    try:
        api = ApiSettings(
            base_url=base_url_from(env, base_url, os.environ),
            credentials=credentials_from(os.environ),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            rate=rate,
            concurrency=concurrency,
        )
    except ConfigError:
        if not dry_run:
            raise
        api = None  # a dry run without settings cannot look rows up in the journal; fine
    report = run_import(
        file,
        journal_path=journal,
        api=api,
        profile=profile,
        rules=_rules(**rules),
        dry_run=dry_run,
    )
    path = write_workbook(report, output or default_output(file, Path("reports")))
    _render(report, path)
    return report.exit_code()


@cli.command()
@click.option("--env", "env", type=click.Choice(sorted(ENVIRONMENTS)), help="A documented host.")
@click.option("--base-url", help="Any other API base URL. Env: ROPO_BASE_URL.")
@click.option(
    "--journal",
    type=click.Path(path_type=Path),
    default=Path("reports/ropo-import-journal.sqlite"),
    show_default=True,
    help="The journal the runs wrote.",
)
@click.option(
    "--registered",
    "registered",
    type=int,
    multiple=True,
    metavar="ID",
    help="Ropo One has this payment: never send it again.",
)
@click.option(
    "--not-registered",
    "missing",
    type=int,
    multiple=True,
    metavar="ID",
    help="Ropo One does not have it: the next run sends it.",
)
def resolve(
    env: str | None,
    base_url: str | None,
    journal: Path,
    registered: tuple[int, ...],
    missing: tuple[int, ...],
) -> int:
    """List the payments whose answer never came, and record what Ropo One shows for each.

    Such a payment ('unknown' in the workbook) is never sent again by itself: check in Ropo
    One whether the invoice has it, then mark it. Needs ROPO_CID (not the apicode).

    \b
    Example:
      ropo-import resolve --env fi-prod                  # list them, with their ids
      ropo-import resolve --env fi-prod --registered 12 --not-registered 14
    """
    endpoint = base_url_from(env, base_url, os.environ)
    cid = os.environ.get("ROPO_CID", "").strip()
    if not cid:
        raise ConfigError("set ROPO_CID to the customer id whose payments to resolve")
    if not journal.exists():
        raise ConfigError(f"journal {journal}: no such file (see --journal)")
    book = Journal(journal, endpoint, cid)
    try:
        for ids, done, found in (
            (registered, True, "registered"),
            (missing, False, "not registered"),
        ):
            for entry_id in ids:
                note = f"marked {found} by hand on {date.today()} after checking Ropo One"
                if not book.resolve(entry_id, done, note):
                    raise ConfigError(
                        f"no unanswered payment has id {entry_id}; "
                        "run 'ropo-import resolve' to list them"
                    )
                click.echo(f"{entry_id}: {found}" + ("" if done else ": the next run sends it"))
        left = book.unanswered()
    finally:
        book.close()
    if not left:
        click.echo(f"No payment to {endpoint} for customer {cid} is waiting for an answer.")
        return 0
    click.echo(f"{len(left)} payments were sent without an answer; check each in Ropo One:")
    for entry in left:
        request = entry.request
        invoice = next(
            f"{k} {request[k]}" for k in ("billcode", "jobid", "billnum") if k in request
        )
        amount = json_decimal.money_text(Decimal(str(request["amount"])))
        where = f"{Path(entry.source_file).name} line {entry.source_row}"
        click.echo(
            f"  id {entry.id}: {invoice}, amount {amount}, paydate {request['paydate']} "
            f"({where}, sent {entry.sent_at})"
        )
    click.echo("Then: ropo-import resolve --registered ID ... --not-registered ID ...")
    return EXIT_ATTENTION


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--profile", metavar="NAME|PATH", help="Skip recognition and use this profile.")
@click.option("--rows", default=10, show_default=True, help="How many rows to preview.")
@_rule_options
def inspect(file: Path, profile: str | None, rows: int, **rules: Any) -> int:
    """Show how FILE is read: format, profile, columns, counts and the first rows.

    Needs no credentials and sends nothing.

    \b
    Example:
      ropo-import inspect sample_files/camt054-viitemaksut.xml
    """
    seen = inspect_export(file, profile, rows, _rules(**rules))
    export = seen.export
    console = Console(highlight=False, soft_wrap=True)
    where = "" if export.profile.source == "built-in" else f" from {export.profile.source}"
    console.print(f"[bold]{export.table.file}[/bold]", markup=True)
    console.print(f"read as:  {export.table.form}", markup=False)
    console.print(f"profile:  {export.profile.name} ({export.profile.title}){where}", markup=False)
    console.print(f"columns:  {export.columns.describe()}", markup=False)
    counts = seen.counts
    console.print(
        f"rows {counts['rows']}: incoming {counts['incoming']} "
        f"({money(seen.incoming_total)}), outgoing {counts['outgoing']}, "
        f"pending {counts['pending']}, with reference {counts['with reference']}, "
        f"without reference {counts['without reference']}",
        markup=False,
    )
    others = {k: v for k, v in counts.items() if k not in _SHOWN_COUNTS}
    if others:
        console.print("also: " + ", ".join(f"{k} {v}" for k, v in others.items()), markup=False)
    console.print(f"first {len(seen.preview)} rows as they would be posted:", markup=False)
    for checked in seen.preview:
        if isinstance(checked, Valid):
            body = json_decimal.dumps(checked.payment.body())
            console.print(f"  line {checked.row.line}: POST /jobs/payment {body}", markup=False)
        else:
            console.print(f"  {_problem_line(checked)}", markup=False)
    return 0


@cli.command()
def profiles() -> int:
    """List the built-in bank export profiles that FILE is recognised against.

    \b
    Example:
      ropo-import profiles
      ropo-import run export.csv --profile nordea
    """
    lines = []
    for profile in builtin_profiles():
        detect = profile.detect
        if profile.guess_columns:
            how = "nothing: ask for it with --profile generic"
        elif detect.xml_root:
            how = f"XML <{detect.xml_root}>"
        elif profile.reader == "ktl":
            how = "90-character records, a batch record 0 first"
        else:
            how = "header " + " | ".join(detect.headers)
        refused = "  (recognised, then refused with the reason)" if profile.refuse else ""
        lines += [f"{profile.name:<14} {profile.title}{refused}", f"{'':<14} detected by {how}"]
    click.echo("\n".join(lines))
    return 0


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
@click.option("--port", default=8080, show_default=True, help="0 picks a free port.")
@click.option("--ledger", type=click.Path(path_type=Path), help="Invoices CSV to start from.")
@click.option(
    "--token-lifetime",
    default=7200.0,
    show_default=True,
    help="Seconds a token stays valid (shorter for tests).",
)
@click.option("--seed", default=0, show_default=True, help="Seed for the random faults.")
@click.option("--latency", default=0.0, show_default=True, help="Seconds added to each answer.")
@click.option("--rate-cap", type=float, help="Payments per second before answering 429.")
@click.option(
    "--fail-rate", default=0.0, show_default=True, help="Share answered 503, not processed."
)
@click.option(
    "--drop-rate",
    default=0.0,
    show_default=True,
    help="Share applied and then cut off before the answer (the ambiguous case).",
)
def sandbox(
    host: str,
    port: int,
    ledger: Path | None,
    token_lifetime: float,
    seed: int,
    latency: float,
    rate_cap: float | None,
    fail_rate: float,
    drop_rate: float,
) -> int:
    """Run a local Ropo One simulator on loopback, with faults when asked.

    Every customer id in the ledger logs in with the apicode 'sandbox'. GET /sandbox/applied
    lists how often each payment was applied.

    \b
    Example:
      ropo-import sandbox --port 8080
      ROPO_CID=1000011 ROPO_APICODE=sandbox \\
        ropo-import run sample_files/demo-bank-export.csv --base-url http://127.0.0.1:8080/rest
      ropo-import sandbox --latency 0.05 --rate-cap 20 --fail-rate 0.1 --drop-rate 0.05
    """
    try:
        faults = Faults(seed, latency, rate_cap, fail_rate, drop_rate)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    state = SandboxState(
        Ledger.load(ledger or sample_files() / "sandbox-ledger.csv"),
        token_lifetime=token_lifetime,
        faults=faults,
    )

    def announce(url: str) -> None:
        click.echo(f"Ropo One sandbox on {url} (Ctrl-C stops it)", err=True)

    serve(state, host, port, announce)
    return 0


@cli.command()
@click.option(
    "--reports",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder for the workbook.",
)
def demo(reports: Path) -> int:
    """Import a sample bank export into a built-in sandbox: no credentials, no network.

    \b
    Example:
      ropo-import demo
    """
    report, path = run_demo(reports)
    _render(report, path)
    return 0 if not report.stopped else EXIT_FAILED


def _render(report: Report, path: Path) -> None:
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"[bold]{report.file}[/bold]: {len(report.results)} rows, read as "
        f"{report.profile.name} ({report.profile.title})"
    )
    target = "dry run: nothing was posted" if report.dry_run else f"posted to {report.base_url}"
    console.print(f"{target}" + (f" as customer {report.cid}" if report.cid else ""))
    if report.today and report.today != date.today():
        console.print(f"dates judged as of {report.today}", markup=False)
    table = Table(show_edge=False)
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    table.add_column("amount", justify="right")
    for outcome in Outcome:
        table.add_row(outcome.value, str(report.count(outcome)), money(report.total(outcome)))
    table.add_row("[bold]read[/bold]", str(report.rows_read), money(report.sum_read))
    console.print(table)
    for line in report.conservation():
        console.print(line, markup=False)
    unfocused = report.response_total("unfocused")
    if unfocused:
        console.print(f"unfocused (overpaid, to refund or allocate by hand): {money(unfocused)}")
    problems = [r for r in report.results if r.outcome in ATTENTION]
    for result in problems[:SHOWN_PROBLEMS]:
        console.print(_problem_line(result), markup=False)
    if len(problems) > SHOWN_PROBLEMS:
        console.print(f"... and {len(problems) - SHOWN_PROBLEMS} more in the workbook")
    if report.interrupted:
        click.echo(
            "ropo-import: interrupted by Ctrl-C; the workbook holds what happened so far: run "
            "the same command again to send the rest",
            err=True,
        )
    elif report.stopped:
        click.echo(f"ropo-import: error: {report.stopped}", err=True)
    console.print(f"Workbook: {path}")


def _problem_line(result: RowResult) -> str:
    return f"line {result.row.line}: {result.outcome.value} [{result.code}] {result.message}"


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="ropo-import")
