"""Plain rows settled a column at a time: the common case of a big export, made cheap.

Most rows of a month's export have nothing to say: an incoming payment with a good amount,
date and reference (sent; in a dry run, shown as what would be sent) or an outgoing payment
(skipped). Reading them one at a time costs a Python call per cell, ten million for a million
rows. Here each column is checked at once instead: each distinct date, reference, payer and
currency is read once by the very functions the row-by-row path uses (mapping.clean,
parse_date, parse_reference), and amounts are read as integer cents by a pattern, never
through float.

A row is settled here only when the row-by-row path would surely end it the same way.
Anything else (a cell that does not read, a possible duplicate, a pending or ragged row) is
left PER_ROW and goes through map_row and validate_row as before, so every message stays the
same. A settled row becomes a RowResult, through that same path, only when someone reads it
(`Bulk.result`, for the workbook).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from importer.cents import plain_cents
from importer.dates import parse_date
from importer.duplicates import identity, reference_identity
from importer.errors import FieldError
from importer.export import Export
from importer.mapping import clean, map_row
from importer.models import Outcome, RowResult
from importer.profiles import PAYDATE_ORDER, FieldName, normalise_header
from importer.readers.frame import FrameRows
from importer.reference_columns import plain_references
from importer.references import parse_reference
from importer.validation import EURO, Rules, Valid, validate_row, would_send

PER_ROW, SENDABLE, OUTGOING = 0, 1, 2  # a row's kind
_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)  # odd 64-bit multipliers
_NO_DAY = -1
SAMPLE = 10_000  # rows looked at to tell whether a column's values repeat


@dataclass
class Bulk:
    """Each row's kind, and what the columns said of the rows that are not PER_ROW."""

    export: Export
    rules: Rules
    kinds: np.ndarray  # int8: PER_ROW, SENDABLE or OUTGOING
    cents: np.ndarray  # int64: the signed amount in cents where the kind is not PER_ROW
    days: np.ndarray  # int64: the paydate's ordinal where SENDABLE
    billcodes: np.ndarray  # object: the reference as the fingerprint compares it, where SENDABLE
    payers: np.ndarray  # object: the payer as the fingerprint compares it, where SENDABLE
    billcode_hashes: np.ndarray  # int64: hash of billcodes, where SENDABLE
    payer_hashes: np.ndarray  # int64: hash of payers, where SENDABLE
    archive_ids: np.ndarray  # object: the archive id ("" for none), where SENDABLE

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

        A possible duplicate shares its archive id, or its date and amount and then its whole
        identity (duplicates.identity), with another sendable row: so every row InFile could
        find a duplicate for is among them.
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
        twice = _repeated(archives, ignore="")
        # Date, amount and identity in one integer: equal identities give equal integers, so a
        # row whose integer is unique has no duplicate; the few that share one are compared.
        days = np.concatenate(
            [self.days[sendable], _ints(v.payment.paydate.toordinal() for v in found)]
        )
        cents = np.concatenate(
            [self.cents[sendable], _ints(int(v.payment.amount.scaleb(2)) for v in found)]
        )
        billcodes = np.concatenate(
            [
                self.billcode_hashes[sendable],
                _ints(hash(identity(v.payment, v.payer)[0]) for v in found),
            ]
        )
        payers = np.concatenate(
            [
                self.payer_hashes[sendable],
                _ints(hash(identity(v.payment, v.payer)[3]) for v in found),
            ]
        )
        with np.errstate(over="ignore"):
            mixed = days.astype(np.uint64) * np.uint64(_MIX[0]) + cents.astype(
                np.uint64
            ) * np.uint64(_MIX[1])
            mixed += billcodes.astype(np.uint64) * np.uint64(_MIX[2]) + payers.astype(np.uint64)
        maybe = np.flatnonzero(_repeated(mixed)).tolist()
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
        return (self.billcodes[index], day, str(amount), self.payers[index])

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
        days=np.full(count, _NO_DAY, dtype=np.int64),
        billcodes=np.full(count, "", dtype=object),
        payers=np.full(count, "", dtype=object),
        billcode_hashes=np.zeros(count, dtype=np.int64),
        payer_hashes=np.full(count, hash(""), dtype=np.int64),
        archive_ids=np.full(count, "", dtype=object),
    )
    if isinstance(rows, FrameRows) and count:
        _Columns(export, rules, rows).fill(bulk)
    return bulk


