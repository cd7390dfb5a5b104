"""Words the pages compose from the engine's: the endpoint's kind in the page's language, and
the review's balance lines in the fates its table shows. Jinja globals (pages.templates)."""

from __future__ import annotations

from decimal import Decimal

from importer.i18n import Words
from importer.report import Report, amount_text, rows_text
from importer.web.record import Tally
from importer.web.view import Line
from importer.workbook import details


def environment(text: str, w: Words) -> str:
    """'a sandbox on this machine (http://127.0.0.1:8080/rest)' (settings.describe_endpoint)
    with its words translated; the URL and an environment's name ('fi-prod') stay as they are."""
    where, paren, rest = text.partition(" (")
    return f"{w(where)}{paren}{rest}"


def balance(report: Report, lines: list[Line], w: Words) -> tuple[str, ...]:
    """The two balance lines under the table of `lines`. A plan's in its fates (rows read 15 =
    to be sent 11 + invalid 2 + ...): in outcomes every row to be sent would read 'skipped',
    beside a table that says 11 are to be sent. A finished run's are the command line's."""
    if not report.dry_run:
        return report.conservation(w)
    unread, apart = report.unreadable_amounts, sum(n for n, _ in report.foreign_read.values())
    note = w("; {rows} without a readable amount", rows=rows_text(unread, w)) if unread else ""
    if apart:  # the same words as the command line's balance
        other = "; euro rows only, {rows} in another currency apart"
        if apart > 1:
            other = "; euro rows only, {rows} in other currencies apart"
        note += w(other, rows=rows_text(apart, w))
    rows_ok = sum(line.rows for line in lines) == report.rows_read
    sums_ok = sum((line.total for line in lines), Decimal("0.00")) == report.sum_read
    verdict = w("balances") if rows_ok and sums_ok else w("DOES NOT BALANCE")
    rows = " + ".join(f"{w(line.name)} {line.rows}" for line in lines)
    sums = " + ".join(f"{w(line.name)} {amount_text(line.total, w)}" for line in lines)
    return (
        f"{w('rows read {n}', n=report.rows_read)} = {rows} ({verdict})",
        f"{w('sum read {amount}', amount=amount_text(report.sum_read, w))} = {sums}"
        f" ({verdict}{note})",
    )


def tallied(tally: Tally, w: Words) -> tuple[str, ...]:
    """The balance lines of a run's recorded counts (a run loaded after a restart), in the
    same words as the live page's."""
    verdict = w("balances") if tally.balanced else w("DOES NOT BALANCE")
    rows = " + ".join(f"{w(line.name)} {line.rows}" for line in tally.lines)
    sums = " + ".join(f"{w(line.name)} {amount_text(line.total, w)}" for line in tally.lines)
    return (
        f"{w('rows read {n}', n=tally.rows_read)} = {rows} ({verdict})",
        f"{w('sum read {amount}', amount=amount_text(tally.sum_read, w))} = {sums} ({verdict})",
    )


def read_as(report: Report, w: Words) -> str:
    """How the file was read, as the workbook's details say it in `w`'s language."""
    return details.read_as(report.read_as, w)


GLOBALS = {
    "environment": environment,
    "balance": balance,
    "read_as": read_as,
    "tallied": tallied,
}
