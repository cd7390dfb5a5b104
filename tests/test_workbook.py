"""The result workbook: three sheets, sums that agree, no formulas, a re-importable to-do list."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from importer.models import Outcome, RowResult, SourceRow
from importer.profiles import choose_profile
from importer.report import Report, Results
from importer.workbook import ATTENTION_SHEET, write_workbook
from tests.conftest import DEMO_EXPORT, OP_HEADER, Sandbox, formulas_in, is_result_workbook
from tests.sheets import as_records
from tests.test_end_to_end import invoke

MONEY = ("focusedtonoticefee", "focusedtointerest", "focusedtocapital", "unfocused")


def sheet_rows(path: Path, name: str) -> list[tuple[Any, ...]]:
    book = load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()


def records(path: Path, name: str) -> list[dict[str, Any]]:
    return as_records(sheet_rows(path, name), name)


def summary(path: Path) -> dict[str, tuple[Any, ...]]:
    """Summary rows by their first cell, without the empty cells that end them (a reader pads
    every row to the sheet's width when the sheet states it)."""
    return {row[0]: trimmed(row[1:]) for row in sheet_rows(path, "Summary") if row and row[0]}


def trimmed(row: tuple[Any, ...]) -> tuple[Any, ...]:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


@pytest.fixture
def demo_workbook(ropo_env: Sandbox, tmp_path: Path) -> Path:
    workbook = tmp_path / "demo.xlsx"
    code, _out, err = invoke(
        "run", str(DEMO_EXPORT), "--output", str(workbook), "--journal", str(tmp_path / "j.sqlite")
    )
    assert code == 2, err
    return workbook


def test_the_workbook_has_summary_results_and_needs_attention_in_that_order(
    demo_workbook: Path,
) -> None:
    book = load_workbook(demo_workbook)
    assert book.sheetnames == ["Summary", "Results", ATTENTION_SHEET]
    results = book["Results"]
    assert results.freeze_panes == "C2"
    assert results.auto_filter.ref == f"A1:{results.cell(1, results.max_column).column_letter}16"
    amount = next(c for c in results[1] if c.value == "amount").column
    assert results.cell(2, amount).number_format == '#,##0.00\\ "€"'
    paydate = next(c for c in results[1] if c.value == "paydate").column
    assert results.cell(2, paydate).value == datetime(2026, 11, 2)  # a real date
    assert results.cell(2, paydate).number_format == "yyyy-mm-dd"
    fills = {row[1].value: row[1].fill.fgColor.rgb for row in results.iter_rows(min_row=2)}
    assert len(set(fills.values())) == len(fills) == 4  # posted, skipped, rejected, invalid
    link = next(c for row in book["Summary"].iter_rows() for c in row if c.hyperlink)
    assert link.hyperlink.location == f"'{ATTENTION_SHEET}'!A1"
    assert link.value == f"8 rows need attention: see the sheet '{ATTENTION_SHEET}'"


def test_the_summary_records_the_run(demo_workbook: Path) -> None:
    run = summary(demo_workbook)
    assert run["input file"] == (str(DEMO_EXPORT),)
    assert run["input SHA-256"] == (hashlib.sha256(DEMO_EXPORT.read_bytes()).hexdigest(),)
    assert run["profile"][0].startswith("op: OP")
    assert run["Ropo One environment"][0].startswith("a sandbox on this machine (http://127.0.0.1:")
    assert run["customer id"] == ("1000011",)
    assert run["dry run"] == ("no",)
    assert run["tool version"][0].startswith("ropo-import ")
    assert run["dates judged as of"] == (datetime(2026, 11, 20),)
    assert run["computer"][0]
    assert run["started"][0] <= run["finished"][0]


def test_the_summary_sums_are_the_sums_of_the_results_sheet(demo_workbook: Path) -> None:
    rows = records(demo_workbook, "Results")
    table = summary(demo_workbook)
    for outcome in Outcome:
        mine = [r for r in rows if r["outcome"] == outcome.value]
        total = sum(Decimal(str(r["amount"])) for r in mine if r["amount"] is not None)
        assert table[outcome.value][:2] == (len(mine), pytest.approx(float(total))), outcome
    assert table["read from the file"][:2] == (15, pytest.approx(2091.40))
    assert table["in = out (rows and sums)"][0] == "yes"
    posted = [r for r in rows if r["outcome"] == "posted"]
    for label, name in (
        ("to notice fees", "focusedtonoticefee"),
        ("to interest", "focusedtointerest"),
        ("to capital", "focusedtocapital"),
        ("overpaid: refund it or allocate it by hand", "unfocused"),
    ):
        expected = sum(Decimal(str(r[name])) for r in posted)
        assert table[label][1:] == (pytest.approx(float(expected)), name), label
    answered = Counter(r["statusid"] for r in rows if r["statusid"] is not None)
    # Each answer's row: its rows, its sum, and its meaning with "statusid N NAME" in small print.
    by_status = {
        int(found[1]): v
        for v in table.values()
        if len(v) == 3 and (found := re.search(r"statusid (\d+) ", str(v[2])))
    }
    assert {statusid: v[0] for statusid, v in by_status.items()} == answered
    assert by_status[10][2].startswith("no invoice with this identifier; check the reference")


def test_needs_attention_holds_the_rows_to_act_on_with_what_is_wrong_first(
    demo_workbook: Path,
) -> None:
    header, *_ = sheet_rows(demo_workbook, ATTENTION_SHEET)
    source = next(csv.reader(DEMO_EXPORT.read_text("utf-8-sig").splitlines(), delimiter=";"))
    ours = ["What is wrong", "What to do", "Line in file", "Outcome", "Code", "Field", "Column"]
    assert list(header) == [*ours, "Value read", "Overpaid, not allocated", *source]
    rows = records(demo_workbook, ATTENTION_SHEET)
    lines = {row["source_row"]: (row["outcome"], row["unfocused"]) for row in rows}
    assert lines == {
        5: ("posted", 10.1),  # an overpayment: 10.10 to refund or allocate
        6: ("rejected", None),
        7: ("rejected", None),
        8: ("rejected", None),
        12: ("rejected", None),
        14: ("invalid", None),
        15: ("invalid", None),
        16: ("rejected", None),
    }
    by_line = {row["source_row"]: row for row in rows}
    assert by_line[15]["Määrä EUROA"] == "3O,00"  # the source's text as read, typo and all


def save_as_csv(workbook: Path, sheet: str, target: Path) -> Path:
    """What a spreadsheet's 'save as CSV' does with a sheet of text: the cells as shown."""
    with target.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, delimiter=";")
        for row in sheet_rows(workbook, sheet):
            writer.writerow(["" if v is None else v for v in row])
    return target


