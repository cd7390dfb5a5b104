"""Cells for a streamed (write-only) workbook: bank text as inert text, money in euros, dates.

Text from the bank is data, never a formula (OWASP CSV injection, reliability.md 4.1). A string
cell is forced to text, so openpyxl cannot store "=..." as a formula; text that a spreadsheet
could still read as one when edited or saved as CSV (it starts with = + - @ tab CR LF) also
gets Excel's quote prefix. Characters a workbook cannot hold (control characters) become
U+FFFD rather than stopping the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES  # text openpyxl would store as an error cell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.hyperlink import Hyperlink

from importer.models import Outcome

EURO_FORMAT = '#,##0.00\\ "€"'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_TEXT = 32_767  # an Excel cell holds no more
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML 1.0 forbids them (as openpyxl)
# Light fills in the spirit of Excel's own "good", "bad" and "neutral" styles.
FILLS = {
    Outcome.POSTED: PatternFill("solid", fgColor="C6EFCE"),
    Outcome.REJECTED: PatternFill("solid", fgColor="FFC7CE"),
    Outcome.INVALID: PatternFill("solid", fgColor="FFEB9C"),
    Outcome.SKIPPED: PatternFill("solid", fgColor="EDEDED"),
    Outcome.UNKNOWN: PatternFill("solid", fgColor="F8CBAD"),
}
BOLD = Font(bold=True)


def safe_text(value: str) -> str:
    """The text a workbook can hold: control characters replaced, line ends as LF (XML reads
    CR LF back as LF anyway), at most MAX_TEXT long."""
    return ILLEGAL.sub("\ufffd", value).replace("\r\n", "\n").replace("\r", "\n")[:MAX_TEXT]


class Cells:
    """Makes the cells of one write-only sheet."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet

    def text(self, value: str, *, bold: bool = False, fill: PatternFill | None = None) -> Any:
        cell = WriteOnlyCell(self.sheet, value=safe_text(value))
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
        if bold:
            cell.font = BOLD
        if fill is not None:
            cell.fill = fill
        return cell

    def money(self, value: Decimal | None, *, bold: bool = False) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(self.sheet, value=value)
        cell.number_format = EURO_FORMAT
        if bold:
            cell.font = BOLD
        return cell

    def link(self, text: str, sheet: str) -> Any:
        """A link to the top of another sheet of this workbook."""
        cell = WriteOnlyCell(self.sheet, value=safe_text(text))
        cell.hyperlink = Hyperlink(ref="", location=f"'{sheet}'!A1", display=text)
        cell.font = Font(color="0563C1", underline="single")
        return cell


class Columns:
    """Cells for a sheet of many rows, made cheaply.

    Plain text and numbers go to openpyxl as they are. A cell that needs a style (a fill, a
    number format, a quote prefix) reuses one styled cell per column and style: a write-only
    sheet writes each row before the next one is made, so setting a new value is enough, and
    the style is looked up once instead of once per cell.
    """

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        self._styled: dict[tuple[int, str, str | None, bool], StyledCell] = {}
        if hasattr(sheet, "_values_to_row"):  # openpyxl 3.1's hook; without it, its own way
            sheet._values_to_row = partial(_values_to_row, sheet)

    def cell(self, column: int, value: Any, *, money: bool = False, fill: str | None = None) -> Any:
        """The cell for `value` in `column`; `fill` names an Outcome whose colour it gets."""
        if isinstance(value, str):
            if fill is None and plain(value):
                return value or None  # openpyxl writes it as text; an empty one, not at all
            quote = value.startswith(FORMULA_START)
            return self._style(column, "text", fill, quote).holding(safe_text(value), "s")
        if isinstance(value, bool):
            return self.cell(column, "yes" if value else "no", fill=fill)
        if isinstance(value, datetime):
            value, kind = value.replace(tzinfo=None), "datetime"
        elif isinstance(value, date):
            kind = "date"
        elif isinstance(value, Decimal) and money:
            kind = "money"
        elif value is None or isinstance(value, (int, Decimal)):
            if fill is None:
                return value
            kind = "plain"
        else:
            return self.cell(column, str(value), fill=fill)  # whatever else an answer holds
        return self._style(column, kind, fill, False).holding(value, _TYPES[kind])

    def _style(self, column: int, kind: str, fill: str | None, quote: bool) -> StyledCell:
        key = (column, kind, fill, quote)
        cell = self._styled.get(key)
        if cell is None:
            cell = StyledCell(self.sheet, row=1, column=1)
            cell.number_format = _FORMATS.get(kind, "General")
            if fill is not None:
                cell.fill = FILLS[Outcome(fill)]
            cell.quotePrefix = quote
            cell.settle_style()
            self._styled[key] = cell
        return cell


class StyledCell(Cell):  # type: ignore[misc]  # openpyxl has no type information
    """A write-only cell whose style is fixed once it is made: its style id is looked up
    then, not for every value it writes, and its values are set knowing their type."""

    def __repr__(self) -> str:
        # openpyxl tries each appended value as a plain value first and formats the refusal
        # with repr: a constant keeps that from costing a coordinate per styled cell.
        return "<StyledCell>"

    def settle_style(self) -> None:
        self._style_id: int = self.parent.parent._cell_styles.add(self._style)

    @property
    def style_id(self) -> int:
        return self._style_id

    def holding(self, value: Any, data_type: str) -> StyledCell:
        """This cell with `value` (already text safe for a sheet, a number or a date)."""
        self._value, self.data_type = value, data_type
        return self


def _values_to_row(sheet: WriteOnlyWorksheet, values: Iterable[Any], row: int) -> Iterator[Any]:
    """openpyxl's conversion of an appended row to cells, except that a StyledCell goes
    through as it is: openpyxl tries every value as a plain one first, and a styled cell
    costs it a raised and caught exception each time (8% of a big workbook's time)."""
    cell = WriteOnlyCell(sheet)
    for column, value in enumerate(values, 1):
        if value is None:
            continue
        if isinstance(value, StyledCell):
            value.column, value.row = column, row
            yield value
            continue
        try:
            cell.value = value
        except ValueError:
            if not isinstance(value, Cell):
                raise
            cell = value
        cell.column, cell.row = column, row
        if cell.hyperlink is not None:
            cell.hyperlink.ref = cell.coordinate
        yield cell
        if cell.has_style or cell.hyperlink:
            cell = WriteOnlyCell(sheet)


_FORMATS = {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT, "money": EURO_FORMAT}
_TYPES = {"date": "d", "datetime": "d", "money": "n", "plain": "n"}
# Text openpyxl would not store as it is: a formula start, a character XML cannot hold, a CR.
_UNPLAIN = re.compile(f"^[{re.escape(''.join(FORMULA_START))}]|{ILLEGAL.pattern}|\r")


def plain(value: str) -> bool:
    """Text openpyxl stores as it is: nothing a spreadsheet would read as a formula or error,
    no character a workbook cannot hold."""
    return _UNPLAIN.search(value) is None and value not in ERROR_CODES and len(value) <= MAX_TEXT


def fit_to_width(sheet: WriteOnlyWorksheet) -> None:
    """Print (or export to PDF) landscape, all columns on the width of one page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
