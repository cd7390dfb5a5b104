"""The Summary sheet: what ran on what, where the money went, and whether it all balances."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from importer.models import STATUSES, Outcome, RowResult
from importer.report import UNKNOWN_CURRENCY, Report
from importer.settings import describe_endpoint
from importer.workbook.cells import Sheet, Style, Styled, link, money, text

ALLOCATION = (
    ("focused to notice fee", "focusedtonoticefee"),
    ("focused to interest", "focusedtointerest"),
    ("focused to capital", "focusedtocapital"),
    ("unfocused: overpaid, to refund or allocate by hand", "unfocused"),
)
TITLE = Style(bold=True, size=14)


def write_summary(sheet: Sheet, report: Report, attention: int, attention_sheet: str) -> None:
    for column, width in enumerate((44, 70, 10, 16)):
        sheet.worksheet.set_column(column, column, width)
    sheet.fit_to_width()
    sheet.append(Styled("ropo-import result", TITLE))
    _section(sheet, "The run")
    for label, value in _run(report):
        sheet.append(text(label), value)
    what = f"{attention} rows need attention: see the sheet '{attention_sheet}'"
    todo = link(what, attention_sheet) if attention else text("nothing")
    sheet.append(text("to do", bold=True), todo)

    _section(sheet, "Outcomes", "rows", "amount")
    for outcome in Outcome:
        sheet.append(
            text(outcome.value, fill=outcome),
            None,
            report.count(outcome),
            money(report.total(outcome)),
        )
    sheet.append(text("read", bold=True), None, report.rows_read, money(report.sum_read))
    balanced = "yes" if report.balanced else "NO: report this as a bug"
    sheet.append(text("in = out (rows and sums)"), text(balanced))
    for line in report.conservation():
        sheet.append(text(line))
    currencies = report.currencies()
    if currencies:
        _section(sheet, "Other currencies: not in the euro sums", "rows", "amount")
        for currency, count, total, line in currencies:
            sheet.append(text(currency), text(line), count, _amount(total, currency))

    _section(sheet, "Money posted in this run", "", "amount")
    for label, name in ALLOCATION:
        sheet.append(text(label), None, None, money(report.response_total(name)))
    credits, credited = report.credit_notes_registered()
    if credits:
        label = f"credit notes registered on their invoices ({credits}): no money, not above"
        sheet.append(text(label), None, credits, money(credited))

    _section(sheet, "Answers by statusid", "rows", "amount")
    for label, meaning, rows in _statuses(report.results.itemised()):
        sheet.append(text(label), text(meaning), len(rows), money(_sum(rows)))


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


def _section(sheet: Sheet, title: str, *columns: str) -> None:
    sheet.append()
    headings = [text(c, bold=True) if c else None for c in columns]
    sheet.append(text(title, bold=True), None, *headings)


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


def _amount(total: Decimal, currency: str) -> Styled | None:
    """A sum in another currency, shown with its code: never in the euro format."""
    unit = "" if currency == UNKNOWN_CURRENCY or not currency.isalpha() else f'\\ "{currency}"'
    return money(total, f"#,##0.00{unit}")


def _sum(rows: list[RowResult]) -> Decimal:
    return sum((r.amount for r in rows if r.amount is not None), Decimal("0.00"))
