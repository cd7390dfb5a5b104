"""The columns of a plain export read the way map_row and validate_row read each cell.

Each distinct date, payer and currency is read once by the row-by-row path's own functions;
amounts (cents.py) and references (references.py), which rarely repeat, a column at a time.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from importer.bulk.cents import plain_cents
from importer.bulk.references import plain_references, readable_prefix, reference_number
from importer.dates import parse_date
from importer.duplicates import reference_identity
from importer.errors import FieldError
from importer.export import Export
from importer.mapping import clean, kind_of
from importer.profiles import PAYDATE_ORDER, FieldName, normalise_header
from importer.readers.frame import FrameRows
from importer.references import parse_reference
from importer.validation import EURO, Rules

if TYPE_CHECKING:
    from importer.bulk import Bulk

PER_ROW, SENDABLE, OUTGOING = 0, 1, 2  # a row's kind (bulk.Bulk.kinds)
NO_DAY = -1
SAMPLE = 10_000  # rows looked at to tell whether a column's values repeat


class PlainColumns:
    """One plain export's columns, read the way map_row and validate_row read each cell."""

    def __init__(self, export: Export, rules: Rules, rows: FrameRows) -> None:
        self.columns, self.profile, self.rules, self.rows = (
            export.columns,
            export.profile,
            rules,
            rows,
        )
        self.headers = export.table.headers

    def raw(self, field: FieldName) -> np.ndarray | None:
        at = self.columns.index.get(field)
        return None if at is None else self.rows.column(at)

    def fill(self, bulk: Bulk) -> None:
        amounts = self.amounts()
        if amounts is None:
            return
        readable, cents = amounts
        # Only euro rows are settled here: a row in another currency is summed apart from the
        # euros (report.py), which the row-by-row path does.
        plain = readable & (cents != 0) & self.unremarkable() & self.euro()
        bulk.cents = np.where(plain, cents, 0)
        outgoing = plain & (cents < 0)
        incoming = plain & (cents > 0)
        days = self.paydays()
        references = self.references()
        if days is None or references is None:
            incoming[:] = False
        else:
            incoming &= (days != NO_DAY) & references[0]
            bulk.days = days
        # What the rows are compared by, kept whole: only SENDABLE rows are ever looked at.
        if incoming.any() and references is not None:
            bulk.reference_numbers = references[1]
            bulk.reference_identity = self.reference_identity
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
        """Rows no reader or rule singles out: not ragged, not pending, not of a [kind]."""
        plain = np.ones(len(self.rows), dtype=bool)
        for at in range(len(self.headers), self.rows.width):
            plain &= self.rows.column(at) == ""
        pending, column = self.profile.pending, self.columns.pending
        if pending is not None and column is not None:
            values = {normalise_header(v) for v in pending.values}
            is_pending = self.distinct_at(column, lambda v: normalise_header(v.strip()) in values)
            plain &= ~is_pending.astype(bool)
        kind, column = self.profile.kind, self.columns.kind
        if kind is not None and column is not None:  # a direct debit, a return: a verdict
            plain &= ~self.distinct_at(column, lambda v: bool(kind_of(v, kind))).astype(bool)
        return plain

    def euro(self) -> np.ndarray:
        currency = self.distinct("currency", lambda v: self._clean(v, "currency").upper())
        if currency is None:
            return np.ones(len(self.rows), dtype=bool)
        return np.isin(currency, EURO)

    def paydays(self) -> np.ndarray | None:
        """The paydate's ordinal, or NO_DAY where the date does not read or is refused."""
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

    def references(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Which rows have a reference choose_identifier sends as billcode, and a number
        (reference_number) that rows share when the fingerprint compares their references
        equal.

        Where the references repeat, each distinct one is read once by parse_reference. Where
        they do not (an invoice each, as usual), plain Finnish references are checked a
        column at a time, and the rest (RF references, spaced or wrong ones) one by one.
        """
        raw = self.raw("reference")
        if raw is None:
            return None
        option = self.profile.option("reference")
        # Without a declared prefix, parse_reference itself drops a leading "ref=" (as OP
        # writes it), so the quick reader may too.
        prefix = option.strip_prefix or "ref="
        quick = not option.strip and readable_prefix(prefix)
        sample = raw[:SAMPLE].tolist()
        if quick and len(set(sample)) * 5 >= len(sample):  # an invoice each, as usual
            valid, numbers = plain_references(raw, prefix)
            if self.profile.empty:
                valid &= ~np.isin(raw, list(self.profile.empty))
        else:  # few invoices, paid many times: each read once
            valid, numbers = np.zeros(len(raw), dtype=bool), np.zeros(len(raw), dtype=np.int64)
        rest = np.flatnonzero(~valid)
        found = _each_distinct(raw[rest], self._reference_number)
        valid[rest] = [number is not None for number in found.tolist()]
        numbers[rest] = [number or 0 for number in found.tolist()]
        return valid, numbers

    def reference_identity(self, index: int) -> str:
        """Row `index`'s reference as the fingerprint compares it."""
        cell = self.rows.column(self.columns.index["reference"])[index]
        return reference_identity(self._billcode(cell)).casefold()

    def _reference_number(self, value: str) -> int | None:
        billcode = self._billcode(value)
        return reference_number(reference_identity(billcode).casefold()) if billcode else None

    def identities(self, at: int, read: Callable[[str], str]) -> tuple[np.ndarray, np.ndarray]:
        """`read` of every cell of column `at` (once per distinct value), and its hash."""
        codes, uniques = pd.factorize(self.rows.column(at))
        values = [read(value) for value in uniques]
        hashes = np.fromiter(map(hash, values), np.int64, len(values))
        return np.asarray(values, dtype=object)[codes], hashes[codes]

    def distinct_at(self, at: int, read: Callable[[str], Any]) -> np.ndarray:
        """`read` of every cell of column `at`, called once per distinct value."""
        return _each_distinct(self.rows.column(at), read)

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
            return NO_DAY
        try:
            day = parse_date(text, self.profile.option(field).date_format)
        except FieldError:
            return NO_DAY
        return day.toordinal() if self._allowed(day) else NO_DAY

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


def _each_distinct(cells: np.ndarray, read: Callable[[str], Any]) -> np.ndarray:
    """`read` of each cell, called once per distinct value."""
    if not len(cells):
        return np.empty(0, dtype=object)
    codes, uniques = pd.factorize(cells)
    return np.asarray([read(value) for value in uniques], dtype=object)[codes]
