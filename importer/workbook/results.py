"""The Results sheet (every source row) and the Needs attention sheet (rows to act on).

Results: source_row, outcome, code, field, column, value, message, the source's own columns,
then the request and the response fields as the API names them. `amount` is the row's signed
amount as read, so the sheet's sums per outcome are the Summary's. field, column and value
name the one cell that stopped a row (the payment field, the file's header, the cell's text),
each a column of its own to filter on; they are empty when no single cell did.

Needs attention: the rows that are rejected, invalid or unknown, or posted with an unfocused
amount, with the source's own columns first and their text as read, then ours. A copy of this
sheet, corrected and saved as CSV, imports again like the original export: our columns come
back with it and are left out again (`kept`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import islice
from typing import Any

from importer.i18n import Words
from importer.models import REQUEST_FIELDS, RESPONSE_FIELDS, Outcome, RowResult
from importer.problems import answered_money, shown, unfocused
from importer.report import Report
from importer.workbook.cells import Sheet, plain, text

# The names of our own columns, here and nowhere else: the sheets' headers, and what a
# corrected Needs attention brings back to be left out.
SOURCE_ROW, OUTCOME, CODE, FIELD, COLUMN, VALUE, MESSAGE, UNFOCUSED = (
    "source_row",
    "outcome",
    "code",
    "field",
    "column",
    "value",
    "message",
    "unfocused",
)
PROBLEM_COLUMNS = (CODE, FIELD, COLUMN, VALUE, MESSAGE)
LEAD_COLUMNS = (SOURCE_ROW, OUTCOME, *PROBLEM_COLUMNS)
ATTENTION_COLUMNS = (SOURCE_ROW, OUTCOME, *PROBLEM_COLUMNS, UNFOCUSED)
# A file holding these is a Needs attention sheet come back: only then are our columns left out
# of the next one (a bank's own column may well be called "code" or "value").
ATTENTION_MARK = frozenset((SOURCE_ROW, OUTCOME))
MONEY_FIELDS = frozenset(RESPONSE_FIELDS) - {"statusid", "statustext"} | {"amount"}
WIDTH_SAMPLE = 500  # rows looked at to size the columns
MIN_WIDTH, MAX_WIDTH, MESSAGE_WIDTH = 8, 40, 70


OURS = frozenset((*LEAD_COLUMNS, *REQUEST_FIELDS, *RESPONSE_FIELDS, *ATTENTION_COLUMNS))


def results_header(report: Report) -> list[str]:
    """The Results columns; a source column named like one of ours is marked as the file's."""
    source = [f"{name} (in file)" if name in OURS else name for name in report.headers]
    return [*LEAD_COLUMNS, *source, *REQUEST_FIELDS, *RESPONSE_FIELDS]


def kept(headers: Sequence[str]) -> list[int]:
    """The source columns Needs attention repeats: not those an earlier Needs attention added
    (a corrected copy imported again brings them back; one saved before field, column and value
    were added has only some of them)."""
    if not ATTENTION_MARK.issubset(headers):
        return list(range(len(headers)))
    return [n for n, name in enumerate(headers) if name not in ATTENTION_COLUMNS]


def needs_attention(result: RowResult) -> bool:
    """Rejected, invalid or unknown; or posted with money Ropo One could not allocate, or with
    a credit note still open."""
    if result.to_act_on:
        return True
    return result.outcome is Outcome.POSTED and unfocused(result.response) is not None