class _Columns:
    """One plain export's columns, read the way map_row and validate_row read each cell."""

    def __init__(self, export: Export, rules: Rules, rows: FrameRows) -> None:
        self.columns, self.profile, self.rules, self.rows = (
            export.columns,
            export.profile,
            rules,
            rows,
        )
        self.headers = export.table.headers
        self._factorized: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._distinct_values: dict[int, list[Hashable]] = {}  # of the last read of a column

    def raw(self, field: FieldName) -> np.ndarray | None:
        at = self.columns.index.get(field)
        return None if at is None else self.rows.column(at)

    def fill(self, bulk: Bulk) -> None:
        amounts = self.amounts()
        if amounts is None:
            return
        readable, cents = amounts
        plain = readable & (cents != 0) & self.unremarkable()
        bulk.cents = np.where(plain, cents, 0)
        outgoing = plain & (cents < 0)
        incoming = plain & (cents > 0) & self.euro()
        days = self.paydays()
        billcodes = self.billcodes()
        if days is None or billcodes is None:
            incoming[:] = False
        else:
            incoming &= (days != _NO_DAY) & (billcodes != "")
            bulk.days = days
        # What the rows are compared by, kept whole: only SENDABLE rows are ever looked at.
        if incoming.any() and billcodes is not None:
            bulk.billcodes = self.reference_identities(billcodes)
            bulk.billcode_hashes = np.fromiter(map(hash, bulk.billcodes.tolist()), np.int64)
            payer = self.columns.index.get("payer")
            if payer is not None:
                bulk.payers, bulk.payer_hashes = self.identities(payer, self._payer_identity)
            archive = self.archive_ids()
            if archive is None:
                incoming[:] = False
            else:
                bulk.archive_ids = archive
        bulk.kinds[outgoing] = OUTGOING
        bulk.kinds[incoming] = SENDABLE

    def amounts(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Which amounts are plainly written ("-1234,56", "+12.50"), and their signed cents."""
        raw, option = self.raw("amount"), self.profile.option("amount")
        if raw is None or option.strip_prefix or set(option.strip) & set("0123456789.,-+"):
            return None
        readable, cents = plain_cents(raw, self.columns.decimal_mark)
        if self.profile.empty:
            readable &= ~np.isin(raw, list(self.profile.empty))
        debit = self._debit()
        if debit is not None:
            cents[debit] = -np.abs(cents[debit])
        return readable, cents

    def unremarkable(self) -> np.ndarray:
        """Rows no reader or rule singles out: not ragged, not pending."""
        plain = np.ones(len(self.rows), dtype=bool)
        for at in range(len(self.headers), self.rows.width):
            plain &= self.rows.column(at) == ""
        pending, column = self.profile.pending, self.columns.pending
        if pending is not None and column is not None:
            values = {normalise_header(v) for v in pending.values}
            is_pending = self.distinct_at(column, lambda v: normalise_header(v.strip()) in values)
            plain &= ~is_pending.astype(bool)
        return plain

    def euro(self) -> np.ndarray:
        currency = self.distinct("currency", lambda v: self._clean(v, "currency").upper())
        if currency is None:
            return np.ones(len(self.rows), dtype=bool)
        return np.isin(currency, EURO)

    def paydays(self) -> np.ndarray | None:
        """The paydate's ordinal, or _NO_DAY where the date does not read or is refused."""
        field = next((f for f in PAYDATE_ORDER if f in self.columns.index), None)
        if field is None:
            return None
        found = self.distinct(field, lambda v: self._payday(v, field))
        return None if found is None else found.astype(np.int64)

    def archive_ids(self) -> np.ndarray | None:
        """The archive ids as map_row cleans them; archive ids are all distinct, so only the
        ones that need cleaning are cleaned one by one."""
        raw = self.raw("archive_id")
        if raw is None:
            return np.full(len(self.rows), "", dtype=object)
        text = pd.Series(raw, dtype=object).str
        option = self.profile.option("archive_id")
        as_is = np.fromiter(map(operator.eq, raw, map(str.strip, raw)), bool, len(raw))
        if option.strip:
            as_is &= (text.strip(option.strip) == raw).to_numpy(dtype=bool)
        if option.strip_prefix:
            as_is &= ~text.casefold().str.startswith(option.strip_prefix.casefold()).to_numpy(bool)
        if self.profile.empty:
            as_is &= ~np.isin(raw, list(self.profile.empty))
        cleaned = raw.copy()
        for index in np.flatnonzero(~as_is):
            cleaned[index] = self._clean(raw[index], "archive_id")
        return cleaned

    def distinct(self, field: FieldName, read: Callable[[str], Any]) -> np.ndarray | None:
        at = self.columns.index.get(field)
        return None if at is None else self.distinct_at(at, read)

    def billcodes(self) -> np.ndarray | None:
        """The billcode choose_identifier would send for each row's reference, "" for none.

        Where the references repeat, each distinct one is read once by parse_reference. Where
        they do not (an invoice each, as usual), plain Finnish references are checked a
        column at a time, and the rest (RF references, spaced or wrong ones) one by one.
        """
        raw = self.raw("reference")
        if raw is None:
            return None
        option = self.profile.option("reference")
        prefix = option.strip_prefix
        quick = not option.strip and not (
            prefix and (not prefix.isascii() or any(c.isdigit() for c in prefix))
        )
        sample = raw[:SAMPLE].tolist()
        if len(set(sample)) * 5 < len(sample):  # few invoices, paid many times
            return _each_distinct(raw, self._billcode)
        found = plain_references(raw, prefix) if quick else np.full(len(raw), "", dtype=object)
        if self.profile.empty:
            found[np.isin(raw, list(self.profile.empty))] = ""
        rest = np.flatnonzero(found == "")
        found[rest] = _each_distinct(raw[rest], self._billcode)
        return found

    def reference_identities(self, billcodes: np.ndarray) -> np.ndarray:
        """The billcodes as the fingerprint compares them: a plain Finnish reference is
        already in that form; any other is put in it once per distinct value."""
        plain = np.fromiter(map(str.isdigit, billcodes.tolist()), bool, len(billcodes))
        found = billcodes.copy()
        rest = np.flatnonzero(~plain)
        found[rest] = _each_distinct(
            billcodes[rest], lambda code: reference_identity(code).casefold() if code else ""
        )
        return found

    def identities(self, at: int, read: Callable[[str], str]) -> tuple[np.ndarray, np.ndarray]:
        """`read` of every cell of column `at` (once per distinct value), and its hash."""
        values = self.distinct_at(at, read)
        codes, _ = self._factorized[at]
        per_value = np.fromiter(map(hash, self._distinct_values[at]), np.int64)
        return values, per_value[codes]

    def distinct_at(self, at: int, read: Callable[[str], Any]) -> np.ndarray:
        """`read` of every cell of column `at`, called once per distinct value."""
        if at not in self._factorized:
            self._factorized[at] = pd.factorize(self.rows.column(at))
        codes, uniques = self._factorized[at]
        values: list[Hashable] = [read(value) for value in uniques]
        self._distinct_values[at] = values
        return np.asarray(values, dtype=object)[codes] if values else np.empty(0, dtype=object)

    def _clean(self, value: str, field: FieldName) -> str:
        return clean(value, self.profile, field)

    def _debit(self) -> np.ndarray | None:
        direction, at = self.profile.direction, self.columns.direction
        if direction is None or at is None:
            return None
        marks = set(direction.debit)
        return self.distinct_at(at, lambda v: v.strip() in marks).astype(bool)

    def _payday(self, value: str, field: FieldName) -> int:
        text = self._clean(value, field)
        if not text:
            return _NO_DAY
        try:
            day = parse_date(text, self.profile.option(field).date_format)
        except FieldError:
            return _NO_DAY
        return day.toordinal() if self._allowed(day) else _NO_DAY

    def _allowed(self, day: date) -> bool:
        rules = self.rules
        if day > rules.today and not rules.allow_future:
            return False
        return (rules.today - day).days <= rules.max_age_days

    def _payer_identity(self, value: str) -> str:
        return " ".join(self._clean(value, "payer").split()).casefold()

    def _billcode(self, value: str) -> str:
        """The billcode choose_identifier sends for this reference cell, "" if it would not."""
        text = self._clean(value, "reference")
        if not text:
            return ""  # no reference: the jobid, billnum or message decides, one row at a time
        try:
            reference = parse_reference(text)
        except FieldError:
            return ""
        domestic = self.rules.domestic_references or self.profile.reference_form == "domestic"
        return reference.to_send(domestic)


def _each_distinct(cells: np.ndarray, read: Callable[[str], str]) -> np.ndarray:
    """`read` of each cell, called once per distinct value."""
    if not len(cells):
        return np.empty(0, dtype=object)
    codes, uniques = pd.factorize(cells)
    return np.asarray([read(value) for value in uniques], dtype=object)[codes]


def _ints(values: Iterable[int]) -> np.ndarray:
    return np.fromiter(values, dtype=np.int64)


def _hashes(values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(hash, values.tolist()), dtype=np.int64, count=len(values))


def _repeated(values: np.ndarray, ignore: object = None) -> np.ndarray:
    """Which values occur more than once (never `ignore`)."""
    if values.dtype == object:  # compare hashes first, then the values that share one
        maybe = np.flatnonzero(_repeated(_hashes(values)))
        counted = Counter(values[maybe].tolist())
        repeated = np.zeros(len(values), dtype=bool)
        repeated[maybe] = [counted[v] > 1 and v != ignore for v in values[maybe].tolist()]
        return repeated
    ordered = np.sort(values)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    return np.isin(values, twice) if len(twice) else np.zeros(len(values), dtype=bool)


def settled_total(bulk: Bulk, outcome: Outcome | None) -> tuple[int, Decimal]:
    """How many rows were settled in bulk with this outcome (always skipped), and their sum."""
    if outcome not in (None, Outcome.SKIPPED):
        return 0, Decimal("0.00")
    mask = bulk.settled()
    return int(mask.sum()), Decimal(bulk.sum_cents(mask)).scaleb(-2)
