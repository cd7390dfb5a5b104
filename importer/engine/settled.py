"""Rows ended the same way every time, held as a kind and an amount, not a RowResult each.

A month's export of a million rows is mostly plain incoming payments (in a dry run: would be
sent) and outgoing ones (skipped). Each is a RowResult only when someone reads it (the
workbook), put together from the engine's columns: nothing is read or judged again.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from importer.engine.fields import Fields
from importer.engine.payment import plain
from importer.models import Outcome, RowResult
from importer.problems import DRY_RUN, OUTGOING
from importer.said import say
from importer.validation import Valid, would_send

NONE, SENDABLE, OUTGOING_KIND = 0, 1, 2
OUTGOING_TEXT = say("outgoing payment: not a payment to register")


class Settled:
    """Each row's kind (NONE: its RowResult is held one by one), and the plain rows' cents."""

    def __init__(self, fields: Fields, kinds: np.ndarray) -> None:
        self.fields, self.kinds = fields, kinds

    def mask(self) -> np.ndarray:
        held: np.ndarray = self.kinds != NONE
        return held

    def take(self, index: int) -> Valid:
        """A sendable row's payment; from now on the row is held one by one."""
        self.kinds[index] = NONE
        return plain(self.fields, index)

    def result(self, index: int) -> RowResult:
        kind = self.kinds[index]
        if kind == SENDABLE:
            return would_send(plain(self.fields, index))
        if kind == OUTGOING_KIND:
            row = self.fields.cells.row(index)
            amount = self.fields.amounts.value(index)
            return RowResult(row, Outcome.SKIPPED, OUTGOING, OUTGOING_TEXT, amount=amount)
        raise RuntimeError(f"bug: row {index} is not settled")

    def total(self, outcome: Outcome | None) -> tuple[int, Decimal]:
        """How many settled rows ended with `outcome` (they are all skipped), and their sum."""
        if outcome not in (None, Outcome.SKIPPED):
            return 0, Decimal("0.00")
        mask = self.mask()
        return int(mask.sum()), self.fields.amounts.total(mask)

    def by_code(self) -> dict[str, tuple[int, Decimal]]:
        """The settled rows by the code they end with (dry-run, outgoing): count and sum."""
        kinds = ((DRY_RUN, self.kinds == SENDABLE), (OUTGOING, self.kinds == OUTGOING_KIND))
        return {
            code: (int(mask.sum()), self.fields.amounts.total(mask))
            for code, mask in kinds
            if mask.any()
        }

    def count(self, kind: int) -> int:
        return int(np.count_nonzero(self.kinds == kind))
