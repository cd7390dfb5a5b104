"""Plain delimited exports read a column at a time by pandas: the quick way in for big files.

A text export is read here only when it is plain: UTF-8 (with or without a BOM), or the
single-byte encoding the slow reader would choose (the profile's, else Windows-1252), a header
on one line, every record on a line of its own (no quoted line breaks) and no record longer
than the header. In those encodings a line break is the byte 0x0A, as in UTF-8, so the line
numbers agree. Then pandas' C parser gives the same cells as the csv module, about ten times
faster, and the table keeps them as columns: a million rows are not a million tuples.

Anything else returns None, and delimited.py reads the file with the csv module as before,
so an odd file is read slowly but never differently.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import overload

import numpy as np
import pandas as pd

from importer.models import SourceRow
from importer.readers.limits import check_width

BOM = b"\xef\xbb\xbf"
HEAD_LINES = 60  # the preamble (at most 50 lines) and the header are among the first lines


class FrameRows(Sequence[SourceRow]):
    """The data rows of a plain export, held as one array of text cells per column.

    Indexing gives the SourceRow the csv reader would have given (blank rows are left out,
    line numbers are the file's own); `column` gives a whole column to check at once.
    """

    def __init__(self, file: str, columns: list[np.ndarray], lines: np.ndarray) -> None:
        self.file = file
        self._columns = columns
        self._lines = lines

    @property
    def width(self) -> int:
        return len(self._columns)

    def column(self, at: int) -> np.ndarray:
        """Every row's cell in column `at` (0-based), as an array of str."""
        return self._columns[at]

    def line(self, index: int) -> int:
        return int(self._lines[index])

    @property
    def lines(self) -> np.ndarray:
        """Every row's line in the file, as int64."""
        return self._lines

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> SourceRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[SourceRow]: ...

    def __getitem__(self, index: int | slice) -> SourceRow | list[SourceRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        cells = tuple(column[index] for column in self._columns)
        return SourceRow(file=self.file, line=int(self._lines[index]), cells=cells)

    def __iter__(self) -> Iterator[SourceRow]:
        return (self[i] for i in range(len(self)))


def read_columns(
    name: str,
    data: bytes,
    head: list[str],
    preamble: int,
    delimiter: str,
    count_lines: Callable[[], int],
    encoding: str | None = None,
) -> tuple[list[str], FrameRows] | None:
    """The raw header record and the rows of a plain export; None when it is not plain.

    `head` is the file's first lines (head_lines), `preamble` how many come before the header,
    `count_lines` how many lines the file has (the last one may lack its line break).
    """
    encoding = encoding or ("utf-8-sig" if data.startswith(BOM) else "utf-8")
    skipped, header = preamble, []
    while skipped < len(head):
        if head[skipped].count('"') % 2:
            return None  # a line break inside quotes: the csv reader counts the lines
        header = next(csv.reader([head[skipped]], delimiter=delimiter), [])
        if any(cell.strip() for cell in header):
            break
        skipped += 1  # blank lines (or only delimiters) before the header, as csv skips them
    else:
        return None  # no header among the first lines
    check_width(name, len(header))  # before pandas makes a column of each
    if encoding not in ("utf-8", "utf-8-sig"):
        # pandas reads other encodings through a Python text stream, several times slower
        # than its own UTF-8: the bytes are turned into UTF-8 first, in one call of C code.
        try:
            data, encoding = data.decode(encoding).encode("utf-8"), "utf-8"
        except (UnicodeDecodeError, LookupError):
            return None  # the csv reader tries the next encoding
    try:
        with warnings.catch_warnings():
            # pandas only warns when every record is longer than the header, and drops cells.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=delimiter,
                header=None,
                names=list(range(len(header))),
                index_col=False,
                skiprows=skipped + 1,
                dtype=object,
                na_filter=False,
                skip_blank_lines=False,
                encoding=encoding,
                engine="c",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError, ValueError):
        return None  # a record longer than the header, or not UTF-8: the csv reader decides
    if skipped + 1 + len(frame) != count_lines():
        return None  # a quoted line break somewhere: line numbers need the csv reader
    columns = [frame[at].to_numpy(dtype=object) for at in frame.columns]
    del frame
    numbers = np.arange(skipped + 2, skipped + 2 + len(columns[0]), dtype=np.int64)
    blank = _blank(columns)
    if blank.any():
        keep = np.flatnonzero(~blank)
        columns, numbers = [column[keep] for column in columns], numbers[keep]
    return header, FrameRows(name, columns, numbers)


def head_lines(data: bytes, encoding: str = "utf-8") -> list[str] | None:
    """The first lines of the file as text, or None when they are not in `encoding`."""
    start = len(BOM) if encoding == "utf-8" and data.startswith(BOM) else 0
    end = start
    for _ in range(HEAD_LINES):
        found = data.find(b"\n", end)
        if found < 0:
            end = len(data)
            break
        end = found + 1
    try:
        # Lines end at LF only, as pandas and the line count see them (splitlines would also
        # break at form feeds and other separators a cell may hold).
        lines = data[start:end].decode(encoding).split("\n")
    except (UnicodeDecodeError, LookupError):
        return None
    return [line.removesuffix("\r") for line in lines]


def _blank(columns: list[np.ndarray]) -> np.ndarray:
    """Rows whose every cell is empty or spaces (the csv reader skips them)."""
    first = columns[0]
    maybe = np.flatnonzero((first == "") | np.fromiter(map(str.isspace, first), bool, len(first)))
    blank = np.zeros(len(first), dtype=bool)
    for index in maybe:
        blank[index] = all(not column[index].strip() for column in columns)
    return blank
