"""A column of Finnish references checked at once (for bulk.py): every invoice has its own
reference, so a month's export has about as many distinct references as rows.

Only the plain form is read here: an optional prefix (the profile's strip_prefix, such as
OP's "ref="), then digits only, 4 to 20 of them after leading zeros, with a right 7-3-1 check
digit. parse_reference reads such a cell to the same reference: its digits without leading
zeros. Anything else (an RF reference, spaces, a wrong check digit) is left to parse_reference,
once per distinct value.
"""

from __future__ import annotations

import operator
import re

import numpy as np

CHUNK = 100_000  # cells per buffer
MIN_DIGITS, MAX_DIGITS = 4, 20
_WEIGHTS = np.array([7, 3, 1], dtype=np.int64)  # from the digit before the check digit leftwards
_LF, _ZERO = (ord(c) for c in "\n0")


def plain_references(cells: np.ndarray, prefix: str | None) -> np.ndarray:
    """The reference each plain cell holds (digits without leading zeros), "" elsewhere.

    `prefix` is removed from the start whatever its case; it must be ASCII without digits.
    """
    if prefix and (not prefix.isascii() or any(c.isdigit() for c in prefix)):
        raise ValueError(f"prefix {prefix!r} cannot be told from the digits")
    head = f"(?:{re.escape(prefix)})?" if prefix else ""
    pattern = re.compile(rf"{head}[0-9]{{{MIN_DIGITS},60}}", re.IGNORECASE | re.ASCII)
    matched = np.flatnonzero(
        np.fromiter(map(bool, map(pattern.fullmatch, cells)), bool, len(cells))
    )
    # A matched cell is the prefix (in any case) and digits: stripping the prefix's letters
    # and zeros from the left leaves the digits from the first that is not zero.
    strip = operator.methodcaller("lstrip", f"{(prefix or '').lower()}{(prefix or '').upper()}0")
    found = np.full(len(cells), "", dtype=object)
    for start in range(0, len(matched), CHUNK):
        rows = matched[start : start + CHUNK]
        digits = np.array(list(map(strip, cells[rows].tolist())), dtype=object)
        found[rows] = np.where(_valid(digits), digits, "")
    return found


def _valid(digits: np.ndarray) -> np.ndarray:
    """Which strings of digits (no leading zero) are Finnish references: 4 to 20 digits, the
    last one the 7-3-1 check digit of the others."""
    text = "\n".join(digits.tolist()).encode("ascii")
    if not text.strip(b"\n"):
        return np.zeros(len(digits), dtype=bool)
    buf = np.frombuffer(text, dtype=np.uint8)
    ends = np.concatenate([np.flatnonzero(buf == _LF), [len(buf)]])
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts
    cell_of = np.repeat(np.arange(len(starts)), lengths + 1)[: len(buf)]
    after = ends[cell_of] - 1 - np.arange(len(buf))  # digits right of each one
    weighted = np.where((buf != _LF) & (after > 0), (buf - _ZERO) * _WEIGHTS[(after - 1) % 3], 0)
    summed = np.concatenate([[0], np.cumsum(weighted, dtype=np.int64)])
    check = (10 - (summed[ends] - summed[starts]) % 10) % 10
    last = buf[np.maximum(ends - 1, 0)].astype(np.int64) - _ZERO
    valid: np.ndarray = (lengths >= MIN_DIGITS) & (lengths <= MAX_DIGITS) & (check == last)
    return valid