def write_results(sheet: Sheet, report: Report, w: Words) -> None:
    header = results_header(report)
    sample = [_result_values(report, r) for r in islice(report.results, WIDTH_SAMPLE)]
    _prepare(sheet, header, sample, freeze=2)
    sheet.append(*(text(name, bold=True) for name in header))
    plan = [(n, name in MONEY_FIELDS) for n, name in enumerate(header)]
    rest = plan[2:]
    put, write_string = sheet.put, sheet.worksheet.write_string
    write_number, euro_format = sheet.worksheet.write_number, sheet.format("money")
    first = sheet.rows
    for row, result in enumerate(report.results, start=first):
        values = _result_values(report, result)
        put(row, 0, values[0])
        # The outcome cell carries the outcome's colour: a glance, or a filter by colour.
        put(row, 1, values[1], fill=result.outcome)
        euro = not result.currency  # another currency's amount never wears the euro sign
        for n, money in rest:
            value = values[n]
            # Most cells are plain text, an amount or empty: straight in, without the dispatch.
            kind = type(value)
            if value is None:
                continue
            if kind is str and plain(value):
                if value:  # an empty text is no cell at all
                    write_string(row, n, value)
            elif kind is Decimal and value.is_finite():
                write_number(row, n, value, euro_format if money and euro else None)
            else:
                put(row, n, value, money=money and euro)
    sheet.rows = first + len(report.results)
    sheet.worksheet.autofilter(0, 0, len(report.results), len(header) - 1)


def write_attention(sheet: Sheet, report: Report, w: Words) -> int:
    """The rows to act on; returns how many."""
    columns = kept(report.headers)
    header = [*(report.headers[n] for n in columns), *ATTENTION_COLUMNS]
    chosen = [r for r in report.results.itemised() if needs_attention(r)]
    values = [_attention_values(report, r, columns) for r in chosen]
    _prepare(sheet, header, values[:WIDTH_SAMPLE], freeze=0)
    sheet.append(*(text(name, bold=True) for name in header))
    width, last = len(columns), len(header) - 1
    put = sheet.put
    for row, (result, cells) in enumerate(zip(chosen, values, strict=True), start=sheet.rows):
        for n in range(width):
            put(row, n, cells[n])
        for n in range(width, last):
            put(row, n, cells[n], fill=result.outcome)
        put(row, last, cells[last], money=True)
    sheet.rows += len(chosen)
    sheet.worksheet.autofilter(0, 0, len(chosen), last)
    return len(chosen)


def _source(report: Report, result: RowResult) -> list[Any]:
    width = len(report.headers)
    cells = list(result.row.cells[:width])
    return cells + [None] * (width - len(cells))


def _result_values(report: Report, result: RowResult) -> list[Any]:
    payment = result.payment
    request = [
        result.amount if name == "amount" else getattr(payment, name) if payment else None
        for name in REQUEST_FIELDS
    ]
    return [
        result.row.line,
        result.outcome.value,
        *_problem(result),
        *_source(report, result),
        *request,
        *(result.response.get(name) for name in RESPONSE_FIELDS),
    ]


def _problem(result: RowResult) -> tuple[str, str, str, str, str]:
    """code, field, column, value and message; the value as text, so no value read from a
    file can become a number or a date (let alone a formula) here."""
    found = result.problem
    if found is None:  # no single cell stopped the row: a duplicate, an answer, a good row
        return result.code, "", "", "", result.message
    return result.code, found.field, found.column, shown(found.raw), result.message


def _attention_values(report: Report, result: RowResult, columns: list[int]) -> list[Any]:
    raw = result.response.get(UNFOCUSED)
    money = answered_money(raw)  # an answer's odd text is shown as it came, never a crash
    source = _source(report, result)
    return [
        *(source[n] for n in columns),
        result.row.line,
        result.outcome.value,
        *_problem(result),
        money if money else (None if money is not None or raw in (None, "") else str(raw)),
    ]


def _prepare(
    sheet: Sheet, header: Sequence[str], sample: Iterable[Sequence[Any]], freeze: int
) -> None:
    """Column widths from the header and a sample of rows; the header row frozen, with the
    first `freeze` columns; printed landscape, the header on every page."""
    widths = [len(name) + 2 for name in header]
    for values in sample:
        for n, value in enumerate(values):
            if value is not None:
                widths[n] = max(widths[n], len(str(value)) + 2)
    for n, (name, width) in enumerate(zip(header, widths, strict=True)):
        limit = MESSAGE_WIDTH if name == MESSAGE else MAX_WIDTH
        sheet.worksheet.set_column(n, n, max(MIN_WIDTH, min(width, limit)))
    sheet.worksheet.freeze_panes(1, freeze)
    sheet.worksheet.set_landscape()
    sheet.worksheet.repeat_rows(0)
