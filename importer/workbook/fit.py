"""How the Results and Needs attention sheets fit a screen and a page: each column as wide as
its content (capped), long texts wrapped in rows tall enough to show them, the header in bold
and wrapped, with a note where a column shows an API field, the raw request and answer folded
away, the header row frozen and printed on every page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from importer.workbook.cells import FORMULA_START, NARROW, Sheet, plain, safe_text

LINE = 15.0  # points: one line of the default 11-point font
MIN_WIDTH, MAX_WIDTH = 6, 40
MAX_LINES = 8  # a longer text is cut in the view, never in the cell
BOLD = 1.1
WIDE = 0.8  # width units per character: proportional type fits more than one a unit


class Fit:
    """The widths of one sheet's columns, and the wrapped ones' (position -> width)."""

    def __init__(self, widths: list[int], wrapped: Mapping[int, int]) -> None:
        self.widths = widths
        self.wrapped = dict(wrapped)

    def lines(self, texts: Iterable[tuple[int, Any]]) -> int:
        """How many lines the tallest of `texts` (position, value) takes in its column."""
        most = 1
        for at, value in texts:
            if isinstance(value, str) and len(value) * WIDE > self.wrapped[at]:
                most = max(most, _lines(value, self.wrapped[at]))
        return min(most, MAX_LINES)

    def row(self, sheet: Sheet, row: int, texts: Iterable[tuple[int, Any]]) -> None:
        """Make `row` tall enough for its wrapped texts; before any of its cells is written
        (constant_memory writes a row out once the next one is begun)."""
        lines = self.lines(texts)
        if lines > 1:
            sheet.worksheet.set_row(row, LINE * lines)


def fit(
    sheet: Sheet,
    header: Sequence[str],
    sample: Iterable[Sequence[Any]],
    *,
    wrap: Mapping[int, int],
    freeze: int,
    notes: Mapping[int, str] | None = None,
    folded: Sequence[int] = (),
    printed: tuple[int, int] | None = None,
) -> Fit:
    """Size, wrap and freeze the columns of `sheet` and write its header row.

    Widths come from the header's longest word and a sample of rows; the columns `wrap`
    (position -> cap) wrap their text at most that wide; `folded` is one outline group,
    collapsed (the + above the columns opens it); `notes` go on the header's cells."""
    widths = [_header_width(name) for name in header]
    for values in sample:
        for n, value in enumerate(values):
            if value is not None:
                widths[n] = max(widths[n], _width(value))
    workbook, worksheet = sheet.book.workbook, sheet.worksheet
    # A cell written without a format of its own wears its column's: at the top, so a row
    # made tall for a wrapped text reads from its first line, the text's own first line too.
    top = workbook.add_format({"valign": "top"})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    for n, width in enumerate(widths):
        widths[n] = max(MIN_WIDTH, min(width, wrap.get(n, MAX_WIDTH)))
        options = {"level": 1, "hidden": True} if n in folded else {}
        worksheet.set_column(n, n, widths[n], wrapped if n in wrap else top, options)
    if folded:
        worksheet.set_column(folded[-1] + 1, folded[-1] + 1, None, None, {"collapsed": True})
    found = Fit(widths, {n: widths[n] for n in wrap})
    looks = {"bold": True, "text_wrap": True, "valign": "top"}
    bold, quoted = workbook.add_format(looks), workbook.add_format(looks | {"quote_prefix": True})
    tall = max((_lines(name, widths[n], BOLD) for n, name in enumerate(header)), default=1)
    worksheet.set_row(sheet.rows, LINE * min(tall, 3))
    for n, name in enumerate(header):  # a bank's header is its text, never a formula
        if plain(name):
            worksheet.write_string(sheet.rows, n, name, bold)
        else:
            quote = name.startswith(FORMULA_START)
            worksheet.write_string(sheet.rows, n, safe_text(name), quoted if quote else bold)
    for n, text in (notes or {}).items():
        worksheet.write_comment(sheet.rows, n, text, {"x_scale": 1.6, "y_scale": 0.4})
    sheet.rows += 1
    worksheet.freeze_panes(sheet.rows, freeze)
    worksheet.set_landscape()
    worksheet.set_paper(9)  # A4
    worksheet.set_margins(**NARROW)
    if printed:  # rows, columns: ours, one page wide; the bank's own are for the screen
        worksheet.print_area(0, 0, printed[0], printed[1] - 1)
        worksheet.fit_to_pages(1, 0)
    worksheet.repeat_rows(0)
    if freeze:  # each printed page says which line and outcome its rows are
        worksheet.repeat_columns(0, freeze - 1)
    return found


def _width(value: Any) -> int:
    """The width a value needs: an amount with its thousands separators and euro sign, a
    whole number (a line, a statusid) as it is, a date as shown, a text in proportional
    type."""
    if isinstance(value, Decimal):
        digits = len(format(value, "f"))
        return digits + digits // 3 + 4
    if isinstance(value, int) and not isinstance(value, bool):
        return len(str(value)) + 2  # format(2, "f") would be 2.000000
    if isinstance(value, date):
        return 12
    return round(len(str(value)) * WIDE) + 2


def _header_width(name: str) -> int:
    """The narrowest width that shows a header on two lines at most, wrapped between words
    (bold type is wider than the cells')."""
    width = round(max(map(len, name.split()), default=0) * BOLD) + 2
    while _lines(name, width, BOLD) > 2:
        width += 1
    return width


def _lines(text: str, width: int, wide: float = WIDE) -> int:
    """The lines `text` wraps to in a column `width` wide, word by word, each character
    `wide` units."""
    total = 0
    room = max(width - 1, 1)
    for paragraph in text.split("\n"):
        lines, used = 1, 0
        for word in paragraph.split():
            size = round(len(word) * wide)
            if used and used + 1 + size > room:
                lines, used = lines + 1, size
            else:
                used += size + (1 if used else 0)
        total += lines
    return max(total, 1)
