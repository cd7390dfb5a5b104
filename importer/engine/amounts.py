"""The amount column: exact integer cents, and the few amounts cents cannot hold as read.

The plain form ("-1234,56", "+12.50") is read a column at a time by the kernel (cents.py);
every other cell by parse_amount (a spreadsheet's number by checked_size), once per distinct
value. Integers and Decimals all the way, never float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from importer.amounts import checked_size, parse_amount
from importer.engine.cells import each_distinct
from importer.engine.cents import plain_cents
from importer.errors import FieldError
from importer.mapping import clean, plain
from importer.models import CellValue, Problem

if TYPE_CHECKING:
    from importer.engine.fields import Fields


@dataclass
class Amounts:
    """The amount column: exact integer cents where `has`, and the few that cents cannot
    hold as read (more decimals, or a spelling such as 12.5 kept as written) in `exact`."""

    has: np.ndarray  # bool: an amount was read
    cents: np.ndarray  # int64 signed cents, where `has` and not in `exact`
    exact: dict[int, Decimal] = field(default_factory=dict)
    problems: dict[int, Problem] = field(default_factory=dict)

    def value(self, index: int) -> Decimal | None:
        found = self.exact.get(index)
        if found is not None:
            return found
        return Decimal(int(self.cents[index])).scaleb(-2) if self.has[index] else None

    def sign(self) -> np.ndarray:
        signs: np.ndarray = np.sign(self.cents).astype(np.int8)
        for index, value in self.exact.items():
            signs[index] = 1 if value > 0 else -1 if value < 0 else 0
        return signs

    def total(self, mask: np.ndarray) -> Decimal:
        """The exact sum of the amounts of the rows in `mask` (unread ones count 0)."""
        chosen = self.cents[mask & self.has]
        if not len(chosen) or int(np.abs(chosen).max()) * len(chosen) < 2**62:
            total = Decimal(int(chosen.sum()))
        else:
            total = Decimal(sum(chosen.tolist()))
        total = total.scaleb(-2)
        for index, value in self.exact.items():
            if mask[index]:
                total += value - Decimal(int(self.cents[index])).scaleb(-2)
        return total


def read_amounts(fields: Fields) -> Amounts:
    """The amount column: the kernel reads the plain form, the parser the rest, once per
    distinct value; a debit mark (a direction column) makes an amount outgoing."""
    raw = fields.raw("amount")
    count = fields.count
    found = Amounts(np.zeros(count, dtype=bool), np.zeros(count, dtype=np.int64))
    if raw is None:
        return found
    rest = np.arange(count)
    quick = _quick(fields, raw)
    if quick is not None:
        found.has, found.cents = quick
        rest = np.flatnonzero(~found.has)
    read = each_distinct(raw[rest], lambda v: _amount(fields, v))
    for index, value in zip(rest.tolist(), read.tolist(), strict=True):
        if isinstance(value, Problem):
            found.problems[index] = value
            continue
        found.has[index] = True
        cents = value.scaleb(2)
        if cents == cents.to_integral_value() and abs(cents) < 2**62:
            found.cents[index] = int(cents)
            # Its cents say it all when it is written with two decimals, as KTL and camt
            # write every amount (not -0.00); another spelling (12.5, 1E+2) is kept as well.
            if value.as_tuple().exponent == -2 and (value or not value.is_signed()):
                continue
        found.exact[index] = value
    _debit(fields, found)
    return found


def _quick(fields: Fields, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    option = fields.profile.option("amount")
    if (
        not fields.kernels
        or fields.text_column("amount") is None
        or option.strip_prefix
        or set(option.strip) & set("0123456789.,-+")
    ):
        return None
    readable, cents = plain_cents(raw, fields.columns.decimal_mark)
    if fields.profile.empty:
        readable &= ~np.isin(raw, list(fields.profile.empty))
    return readable, np.where(readable, cents, 0)


def _amount(fields: Fields, raw: CellValue) -> Decimal | Problem:
    try:
        if isinstance(raw, Decimal):  # a spreadsheet's number, or a camt amount
            return checked_size(raw)
        text = "" if raw is None else clean(raw, fields.profile, "amount")
        thousands = fields.profile.option("amount").thousands
        return parse_amount(text, fields.columns.decimal_mark, thousands)
    except FieldError as error:
        name = fields.columns.names["amount"]
        return Problem("amount", name, raw, error.code, error.message)


def _debit(fields: Fields, found: Amounts) -> None:
    """Where the export marks direction in a column of its own, debits are outgoing."""
    direction, at = fields.profile.direction, fields.columns.direction
    if direction is None or at is None:
        return
    marks = set(direction.debit)
    debit = each_distinct(fields.cells.column(at), lambda v: plain(v).strip() in marks)
    debit = debit.astype(bool) & found.has
    found.cents[debit] = -np.abs(found.cents[debit])
    for index in list(found.exact):
        if debit[index]:
            found.exact[index] = -abs(found.exact[index])
