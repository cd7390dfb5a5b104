"""The Results sheet (every source row) and the Needs attention sheet (rows to act on).

Results reads left to right as an accountant works: the line, the outcome, what to do, the
reference, amount, payment date and payer; then what Ropo One answered (status, the money
allocated to notice fees, interest and capital, and what it could not allocate); then the
cell that stopped a row (code, field, column, value, message); then the bank's own columns
as read; and at the far right, grouped and collapsed, the request and the response as the
API names them. The amount is the row's signed amount as read, a number, so the sheet's sums
per outcome are the Summary's; the payment date is the date sent, a date. A column of ours
empty in every row is left out; the bank's columns always stay, their text as read.

Needs attention: the rows that are rejected, invalid or unknown, or posted with an unfocused
amount: what is wrong and what to do first, then the line, outcome and the cell at fault,
then the source's own columns with their text as read. A copy of this sheet, corrected and
saved as CSV, imports again like the original export: our columns come back with it, in
whatever language, and are left out again (`kept`).
"""

from __future__ import annotations

import ast
import re
import weakref
from decimal import Decimal
from itertools import islice
from typing import Any

from importer.i18n import Words, words
from importer.models import (
    REQUEST_FIELDS,
    RESPONSE_FIELDS,
    STATUSES,
    Outcome,
    RowResult,
    status_meaning,
)
from importer.problems import (
    ALREADY_REGISTERED,
    OVERPAID_TODO,
    REGISTERED,
    answered_money,
    lookup,
    shown,
    unfocused,
)
from importer.report import Report
from importer.said import in_words
from importer.workbook.cells import Sheet, plain
from importer.workbook.fit import fit
from importer.workbook.headings import (
    ANSWER,
    ATTENTION,
    MESSAGE,
    PROBLEM,
    READ_FIRST,
    TODO,
    note,
    titles,
)
from importer.workbook.headings import kept as kept

