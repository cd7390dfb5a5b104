"""Every reader's rows as columns: what the engine reads, whatever the format.

A plain text export already is columns (readers/frame.py: an array of text per column). Any
other table (the csv module's rows, a spreadsheet, KTL, camt) is a list of SourceRows, turned
into columns here once, so every format goes through the same field parsers and rules. What a
reader said of a row beyond its cells (a verdict, camt's remittance) is kept sparse, by row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from importer.models import CellValue, Remittance, SourceRow, SourceTable, Verdict
from importer.readers.frame import FrameRows


class Cells:
    """One table's cells a column at a time, with the rows' source lines."""

    def __init__(self, table: SourceTable) -> None:
        self.table = table
        self.count = len(table.rows)
        self._rows = table.rows
        self._columns: dict[int, np.ndarray] = {}
        self._text: dict[int, bool] = {}

    @property
    def text_only(self) -> bool:
        """Every cell is text (a text export): the quick kernels may read whole columns."""
        return isinstance(self._rows, FrameRows)

    def column(self, at: int) -> np.ndarray:
        """Every row's cell in column `at`: an object array, None where a row is shorter."""
        rows = self._rows
        if isinstance(rows, FrameRows):
            return rows.column(at) if at < rows.width else np.full(self.count, "", object)
        found = self._columns.get(at)
        if found is None:
            found = np.empty(self.count, dtype=object)
            found[:] = [_cell(row, at) for row in rows]
            self._columns[at] = found
        return found

    def text_column(self, at: int) -> np.ndarray | None:
        """Column `at` when every cell in it is text, as in any column of a text export (a
        KTL or camt reader's text columns too): what the kernels read; None otherwise."""
        found = self.column(at)
        if isinstance(self._rows, FrameRows):
            return found
        text = self._text.get(at)
        if text is None:
            text = self._text[at] = all(type(v) is str for v in found.tolist())
        return found if text else None

    def row(self, index: int) -> SourceRow:
        return self._rows[index]

    @cached_property
    def lines(self) -> np.ndarray:
        rows = self._rows
        if isinstance(rows, FrameRows):
            return rows.lines
        return np.fromiter((row.line for row in rows), np.int64, self.count)

    @cached_property
    def ragged(self) -> np.ndarray:
        """Rows with a cell beyond the header (an unquoted delimiter, most likely)."""
        width = len(self.table.headers)
        rows = self._rows
        if isinstance(rows, FrameRows):
            extra = np.zeros(self.count, dtype=bool)
            for at in range(width, rows.width):
                extra |= rows.column(at) != ""
            return extra
        return np.fromiter(
            (any(c not in (None, "") for c in row.cells[width:]) for row in rows),
            bool,
            self.count,
        )

    @cached_property
    def verdicts(self) -> dict[int, Verdict]:
        """What the reader decided of a row (a KTL correction, a camt return), by row."""
        if isinstance(self._rows, FrameRows):
            return {}
        return {i: row.verdict for i, row in enumerate(self._rows) if row.verdict is not None}

    @cached_property
    def remittances(self) -> dict[int, Remittance]:
        """camt's structured remittance, by row, where it says more than a reference."""
        if isinstance(self._rows, FrameRows):
            return {}
        return {i: row.remittance for i, row in enumerate(self._rows) if row.remittance is not None}


def _cell(row: SourceRow, at: int) -> CellValue:
    return row.cells[at] if at < len(row.cells) else None


@dataclass(frozen=True)
class Distinct:
    """A read of each distinct cell, and which one each row has: a question about the reads
    (is it a problem? which day?) is then asked once per distinct value, not once per row."""

    codes: np.ndarray  # each row's index into `values`
    values: np.ndarray  # the read of each distinct cell, in order of first appearance

    def per_row(self) -> np.ndarray:
        found: np.ndarray = self.values[self.codes]
        return found

    def where(self, test: Callable[[Any], bool]) -> np.ndarray:
        """Whether each row's read passes `test`."""
        passes = np.fromiter(map(test, self.values.tolist()), bool, len(self.values))
        found: np.ndarray = passes[self.codes]
        return found

    def mapped(self, to: Callable[[Any], Any], dtype: Any) -> np.ndarray:
        """`to` of each row's read, as an array of `dtype`."""
        each = np.fromiter(map(to, self.values.tolist()), dtype, len(self.values))
        found: np.ndarray = each[self.codes]
        return found


# Columns of one of these kinds only are told apart by value as they are: text, or a reader's
# dates (equal dates are one value, whatever object holds them).
_ONE_TYPE = frozenset({"string", "date"})


def distinct(cells: np.ndarray | None, read: Callable[[Any], Any]) -> Distinct:
    """`read` of each cell, called once per distinct value (values of other types than text
    are told apart by type and spelling: 12.5 and 12.50 stay two)."""
    if cells is None or not len(cells):
        return Distinct(np.empty(0, dtype=np.intp), np.empty(0, dtype=object))
    keys = cells
    kind = pd.api.types.infer_dtype(cells, skipna=False)  # told in C
    if kind == "decimal":  # a reader's amounts: 12.5 and 12.50 are equal, but not one spelling
        keys = np.array(list(map(str, cells.tolist())), dtype=object)
    elif kind not in _ONE_TYPE:
        keys = np.empty(len(cells), dtype=object)
        keys[:] = [v if type(v) is str else (type(v).__name__, str(v)) for v in cells.tolist()]
    codes, uniques = pd.factorize(keys)
    firsts = np.zeros(len(uniques), dtype=np.int64)
    firsts[codes[::-1]] = np.arange(len(codes))[::-1]
    values = np.empty(len(uniques), dtype=object)
    values[:] = [read(cells[i]) for i in firsts.tolist()]
    return Distinct(codes, values)


def each_distinct(cells: np.ndarray | None, read: Callable[[Any], Any]) -> np.ndarray:
    """`read` of each cell, called once per distinct value: one per row."""
    return distinct(cells, read).per_row()
