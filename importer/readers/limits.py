"""How big a file the readers take: refused in one line before it is read, never a crash.

A month of payments is a few megabytes and a few dozen columns; these bounds are far above
that and far below what would exhaust memory or make a result workbook Excel cannot open.
"""

from __future__ import annotations

import os
from pathlib import Path

from importer.errors import ReadError
from importer.said import say

MAX_FILE_BYTES = 1 << 30  # 1 GiB: a million payments in CSV are about 200 MB
# Excel's 16,384 columns, less room for the columns the result workbook adds beside the
# file's own (25 today): a wider file could not be opened once written.
SPREADSHEET_COLUMNS = 16_384
MAX_COLUMNS = SPREADSHEET_COLUMNS - 64
_CHUNK = 1 << 20


def check_size(path: Path, size: int, max_bytes: int = MAX_FILE_BYTES) -> None:
    """Refuse a file of `size` bytes when it is above `max_bytes`."""
    if size > max_bytes:
        raise ReadError(
            say(
                "{path}: {size} bytes is more than the {most} a bank export is read up to; check "
                "that this is the bank export (a month of payments is a few megabytes)",
                path=path,
                size=f"{size:,}",
                most=_bytes(max_bytes),
            )
        )


def read_bounded(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, read no further than `max_bytes` (a file may grow, or be a pipe)."""
    try:
        with path.open("rb") as handle:
            # Asked for its own size, not the bound: read(n) sets n bytes aside at once, and
            # a 1 KB file must not cost 1 GiB. More than it said (a pipe, a growing file) is
            # read on in chunks, still no further than the bound.
            known = os.fstat(handle.fileno()).st_size
            check_size(path, known, max_bytes)
            parts = [handle.read(known)] if known else []
            read = sum(len(part) for part in parts)
            while read <= max_bytes and (part := handle.read(min(_CHUNK, max_bytes + 1 - read))):
                parts.append(part)
                read += len(part)
    except OSError as exc:
        raise ReadError(unreadable(path, exc)) from None
    check_size(path, read, max_bytes)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def check_width(path: Path | str, columns: int) -> None:
    """Refuse a header of more columns than a result workbook can repeat."""
    if columns > MAX_COLUMNS:
        raise ReadError(
            say(
                "{path}: the header has {count} columns; at most {most} are read (a spreadsheet "
                "holds {sheet} and the result workbook adds its own); check that this is the "
                "bank export",
                path=path,
                count=f"{columns:,}",
                most=f"{MAX_COLUMNS:,}",
                sheet=f"{SPREADSHEET_COLUMNS:,}",
            )
        )


def unreadable(path: Path, exc: OSError) -> str:
    """The file cannot be read, as the system said why."""
    return say("{path}: cannot be read ({why})", path=path, why=exc.strerror)


def _bytes(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"
