"""The Summary sheet, top to bottom: how the run ended and what to do; the outcomes' rows and
sums with the balance (in = out); the money registered and the overpaid amount; a chart of the
outcomes; Ropo One's answers by statusid; the run's details (which file, how read, where, when).

Every word comes from the workbook's language (i18n.words); API names stay, in small print.
Amounts are number cells in the euro format, never text: one format, the reader's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from importer.i18n import Words
from importer.models import STATUSES, Outcome, RowResult
from importer.problems import DRY_RUN
from importer.report import UNKNOWN_CURRENCY, Report
from importer.workbook.cells import FILLS, NOTE, Sheet, Style, Styled, link, money, text
from importer.workbook.details import run_details, stopped

# Columns: what, rows, amount, what it means (and the API's name in small print); the
# meaning's column is made wider where a language's words beside the outcomes need it.
WIDTHS = (34, 9, 15, 62)
DETAILS_SPAN = 3  # a run's detail fills rows, amount and meaning: a path or a hash is long
WIDE = 0.8  # width units per character of proportional type
# The chart stands right of the outcomes and the money, as tall as they are (rows of 20
# pixels): beside them rather than below, the Summary prints on one page.
CHART_AT = {"x_offset": 12, "x_scale": 0.8, "y_scale": 1.0}
SENTENCE = Style(bold=True, size=14)
WARNING = Style(bold=True, colour="#C00000")
WRAPPED = Style(wrap=True, align="left")
BESIDE = Style(indent=1)  # the words beside an amount, a step away from it
SMALL_PRINT = Style(size=8, colour=NOTE.colour, indent=1)
FIGURES = Style(bold=True, align="right")  # the heading of a column of figures
OUTCOME_MEANINGS = {
    Outcome.POSTED: "registered in Ropo One",
    Outcome.REJECTED: "sent, but Ropo One did not register it: see its answer",
    Outcome.INVALID: "not sent: something in the row is wrong",
    Outcome.SKIPPED: "not sent on purpose: outgoing, a duplicate or registered before",
    Outcome.UNKNOWN: "sent, but whether Ropo One registered it is not known",
}
DRY_SKIPPED = "not sent: a dry run, or outgoing, a duplicate or registered before"
AGREE = "every row read has one outcome; the sums agree"
MISSING = "rows or sums went missing: report this as a bug"
ALLOCATION = (
    ("to notice fees", "focusedtonoticefee"),
    ("to interest", "focusedtointerest"),
    ("to capital", "focusedtocapital"),
)
OVERPAID = ("overpaid: refund it or allocate it by hand", "unfocused")
# A short name for each statusid (the meaning, in models.STATUSES, goes beside it).
STATUS_NAMES = {
    0: "not processed",
    1: "failed",
    2: "invoice too old",
    3: "handled by Ropo",
    4: "a refund, handled by Ropo",
    5: "already paid or closed",
    6: "registered",
    8: "ignored",
    9: "another customer's invoice",
    10: "invoice not found",
    11: "invoice cancelled",
}


def write_summary(
    sheet: Sheet, report: Report, attention: int, attention_sheet: str, w: Words
) -> None:
    """The Summary of `report`, whose Needs attention sheet (`attention_sheet`) holds
    `attention` rows."""
    for column, width in enumerate(_widths(w)):
        sheet.worksheet.set_column(column, column, width)
    sheet.fit_to_width()
    sheet.worksheet.set_paper(9)  # A4
    sheet.worksheet.repeat_rows(0)  # the sentence heads every printed page
    sheet.append(Styled(_sentence(report, attention, w), SENTENCE))
    if attention:
        what = _plural(w, attention, "{n} row needs attention", "{n} rows need attention")
        sheet.append(
            link(
                w("{what}: see the sheet '{sheet}'", what=what, sheet=attention_sheet),
                attention_sheet,
            )
        )
    if report.stopped:
        why = stopped(report, w)
        sheet.append(Styled(w("The run stopped early: {why}", why=why), WARNING))
    first = _outcomes(sheet, report, w)
    _currencies(sheet, report, w)
    _money(sheet, report, w)
    _chart(sheet, first, max(report.count(o) for o in Outcome), w)
    _statuses(sheet, report, w)
    _details(sheet, report, w)


def _widths(w: Words) -> tuple[int, ...]:
    """The columns' widths: the meaning's wide enough for the words beside the outcomes, which
    would otherwise run on under the chart."""
    beside = [*OUTCOME_MEANINGS.values(), DRY_SKIPPED, AGREE, MISSING]
    widest = max(round(len(w(words)) * WIDE) + 2 for words in beside)
    return (*WIDTHS[:-1], max(WIDTHS[-1], widest))


def _sentence(report: Report, attention: int, w: Words) -> str:
    """How the run ended and what to do, in one sentence."""
    if report.dry_run:
        would = sum(1 for r in report.results if r.code == DRY_RUN)
        parts = [
            w("Dry run, nothing was sent"),
            _plural(w, would, "{n} payment would be sent", "{n} payments would be sent"),
        ]
    else:
        posted = report.count(Outcome.POSTED)
        parts = [_plural(w, posted, "{n} payment registered", "{n} payments registered")]
    if attention:
        parts.append(_plural(w, attention, "{n} needs your attention", "{n} need your attention"))
    else:
        parts.append(w("nothing needs your attention"))
    unknown = report.count(Outcome.UNKNOWN)
    if unknown:
        parts.append(
            _plural(
                w,
                unknown,
                "{n} unknown: check it in Ropo One",
                "{n} unknown: check them in Ropo One",
            )
        )
    if not report.balanced:
        parts.append(w("the sums do not balance: report this as a bug"))
    return "; ".join(parts)


def _plural(w: Words, n: int, one: str, many: str) -> str:
    return w(one if n == 1 else many, n=n)


def _heading(sheet: Sheet, w: Words, title: str, *columns: str) -> None:
    """A section's title, over the rows' and amounts' columns and the words beside them."""
    sheet.append()
    styles = (FIGURES, FIGURES, Style(bold=True, indent=1))
    cells = [Styled(w(c), style) if c else None for c, style in zip(columns, styles, strict=False)]
    sheet.append(text(w(title), bold=True), *cells)


