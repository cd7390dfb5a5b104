"""Readers: one module per file format, each turning a file into a SourceTable.

`read_table` picks the reader from the file's content and name; each reader translates its
own library's errors into ReadError naming the file.
"""

from __future__ import annotations

from pathlib import Path

from importer.errors import ReadError
from importer.models import SourceTable
from importer.readers import delimited, excel, ktl

_ZIP_MAGIC = b"PK\x03\x04"


def read_table(path: Path) -> SourceTable:
    """Read a bank export: KTL, CSV/TSV text or an .xlsx workbook, told apart by content."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except FileNotFoundError:
        raise ReadError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise ReadError(f"{path}: is a folder; give the bank export file itself") from None
    except OSError as exc:
        raise ReadError(f"{path}: cannot be read ({exc.strerror})") from None
    if not head.strip():
        raise ReadError(f"{path}: the file is empty; download the export again")
    if head.startswith(_ZIP_MAGIC) or path.suffix.lower() in (".xlsx", ".xlsm"):
        return excel.read(path)
    if ktl.looks_like_ktl(head):
        return ktl.read(path)
    return delimited.read(path)
