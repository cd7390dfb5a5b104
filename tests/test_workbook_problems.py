"""The cell that stopped a row, in columns of its own: code, field, column and value beside
the message in Results and in Needs attention, so an accountant can filter on them (issue 16
item 3), and a corrected Needs attention that still imports again with them present."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from importer.models import Outcome, Problem, RowResult, SourceRow
from importer.pipeline import run_import
from importer.readers import frame
from importer.workbook import ATTENTION_SHEET, write_workbook
from importer.workbook.headings import ATTENTION
from importer.workbook.results import kept
from tests.conftest import RULES, formulas_in
from tests.sheets import keyed
from tests.test_workbook import records, report_of, save_as_csv

HEADER = "Booking date;Amount;Sender;Recipient;Name;Title;Message;Reference number;Currency"
LINES = {
    2: "2026/11/18;125,00;FI11;FI49;Koskinen Eero;Koskinen Eero;;410014;EUR",
    3: "2026/11/18;3O,00;FI12;FI49;Rantanen Aino;Rantanen Aino;;410027;EUR",  # O for 0
    4: "2026/11/17;80,00;FI13;FI49;Salonen Mika;Salonen Mika;;410012;EUR",  # check digit
    5: "2026/11/17;500,00;SE45;FI49;Svensson AB;Svensson AB;;410030;SEK",
    6: "2026/11/18;125,00;FI11;FI49;Koskinen Eero;Koskinen Eero;;410014;EUR",  # line 2 again
}
PROBLEM = ("code", "field", "column", "value")
EXPECTED = {
    3: ("bad-amount", "amount", "Amount", "3O,00"),
    4: ("bad-reference", "reference", "Reference number", "410012"),
    5: ("not-euro", "currency", "Currency", "SEK"),
    6: ("possible-duplicate", None, None, None),  # two rows, no single cell
}


def write_export(path: Path, lines: dict[int, str]) -> Path:
    path.write_text("\n".join([HEADER, *lines.values()]) + "\n", encoding="utf-8")
    return path


def workbook_of(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, quick: bool = True
) -> Path:
    """A dry run's workbook: row by row when not `quick` (the csv module reads the file)."""
    with monkeypatch.context() as patch:
        if not quick:
            patch.setattr(frame, "read_columns", lambda *args: None)
        journal = tmp_path / f"{export.stem}-{quick}.sqlite"
        report = run_import(export, journal_path=journal, rules=RULES, dry_run=True)
    return write_workbook(report, tmp_path / f"{export.stem}-{quick}.xlsx")


def by_line(workbook: Path, sheet: str) -> dict[int, dict[str, Any]]:
    return {row["source_row"]: row for row in records(workbook, sheet)}


