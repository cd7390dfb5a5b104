"""A column of amounts -> exact integer cents, a column at a time (for bulk.py).

Only the plain form is read here: an optional sign, 1 to 15 digits, the decimal mark and two
digits ("-1234,56", "+12.50"), which parse_amount reads to the same value. Anything else
(grouping, a trailing minus, one decimal, a blank) is left to parse_amount, one cell at a time.

The cells are joined into one ASCII buffer and read with numpy: each digit is worth 10 to the
power of the digits after it in its cell, and a cell's cents are the sum of its digits' worth.
Integers all the way, never float.
"""

from __future__ import annotations

import numpy as np

CHUNK = 100_000  # cells per buffer: a few megabytes of temporaries, whatever the file size
MAX_WHOLE_DIGITS = 15
_POWERS = np.array([10**e for e in range(MAX_WHOLE_DIGITS + 3)], dtype=np.int64)
_LF, _PLUS, _MINUS, _ZERO, _NINE = (ord(c) for c in "\n+-09")


def plain_cents(cells: np.ndarray, mark: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Which cells are plainly written amounts, and their signed cents (0 elsewhere).

    `mark` is the decimal mark, or None for either. The cells hold no line break.
    """
    readable = np.zeros(len(cells), dtype=bool)
    cents = np.zeros(len(cells), dtype=np.int64)
    for start in range(0, len(cells), CHUNK):
        chunk = slice(start, start + CHUNK)
        readable[chunk], cents[chunk] = _read(cells[chunk], mark)
    return readable, cents


def _read(cells: np.ndarray, mark: str | None) -> tuple[np.ndarray, np.ndarray]:
    text = "\n".join(cells).encode("ascii", errors="replace")  # one byte per character
    if not text.strip(b"\n"):
        return np.zeros(len(cells), dtype=bool), np.zeros(len(cells), dtype=np.int64)
    buf = np.frombuffer(text, dtype=np.uint8)
    breaks = np.flatnonzero(buf == _LF)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(buf)]])
    lengths = ends - starts
    first = buf[np.minimum(starts, len(buf) - 1)]
    signed = (lengths > 0) & ((first == _PLUS) | (first == _MINUS))
    sign = signed.astype(np.int64)
    fits = (lengths >= 4 + sign) & (lengths <= MAX_WHOLE_DIGITS + 3 + sign)
    digit = (buf >= _ZERO) & (buf <= _NINE)
    marks = (buf == ord(mark)) if mark else ((buf == ord(",")) | (buf == ord(".")))
    # Every character but the sign and the mark third from the end is a digit.
    digits_before = np.concatenate([[0], np.cumsum(digit, dtype=np.int64)])
    digits = digits_before[ends] - digits_before[starts]
    readable = fits & marks[np.where(fits, ends - 3, 0)] & (digits == lengths - 1 - sign)
    # Each digit's worth: 10 ** (digits after it in its cell); the mark is not a digit.
    cell_of = np.repeat(np.arange(len(starts)), lengths + 1)[: len(buf)]
    after = digits_before[ends][cell_of] - digits_before[1:]
    counted = digit & readable[cell_of]
    worth = np.where(counted, (buf - _ZERO) * _POWERS[np.minimum(after, 17)], 0)
    summed = np.concatenate([[0], np.cumsum(worth, dtype=np.int64)])  # wraps, exactly, mod 2**64
    cents = np.where(readable, summed[ends] - summed[starts], 0)
    return readable, np.where(readable & signed & (first == _MINUS), -cents, cents)
