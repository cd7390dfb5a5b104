"""What a finished run prints: the outcome table, the balances, the first problems."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from importer.clock import Clock
from importer.models import Outcome, RowResult
from importer.report import Report, money

ATTENTION = (Outcome.REJECTED, Outcome.INVALID, Outcome.UNKNOWN)
SHOWN_PROBLEMS = 20


def render(
    report: Report, path: Path | None, clock: Clock, *, quiet: bool = False, verbose: bool = False
) -> None:
    """Print the report of a run and where its workbook is.

    Quiet: the balance line and the workbook only. Verbose: the problems were shown as they
    came, so they are not listed again. Without a workbook (`path` None) the terminal is the
    only record: both balance lines and every problem are printed, quiet or not.
    """
    console = Console(highlight=False, soft_wrap=True)
    if quiet and path is not None:
        console.print(report.conservation()[0], markup=False)
        _stopped(report)
        console.print(f"Workbook: {path}", markup=False)
        return
    if quiet:
        for line in (*report.conservation(), *report.currency_lines()):
            console.print(line, markup=False)
        _problems(console, report, shown=None)
        _stopped(report)
        return
    console.print(
        f"[bold]{report.file}[/bold]: {len(report.results)} rows, read as "
        f"{report.profile.name} ({report.profile.title})"
    )
    target = "dry run: nothing was posted" if report.dry_run else f"posted to {report.base_url}"
    console.print(f"{target}" + (f" as customer {report.cid}" if report.cid else ""))
    if report.journal is not None:
        notes = "".join(f"; {note}" for note in report.journal_notes)
        console.print(f"Journal: {report.journal}{notes}", markup=False)
    if report.today and report.today != clock.calendar_day():
        console.print(f"dates judged as of {report.today}", markup=False)
    table = Table(show_edge=False)
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    # Other currencies' rows are counted here but summed on lines of their own.
    table.add_column("amount (EUR)" if report.foreign_read else "amount", justify="right")
    for outcome in Outcome:
        table.add_row(outcome.value, str(report.count(outcome)), money(report.total(outcome)))
    table.add_row("[bold]read[/bold]", str(report.rows_read), money(report.sum_read))
    console.print(table)
    for line in (*report.conservation(), *report.currency_lines()):
        console.print(line, markup=False)
    unfocused = report.response_total("unfocused")
    if unfocused:
        console.print(f"unfocused (overpaid, to refund or allocate by hand): {money(unfocused)}")
    credits, credited = report.credit_notes_registered()
    if credits:
        console.print(
            f"credit notes registered on their invoices: {credits}, {money(credited)} "
            "(no money: not in the sums)",
            markup=False,
        )
    if not verbose:
        _problems(console, report, shown=SHOWN_PROBLEMS if path is not None else None)
    _stopped(report)
    if path is not None:
        console.print(f"Workbook: {path}", markup=False)


def _problems(console: Console, report: Report, shown: int | None) -> None:
    """The rows that need attention, the first `shown` of them (None: all)."""
    problems = [r for r in report.results.itemised() if r.to_act_on]
    for result in problems[:shown]:
        console.print(problem_line(result), markup=False)
    if shown is not None and len(problems) > shown:
        console.print(f"... and {len(problems) - shown} more in the workbook (--verbose lists all)")


def _stopped(report: Report) -> None:
    if report.interrupted:
        click.echo(
            f"ropo-import: {report.stopped}; the workbook holds what happened so far: run "
            "the same command again to send the rest",
            err=True,
        )
    elif report.stopped:
        click.echo(f"ropo-import: error: {report.stopped}", err=True)


def problem_line(result: RowResult) -> str:
    """One line for a row that needs attention."""
    return f"line {result.row.line}: {result.outcome.value} [{result.code}] {result.message}"
