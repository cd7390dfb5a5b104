"""Each payment field of every row, read once, a column at a time.

Each field has one parser, the scalar one of the row-by-row era (mapping.clean, amounts,
dates, references), applied once per distinct value. Where a column's values rarely repeat
(amounts, references, archive ids) a vectorised kernel first reads the common plain form a
column at a time (cents.py, references.py, the "as is" check of text); the scalar parser reads
only what the kernel leaves. A kernel never decides anything the parser would decide
otherwise: it accepts a cell only when the parser would read it to the same value
(tests/test_engine.py runs every sample both ways, KERNELS off as the oracle).

A cell that does not read becomes a Problem of that row; nothing here raises for a bad row.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

import numpy as np
import pandas as pd

from importer.dates import parse_date
from importer.duplicates import reference_identity
from importer.engine.amounts import Amounts, read_amounts
from importer.engine.cells import Cells, Distinct, distinct, each_distinct
from importer.engine.references import plain_references, readable_prefix, reference_number
from importer.errors import FieldError
from importer.export import Export
from importer.mapping import TEXT_FIELDS, clean, kind_of, plain, too_long_for_a_number
from importer.models import CellValue, Outcome, Problem, Transaction, Verdict
from importer.problems import MISSING_DATE, PENDING, REFERENCE_AS_NUMBER
from importer.profiles import PAYDATE_ORDER, FieldName, normalise_header
from importer.readers.kinds import VERDICTS
from importer.references import parse_reference
from importer.said import say
from importer.validation import EURO, Rules

KERNELS = True  # False: every value through its scalar parser (the tests' oracle)
NO_DAY = -1
_SAMPLE = 10_000  # references looked at to tell whether they repeat
_ZERO = Decimal("0.00")


@dataclass
class Paydates:
    """The date a payment is sent with: the payment date where the export has one, else the
    value date, else the booking date; the first of them with a value or a problem."""

    days: np.ndarray  # int64 ordinal, NO_DAY where there is none
    chosen: np.ndarray  # int8: index into PAYDATE_ORDER of the field read, -1 for none
    problems: dict[int, Problem]  # why a row has no paydate
    each: dict[str, np.ndarray] = field(default_factory=dict)  # every date field's ordinals


class Fields:
    """One export's fields, each read once for every row."""

    def __init__(self, export: Export, rules: Rules) -> None:
        self.export, self.rules = export, rules
        self.columns, self.profile = export.columns, export.profile
        self.cells = Cells(export.table)
        self.count = self.cells.count

    def raw(self, name: FieldName) -> np.ndarray | None:
        at = self.columns.index.get(name)
        return None if at is None else self.cells.column(at)

    def raw_at(self, name: FieldName, index: int) -> CellValue:
        at = self.columns.index.get(name)
        return None if at is None else self.cells.column(at)[index]

    def text(self, name: FieldName) -> np.ndarray:
        """The field's cells as text, cleaned the way the profile says ("" for none)."""
        found = self._texts.get(name)
        if found is None:
            found = self._texts[name] = self._clean_column(name)
        return found

    def text_at(self, name: FieldName, index: int) -> str:
        if name in self._texts:
            return str(self._texts[name][index])
        raw = self.raw_at(name, index)
        return "" if raw is None else clean(raw, self.profile, name)

    @cached_property
    def _texts(self) -> dict[FieldName, np.ndarray]:
        return {}

    @cached_property
    def amounts(self) -> Amounts:
        return read_amounts(self)

    @cached_property
    def judged_amounts(self) -> tuple[np.ndarray, np.ndarray, dict[int, Decimal]]:
        """The amount each row is judged by: whether it has one, its sign, and the exact odd
        ones. A row that registers a credit note is judged by the credit note's amount (it
        reaches the amount rules only when credit notes are sent)."""
        amounts = self.amounts
        has, sign, exact = amounts.has.copy(), amounts.sign(), dict(amounts.exact)
        for index, noted in self.cells.remittances.items():
            if noted.registers is not None:
                value = noted.registers.amount
                has[index], exact[index] = True, value
                sign[index] = 1 if value > 0 else -1 if value < 0 else 0
        return has, sign, exact

    @cached_property
    def paydates(self) -> Paydates:
        count = self.count
        days = np.full(count, NO_DAY, dtype=np.int64)
        chosen = np.full(count, -1, dtype=np.int8)
        problems: dict[int, Problem] = {}
        each: dict[str, np.ndarray] = {}
        present = [f for f in PAYDATE_ORDER if f in self.columns.index]
        for name in present:
            read = self._dates(name)
            open_rows = chosen == -1
            ordinals = read.mapped(lambda v: v if isinstance(v, int) else NO_DAY, np.int64)
            each[name] = ordinals
            take = open_rows & (ordinals != NO_DAY)
            days[take] = ordinals[take]
            chosen[take] = PAYDATE_ORDER.index(name)
            wrong = open_rows & ~take & read.where(lambda v: isinstance(v, Problem))
            for index in np.flatnonzero(wrong).tolist():
                problems[index] = read.values[read.codes[index]]
                chosen[index] = PAYDATE_ORDER.index(name)
        if present:
            first = present[0]
            missing = Problem(
                first,
                self.columns.names[first],
                None,
                MISSING_DATE,
                say("the date is empty; copy it from the bank statement"),
            )
            for index in np.flatnonzero(chosen == -1).tolist():
                problems[index] = missing
        return Paydates(days, chosen, problems, each)

    @cached_property
    def date_problems(self) -> dict[str, dict[int, Problem]]:
        """Every date cell that does not read, by field (the paydate's problems first)."""
        found: dict[str, dict[int, Problem]] = {}
        for name in PAYDATE_ORDER:
            if name in self.columns.index:
                read = self._dates(name)
                wrong = np.flatnonzero(read.where(lambda v: isinstance(v, Problem))).tolist()
                found[name] = {i: read.values[read.codes[i]] for i in wrong}
        return found

    def _dates(self, name: FieldName) -> Distinct:
        """Each row's date in field `name`: a day's ordinal, a Problem, or None."""
        return distinct(self.raw(name), lambda v: self._date(v, name))

    @cached_property
    def currencies(self) -> np.ndarray:
        """Each row's currency code as written, upper case ("" where none is given)."""
        if "currency" not in self.columns.index:
            return np.full(self.count, "", dtype=object)
        return each_distinct(self.text("currency"), lambda v: str(v).strip().upper())

    @cached_property
    def euro(self) -> np.ndarray:
        """Rows in euro: no currency given, or EUR; what the euro rule and the sums read."""
        if "currency" not in self.columns.index:
            return np.ones(self.count, dtype=bool)
        in_euro: np.ndarray = distinct(self.currencies, lambda code: code in EURO).where(bool)
        return in_euro

    @cached_property
    def verdicts(self) -> dict[int, Verdict]:
        """The reader's verdict on a row, else the profile's: pending, or of a [kind]."""
        found: dict[int, Verdict] = {}
        profile, columns = self.profile, self.columns
        if profile.kind is not None and columns.kind is not None:
            rule = profile.kind
            codes = each_distinct(self.cells.column(columns.kind), lambda v: kind_of(v, rule))
            for index in np.flatnonzero(codes != "").tolist():
                value = plain(self.cells.column(columns.kind)[index]).strip()
                found[index] = VERDICTS[codes[index]](f"{columns.kind_name} {value!r}")
        pending = profile.pending
        if pending is not None and columns.pending is not None:
            wanted = {normalise_header(v) for v in pending.values}
            cells = self.cells.column(columns.pending)
            hits = each_distinct(cells, lambda v: normalise_header(plain(v).strip()) in wanted)
            for index in np.flatnonzero(hits.astype(bool)).tolist():
                value = plain(cells[index]).strip()
                found[index] = Verdict(
                    Outcome.SKIPPED,
                    PENDING,
                    say(
                        "a pending transaction ({column} {value!r}), not yet booked: it comes "
                        "again in a later export once the bank books it, and is imported then",
                        column=pending.column,
                        value=value,
                    ),
                )
        found.update(self.cells.verdicts)
        return found

    @cached_property
    def reference_problems(self) -> dict[int, Problem]:
        """A reference a spreadsheet keeps as a number: its last digits are lost."""
        raw = self.raw("reference")
        if raw is None or self.cells.text_only:
            return {}
        long = each_distinct(raw, too_long_for_a_number)
        name = self.columns.names["reference"]
        return {
            i: Problem("reference", name, raw[i], REFERENCE_AS_NUMBER, _AS_NUMBER)
            for i in np.flatnonzero(long.astype(bool)).tolist()
        }

    @cached_property
    def plain_references(self) -> np.ndarray:
        """Rows whose reference the kernel read as a valid plain Finnish reference, so the
        billcode is its digits without leading zeros (plain_billcode)."""
        return self._references[0]

    @property
    def unread_references(self) -> np.ndarray:
        """Rows with a reference that does not read (check digit, length, characters): no
        other identifier is looked for, the row is refused for it (rules.py)."""
        return self._references[3]

    @property
    def reference_numbers(self) -> np.ndarray:
        """A number that plain references share when they are equal (engine/references.py)."""
        return self._references[1]

    @cached_property
    def _references(self) -> tuple[np.ndarray, np.ndarray, dict[int, str], np.ndarray]:
        """Which rows have a reference choose_identifier sends as billcode, a number equal
        references share, the billcode of those the kernel did not read, and which rows have
        a reference that does not read."""
        valid, numbers = np.zeros(self.count, dtype=bool), np.zeros(self.count, dtype=np.int64)
        unread = np.zeros(self.count, dtype=bool)
        billcodes: dict[int, str] = {}
        raw = self.raw("reference")
        if raw is None:
            return valid, numbers, billcodes, unread
        text = self.text_column("reference")
        prefix = self._reference_prefix
        sample = raw[:_SAMPLE].tolist()
        each_own = len(set(sample)) * 5 >= len(sample)  # an invoice each, as usual
        quick = not self.profile.option("reference").strip and readable_prefix(prefix)
        if text is not None and self.kernels and quick and each_own:
            valid, numbers = plain_references(text, prefix)
            if self.profile.empty:
                valid &= ~np.isin(text, list(self.profile.empty))
        rest = np.flatnonzero(~valid)
        rest = rest[~np.isin(rest, list(self.reference_problems))]
        read = distinct(raw[rest], self._billcode)
        read_as = read.where(bool)  # the rows whose reference reads as a billcode
        found = rest[read_as]
        valid[found] = True
        numbers[found] = read.mapped(_number, np.int64)[read_as]
        billcodes.update(zip(found.tolist(), read.per_row()[read_as].tolist(), strict=True))
        unread[rest] = read.where(lambda billcode: billcode is None)
        return valid, numbers, billcodes, unread

    def plain_billcode(self, index: int) -> str:
        found = self._references[2].get(index)
        if found is not None:
            return found
        cell = str(self.raw_at("reference", index))
        prefix = self._reference_prefix
        if cell[: len(prefix)].casefold() == prefix.casefold():
            cell = cell[len(prefix) :]
        return cell.lstrip("0")

    def _billcode(self, value: CellValue) -> str | None:
        """The billcode choose_identifier sends for this reference cell: "" when there is no
        reference, None when there is one that does not read (the rule "reference")."""
        text = "" if value is None else clean(value, self.profile, "reference")
        if not text:
            return ""  # no reference: the jobid, billnum or message decides, one row at a time
        try:
            reference = parse_reference(text)
        except FieldError:
            return None
        domestic = self.rules.domestic_references or self.profile.reference_form == "domestic"
        return reference.to_send(domestic)

    @property
    def _reference_prefix(self) -> str:
        # Without a declared prefix, parse_reference itself drops a leading "ref=" (as OP
        # writes it), so the kernel may too.
        return self.profile.option("reference").strip_prefix or "ref="

    def transaction(self, index: int) -> Transaction:
        """Row `index` in canonical fields, for the scalar rules (identifier, messages)."""
        missing = self.paydates.problems.get(index)
        found = (
            self.reference_problems.get(index),
            *(problems.get(index) for problems in self.date_problems.values()),
            self.amounts.problems.get(index),
            missing if missing is not None and missing.code == MISSING_DATE else None,
        )
        problems = [p for p in found if p is not None]
        dated: dict[str, date | None] = {name: None for name in PAYDATE_ORDER}
        for name, ordinals in self.paydates.each.items():
            day = int(ordinals[index])
            dated[name] = None if day == NO_DAY else date.fromordinal(day)
        paydate = self.paydate(index)
        return Transaction(
            row=self.cells.row(index),
            amount=self.amounts.value(index),
            paydate=paydate,
            verdict=self.verdicts.get(index),
            problems=tuple(problems),
            booking_date=dated["booking_date"],
            value_date=dated["value_date"],
            payment_date=dated["payment_date"],
            **{name: self.text_at(name, index) for name in TEXT_FIELDS},
        )

    def paydate(self, index: int) -> date | None:
        day = int(self.paydates.days[index])
        return None if day == NO_DAY else date.fromordinal(day)

    def _clean_column(self, name: FieldName) -> np.ndarray:
        raw = self.raw(name)
        if raw is None:
            return np.full(self.count, "", dtype=object)
        cleaned = raw.copy() if self.text_column(name) is not None else raw.astype(object)
        rest = np.arange(self.count)
        if self.text_column(name) is not None and self.kernels:
            rest = np.flatnonzero(~self._as_is(raw, name))
        cleaned[rest] = each_distinct(raw[rest], lambda v: clean(v, self.profile, name))
        return cleaned

    def _as_is(self, raw: np.ndarray, name: FieldName) -> np.ndarray:
        """Text cells that clean leaves as they are: trimmed, nothing to strip, no placeholder."""
        option = self.profile.option(name)
        as_is = np.fromiter(map(operator.eq, raw, map(str.strip, raw)), bool, len(raw))
        text = pd.Series(raw, dtype=object).str
        if option.strip:
            as_is &= (text.strip(option.strip) == raw).to_numpy(dtype=bool)
        if option.strip_prefix:
            as_is &= ~text.casefold().str.startswith(option.strip_prefix.casefold()).to_numpy(bool)
        if self.profile.empty:
            as_is &= ~np.isin(raw, list(self.profile.empty))
        return as_is

    @property
    def kernels(self) -> bool:
        """Whether the kernels read the plain forms (KERNELS, read when asked: tests turn it
        off to compare with the scalar parsers)."""
        return KERNELS

    def text_column(self, name: FieldName) -> np.ndarray | None:
        """The field's raw column when every cell is text (what the kernels read)."""
        at = self.columns.index.get(name)
        return None if at is None else self.cells.text_column(at)

    def _date(self, raw: CellValue, name: FieldName) -> int | Problem | None:
        text = "" if raw is None else clean(raw, self.profile, name)
        if not text:
            return None
        try:
            value = raw if isinstance(raw, date) else text
            return parse_date(value, self.profile.option(name).date_format).toordinal()
        except FieldError as error:
            return Problem(name, self.columns.names[name], raw, error.code, error.message)


_AS_NUMBER = say(
    "the spreadsheet keeps the reference as a number, so only its first 15 digits survive; "
    "format the column as text and copy the references from the bank export again"
)


def _number(billcode: str | None) -> int:
    """The number equal billcodes share (engine/references.py); 0 for no billcode."""
    return reference_number(reference_identity(billcode).casefold()) if billcode else 0


def transactions(export: Export) -> list[Transaction]:
    """Every row of the export in canonical fields (for inspecting a profile's reading)."""
    fields = Fields(export, Rules(today=date.min))  # no rule is applied
    return [fields.transaction(index) for index in range(fields.count)]
