"""What a finished run prints: the outcome table, the balances, the first problems."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from importer.clock import Clock
from importer.i18n import Words
from importer.models import Outcome, RowResult
from importer.report import ENGLISH, Report, amount_text
from importer.said import in_words

ATTENTION = (Outcome.REJECTED, Outcome.INVALID, Outcome.UNKNOWN)
SHOWN_PROBLEMS = 20


def render(
    report: Report,
    path: Path | None,
    clock: Clock,
    *,
    quiet: bool = False,
    verbose: bool = False,
    words: Words = ENGLISH,
) -> None:
    """Print the report of a run and where its workbook is, in the language of `words`.

    Quiet: the balance line and the workbook only. Verbose: the problems were shown as they
    came, so they are not listed again. Without a workbook (`path` None) the terminal is the
    only record: both balance lines and every problem are printed, quiet or not.
    """
    w = words
    console = Console(highlight=False, soft_wrap=True)
    if quiet and path is not None:
        console.print(report.conservation(w)[0], markup=False)
        _stopped(report, w)
        console.print(w("Workbook: {path}", path=path), markup=False)
        return
    if quiet:
        for line in (*report.conservation(w), *report.currency_lines(w)):
            console.print(line, markup=False)
        _problems(console, report, w, shown=None)
        _stopped(report, w)
        return
    console.print(
        f"[bold]{report.file}[/bold]"
        + w(
            ": {n} rows, read as {profile} ({title})",
            n=len(report.results),
            profile=report.profile.name,
            title=w(report.profile.title),  # a built-in profile's title reads translated
        )
    )
    if report.dry_run:
        target = w("dry run: nothing was posted")
    else:
        target = w("posted to {url}", url=report.base_url)
    console.print(target + (w(" as customer {cid}", cid=report.cid) if report.cid else ""))
    if report.journal is not None:
        notes = "".join(f"; {in_words(note, w)}" for note in report.journal_notes)
        console.print(w("Journal: {journal}", journal=w(report.journal)) + notes, markup=False)
    if report.today and report.today != clock.calendar_day():
        day = str(report.today) if w.lang == "en" else w.day(report.today)
        console.print(w("dates judged as of {day}", day=day), markup=False)
    table = Table(show_edge=False)
    table.add_column(w("outcome"))
    table.add_column(w("rows"), justify="right")
    # Other currencies' rows are counted here but summed on lines of their own.
    table.add_column(w("amount (EUR)") if report.foreign_read else w("amount"), justify="right")
    for outcome in Outcome:
        total = amount_text(report.total(outcome), w)
        table.add_row(w(outcome.value), str(report.count(outcome)), total)
    read = amount_text(report.sum_read, w)
    table.add_row(f"[bold]{w('read')}[/bold]", str(report.rows_read), read)
    console.print(table)
    for line in (*report.conservation(w), *report.currency_lines(w)):
        console.print(line, markup=False)
    unfocused = report.response_total("unfocused")
    if unfocused:
        console.print(
            w(
                "unfocused (overpaid, to refund or allocate by hand): {amount}",
                amount=amount_text(unfocused, w),
            )
        )
    credits, credited = report.credit_notes_registered()
    if credits:
        console.print(
            w(
                "credit notes registered on their invoices: {n}, {amount} "
                "(no money: not in the sums)",
                n=credits,
                amount=amount_text(credited, w),
            ),
            markup=False,
        )
    if not verbose:
        _problems(console, report, w, shown=SHOWN_PROBLEMS if path is not None else None)
    _stopped(report, w)
    if path is not None:
        console.print(w("Workbook: {path}", path=path), markup=False)


def _problems(console: Console, report: Report, words: Words, shown: int | None) -> None:
    """The rows that need attention, the first `shown` of them (None: all)."""
    problems = [r for r in report.results.itemised() if r.to_act_on]
    for result in problems[:shown]:
        console.print(problem_line(result, words), markup=False)
    if shown is not None and len(problems) > shown:
        console.print(
            words("... and {n} more in the workbook (--verbose lists all)", n=len(problems) - shown)
        )


def _stopped(report: Report, words: Words) -> None:
    if report.interrupted:
        click.echo(
            "ropo-import: "
            + words(
                "{why}; the workbook holds what happened so far: run the same command again "
                "to send the rest",
                why=report.stopped,
            ),
            err=True,
        )
    elif report.stopped:
        click.echo(f"ropo-import: error: {report.stopped}", err=True)


def problem_line(result: RowResult, words: Words = ENGLISH) -> str:
    """One line for a row that needs attention: its code and message stay as they are."""
    return words(
        "line {line}: {outcome} [{code}] {message}",
        line=result.row.line,
        outcome=words(result.outcome.value),
        code=result.code,
        message=in_words(result.message, words),
    )
