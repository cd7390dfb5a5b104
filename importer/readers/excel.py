"""Spreadsheets (.xlsx, .xls, .ods): the first sheet, read with calamine (Rust, fast).

Spreadsheets keep numbers as binary doubles; a number cell becomes the Decimal of its shortest
round-trip text (what the spreadsheet itself shows), never arithmetic on the float. Row numbers
are the sheet's own, so messages point where the user looks.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from importer.errors import ReadError
from importer.models import CellValue, SourceRow, SourceTable
from importer.readers.limits import check_size, check_width
from importer.said import say

# Limits checked on the zip's declared sizes before any XML is inflated (reliability.md 4.3):
# a month of payments is far below them; a zip bomb is far above.
MAX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_RATIO = 200  # for entries over 1 MiB; ordinary sheets compress 10 to 30 times
MAX_ENTRIES = 10_000
MAX_BYTES = 256 * 1024 * 1024  # an .xls is not zipped: its own size is the limit


def read(path: Path, preamble: int = 0) -> SourceTable:
    """Read the first sheet; its first non-empty row after `preamble` rows is the header."""
    sheet_name, records = _records(path)
    headers: tuple[str, ...] | None = None
    rows: list[SourceRow] = []
    for number, values in records:
        if number <= preamble:
            continue
        cells = tuple(_cell(value) for value in values)
        if all(cell in (None, "") for cell in cells):
            continue
        if headers is None:
            check_width(path, len(cells))
            headers = tuple(str(cell or "").replace("\ufeff", "").strip() for cell in cells)
            while headers and not headers[-1]:
                headers = headers[:-1]
            continue
        rows.append(SourceRow(file=str(path), line=number, cells=cells, sheet=sheet_name))
    if headers is None:
        raise ReadError(
            say("{path}: the first sheet ({sheet}) has no header row", path=path, sheet=sheet_name)
        )
    return SourceTable(
        file=str(path),
        headers=headers,
        rows=rows,
        form=say("spreadsheet, sheet {sheet}", sheet=repr(sheet_name)),
    )


def first_rows(path: Path, count: int) -> list[tuple[str, ...]]:
    """The first `count` rows of the first sheet as text, for recognising the export."""
    _, records = _records(path, count)
    return [tuple(str(_cell(v) or "") for v in values) for _, values in records]


def _records(path: Path, limit: int | None = None) -> tuple[str, list[tuple[int, list[object]]]]:
    if zipfile.is_zipfile(path):
        check_zip(path)
    else:
        check_size(path, path.stat().st_size, MAX_BYTES)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        records: list[tuple[int, list[object]]] = [
            (number, list(values))
            for number, values in islice(enumerate(sheet.iter_rows(), start=1), limit)
        ]
    except (CalamineError, OSError, ValueError) as exc:
        raise ReadError(
            say(
                "{path}: not a readable spreadsheet ({error}); open it in Excel and save it again "
                "as .xlsx",
                path=path,
                error=f"{type(exc).__name__}: {exc}",
            )
        ) from None
    return sheet.name, records


def check_zip(path: Path) -> None:
    """Refuse a workbook whose declared sizes would inflate to absurd amounts (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReadError(
            say("{path}: not a readable spreadsheet ({error})", path=path, error=exc)
        ) from None
    total = sum(entry.file_size for entry in entries)
    swollen = [
        entry
        for entry in entries
        if entry.file_size > 1 << 20 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1)
    ]
    if len(entries) > MAX_ENTRIES or total > MAX_UNCOMPRESSED or swollen:
        raise ReadError(
            say(
                "{path}: refused: it would inflate to {inflated} MiB from {size} KiB (a zip "
                "bomb?); save the export again from the bank",
                path=path,
                inflated=total // (1 << 20),
                size=path.stat().st_size // 1024,
            )
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