def _beside(value: str, note: str | None = None) -> Styled:
    return Styled(value, BESIDE, note=note)


def _outcomes(sheet: Sheet, report: Report, w: Words) -> int:
    """The rows and sums per outcome, their total, what was read, and whether they balance;
    returns the first outcome's row, for the chart."""
    _heading(sheet, w, "Outcome", "Rows", "Amount", "What it means")
    first = sheet.rows
    for outcome in Outcome:
        meaning = OUTCOME_MEANINGS[outcome]
        if report.dry_run and outcome is Outcome.SKIPPED:
            meaning = DRY_SKIPPED
        sheet.append(
            text(w(outcome.value), fill=outcome),
            report.count(outcome),
            money(report.total(outcome)),
            _beside(w(meaning)),
        )
    rows = sum(report.count(o) for o in Outcome)
    sheet.append(text(w("all outcomes"), bold=True), rows, money(report.total()))
    notes = []
    unread = report.unreadable_amounts
    if unread:
        notes.append(
            _plural(
                w,
                unread,
                "{n} row without a readable amount: not in the sums",
                "{n} rows without a readable amount: not in the sums",
            )
        )
    apart = sum(rows for _c, rows, _t, _l in report.currencies())
    if apart:
        notes.append(
            _plural(
                w,
                apart,
                "{n} row in another currency: not in the euro sums",
                "{n} rows in other currencies: not in the euro sums",
            )
        )
    read_note = _beside("; ".join(notes)) if notes else None
    sheet.append(
        text(w("read from the file"), bold=True),
        report.rows_read,
        money(report.sum_read),
        read_note,
    )
    if report.balanced:
        verdict = Styled(w("yes"), Style(align="right"))
        why = _beside(w(AGREE))
    else:
        verdict = Styled(w("NO"), replace(WARNING, align="right"))
        why = Styled(w(MISSING), replace(WARNING, indent=1))
    sheet.append(text(w("in = out (rows and sums)"), bold=True), verdict, None, why)
    return first


