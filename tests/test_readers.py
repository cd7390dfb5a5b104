"""Reading CSV and spreadsheet exports: encodings, delimiters, line numbers, bad files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from importer.errors import ImporterError, ReadError
from importer.export import open_export
from importer.readers import delimited, excel

HEADER = ["Maksupäivä", "Määrä", "Viite", "Maksaja"]
ROW = ["02.11.2026", "125,00", "410014", "Mäkinen"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "iso-8859-1"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_csv_in_every_encoding_and_delimiter(tmp_path: Path, encoding: str, delimiter: str) -> None:
    quoted = [f'"{cell}"' if delimiter == "," else cell for cell in ROW]
    text = delimiter.join(HEADER) + "\r\n" + delimiter.join(quoted) + "\r\n"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    table = delimited.read(path)
    assert table.headers == tuple(HEADER)
    assert table.delimiter == delimiter
    assert table.rows[0].cells == tuple(ROW)
    assert table.rows[0].line == 2


def test_line_numbers_are_the_files_own(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('a;b\n\n1;"two\nlines"\n3;4\n', encoding="utf-8")
    table = delimited.read(path)
    assert [row.line for row in table.rows] == [3, 5]
    assert table.rows[0].cells == ("1", "two\nlines")


def test_trailing_delimiter_does_not_make_a_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("a;b;\n1;2;\n", encoding="utf-8")
    assert delimited.read(path).headers == ("a", "b")


def test_xlsx_cells_keep_their_types(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([date(2026, 11, 2), 125.1, 410014, "Mäkinen"])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    table = excel.read(path)
    assert table.headers == tuple(HEADER)
    assert table.rows[0].cells == (date(2026, 11, 2), Decimal("125.1"), Decimal(410014), "Mäkinen")
    assert table.rows[0].line == 2
    assert table.rows[0].sheet == "Sheet"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"   \n\n", "the file is empty"),
        (b"\x00\x01\x02binary\x00", "binary file"),
        (b"just one column\nvalue\n", "not a bank export ropo-import knows"),
        (b"PK\x03\x04not really a zip", "not a readable spreadsheet"),
        (b"<?xml version='1.0'?><html><body/></html>", "not a camt.054 or camt.053 bank file"),
        (b"<Document><BkToCstmrDbtCdtNtfctn><Ntfctn>", "the XML is cut off"),
    ],
)
def test_unreadable_files_stop_with_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(ImporterError, match=message) as raised:
        open_export(path)
    assert "\n" not in str(raised.value)
    assert str(path) in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file"):
        open_export(tmp_path / "nope.csv")


def test_zip_bomb_xlsx_is_refused_before_parsing(tmp_path: Path) -> None:
    import tracemalloc
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"0" * (64 << 20))
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    with pytest.raises(ReadError, match="a zip bomb") as raised:
        open_export(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "\n" not in str(raised.value)
    assert peak < 5 << 20  # nothing was inflated
    from click.testing import CliRunner

    from importer.cli import cli

    outcome = CliRunner().invoke(cli, ["inspect", str(path)])
    assert outcome.exit_code == 1
    assert outcome.stderr.count("\n") == 1
