"""Cells of the result workbook, written with XlsxWriter: bank text as inert text, money in
euros, dates as dates.

Text from the bank is data, never a formula (OWASP CSV injection, reliability.md 4.1). Every
text goes in through `write_string`, which stores text and nothing else, whatever it starts
with; text that a spreadsheet could still read as a formula when edited or saved as CSV (it
starts with = + - @ tab CR LF) also gets Excel's quote prefix. Characters a workbook cannot hold
(control characters) become U+FFFD rather than stopping the run.

Only XlsxWriter's public API is used here: a new XlsxWriter can change its insides without
making the workbook wrong or slow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from importer.i18n import Lang
from importer.models import Outcome

if TYPE_CHECKING:  # imported where a workbook is written: a command that writes none skips it
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

EURO_FORMAT = '#,##0.00\\ "€"'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# A number format in a workbook in Finnish or Swedish: the language's tag (Excel's LCID), so a
# spreadsheet shows 1 234,56 € whatever its own settings, and dates as 2.11.2026.
LOCALE_TAGS: dict[Lang, str] = {"en": "", "fi": "[$-40B]", "sv": "[$-81D]"}
LOCAL_DATES: dict[Lang, dict[str, str]] = {
    "en": {},
    "fi": {DATE_FORMAT: "d.m.yyyy", DATETIME_FORMAT: "d.m.yyyy hh:mm"},
    "sv": {DATE_FORMAT: "d.m.yyyy", DATETIME_FORMAT: "d.m.yyyy hh:mm"},
}
NOTE_COLOUR = "#808080"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_TEXT = 32_767  # an Excel cell holds no more
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML 1.0 forbids them
# Light fills in the spirit of Excel's own "good", "bad" and "neutral" styles.
FILLS = {
    Outcome.POSTED: "#C6EFCE",
    Outcome.REJECTED: "#FFC7CE",
    Outcome.INVALID: "#FFEB9C",
    Outcome.SKIPPED: "#EDEDED",
    Outcome.UNKNOWN: "#F8CBAD",
}
LINK_COLOUR = "#0563C1"
# Excel's "Narrow" margins, in inches: a sheet fitted to the page's width prints larger.
NARROW = {"left": 0.25, "right": 0.25, "top": 0.75, "bottom": 0.75}
# Workbook options: no written text is ever turned into a formula, a link or a number, even if
# a later change wrote one with the generic `write`.
OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def safe_text(value: str) -> str:
    """The text a workbook can hold: control characters replaced, line ends as LF (XML reads
    CR LF back as LF anyway), at most MAX_TEXT long."""
    return ILLEGAL.sub("\ufffd", value).replace("\r\n", "\n").replace("\r", "\n")[:MAX_TEXT]


# Text not stored as it is: a formula start, a character XML cannot hold, a CR.
_UNPLAIN = re.compile(f"^[{re.escape(''.join(FORMULA_START))}]|{ILLEGAL.pattern}|\r")


def plain(value: str) -> bool:
    """Text written as it is: nothing a spreadsheet would read as a formula, no character a
    workbook cannot hold, not too long."""
    return _UNPLAIN.search(value) is None and len(value) <= MAX_TEXT


@dataclass(frozen=True)
class Style:
    """How a cell looks. Each distinct style becomes one XlsxWriter format, made once."""

    bold: bool = False
    size: int | None = None
    fill: str | None = None  # "#RRGGBB"
    number: str | None = None  # a number format
    quote: bool = False  # Excel's quote prefix: shown and edited as text
    link: bool = False  # the blue, underlined look of a link
    colour: str | None = None  # of the font, "#RRGGBB"
    wrap: bool = False  # long text on several lines
    align: str | None = None  # "left", "right"
    indent: int = 0  # a step in from the left: text beside a number

    def properties(self) -> dict[str, Any]:
        # At the top, every cell: a row made tall for a wrapped text reads as one line.
        found: dict[str, Any] = {"valign": "top"}
        if self.bold:
            found["bold"] = True
        if self.size:
            found["font_size"] = self.size
        if self.fill:
            found |= {"pattern": 1, "bg_color": self.fill}
        if self.number:
            found["num_format"] = self.number
        if self.quote:
            found["quote_prefix"] = True
        if self.link:
            found |= {"font_color": LINK_COLOUR, "underline": 1}
        if self.colour:
            found["font_color"] = self.colour
        if self.wrap:
            found["text_wrap"] = True
        if self.align:
            found["align"] = self.align
        if self.indent:
            # An indent counts only with a side to step in from (XlsxWriter picks one only
            # while the cell is not aligned to the top).
            found |= {"indent": self.indent, "align": self.align or "left"}
        return found


PLAIN = Style()
BOLD = Style(bold=True)
NOTE = Style(size=8, colour=NOTE_COLOUR)  # small print: the API's own name of a thing


@dataclass(frozen=True)
class Styled:
    """A cell for Sheet.append: `value` wearing `style`; with `link`, a link to the top of
    the sheet so named; with `note`, small grey print after the text; spread over `span`
    columns (merged) when more than one."""

    value: Any
    style: Style = PLAIN
    link: str | None = None
    note: str | None = None
    span: int = 1


def text(
    value: str, *, bold: bool = False, fill: Outcome | None = None, note: str | None = None
) -> Styled:
    return Styled(value, Style(bold=bold, fill=FILLS[fill] if fill else None), note=note)


def money(value: Decimal | None, number: str = EURO_FORMAT) -> Styled | None:
    return None if value is None else Styled(value, Style(number=number))


def link(value: str, sheet: str) -> Styled:
    return Styled(value, Style(link=True), link=sheet)


class Book:
    """An XlsxWriter workbook and the formats its cells wear, each made once."""

    def __init__(self, workbook: Workbook, lang: Lang = "en") -> None:
        self.workbook = workbook
        self.lang = lang
        self._formats: dict[Style, Format | None] = {PLAIN: None}

    def format(self, style: Style) -> Format | None:
        """The format of `style`, its number format in the book's language."""
        if style not in self._formats:
            local = style
            if style.number:
                number = LOCAL_DATES[self.lang].get(style.number, style.number)
                local = replace(style, number=LOCALE_TAGS[self.lang] + number)
            self._formats[style] = self.workbook.add_format(local.properties())
        return self._formats[style]

    def sheet(self, name: str) -> Sheet:
        return Sheet(self, self.workbook.add_worksheet(name))


