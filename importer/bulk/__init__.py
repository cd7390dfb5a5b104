"""Plain rows settled a column at a time: the common case of a big export, made cheap.

Most rows of a month's export have nothing to say: an incoming payment with a good amount,
date and reference (sent; in a dry run, shown as what would be sent) or an outgoing payment
(skipped). Reading them one at a time costs a Python call per cell, ten million for a million
rows. Here each column is checked at once instead (columns.py): each distinct date, payer and
currency is read once by the very functions the row-by-row path uses (mapping.clean,
parse_date, parse_reference); amounts (cents.py) and references (references.py), which rarely
repeat, are read by numpy over the whole column, amounts as integer cents, never through
float. Duplicate candidates are found by hashes (repeats.py).

A row is settled here only when the row-by-row path would surely end it the same way.
Anything else (a cell that does not read, a possible duplicate, a pending or ragged row) is
left PER_ROW and goes through map_row and validate_row as before, so every message stays the
same. Only euro rows are settled: a row in another currency is summed apart from the euros
(report.py), so it goes row by row. A settled row becomes a RowResult, through that same
path, only when someone reads it (`Bulk.result`, for the workbook).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from importer.bulk.columns import NO_DAY, OUTGOING, PER_ROW, SENDABLE, PlainColumns
from importer.bulk.references import reference_number
from importer.bulk.repeats import MIX, ints, repeated
from importer.duplicates import identity
from importer.export import Export
from importer.mapping import map_row
from importer.models import Outcome, RowResult
from importer.readers.frame import FrameRows
from importer.validation import Rules, Valid, validate_row, would_send

__all__ = ["OUTGOING", "PER_ROW", "SENDABLE", "Bulk", "settle", "settled_total"]


@dataclass
class Bulk:
    """Each row's kind, and what the columns said of the rows that are not PER_ROW."""

    export: Export
    rules: Rules
    kinds: np.ndarray  # int8: PER_ROW, SENDABLE or OUTGOING
    cents: np.ndarray  # int64: the signed amount in cents where the kind is not PER_ROW
    days: np.ndarray  # int64: the paydate's ordinal where SENDABLE
    payers: np.ndarray  # object: the payer as the fingerprint compares it, where SENDABLE
    reference_numbers: np.ndarray  # int64: equal where references are equal, where SENDABLE
    payer_hashes: np.ndarray  # int64: hash of payers, where SENDABLE
    archive_ids: np.ndarray  # object: the archive id ("" for none), where SENDABLE
    # A SENDABLE row's reference as the fingerprint compares it (for the few compared).
    reference_identity: Callable[[int], str] = lambda index: ""

    def per_row(self) -> np.ndarray:
        """The rows to read one at a time, in file order."""
        return np.flatnonzero(self.kinds == PER_ROW)

    def settled(self) -> np.ndarray:
        settled: np.ndarray = self.kinds != PER_ROW
        return settled

    def sum_cents(self, mask: np.ndarray | None = None) -> int:
        """The exact sum of the settled rows' cents (Python ints where int64 could overflow)."""
        chosen = self.cents[self.settled() if mask is None else mask]
        if not len(chosen) or int(np.abs(chosen).max()) * len(chosen) < 2**62:
            return int(chosen.sum())
        return sum(chosen.tolist())

    def take(self, index: int) -> Valid:
        """A SENDABLE row as the row-by-row path reads it; from now on it is PER_ROW."""
        valid = self._checked(index)
        if not isinstance(valid, Valid):
            raise RuntimeError(f"bug: line {valid.row.line} was settled as sendable but is not")
        self.kinds[index] = PER_ROW
        return valid

    def result(self, index: int) -> RowResult:
        """The RowResult of a settled row (a dry run's sendable row, or an outgoing one)."""
        checked = self._checked(index)
        if self.kinds[index] == SENDABLE and isinstance(checked, Valid):
            return would_send(checked)
        if self.kinds[index] == OUTGOING and isinstance(checked, RowResult):
            return checked
        raise RuntimeError(f"bug: row {index} settled as kind {self.kinds[index]} is not")

    def to_judge(self, valids: dict[int, Valid], everything: bool) -> list[int]:
        """The rows to judge one at a time against the file and the journal, in file order:
        every row validated one at a time, and the settled sendable rows that may be
        duplicates (all of them when `everything`).

        A possible duplicate shares its archive id, or its identity (duplicates.identity: date,
        amount, reference, payer), with another sendable row: identities are compared first as
        one mixed number per row, then exactly for the few that share one. So every row InFile
        could find a duplicate for is among them.
        """
        sendable = np.flatnonzero(self.kinds == SENDABLE)
        if everything:
            return sorted([*valids, *sendable.tolist()])
        slow = np.asarray(sorted(valids), dtype=np.int64)
        found = [valids[i] for i in slow.tolist()]
        rows = np.concatenate([sendable, slow])
        archives = np.concatenate(
            [
                self.archive_ids[sendable],
                np.array([v.archive_id or "" for v in found], dtype=object),
            ]
        )
        twice = repeated(archives, ignore="")
        # Date, amount and identity in one integer: equal identities give equal integers, so a
        # row whose integer is unique has no duplicate; the few that share one are compared.
        days = np.concatenate(
            [self.days[sendable], ints(v.payment.paydate.toordinal() for v in found)]
        )
        cents = np.concatenate(
            [self.cents[sendable], ints(int(v.payment.amount.scaleb(2)) for v in found)]
        )
        seen = [identity(v.payment, v.payer) for v in found]
        references = np.concatenate(
            [self.reference_numbers[sendable], ints(reference_number(i[0]) for i in seen)]
        )
        payers = np.concatenate([self.payer_hashes[sendable], ints(hash(i[3]) for i in seen)])
        with np.errstate(over="ignore"):
            mixed = days.astype(np.uint64) * np.uint64(MIX[0]) + cents.astype(
                np.uint64
            ) * np.uint64(MIX[1])
            mixed += references.astype(np.uint64) * np.uint64(MIX[2]) + payers.astype(np.uint64)
        maybe = np.flatnonzero(repeated(mixed)).tolist()
        identities = [self._identity(int(rows[i]), valids) for i in maybe]
        counted = Counter(identities)
        for i, found_identity in zip(maybe, identities, strict=True):
            twice[i] |= counted[found_identity] > 1
        return sorted({*slow.tolist(), *rows[twice].tolist()})

    def _identity(self, index: int, valids: dict[int, Valid]) -> tuple[str, str, str, str]:
        valid = valids.get(index)
        if valid is not None:
            return identity(valid.payment, valid.payer)
        amount = Decimal(int(self.cents[index])).scaleb(-2)
        day = date.fromordinal(int(self.days[index])).isoformat()
        return (self.reference_identity(index), day, str(amount), self.payers[index])

    def _checked(self, index: int) -> Valid | RowResult:
        export = self.export
        txn = map_row(export.table.rows[index], export.columns)
        return validate_row(txn, export.columns, export.table.headers, self.rules)


def settle(export: Export, rules: Rules) -> Bulk:
    """Each row's kind; only rows of a plain text export (FrameRows) are ever settled."""
    rows = export.table.rows
    count = len(rows)
    bulk = Bulk(
        export,
        rules,
        kinds=np.zeros(count, dtype=np.int8),
        cents=np.zeros(count, dtype=np.int64),
        days=np.full(count, NO_DAY, dtype=np.int64),
        payers=np.full(count, "", dtype=object),
        reference_numbers=np.zeros(count, dtype=np.int64),
        payer_hashes=np.full(count, hash(""), dtype=np.int64),
        archive_ids=np.full(count, "", dtype=object),
    )
    if isinstance(rows, FrameRows) and count:
        PlainColumns(export, rules, rows).fill(bulk)
    return bulk


def settled_total(bulk: Bulk, outcome: Outcome | None) -> tuple[int, Decimal]:
    """How many rows were settled in bulk with this outcome (always skipped), and their sum."""
    if outcome not in (None, Outcome.SKIPPED):
        return 0, Decimal("0.00")
    mask = bulk.settled()
    return int(mask.sum()), Decimal(bulk.sum_cents(mask)).scaleb(-2)
