"""Excel workbooks (.xlsx): the first sheet, its first non-empty row as the header.

Excel keeps numbers as binary doubles; a number cell becomes the Decimal of its shortest
round-trip text (what Excel itself shows), never arithmetic on the float.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from importer.errors import ReadError
from importer.models import CellValue, SourceRow, SourceTable

# Limits checked on the zip's declared sizes before any XML is inflated (reliability.md 4.3):
# a month of payments is far below them; a zip bomb is far above.
MAX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_RATIO = 200  # for entries over 1 MiB; ordinary sheets compress 10 to 30 times
MAX_ENTRIES = 10_000


def read(path: Path) -> SourceTable:
    """Read the first sheet of an .xlsx workbook into a SourceTable."""
    check_zip(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ReadError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        headers: tuple[str, ...] | None = None
        rows: list[SourceRow] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = tuple(_cell(value) for value in values)
            if all(cell in (None, "") for cell in cells):
                continue
            if headers is None:
                headers = tuple(str(cell or "").strip() for cell in cells)
                while headers and not headers[-1]:
                    headers = headers[:-1]
                continue
            rows.append(SourceRow(file=str(path), line=number, cells=cells, sheet=sheet.title))
    finally:
        workbook.close()
    if headers is None:
        raise ReadError(f"{path}: the first sheet is empty")
    return SourceTable(file=str(path), headers=headers, rows=rows)


def check_zip(path: Path) -> None:
    """Refuse a workbook whose declared sizes would inflate to absurd amounts (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReadError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    total = sum(entry.file_size for entry in entries)
    swollen = [
        entry
        for entry in entries
        if entry.file_size > 1 << 20 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1)
    ]
    if len(entries) > MAX_ENTRIES or total > MAX_UNCOMPRESSED or swollen:
        raise ReadError(
            f"{path}: refused: it would inflate to {total // (1 << 20)} MiB from "
            f"{path.stat().st_size // 1024} KiB (a zip bomb?); save the export again from the bank"
        )


def _cell(value: object) -> CellValue:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date):
        return value
    return str(value)