def test_a_corrected_needs_attention_csv_imports_again(
    demo_workbook: Path, ropo_env: Sandbox, tmp_path: Path
) -> None:
    todo = save_as_csv(demo_workbook, ATTENTION_SHEET, tmp_path / "todo.csv")
    text = todo.read_text(encoding="utf-8-sig")
    todo.write_text(text.replace("ref=410112", "ref=410111"), encoding="utf-8-sig")  # the fix
    requests = ropo_env.state.requests
    again = tmp_path / "again.xlsx"
    code, out, err = invoke(
        "run", str(todo), "--output", str(again), "--journal", str(tmp_path / "j.sqlite")
    )
    assert code == 2, err
    assert "read as op (OP" in out.replace("\n", "")  # recognised as the bank's own export
    rows = {r["source_row"]: (r["outcome"], r["code"]) for r in records(again, "Results")}
    assert rows == {
        2: ("skipped", "already-registered"),  # the overpayment: registered, not sent again
        3: ("rejected", "answered-earlier"),  # unchanged rejections are not sent again
        4: ("rejected", "answered-earlier"),
        5: ("rejected", "answered-earlier"),
        6: ("rejected", "answered-earlier"),
        7: ("posted", "registered"),  # the corrected reference went through
        8: ("invalid", "bad-amount"),  # still 3O,00
        9: ("rejected", "answered-earlier"),
    }
    assert ropo_env.state.requests == requests + 1  # only the corrected row was sent
    # And round again: the to-do list keeps its shape, the file's old result columns replaced.
    assert sheet_rows(again, ATTENTION_SHEET)[0] == sheet_rows(demo_workbook, ATTENTION_SHEET)[0]
    assert "Line in file (in file)" in sheet_rows(again, "Results")[0]


def test_a_corrected_rejected_row_is_sent_again_but_an_unchanged_one_is_not(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    line = (
        '"2026-11-11";"2026-11-11";80,00;"106";"VIITESIIRTO";"Koskinen Eero";"";"";"ref={}";"";"A1"'
    )
    journal = ["--journal", str(tmp_path / "j.sqlite"), "--output", str(tmp_path / "o.xlsx")]
    outcomes = []
    for reference in ("770013", "770013", "410111"):  # no such invoice; again; corrected
        export.write_text(f"{OP_HEADER}\n{line.format(reference)}\n", encoding="utf-8")
        invoke("run", str(export), *journal)
        outcomes.append(records(tmp_path / "o.xlsx", "Results")[0]["code"])
    assert outcomes == ["status-10", "answered-earlier", "registered"]
    assert ropo_env.state.requests == 2


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(
        st.tuples(
            st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "\0", "\x0b", ""]),
            st.text(max_size=30),
        ).map("".join),
        min_size=1,
        max_size=8,
    )
)
def test_no_text_from_the_bank_becomes_a_formula(
    texts: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    rows = [
        RowResult(SourceRow("x.csv", n, (text, "=1+2")), Outcome.INVALID, "bad-amount", text)
        for n, text in enumerate(texts, start=2)
    ]
    path = tmp_path_factory.mktemp("formulas") / "out.xlsx"
    write_workbook(report_of(rows, ("payer", "amount")), path)
    assert formulas_in(path) == []
    book = load_workbook(path)
    header = [cell.value for cell in book["Results"][1]]
    for row, text in zip(book["Results"].iter_rows(min_row=2), texts, strict=True):
        payer = row[header.index("payer")]
        # Text stays text; an empty text is no cell at all, as an empty cell in a spreadsheet.
        assert payer.data_type in ("s", "inlineStr") if text else payer.value is None
        # What a workbook cannot hold is replaced, never dropped; everything else is kept.
        kept = text.replace("\r\n", "\n").replace("\r", "\n")
        assert len(payer.value or "") == len(kept) or text == ""
        if text.startswith(("=", "+", "-", "@", "\t", "\r", "\n")):
            assert payer.quotePrefix


def test_the_formula_scan_would_find_a_formula(tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "Results"
    book.active["A1"] = "=1+2"
    book.save(tmp_path / "bad.xlsx")
    assert is_result_workbook(tmp_path / "bad.xlsx")
    assert formulas_in(tmp_path / "bad.xlsx") == ["xl/worksheets/sheet1.xml"]
    (tmp_path / "bad.xlsx").unlink()  # the session-wide scan must not trip on it


def report_of(results: list[RowResult], headers: tuple[str, ...]) -> Report:
    now = datetime.now().astimezone()
    return Report(
        file="x.csv",
        headers=headers,
        results=Results(results),
        profile=choose_profile("generic"),
        mapping="",
        dry_run=True,
        base_url=None,
        cid=None,
        started_at=now,
        finished_at=now,
        rows_read=len(results),
        today=date(2026, 11, 20),
    )