class Sheet:
    """One worksheet, written row by row: in constant_memory mode a row is on disk as soon
    as a later one is begun, so rows go in order and each only once."""

    def __init__(self, book: Book, worksheet: Worksheet) -> None:
        self.book = book
        self.worksheet = worksheet
        self.rows = 0  # rows written so far, so also the index of the next one
        self._kinds: dict[tuple[str, Outcome | None, bool], Format | None] = {}

    def append(self, *cells: Any) -> None:
        """The next row: each cell a value (as `put` writes it), a Styled one, or None."""
        row = self.rows
        for column, cell in enumerate(cells):
            if isinstance(cell, Styled):
                self._styled(row, column, cell)
            elif cell is not None:
                self.put(row, column, cell)
        self.rows += 1

    def put(
        self,
        row: int,
        column: int,
        value: Any,
        *,
        money: bool = False,
        fill: Outcome | None = None,
    ) -> None:
        """Write `value` by its type: text as text, a date as a date, a Decimal as money when
        `money`, other numbers as numbers, yes/no for a truth; `fill` colours it by outcome."""
        sheet = self.worksheet
        if isinstance(value, str):
            if not value:  # an empty text is no cell at all, as an empty cell in a spreadsheet
                if fill is not None:
                    sheet.write_blank(row, column, None, self.format("text", fill))
                return
            if plain(value):
                sheet.write_string(row, column, value, self.format("text", fill))
            else:
                quote = value.startswith(FORMULA_START)
                sheet.write_string(row, column, safe_text(value), self.format("text", fill, quote))
        elif isinstance(value, bool):
            self.put(row, column, "yes" if value else "no", fill=fill)
        elif isinstance(value, datetime):
            # A naive datetime, as every spreadsheet holds them: the wall time the run saw.
            naive = value.replace(tzinfo=None)
            sheet.write_datetime(row, column, naive, self.format("datetime", fill))
        elif isinstance(value, date):
            sheet.write_datetime(row, column, value, self.format("date", fill))
        elif isinstance(value, Decimal) and not value.is_finite():
            self.put(row, column, str(value), fill=fill)  # a spreadsheet has no NaN
        elif isinstance(value, int | Decimal):
            kind = "money" if money and isinstance(value, Decimal) else "plain"
            sheet.write_number(row, column, value, self.format(kind, fill))
        elif value is None:
            if fill is not None:
                sheet.write_blank(row, column, None, self.format("plain", fill))
        else:
            self.put(row, column, str(value), fill=fill)  # whatever else an answer holds

    def format(self, kind: str, fill: Outcome | None = None, quote: bool = False) -> Format | None:
        """The format of a cell of `kind` (text, plain, money, date, datetime): its number
        format, the fill of the outcome `fill`, and Excel's quote prefix when `quote`."""
        key = (kind, fill, quote)
        if key not in self._kinds:
            colour = FILLS[fill] if fill is not None else None
            style = Style(fill=colour, number=_FORMATS.get(kind), quote=quote)
            self._kinds[key] = self.book.format(style)
        return self._kinds[key]

    def _styled(self, row: int, column: int, cell: Styled) -> None:
        value, style = cell.value, cell.style
        if isinstance(value, str):
            style = replace(style, quote=value.startswith(FORMULA_START))
            value = safe_text(value)
        elif isinstance(value, datetime):
            style = replace(style, number=style.number or DATETIME_FORMAT)
            value = value.replace(tzinfo=None)  # the wall time the run saw, as put writes it
        elif isinstance(value, date):
            style = replace(style, number=style.number or DATE_FORMAT)
        form = self.book.format(style)
        sheet = self.worksheet
        if cell.span > 1:  # the value goes in after: merge_range's own write guesses types
            sheet.merge_range(row, column, row, column + cell.span - 1, "", form)
        if cell.link is not None:
            sheet.write_url(row, column, f"internal:'{cell.link}'!A1", form, string=value)
        elif isinstance(value, str) and cell.note:
            parts = [value, self.book.format(NOTE), safe_text(cell.note)]
            sheet.write_rich_string(row, column, *parts, *([form] if form else []))
        elif isinstance(value, str):
            sheet.write_string(row, column, value, form)
        elif isinstance(value, date):
            sheet.write_datetime(row, column, value, form)
        elif isinstance(value, Decimal | int) and not isinstance(value, bool):
            sheet.write_number(row, column, value, form)
        else:
            raise TypeError(f"no styled cell for {value!r}")  # a programming error

    def fit_to_width(self) -> None:
        """Print (or export to PDF) landscape, all columns on the width of one page."""
        self.worksheet.set_landscape()
        self.worksheet.set_margins(**NARROW)
        self.worksheet.fit_to_pages(1, 0)


_FORMATS = {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT, "money": EURO_FORMAT}