MONEY_FIELDS = frozenset(RESPONSE_FIELDS) - {"statusid", "statustext"} | {"amount"}
MONEY_KEYS = frozenset(ANSWER[1:]) | {"amount"}
WIDTH_SAMPLE = 500  # rows looked at to size the columns
MESSAGE_WIDTH, TODO_WIDTH = 56, 36
# The Results columns that wrap their text (position before any is left out -> widest).
WRAP = {
    READ_FIRST.index(TODO): TODO_WIDTH,
    len(READ_FIRST) + len(ANSWER) + PROBLEM.index(MESSAGE): MESSAGE_WIDTH,
}
ENGLISH = words("en")
_MAPPED = re.compile(r"(\w+)=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


class Layout:
    """The Results columns of one report in one language: every column's key and header,
    before any is left out."""

    def __init__(self, report: Report, w: Words) -> None:
        self.w = w
        ours = titles((*READ_FIRST, *ANSWER, *PROBLEM), w)
        taken = {*ours, *REQUEST_FIELDS, *RESPONSE_FIELDS}
        source = [w("{name} (in file)", name=n) if n in taken else n for n in report.headers]
        self.keys = [*READ_FIRST, *ANSWER, *PROBLEM, *report.headers, *REQUEST_FIELDS]
        self.keys += RESPONSE_FIELDS
        self.header = [*ours, *source, *REQUEST_FIELDS, *RESPONSE_FIELDS]
        self.bank = range(len(ours), len(ours) + len(source))
        self.raw = range(self.bank.stop, len(self.header))
        self.money = [
            (n in self.raw and key in MONEY_FIELDS) or (n < self.bank.start and key in MONEY_KEYS)
            for n, key in enumerate(self.keys)
        ]
        self.outcomes = {outcome: w(outcome.value) for outcome in Outcome}
        self.todo: dict[str, str] = {}
        self.columns = _mapped(report)

    def what_to_do(self, result: RowResult) -> str:
        """The row's own advice where its answer says more than its code: a registered
        payment needs nothing, or what to do with the amount left over, and a refused one what
        its statusid means; else the code's what-to-do."""
        code = result.code
        if code == REGISTERED:  # "nothing", or what to do with the amount left over
            if unfocused(result.response) is not None:
                return self.w(OVERPAID_TODO)
            code = ALREADY_REGISTERED
        statusid = result.response.get("statusid")
        if code.startswith("status-") and isinstance(statusid, int) and statusid in STATUSES:
            key = f"status {statusid}"
            if key not in self.todo:
                self.todo[key] = status_meaning(statusid, self.w)
            return self.todo[key]
        if code not in self.todo:
            entry = lookup(code)
            self.todo[code] = self.w(entry.todo) if entry else ""
        return self.todo[code]


_LAST: list[tuple[weakref.ref[Report], Layout]] = []


def _english(report: Report) -> Layout:
    """The English layout of the report last asked about, made once (the benchmark's dump
    of the same cells asks row by row); the report itself is not kept alive."""
    if not _LAST or _LAST[0][0]() is not report:
        _LAST[:] = [(weakref.ref(report), Layout(report, ENGLISH))]
    return _LAST[0][1]


def results_header(report: Report, w: Words = ENGLISH) -> list[str]:
    """The Results columns before any empty one is left out; a source column named like one
    of ours is marked as the file's."""
    return Layout(report, w).header


def needs_attention(result: RowResult) -> bool:
    """Rejected, invalid or unknown; or posted with money Ropo One could not allocate, or with
    a credit note still open."""
    if result.to_act_on:
        return True
    return result.outcome is Outcome.POSTED and unfocused(result.response) is not None


def write_results(sheet: Sheet, report: Report, words: Words = ENGLISH) -> None:
    layout = Layout(report, words)
    filled = _filled(layout, report)
    chosen = [n for n, full in enumerate(filled) if full or n in layout.bank]
    header = [layout.header[n] for n in chosen]
    sample = [
        [values[n] for n in chosen]
        for values in (
            _result_values(report, r, layout) for r in islice(report.results, WIDTH_SAMPLE)
        )
    ]
    place = {n: i for i, n in enumerate(chosen)}
    wrap = {place[n]: cap for n, cap in WRAP.items() if n in place}
    notes = {i: note(layout.keys[n], words) for i, n in enumerate(chosen) if n < layout.bank.start}
    folded = [i for i, n in enumerate(chosen) if n in layout.raw]
    printed = (len(report.results), sum(1 for n in chosen if n < layout.bank.start))
    shape = fit(
        sheet,
        header,
        sample,
        wrap=wrap,
        freeze=2,
        notes=_some(notes),
        folded=folded,
        printed=printed,
    )
    tall = [(i, n) for n, i in place.items() if i in wrap]
    plan = [(i, n, layout.money[n]) for i, n in enumerate(chosen)][2:]
    put, write_string = sheet.put, sheet.worksheet.write_string
    write_number, euro_format = sheet.worksheet.write_number, sheet.format("money")
    first = sheet.rows
    for row, result in enumerate(report.results, start=first):
        values = _result_values(report, result, layout)
        shape.row(sheet, row, ((i, values[n]) for i, n in tall))
        put(row, 0, values[0])
        # The outcome cell carries the outcome's colour: a glance, or a filter by colour.
        put(row, 1, values[1], fill=result.outcome)
        euro = not result.currency  # another currency's amount never wears the euro sign
        for at, n, money in plan:
            value = values[n]
            # Most cells are plain text, an amount or empty: straight in, without the dispatch.
            kind = type(value)
            if value is None:
                continue
            if kind is str and plain(value):
                if value:  # an empty text is no cell at all
                    write_string(row, at, value)
            elif kind is Decimal and value.is_finite():
                write_number(row, at, value, euro_format if money and euro else None)
            else:
                put(row, at, value, money=money and euro)
    sheet.rows = first + len(report.results)
    sheet.worksheet.autofilter(0, 0, len(report.results), len(header) - 1)


def write_attention(sheet: Sheet, report: Report, words: Words = ENGLISH) -> int:
    """The rows to act on; returns how many. Every column of ours stays, empty or not: the
    sheet comes back as a bank export, and `kept` knows ours by their order."""
    layout = Layout(report, words)
    columns = kept(report.headers)
    header = [*titles(ATTENTION, words), *(report.headers[n] for n in columns)]
    chosen = [r for r in report.results.itemised() if needs_attention(r)]
    values = [_attention_values(report, r, columns, layout) for r in chosen]
    notes = _some({n: note(key, words) for n, key in enumerate(ATTENTION)})
    wrap = {ATTENTION.index(MESSAGE): MESSAGE_WIDTH, ATTENTION.index(TODO): TODO_WIDTH}
    printed = (len(chosen), len(ATTENTION))
    shape = fit(
        sheet, header, values[:WIDTH_SAMPLE], wrap=wrap, freeze=0, notes=notes, printed=printed
    )
    outcome, overpaid = ATTENTION.index("outcome"), ATTENTION.index("unfocused")
    put = sheet.put
    for row, (result, cells) in enumerate(zip(chosen, values, strict=True), start=sheet.rows):
        shape.row(sheet, row, ((n, cells[n]) for n in wrap))
        for n, value in enumerate(cells):
            if n == outcome:
                put(row, n, value, fill=result.outcome)
            else:
                put(row, n, value, money=n == overpaid)
    sheet.rows += len(chosen)
    sheet.worksheet.autofilter(0, 0, len(chosen), len(header) - 1)
    return len(chosen)


def _some(notes: dict[int, str | None]) -> dict[int, str]:
    return {n: text for n, text in notes.items() if text}


def _filled(layout: Layout, report: Report) -> list[bool]:
    """Which columns hold something in some row; looks no further once all of them do."""
    filled = [False] * len(layout.header)
    empty = set(range(len(filled)))
    for result in report.results:
        values = _result_values(report, result, layout)
        for n in [n for n in empty if values[n] is not None and values[n] != ""]:
            filled[n] = True
            empty.discard(n)
        if not empty:
            break
    return filled


def _mapped(report: Report) -> dict[str, int]:
    """Each payment field's column in the file, from the mapping as the run described it
    (`field='Header', ...`)."""
    found: dict[str, int] = {}
    for field, quoted in _MAPPED.findall(report.mapping):
        name = ast.literal_eval(quoted)
        if name in report.headers:
            found[field] = report.headers.index(name)
    return found


def _source(report: Report, result: RowResult) -> list[Any]:
    width = len(report.headers)
    cells = list(result.row.cells[:width])
    return cells + [None] * (width - len(cells))


def _cell(result: RowResult, layout: Layout, field: str) -> str:
    """The text of a payment field's own cell, as the bank wrote it, spaces made single."""
    at = layout.columns.get(field)
    if at is None or at >= len(result.row.cells):
        return ""
    return " ".join(shown(result.row.cells[at]).split())


def _reference(result: RowResult) -> str:
    """The reference or invoice number as the payment carries it; none for a row that never
    became a payment: its cell's text as read (`ref=410112`) is in the bank's own column and,
    when it is what stopped the row, in the problem's value."""
    payment = result.payment
    sent = payment and (payment.billcode or payment.billnum or payment.jobid)
    return str(sent) if sent else ""


def _result_values(report: Report, result: RowResult, layout: Layout | None = None) -> list[Any]:
    """A Results row, every column (before any is left out); in English without `layout`."""
    layout = layout or _english(report)
    payment, response = result.payment, result.response
    request = [
        result.amount if name == "amount" else getattr(payment, name) if payment else None
        for name in REQUEST_FIELDS
    ]
    return [
        result.row.line,
        layout.outcomes[result.outcome],
        layout.what_to_do(result),
        _reference(result),
        result.amount,
        payment.paydate if payment else None,
        _cell(result, layout, "payer"),
        *(response.get(name) for name in ANSWER),
        *_problem(result, layout.w),
        *_source(report, result),
        *request,
        *(response.get(name) for name in RESPONSE_FIELDS),
    ]


def _problem(result: RowResult, w: Words) -> tuple[str, str, str, str, str]:
    """code, field, column, value and message (in the workbook's language); the value as text,
    so no value read from a file can become a number or a date (let alone a formula) here."""
    found, message = result.problem, in_words(result.message, w)
    if found is None:  # no single cell stopped the row: a duplicate, an answer, a good row
        return result.code, "", "", "", message
    return result.code, found.field, found.column, shown(found.raw), message


def _attention_values(
    report: Report, result: RowResult, columns: list[int], layout: Layout
) -> list[Any]:
    raw = result.response.get("unfocused")
    money = answered_money(raw)  # an answer's odd text is shown as it came, never a crash
    code, field, column, value, message = _problem(result, layout.w)
    source = _source(report, result)
    return [
        message,
        layout.what_to_do(result),
        result.row.line,
        layout.outcomes[result.outcome],
        code,
        field,
        column,
        value,
        money if money else (None if money is not None or raw in (None, "") else str(raw)),
        *(source[n] for n in columns),
    ]
