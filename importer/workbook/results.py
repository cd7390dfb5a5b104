"""The Results sheet (every source row) and the Needs attention sheet (rows to act on).

Results: source_row, outcome, code, message, the source's own columns, then the request and the
response fields as the API names them. `amount` is the row's signed amount as read, so the
sheet's sums per outcome are the Summary's.

Needs attention: the rows that are rejected, invalid or unknown, or posted with an unfocused
amount, with the source's own columns first and their text as read. A copy of this sheet,
corrected and saved as CSV, imports again like the original export.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import islice
from typing import Any

from importer.models import REQUEST_FIELDS, RESPONSE_FIELDS, Outcome, RowResult
from importer.problems import answered_money, unfocused
from importer.report import Report
from importer.workbook.cells import Sheet, plain, text

LEAD_COLUMNS = ("source_row", "outcome", "code", "message")
ATTENTION_COLUMNS = ("source_row", "outcome", "code", "message", "unfocused")
MONEY_FIELDS = frozenset(RESPONSE_FIELDS) - {"statusid", "statustext"} | {"amount"}
WIDTH_SAMPLE = 500  # rows looked at to size the columns
MIN_WIDTH, MAX_WIDTH, MESSAGE_WIDTH = 8, 40, 70


OURS = frozenset((*LEAD_COLUMNS, *REQUEST_FIELDS, *RESPONSE_FIELDS, *ATTENTION_COLUMNS))


def results_header(report: Report) -> list[str]:
    """The Results columns; a source column named like one of ours is marked as the file's."""
    source = [f"{name} (in file)" if name in OURS else name for name in report.headers]
    return [*LEAD_COLUMNS, *source, *REQUEST_FIELDS, *RESPONSE_FIELDS]


def _kept(report: Report) -> list[int]:
    """The source columns Needs attention repeats: not those an earlier Needs attention added
    (a corrected copy imported again brings them back)."""
    return [n for n, name in enumerate(report.headers) if name not in ATTENTION_COLUMNS]


def needs_attention(result: RowResult) -> bool:
    """Rejected, invalid or unknown; or posted with money Ropo One could not allocate, or with
    a credit note still open."""
    if result.to_act_on:
        return True
    return result.outcome is Outcome.POSTED and unfocused(result.response) is not None


def write_results(sheet: Sheet, report: Report) -> None:
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


def write_attention(sheet: Sheet, report: Report) -> int:
    """The rows to act on; returns how many."""
    kept = _kept(report)
    header = [*(report.headers[n] for n in kept), *ATTENTION_COLUMNS]
    chosen = [r for r in report.results.itemised() if needs_attention(r)]
    values = [_attention_values(report, r, kept) for r in chosen]
    _prepare(sheet, header, values[:WIDTH_SAMPLE], freeze=0)
    sheet.append(*(text(name, bold=True) for name in header))
    width, last = len(kept), len(header) - 1
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
        result.code,
        result.message,
        *_source(report, result),
        *request,
        *(result.response.get(name) for name in RESPONSE_FIELDS),
    ]


def _attention_values(report: Report, result: RowResult, kept: list[int]) -> list[Any]:
    raw = result.response.get("unfocused")
    money = answered_money(raw)  # an answer's odd text is shown as it came, never a crash
    source = _source(report, result)
    return [
        *(source[n] for n in kept),
        result.row.line,
        result.outcome.value,
        result.code,
        result.message,
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
        limit = MESSAGE_WIDTH if name == "message" else MAX_WIDTH
        sheet.worksheet.set_column(n, n, max(MIN_WIDTH, min(width, limit)))
    sheet.worksheet.freeze_panes(1, freeze)
    sheet.worksheet.set_landscape()
    sheet.worksheet.repeat_rows(0)
