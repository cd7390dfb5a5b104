"""A column of amounts -> exact integer cents, a column at a time (for engine/fields.py).

Only the plain form is read here: an optional sign, 1 to 15 digits, the decimal mark and two
digits ("-1234,56", "+12.50"), which parse_amount reads to the same value. Anything else
(grouping, a trailing minus, one decimal, a blank) is left to parse_amount, one cell at a time,
and so is an amount beyond amounts.MAX_AMOUNT, which parse_amount refuses.

The cells become a matrix of bytes, a row each, read with numpy: each digit is worth 10 to the
power of the digits after it in its cell, and a cell's cents are the sum of its digits' worth.
Integers all the way, never float.
"""

from __future__ import annotations

import numpy as np

from importer.amounts import MAX_CENTS

CHUNK = 100_000  # cells per matrix: a few megabytes of temporaries, whatever the file size
MAX_WHOLE_DIGITS = 15
_POWERS = np.array([10**e for e in range(MAX_WHOLE_DIGITS + 3)], dtype=np.int64)
_PLUS, _MINUS, _ZERO = (ord(c) for c in "+-0")


def plain_cents(cells: np.ndarray, mark: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Which cells are plainly written amounts, and their signed cents (0 elsewhere).

    `mark` is the decimal mark, or None for either.
    """
    readable = np.zeros(len(cells), dtype=bool)
    cents = np.zeros(len(cells), dtype=np.int64)
    for start in range(0, len(cells), CHUNK):
        chunk = slice(start, start + CHUNK)
        readable[chunk], cents[chunk] = _read(cells[chunk], mark)
    return readable, cents


def _read(cells: np.ndarray, mark: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The cells as a matrix of bytes, a row each, read a column at a time."""
    texts: list[str] = cells.tolist()
    if not "".join(texts).isascii():
        texts = [text if text.isascii() else "" for text in texts]
    count = len(texts)
    length = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    short = np.minimum(length, 127).astype(np.int16)  # small integers make small matrices
    width = int(min(max(length.max(initial=1), 4), MAX_WHOLE_DIGITS + 4))
    matrix = np.array(texts, dtype=f"S{width}").view(np.uint8).reshape(count, width)
    # numpy drops trailing NULs and cuts what is too long: such cells are not plain.
    fits = (length <= width) & ((matrix != 0).sum(axis=1) == length)
    signed = np.isin(matrix[:, 0], [_PLUS, _MINUS])
    sign = signed.astype(np.int16)
    whole = length - 3 - sign  # digits before the mark
    fits &= (whole >= 1) & (whole <= MAX_WHOLE_DIGITS)
    mark_at = np.clip(short - 3, 0, width - 1).astype(np.int16)
    marks = [ord(mark)] if mark else [ord(","), ord(".")]
    column = np.arange(width, dtype=np.int16)
    inside = (column >= sign[:, None]) & (column < short[:, None])
    inside &= column != mark_at[:, None]  # the digits' places
    digit = matrix - np.uint8(_ZERO)  # anything but a digit wraps above 9
    readable = fits & np.isin(matrix[np.arange(count), mark_at], marks)
    readable &= ~(inside & (digit > 9)).any(axis=1)
    digit *= inside & readable[:, None]
    # Each digit's place from the right, the mark not counted, as an index into a table of
    # powers of ten that is 0 outside the cell.
    right = (np.minimum(short, width) - 1 + width)[:, None] - column
    right -= column < mark_at[:, None]
    cents = (digit * _powers(width)[right]).sum(axis=1, dtype=np.int64)
    readable &= cents <= MAX_CENTS  # larger ones, which parse_amount refuses, are left to it
    negative = readable & (matrix[:, 0] == _MINUS)
    return readable, np.where(negative, -cents, cents)


def _powers(width: int) -> np.ndarray:
    table = np.zeros(2 * width + 1, dtype=np.int64)
    places = min(len(_POWERS), width + 1)
    table[width : width + places] = _POWERS[:places]
    return table
