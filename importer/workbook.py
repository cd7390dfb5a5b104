"""The result workbook: Summary and Results sheets, streamed (write-only) with openpyxl.

Results has one row per source row, in source order: source_row, the source's own columns,
then outcome, message, code, the request fields and the response fields as the API names them.
Bank text is always written as text, never as a formula (reliability.md section 4.1).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from importer.models import REQUEST_FIELDS, RESPONSE_FIELDS, STATUSES, Outcome
from importer.report import Report

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
MONEY_FIELDS = frozenset(RESPONSE_FIELDS) - {"statusid", "statustext"} | {"amount"}
RESULT_COLUMNS = ("outcome", "message", "code")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def write_workbook(report: Report, path: Path) -> Path:
    """Write the workbook for `report` to `path` (its folder is created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    _write_summary(workbook.create_sheet("Summary"), report)
    _write_results(workbook.create_sheet("Results"), report)
    workbook.save(path)
    return path


def results_header(report: Report) -> list[str]:
    return [
        "source_row",
        *report.headers,
        *RESULT_COLUMNS,
        *REQUEST_FIELDS,
        *RESPONSE_FIELDS,
    ]


def _write_results(sheet: WriteOnlyWorksheet, report: Report) -> None:
    header = results_header(report)
    sheet.freeze_panes = "B2"
    for number, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = max(10, min(len(name) + 4, 40))
    sheet.append([_bold(sheet, name) for name in header])
    width = len(report.headers)
    for result in report.results:
        source = list(result.row.cells[:width]) + [None] * (width - len(result.row.cells))
        payment = result.payment
        values: list[Any] = [
            result.row.line,
            *source,
            result.outcome.value,
            result.message,
            result.code,
            *(getattr(payment, name) if payment else None for name in REQUEST_FIELDS),
            *(result.response.get(name) for name in RESPONSE_FIELDS),
        ]
        sheet.append(
            [_cell(sheet, value, name) for value, name in zip(values, header, strict=True)]
        )


def _write_summary(sheet: WriteOnlyWorksheet, report: Report) -> None:
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 16
    rows: list[list[Any]] = [
        ["ropo-import result"],
        ["input file", report.file],
        ["profile", _profile(report)],
        ["read as", report.read_as],
        ["column mapping", report.mapping],
        ["posted to", report.base_url or "nowhere (dry run)"],
        ["customer id", report.cid or ""],
        ["dry run", "yes" if report.dry_run else "no"],
        ["dates judged as of", report.today],
        ["started", report.started_at.replace(tzinfo=None)],
        ["finished", report.finished_at.replace(tzinfo=None)],
    ]
    if report.stopped:
        rows.append(["stopped early", report.stopped])
    rows += [[], ["outcome", "rows", "amount"]]
    rows += [[o.value, report.count(o), report.total(o)] for o in Outcome]
    rows.append(["read", report.rows_read, report.sum_read])
    rows.append(["in = out (rows and sums)", "yes" if report.balanced else "NO", ""])
    rows += [[line] for line in report.conservation()]
    if report.unreadable_amounts:
        rows.append(["rows without a readable amount", report.unreadable_amounts, ""])
    rows += [[], ["posted in this run", "", "amount"]]
    for label, name in (
        ("focused to notice fee", "focusedtonoticefee"),
        ("focused to interest", "focusedtointerest"),
        ("focused to capital", "focusedtocapital"),
        ("unfocused (to refund or allocate)", "unfocused"),
    ):
        rows.append([label, "", report.response_total(name)])
    rows += [[], ["statusid", "meaning", "rows"]]
    for statusid, (name, meaning) in STATUSES.items():
        count = sum(1 for r in report.results if r.response.get("statusid") == statusid)
        if count:
            rows.append([f"{statusid} {name}", meaning, count])
    for row in rows:
        sheet.append([_cell(sheet, value, "amount") for value in row])


def _profile(report: Report) -> str:
    profile = report.profile
    where = "" if profile.source == "built-in" else f" (from {profile.source})"
    return f"{profile.name}: {profile.title}{where}"


def _cell(sheet: WriteOnlyWorksheet, value: Any, column: str) -> WriteOnlyCell | Any:
    if value is None:
        return None
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        # openpyxl would store "=..." as a formula; bank text is data, always.
        cell.data_type = "s"
        if value.startswith(_FORMULA_START):
            cell.quotePrefix = True
        return cell
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        if column in MONEY_FIELDS:
            cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, (date, datetime)):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else DATE_FORMAT
        return cell
    return value


def _bold(sheet: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.font = Font(bold=True)
    return cell