def _currencies(sheet: Sheet, report: Report, w: Words) -> None:
    currencies = report.currencies()
    if not currencies:
        return
    not_euro = "not in the euro sums: what happened"
    _heading(sheet, w, "Other currencies", "Rows", "Amount", not_euro)
    ends_of = report.results.foreign()
    for currency, count, total, _line in currencies:
        ends = sorted(ends_of.get(currency, {}).items(), key=lambda e: list(Outcome).index(e[0][0]))
        what = ", ".join(f"{w(o.value)} {n} ({code})" for (o, code), (n, _t) in ends)
        if report.foreign_read.get(currency) != (count, total):
            what += "; " + w("DOES NOT BALANCE: report this as a bug")
        named = w("currency not given") if currency == UNKNOWN_CURRENCY else currency
        sheet.append(text(named), count, _amount(total, currency), _beside(what))


def _money(sheet: Sheet, report: Report, w: Words) -> None:
    _heading(sheet, w, "Money registered in this run", "", "Amount", "Ropo One's name")
    for label, name in ALLOCATION:
        sheet.append(
            text(w(label)), None, money(report.response_total(name)), Styled(name, SMALL_PRINT)
        )
    label, name = OVERPAID
    sheet.append(
        text(w(label), bold=True),
        None,
        money(report.response_total(name)),
        Styled(name, SMALL_PRINT),
    )
    credits, credited = report.credit_notes_registered()
    if credits:
        sheet.append(
            text(w("credit notes registered on their invoices")),
            credits,
            money(credited),
            _beside(w("no money moves: not in the amounts above")),
        )


def _chart(sheet: Sheet, first: int, most: int, w: Words) -> None:
    """A native bar chart of the rows per outcome, drawn from the outcome table's cells,
    beside the table from its heading down."""
    last = first + len(Outcome) - 1
    name = sheet.worksheet.get_name()
    chart = sheet.book.workbook.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": w("Rows per outcome"),
            "categories": [name, first, 0, last, 0],
            "values": [name, first, 1, last, 1],
            "points": [
                {"fill": {"color": FILLS[o]}, "border": {"color": "#7F7F7F"}} for o in Outcome
            ],
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": w("Rows per outcome"), "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    # The outcomes top to bottom, as in the table, with the figures' axis still below them.
    chart.set_y_axis({"reverse": True, "crossing": "max"})
    axis: dict[str, Any] = {"major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
    if most <= 10:
        axis["major_unit"] = 1  # whole rows: no 0.5 on the axis
    chart.set_x_axis(axis)
    sheet.worksheet.insert_chart(first - 1, len(WIDTHS), chart, CHART_AT)


def _statuses(sheet: Sheet, report: Report, w: Words) -> None:
    _heading(sheet, w, "Ropo One's answers", "Rows", "Amount", "What it means")
    found = _by_status(report.results.itemised())
    if not found:
        sheet.append(text(w("no payment was sent")))
    for statusid, rows in found:
        name, meaning = STATUSES.get(statusid, ("?", "not in the documentation"))
        label = STATUS_NAMES.get(statusid, "not in the documentation")
        sheet.append(
            text(w(label)),
            len(rows),
            money(_sum(rows)),
            _beside(w(meaning), note=f"  statusid {statusid} {name}"),
        )


def _details(sheet: Sheet, report: Report, w: Words) -> None:
    _heading(sheet, w, "The run")
    for label, value in run_details(report, w):
        if isinstance(value, str):
            lines = -(-len(value) // sum(WIDTHS[1:]))  # a merged cell never grows by itself
            if lines > 1:
                sheet.worksheet.set_row(sheet.rows, 15 * lines)
        sheet.append(Styled(label, WRAPPED), Styled(value, WRAPPED, span=DETAILS_SPAN))


def _by_status(results: Iterable[RowResult]) -> list[tuple[int, list[RowResult]]]:
    """Each statusid Ropo One answered in this run, with its rows."""
    by_status: dict[int, list[RowResult]] = {}
    for result in results:
        statusid = result.response.get("statusid")
        if isinstance(statusid, int) and result.outcome is not Outcome.SKIPPED:
            by_status.setdefault(statusid, []).append(result)
    return sorted(by_status.items())


def _amount(total: Decimal, currency: str) -> Styled | None:
    """A sum in another currency, shown with its code: never in the euro format."""
    unit = "" if currency == UNKNOWN_CURRENCY or not currency.isalpha() else f'\\ "{currency}"'
    return money(total, f"#,##0.00{unit}")


def _sum(rows: list[RowResult]) -> Decimal:
    return sum((r.amount for r in rows if r.amount is not None), Decimal("0.00"))
