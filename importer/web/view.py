"""A Report as the page shows it: the fates with their counts and euro sums, the rows.

Nothing is judged here: every fate is read off the codes the engine gave (problems.py), and
every sum off the Report, so the page and the workbook cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from importer import problems
from importer.i18n import Words
from importer.models import CellValue, Outcome, RowResult
from importer.report import EURO, Report
from importer.said import in_words
from importer.workbook.results import Layout

PAGE_ROWS = 200  # rows per page of the table: a month's export is pages, never one wall

# The fates of a planned row, named as the accountant asks about them; read off its code.
TO_SEND = "to be sent"
DUPLICATE = "duplicate"
ALREADY = "already registered"
EARLIER_UNKNOWN = "unknown from an earlier run"
NOT_SENT = "not a payment to send"
FATE_OF_CODE = {
    problems.DRY_RUN: TO_SEND,
    problems.DUPLICATE_IN_FILE: DUPLICATE,
    problems.POSSIBLE_DUPLICATE: DUPLICATE,
    problems.ARCHIVE_ID_REUSED: DUPLICATE,
    problems.ALREADY_REGISTERED: ALREADY,
    problems.ANSWERED_EARLIER: ALREADY,
    problems.SENT_WHOLE_EARLIER: ALREADY,
    problems.UNANSWERED_EARLIER: EARLIER_UNKNOWN,
}
FATES = (TO_SEND, Outcome.INVALID.value, DUPLICATE, ALREADY, EARLIER_UNKNOWN, NOT_SENT)


@dataclass(frozen=True)
class Line:
    """A fate or an outcome: how many rows, and the euro rows' sum."""

    name: str
    rows: int
    total: Decimal


@dataclass(frozen=True)
class Cell:
    text: str
    marked: bool  # the cell that stopped the row


@dataclass(frozen=True)
class RowView:
    line: int
    cells: tuple[Cell, ...]
    outcome: str
    code: str
    message: str
    todo: str
    attention: bool


def fate(result: RowResult) -> str:
    """A planned row's fate, from its code."""
    named = FATE_OF_CODE.get(result.code)
    if named is not None:
        return named
    if result.outcome is Outcome.SKIPPED:
        return NOT_SENT
    return result.outcome.value


def fates(plan: Report) -> list[Line]:
    """Each fate of the plan's rows, in FATES' order (then any other): rows and euro sum."""
    found: dict[str, tuple[int, Decimal]] = {name: (0, Decimal("0.00")) for name in FATES}
    for result in plan.results.itemised():
        name = fate(result)
        rows, total = found.get(name, (0, Decimal("0.00")))
        euro = result.amount if result.amount is not None and result.currency == EURO else 0
        found[name] = (rows + 1, total + euro)
    # The rows held as a kind (plain payments to send, outgoing ones) are counted in bulk.
    for code, (rows, total) in plan.results.settled_by_code().items():
        name = FATE_OF_CODE.get(code, NOT_SENT)
        before, summed = found.get(name, (0, Decimal("0.00")))
        found[name] = (before + rows, summed + total)
    return [Line(name, rows, total) for name, (rows, total) in found.items()]


def outcomes(report: Report) -> list[Line]:
    """Each outcome of a finished run: rows and euro sum."""
    return [Line(o.value, report.count(o), report.total(o)) for o in Outcome]


def to_send(plan: Report) -> Line:
    """The rows a send would post, and their sum: what the send button says."""
    return next(line for line in fates(plan) if line.name == TO_SEND)


def rows(
    report: Report, words: Words, *, problems_only: bool, page: int
) -> tuple[list[RowView], int]:
    """One page of the table, and how many rows the table has (problems only, or all)."""
    if problems_only:
        chosen = [r for r in report.results.itemised() if r.to_act_on]
        count = len(chosen)
        picked = chosen[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    else:
        count = len(report.results)
        picked = report.results[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    advice = Layout(report, words)  # what to do, as the workbook's Results sheet says it
    return [row_view(report, result, words, advice) for result in picked], count


def row_view(report: Report, result: RowResult, words: Words, advice: Layout) -> RowView:
    marked = result.problem.column if result.problem is not None else None
    cells = tuple(
        Cell(_text(value), marked is not None and header == marked)
        for header, value in zip(report.headers, result.row.cells, strict=False)
    )
    return RowView(
        result.row.line,
        cells,
        words(result.outcome.value),
        result.code,
        in_words(result.message, words),  # as the workbook's message column says it
        _todo(result, words, advice) if result.to_act_on else "",
        result.to_act_on,
    )


# On the page an unknown payment is marked with a button, not with `ropo-import resolve`.
CHECK_ON_PAGE = "check in Ropo One, then mark what you found under Payments to resolve"


def _todo(result: RowResult, words: Words, advice: Layout) -> str:
    if result.outcome is Outcome.UNKNOWN:
        return words(CHECK_ON_PAGE)
    return advice.what_to_do(result)


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
