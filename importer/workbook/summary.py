"""The Summary sheet: what ran on what, where the money went, and whether it all balances."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from importer.models import STATUSES, Outcome, RowResult
from importer.report import UNKNOWN_CURRENCY, Report
from importer.settings import describe_endpoint
from importer.workbook.cells import FILLS, Cells, Columns, fit_to_width

ALLOCATION = (
    ("focused to notice fee", "focusedtonoticefee"),
    ("focused to interest", "focusedtointerest"),
    ("focused to capital", "focusedtocapital"),
    ("unfocused: overpaid, to refund or allocate by hand", "unfocused"),
)
TITLE = Font(bold=True, size=14)


def write_summary(
    sheet: WriteOnlyWorksheet, report: Report, attention: int, attention_sheet: str
) -> None:
    cells, columns = Cells(sheet), Columns(sheet)
    for column, width in (("A", 44), ("B", 70), ("C", 10), ("D", 16)):
        sheet.column_dimensions[column].width = width
    fit_to_width(sheet)
    title = cells.text("ropo-import result")
    title.font = TITLE
    sheet.append([title])
    _section(sheet, cells, "The run")
    for label, value in _run(report):
        sheet.append([cells.text(label), columns.cell(1, value)])
    text = f"{attention} rows need attention: see the sheet '{attention_sheet}'"
    todo = cells.link(text, attention_sheet) if attention else cells.text("nothing")
    sheet.append([cells.text("to do", bold=True), todo])

    _section(sheet, cells, "Outcomes", "rows", "amount")
    for outcome in Outcome:
        sheet.append(
            [
                cells.text(outcome.value, fill=FILLS[outcome]),
                None,
                report.count(outcome),
                cells.money(report.total(outcome)),
            ]
        )
    sheet.append(
        [cells.text("read", bold=True), None, report.rows_read, cells.money(report.sum_read)]
    )
    balanced = "yes" if report.balanced else "NO: report this as a bug"
    sheet.append([cells.text("in = out (rows and sums)"), cells.text(balanced)])
    for line in report.conservation():
        sheet.append([cells.text(line)])
    currencies = report.currencies()
    if currencies:
        _section(sheet, cells, "Other currencies: not in the euro sums", "rows", "amount")
        for currency, count, total, line in currencies:
            sheet.append(
                [cells.text(currency), cells.text(line), count, _amount(sheet, total, currency)]
            )

    _section(sheet, cells, "Money posted in this run", "", "amount")
    for label, name in ALLOCATION:
        sheet.append([cells.text(label), None, None, cells.money(report.response_total(name))])
    credits, credited = report.credit_notes_registered()
    if credits:
        label = f"credit notes registered on their invoices ({credits}): no money, not above"
        sheet.append([cells.text(label), None, credits, cells.money(credited)])

    _section(sheet, cells, "Answers by statusid", "rows", "amount")
    for label, meaning, rows in _statuses(report.results.itemised()):
        sheet.append(
            [
                cells.text(label),
                cells.text(meaning),
                len(rows),
                cells.money(_sum(rows)),
            ]
        )


def _run(report: Report) -> list[tuple[str, Any]]:
    profile = report.profile
    where = "" if profile.source == "built-in" else f" (from {profile.source})"
    rows: list[tuple[str, Any]] = [
        ("input file", report.file),
        ("input SHA-256", report.input_sha256),
        ("read as", report.read_as),
        ("profile", f"{profile.name}: {profile.title}{where}"),
        ("column mapping", report.mapping),
        ("Ropo One", describe_endpoint(report.base_url) if report.base_url else "none"),
        ("customer id", report.cid or ""),
        ("journal", _journal(report)),
        ("dry run", "yes: nothing was posted" if report.dry_run else "no"),
        ("run on", report.run_on),
        ("tool version", f"ropo-import {report.tool_version}"),
        ("dates judged as of", report.today),
        ("started", report.started_at),
        ("finished", report.finished_at),
    ]
    if report.stopped:
        rows.append(("stopped early", report.stopped))
    return rows


def _journal(report: Report) -> str:
    if report.journal is None:
        return "none: nothing was looked up or recorded"
    return "; ".join((report.journal, *report.journal_notes))


def _section(sheet: WriteOnlyWorksheet, cells: Cells, title: str, *columns: str) -> None:
    sheet.append([])
    headings = [cells.text(c, bold=True) if c else None for c in columns]
    sheet.append([cells.text(title, bold=True), None, *headings])


def _statuses(results: Iterable[RowResult]) -> list[tuple[str, str, list[RowResult]]]:
    """Each statusid Ropo One answered in this run, with its meaning and its rows."""
    by_status: dict[int, list[RowResult]] = {}
    for result in results:
        statusid = result.response.get("statusid")
        if isinstance(statusid, int) and result.outcome is not Outcome.SKIPPED:
            by_status.setdefault(statusid, []).append(result)
    found = []
    for statusid in sorted(by_status):
        name, meaning = STATUSES.get(statusid, ("?", "not in the documentation"))
        found.append((f"{statusid} {name}", meaning, by_status[statusid]))
    return found


def _amount(sheet: WriteOnlyWorksheet, total: Decimal, currency: str) -> Any:
    """A sum in another currency, shown with its code: never in the euro format."""
    cell = WriteOnlyCell(sheet, value=total)
    unit = "" if currency == UNKNOWN_CURRENCY or not currency.isalpha() else f'\\ "{currency}"'
    cell.number_format = f"#,##0.00{unit}"
    return cell


def _sum(rows: list[RowResult]) -> Decimal:
    return sum((r.amount for r in rows if r.amount is not None), Decimal("0.00"))
