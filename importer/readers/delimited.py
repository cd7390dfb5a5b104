"""Delimited text exports (CSV, semicolon, tab): encoding, delimiter and header found here.

Finnish banks write UTF-8 with or without BOM, or ISO-8859-1 (bank-formats.md section 5); the
delimiter is `;`, `,` or TAB. Line numbers are the file's own, so messages can point at them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from importer.errors import ReadError
from importer.models import SourceRow, SourceTable
from importer.profiles.model import Read
from importer.readers import frame
from importer.readers.limits import MAX_FILE_BYTES, check_width, read_bounded
from importer.said import Phrase, say

DELIMITERS = (";", "\t", ",")


def read(path: Path, layout: Read | None = None, max_bytes: int = MAX_FILE_BYTES) -> SourceTable:
    """Read a delimited text file into a SourceTable, skipping the layout's preamble lines."""
    layout = layout or Read()
    data = read_bounded(path, max_bytes)
    if b"\x00" in data[:65536]:
        raise ReadError(
            say(
                "{path}: this is a binary file, not a CSV or Excel export; check that you "
                "picked the bank export",
                path=path,
            )
        )
    with ThreadPoolExecutor(max_workers=1) as pool:
        # hashlib lets go of the GIL for large data, pandas while it splits the text: the
        # hash and the line count cost next to nothing beside the parse.
        facts = pool.submit(_facts, data)
        return _read(path, data, layout, facts)


def _facts(data: bytes) -> tuple[str, int]:
    """The file's SHA-256 and how many lines it has (the last one may lack its line break)."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return hashlib.sha256(data).hexdigest(), lines


def _read(path: Path, data: bytes, layout: Read, facts: Future[tuple[str, int]]) -> SourceTable:
    encoding: str | None = None  # UTF-8, as the quick reader assumes unless told
    head = frame.head_lines(data)
    if head is None:
        # Not UTF-8: the single-byte encoding decode() would choose first; a byte it does not
        # have sends the file to the slow reader, which tries the next.
        encoding = layout.encoding or "cp1252"
        head = frame.head_lines(data, encoding)
    if head is not None:  # perhaps plain enough for the quick reader
        delimiter = layout.delimiter or sniff_delimiter("\n".join(head[layout.preamble :]))
        plain = delimiter and frame.read_columns(
            str(path),
            data,
            head,
            layout.preamble,
            delimiter,
            lambda: facts.result()[1],
            encoding,
        )
        if delimiter and plain:
            shown = encoding or ("utf-8-sig" if data.startswith(frame.BOM) else "utf-8")
            return _table(path, clean_headers(plain[0]), plain[1], shown, delimiter, facts)
    text, encoding = decode(data, layout.encoding)
    skipped, text = split_preamble(text, layout.preamble)
    delimiter = layout.delimiter or sniff_delimiter(text)
    if delimiter is None:
        raise ReadError(
            say(
                "{path}: the header line has no ';', ',' or TAB delimiter; is this a CSV export "
                "with one column per field?",
                path=path,
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    csv.field_size_limit(1 << 20)
    headers: tuple[str, ...] | None = None
    rows: list[SourceRow] = []
    end_of_last = 0
    name = str(path)
    try:
        for record in reader:
            start, end_of_last = end_of_last + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if headers is None:
                check_width(path, len(record))
                headers = clean_headers(record)
                continue
            # Interned: dates, types, names and references repeat down a month's export, and a
            # million rows then hold each distinct text once.
            cells = tuple(map(sys.intern, record))
            rows.append(SourceRow(file=name, line=skipped + start, cells=cells))
    except csv.Error as exc:
        line = skipped + reader.line_num
        raise ReadError(
            say("{path}: line {line}: not valid CSV ({error})", path=path, line=line, error=exc)
        ) from None
    if headers is None:
        raise ReadError(say("{path}: the file has no header row", path=path))
    return _table(path, headers, rows, encoding, delimiter, facts)


def _table(
    path: Path,
    headers: tuple[str, ...],
    rows: Sequence[SourceRow],
    encoding: str,
    delimiter: str,
    facts: Future[tuple[str, int]],
) -> SourceTable:
    shown = {"\t": Phrase("TAB"), ";": "';'", ",": "','"}.get(delimiter, repr(delimiter))
    return SourceTable(
        file=str(path),
        headers=headers,
        rows=rows,
        encoding=encoding,
        delimiter=delimiter,
        form=say("text, {encoding}, delimited by {delimiter}", encoding=encoding, delimiter=shown),
        sha256=facts.result()[0],
    )


def decode(data: bytes, fallback: str | None = None) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (BOM or not), else the profile's or Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in (fallback, "cp1252"):
        if encoding:
            try:
                return data.decode(encoding), encoding
            except (UnicodeDecodeError, LookupError):
                continue
    # cp1252 is ISO-8859-1 plus printable characters (such as the euro sign) in 0x80-0x9f.
    return data.decode("iso-8859-1"), "iso-8859-1"


def split_preamble(text: str, lines: int) -> tuple[int, str]:
    """The text after its first `lines` lines, and how many lines were cut."""
    if lines == 0:
        return 0, text
    parts = text.split("\n", lines)
    return lines, parts[lines] if len(parts) > lines else ""


def first_record(text: str, delimiter: str | None) -> tuple[str, ...]:
    """The first non-empty line's cells, as header names."""
    line = next((line for line in text.splitlines() if line.strip()), "")
    mark = delimiter or sniff_delimiter(line) or ";"
    record = next(csv.reader([line], delimiter=mark), [])
    return clean_headers(record)


def sniff_delimiter(text: str) -> str | None:
    """The delimiter that splits the header line into the most fields, counted outside quotes."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the order of DELIMITERS
    return best if counts[best] else None


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def clean_headers(record: list[str]) -> tuple[str, ...]:
    """Header cells stripped; an empty last cell (a trailing delimiter) is dropped."""
    cells = [cell.replace("\ufeff", "").strip() for cell in record]
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells)