@pytest.mark.parametrize("quick", [True, False], ids=["columns", "row-by-row"])
def test_results_and_needs_attention_name_the_cell_that_stopped_each_row(
    quick: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = write_export(tmp_path / "export.csv", LINES)
    workbook = workbook_of(export, tmp_path, monkeypatch, quick=quick)
    results = by_line(workbook, "Results")
    found = {line: tuple(row[name] for name in PROBLEM) for line, row in results.items()}
    assert found == {2: ("dry-run", None, None, None), **EXPECTED}
    attention = by_line(workbook, ATTENTION_SHEET)
    assert {line: tuple(row[name] for name in PROBLEM) for line, row in attention.items()} == (
        EXPECTED
    )
    for line in EXPECTED:  # the message is still there, whole, beside them
        assert attention[line]["message"] == results[line]["message"]
        assert attention[line]["message"]
    assert "value '3O,00'" in results[3]["message"]


def test_the_columns_sit_beside_the_message_and_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook = workbook_of(write_export(tmp_path / "e.csv", LINES), tmp_path, monkeypatch)
    book = load_workbook(workbook)
    results = book["Results"]
    header = keyed([cell.value for cell in results[1]], "Results")
    assert header[0] == "source_row"
    code = header.index("code")
    assert header[code : code + 5] == ["code", "field", "column", "value", "message"]
    attention = book[ATTENTION_SHEET]
    header = keyed([cell.value for cell in attention[1]], ATTENTION_SHEET)
    assert header[0] == "message"  # what is wrong first, the bank's own columns after ours
    assert header[len(ATTENTION)] == "Booking date"
    code = header.index("code")
    assert header[code : code + 4] == ["code", "field", "column", "value"]
    for sheet in (results, attention):
        assert sheet.auto_filter.ref.startswith("A1:")  # every column filters
    book.close()


def test_a_value_is_always_text_never_a_number_date_or_formula(tmp_path: Path) -> None:
    problems = [
        Problem("amount", "Amount", "=1+2", "bad-amount", "not an amount"),
        Problem("amount", "Amount", "12,345", "bad-amount", "not an amount"),
        # A spreadsheet's own number and date cells, as a reader hands them over.
        Problem("amount", "Amount", Decimal("1.005E+1"), "too-many-decimals", "two at most"),
        Problem("paydate", "Date", date(2026, 11, 2), "old-date", "too old"),
    ]
    rows = [
        RowResult(SourceRow("x.csv", n, (p.raw,)), Outcome.INVALID, p.code, p.text(), problem=p)
        for n, p in enumerate(problems, start=2)
    ]
    path = write_workbook(report_of(rows, ("Amount",)), tmp_path / "out.xlsx")
    assert formulas_in(path) == []
    book = load_workbook(path)
    for name in ("Results", ATTENTION_SHEET):
        sheet = book[name]
        column = keyed([cell.value for cell in sheet[1]], name).index("value")
        cells = [row[column] for row in sheet.iter_rows(min_row=2)]
        assert [c.value for c in cells] == ["=1+2", "12,345", "10.05", "2026-11-02"]
        assert {c.data_type for c in cells} == {"s"}
        assert cells[0].quotePrefix  # shown and edited as text in a spreadsheet too
    book.close()


def test_a_corrected_needs_attention_csv_still_sends_only_the_corrected_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    distinct = {line: text for line, text in LINES.items() if line != 6}
    workbook = workbook_of(write_export(tmp_path / "e.csv", distinct), tmp_path, monkeypatch)
    todo = save_as_csv(workbook, ATTENTION_SHEET, tmp_path / "todo.csv")
    rows = list(csv.reader(todo.read_text("utf-8-sig").splitlines(), delimiter=";"))
    header = keyed(rows[0], ATTENTION_SHEET)
    assert {"field", "column", "value"} <= set(header)
    amount, value = header.index("Amount"), header.index("value")
    fixed = next(row for row in rows if row[amount] == "3O,00")
    fixed[amount] = "30,00"  # the fix, in the file's own column; "value" still says 3O,00
    assert fixed[value] == "3O,00"
    with todo.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file, delimiter=";").writerows(rows)
    again = by_line(workbook_of(todo, tmp_path, monkeypatch), "Results")
    assert {line: row["code"] for line, row in again.items()} == {
        2: "dry-run",  # the corrected row, and only it, would be sent
        3: "bad-reference",
        4: "not-euro",
    }
    # The to-do list keeps its shape: ours come back once, not twice.
    second = by_line(workbook_of(todo, tmp_path, monkeypatch), ATTENTION_SHEET)
    assert list(next(iter(second.values()))) == header


def test_only_a_needs_attention_sheet_loses_our_columns_when_imported_again() -> None:
    # A to-do list saved before field, column and value existed: ours still left out.
    old = ("Amount", "Viite", "source_row", "outcome", "code", "message", "unfocused")
    assert kept(old) == [0, 1]
    new = ("Amount", "source_row", "outcome", "code", "field", "column", "value", "message")
    assert kept(new) == [0]
    # A bank's own columns that happen to share a name with ours are the bank's.
    assert kept(("Amount", "code", "value", "message")) == [0, 1, 2, 3]
