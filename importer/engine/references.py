"""A column of Finnish references checked at once (for engine/fields.py): every invoice has its own
reference, so a month's export has about as many distinct references as rows.

Only the plain form is read here: an optional prefix (the profile's strip_prefix, such as
OP's "ref=", in any case), then digits only, 4 to 20 of them after leading zeros, with a right
7-3-1 check digit. parse_reference reads such a cell to its digits without leading zeros.
Anything else (an RF reference, spaces, a wrong check digit) is left to parse_reference.

Each plain reference also gets a number that equal references share (its digits modulo
2**64), so duplicates can be looked for without making a million strings.
"""

from __future__ import annotations

import numpy as np

CHUNK = 100_000  # cells per matrix
MIN_DIGITS, MAX_DIGITS = 4, 20
ROOM = MAX_DIGITS + 4  # digits a cell may hold here, leading zeros too; longer: parse_reference
# A digit's weight by the digits right of it: the check digit 1, then 7, 3, 1 leftwards.
_WEIGHTS = np.array([1] + [(7, 3, 1)[e % 3] for e in range(ROOM)], dtype=np.uint8)
_POWERS = np.array([pow(10, e, 2**64) for e in range(ROOM + 1)], dtype=np.uint64)
_ZERO = ord("0")


def plain_references(cells: np.ndarray, prefix: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Which cells hold a plain, valid Finnish reference, and each one's number (int64).

    `prefix` may start the cell in any case; it must be ASCII without digits.
    """
    if not readable_prefix(prefix):
        raise ValueError(f"prefix {prefix!r} cannot be told from the digits")
    valid = np.zeros(len(cells), dtype=bool)
    numbers = np.zeros(len(cells), dtype=np.int64)
    for start in range(0, len(cells), CHUNK):
        chunk = slice(start, start + CHUNK)
        valid[chunk], numbers[chunk] = _read(cells[chunk].tolist(), prefix or "")
    return valid, numbers


def readable_prefix(prefix: str | None) -> bool:
    """Whether plain_references can take `prefix`: none, or ASCII without digits."""
    return not prefix or (prefix.isascii() and not any(c.isdigit() for c in prefix))


def reference_number(identity: str) -> int:
    """A reference's number (int64) from its identity (duplicates.reference_identity): for
    digits, the one plain_references gives them; for anything else, its hash (an invoice
    number of thousands of digits too: plain_references never reads one, and int() of it
    is slow, then refused)."""
    if not (identity.isascii() and identity.isdigit()) or len(identity) > ROOM:
        return hash(identity)
    value = int(identity) % 2**64
    return value - 2**64 if value >= 2**63 else value


def _read(cells: list[str], prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """The cells as a matrix of bytes, a row each, read a column at a time."""
    if not "".join(cells).isascii():
        cells = [cell if cell.isascii() else "" for cell in cells]
    length = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    width = int(min(max(length.max(initial=1), len(prefix) + 1), len(prefix) + ROOM))
    matrix = np.array(cells, dtype=f"S{width}").view(np.uint8).reshape(len(cells), width)
    # numpy drops trailing NULs and cuts what is too long: such cells are not plain.
    fits = (length <= width) & ((matrix != 0).sum(axis=1) == length)
    prefixed = length > len(prefix) if prefix else np.zeros(len(cells), dtype=bool)
    for k, char in enumerate(prefix):
        prefixed &= np.isin(matrix[:, k], [ord(char.lower()), ord(char.upper())])
    first = np.where(prefixed, len(prefix), 0)
    column = np.arange(width, dtype=np.int16)
    inside = (column >= first[:, None]) & (column < length[:, None])  # the digits' place
    digit = matrix - np.uint8(_ZERO)  # anything but a digit wraps above 9
    shaped = fits & ~(inside & (digit > 9)).any(axis=1) & (length - first >= MIN_DIGITS)
    digit *= inside & shaped[:, None]
    nonzero = digit != 0
    kept = np.where(nonzero.any(axis=1), length - nonzero.argmax(axis=1), 0)
    # Each digit's place from the right, as an index into tables that are 0 outside the cell.
    right = (np.minimum(length, width).astype(np.int16) - 1)[:, None] - column + np.int16(width)
    total = (digit * _table(_WEIGHTS, width)[right]).sum(axis=1, dtype=np.int32)
    valid = shaped & (kept >= MIN_DIGITS) & (kept <= MAX_DIGITS) & (total % 10 == 0)
    worth = digit * _table(_POWERS, width)[right]  # wraps, exactly, modulo 2**64
    numbers = np.where(valid, worth.sum(axis=1, dtype=np.uint64), 0).view(np.int64)
    return valid, numbers


def _table(values: np.ndarray, width: int) -> np.ndarray:
    """`values` placed to be read at index width + place, with 0 at every other index."""
    table = np.zeros(2 * width + 1, dtype=values.dtype)
    table[width : width + min(len(values), width + 1)] = values[: width + 1]
    return table
