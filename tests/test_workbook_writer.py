"""The result workbook's writer: public APIs only, what each cell holds, and what a failure
leaves behind (nothing)."""

from __future__ import annotations

import ast
import gc
import io
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from importer.models import Outcome, Payment, RowResult, SourceRow
from importer.report import Results
from importer.workbook import ATTENTION_SHEET, stream_workbook, write_workbook
from tests.sheets import keyed
from tests.test_output import FullDisk
from tests.test_workbook import report_of

IMPORTER = Path(__file__).resolve().parent.parent / "importer"


def private_uses(source: str) -> list[str]:
    """Where a module reaches into something private that is not its own: an attribute with
    a leading underscore on anything but self or cls, a private name or module imported from
    a library, or such a name handed to hasattr, getattr or setattr."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "importer":
                continue
            names = [*node.module.split("."), *(alias.name for alias in node.names)]
            found += [f"line {node.lineno}: {name}" for name in names if _private(name)]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                found += [f"line {node.lineno}: {p}" for p in parts if _private(p)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("hasattr", "getattr", "setattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            found.append(f"line {node.lineno}: {node.func.id} {node.args[1].value}")
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_module_of_the_tool_touches_a_private_attribute_of_a_library() -> None:
    offenders = {
        str(path.relative_to(IMPORTER)): found
        for path in sorted(IMPORTER.rglob("*.py"))
        if (found := private_uses(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_private_scan_would_find_what_the_old_writer_did() -> None:
    old = (
        "from openpyxl.worksheet._write_only import WriteOnlyWorksheet\n"
        "if hasattr(sheet, '_values_to_row'):\n"
        "    sheet._values_to_row = f\n"
        "x = self.parent.parent._cell_styles.add(self._style)\n"
    )
    assert private_uses(old) == [
        "line 1: _write_only",
        "line 2: hasattr _values_to_row",
        "line 3: ._values_to_row",
        "line 4: ._cell_styles",
    ]


def test_importing_the_workbook_package_loads_no_spreadsheet_library() -> None:
    code = (
        "import sys, importer.workbook; "
        "print(sorted(m for m in ('xlsxwriter', 'openpyxl') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def a_report() -> Any:
    payment = Payment(amount=Decimal("1234.50"), paydate=date(2026, 11, 2), billnum="=1+2")
    rows = [
        RowResult(
            SourceRow("x.csv", 2, ("Maija", "1234,50", "@SUM(A1)")),
            Outcome.POSTED,
            "registered",
            "registered",
            payment=payment,
            amount=Decimal("1234.50"),
            response={"statusid": 6, "unfocused": Decimal("4.50"), "capitalafter": Decimal("0")},
        ),
        RowResult(
            SourceRow("x.csv", 3, ("-Pekka", "oops", "")),
            Outcome.INVALID,
            "bad-amount",
            "the amount 'oops' is not a number",
        ),
    ]
    return report_of(rows, ("payer", "amount", "note"))


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Any]:
    path = write_workbook(a_report(), tmp_path / "out.xlsx")
    workbook = load_workbook(path)
    yield workbook
    workbook.close()


def test_cells_keep_their_types_formats_and_fills(book: Any) -> None:
    results = book["Results"]
    header = keyed([c.value for c in results[1]], "Results")
    posted = {name: cell for name, cell in zip(header, results[2], strict=False)}
    assert all(c.font.bold for c in results[1])
    assert posted["source_row"].value == 2
    assert posted["source_row"].data_type == "n"
    assert posted["amount"].value == Decimal("1234.50")
    assert posted["amount"].number_format == '#,##0.00\\ "€"'
    assert posted["paydate"].value == datetime(2026, 11, 2)
    assert posted["paydate"].number_format == "yyyy-mm-dd"
    assert posted["statusid"].value == 6
    assert posted["statusid"].number_format == "General"
    # Text that looks like a formula is text, marked so that no spreadsheet evaluates it.
    for name in ("billnum", "note"):
        assert posted[name].data_type == "s"
        assert posted[name].quotePrefix
    assert (posted["billnum"].value, posted["note"].value) == ("=1+2", "@SUM(A1)")
    assert posted["outcome"].fill.fgColor.rgb == "FFC6EFCE"
    invalid = dict(zip(header, results[3], strict=False))
    assert invalid["outcome"].fill.fgColor.rgb == "FFFFEB9C"
    assert invalid["payer"].value == "-Pekka"
    assert invalid["payer"].quotePrefix
    assert invalid["note"].value is None  # an empty text is no cell


def test_sheets_are_laid_out_for_reading_and_printing(book: Any) -> None:
    assert book.sheetnames == ["Summary", "Results", ATTENTION_SHEET]
    summary, results, attention = (book[name] for name in book.sheetnames)
    assert summary.page_setup.orientation == "landscape"
    assert summary.sheet_properties.pageSetUpPr.fitToPage
    assert summary.page_setup.fitToHeight == 0
    assert summary.page_setup.fitToWidth in (None, 1)  # 1 is the default, may go unwritten
    assert summary["A1"].font.bold
    assert summary["A1"].font.size == 14
    assert summary.column_dimensions["A"].width > summary.column_dimensions["C"].width
    for sheet, freeze in ((results, "C2"), (attention, "A2")):
        assert sheet.freeze_panes == freeze
        assert sheet.print_title_rows.replace("$", "") == "1:1"
        assert sheet.page_setup.orientation == "landscape"
    assert results.auto_filter.ref == f"A1:{results.cell(1, results.max_column).column_letter}3"
    last = attention.cell(1, attention.max_column)
    assert last.value == "note"  # the bank's own columns close the sheet
    # both rows: one unfocused, one invalid
    assert attention.auto_filter.ref == f"A1:{last.column_letter}3"
    header = keyed([c.value for c in attention[1]], ATTENTION_SHEET)
    unfocused = attention.cell(2, header.index("unfocused") + 1)
    assert unfocused.value == Decimal("4.50")
    assert unfocused.number_format == '#,##0.00\\ "€"'


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(OSError, match="No space"):
        stream_workbook(a_report(), FullDisk(3_000))
    gc.collect()  # anything left open would warn now, and warnings fail the tests
    assert list(tmp_path.iterdir()) == []


class Exploding(Results):
    """Results that fail part way through the Results sheet."""

    def __iter__(self) -> Iterator[RowResult]:
        yield from list(super().__iter__())[:1]
        raise RuntimeError("boom")


def test_a_failure_while_writing_rows_leaves_nothing_open_or_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = a_report()
    monkeypatch.setattr(report, "results", Exploding(list(report.results)))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    stream = io.BytesIO()
    with pytest.raises(RuntimeError, match="boom"):
        stream_workbook(report, stream)
    gc.collect()
    assert list((tmp_path / "tmp").iterdir()) == []
    assert stream.getvalue() == b""  # the workbook given up wrote nothing into the stream


class Pipe(io.RawIOBase):
    """A stream that cannot seek, like a pipe."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.data += data
        return len(data)


def test_a_stream_that_cannot_seek_takes_a_whole_workbook() -> None:
    pipe = Pipe()
    stream_workbook(a_report(), pipe)
    book = load_workbook(io.BytesIO(bytes(pipe.data)))
    assert book.sheetnames == ["Summary", "Results", ATTENTION_SHEET]
    assert zipfile.ZipFile(io.BytesIO(bytes(pipe.data))).testzip() is None


def test_an_unfocused_amount_that_is_no_number_never_stops_the_workbook(tmp_path: Path) -> None:
    """An answer is untrusted: `unfocused` of "lots" is shown as it came, and only a real
    amount above zero puts a posted row in Needs attention."""
    from importer.models import Outcome, RowResult, SourceRow
    from importer.workbook.results import needs_attention

    row = SourceRow("f.csv", 2, ("x",))
    odd = RowResult(row, Outcome.POSTED, "registered", "", response={"unfocused": "lots"})
    over = RowResult(row, Outcome.POSTED, "registered", "", response={"unfocused": "10.10"})
    assert not needs_attention(odd)
    assert needs_attention(over)
