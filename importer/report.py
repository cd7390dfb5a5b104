"""The outcome of a run: one RowResult per source row, counted and summed by outcome.

Every row is counted, but only euro rows are summed into the euro totals: a row in another
currency (RowResult.currency, never sent: Ropo One takes euros) is summed with the rows of its
own currency, one line each (currency_lines), so "sum read" and the outcomes' sums stay euros.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, overload

import numpy as np

from importer.i18n import Words
from importer.i18n import words as words_of
from importer.models import Outcome, RowResult
from importer.problems import ATTENTION_CODES
from importer.profiles import Profile

if TYPE_CHECKING:
    from importer.engine.settled import Settled

EURO = ""  # RowResult.currency of a euro row
ENGLISH = words_of("en")
UNKNOWN_CURRENCY = "?"  # a row the file says is not in euros without saying in what (KTL)


class Results(Sequence[RowResult]):
    """Every source row's RowResult, in file order.

    Settled rows (engine/settled.py: outgoing, or a dry run's sendable rows, always skipped
    and without a problem) are held as a kind and an amount, and become RowResults when read.
    """

    def __init__(self, items: list[RowResult | None], settled: Settled | None = None) -> None:
        held = range(len(items)) if settled is None else np.flatnonzero(~settled.mask()).tolist()
        missing = [i for i in held if items[i] is None]
        if missing:  # a gap is a bug, never a silently dropped row
            raise RuntimeError(f"bug: rows {missing[:20]} ended without an outcome")
        self._items, self._settled = items, settled

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> RowResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[RowResult]: ...

    def __getitem__(self, index: int | slice) -> RowResult | list[RowResult]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = self._items[index]
        if item is None and self._settled is not None:
            return self._settled.result(index if index >= 0 else len(self) + index)
        assert item is not None  # checked in __init__
        return item

    def __iter__(self) -> Iterator[RowResult]:
        return (self[i] for i in range(len(self)))

    def itemised(self) -> Iterator[RowResult]:
        """The results held one by one: every row not settled, so every problem."""
        return (item for item in self._items if item is not None)

    def tally(self, outcome: Outcome | None = None, currency: str = EURO) -> tuple[int, Decimal]:
        """How many rows in `currency` (EURO: euro rows) ended with `outcome` (None: any), and
        the sum of their amounts in that currency."""
        rows, total = 0, Decimal("0.00")
        for item in self.itemised():
            if (outcome is None or item.outcome is outcome) and item.currency == currency:
                rows += 1
                total += item.amount if item.amount is not None else 0
        if self._settled is not None and currency == EURO:  # only euro rows are settled
            more, more_total = self._settled.total(outcome)
            rows, total = rows + more, total + more_total
        return rows, total

    def settled_by_code(self) -> dict[str, tuple[int, Decimal]]:
        """The rows held as a kind, not one by one, by code: how many and their euro sum."""
        return self._settled.by_code() if self._settled is not None else {}

    def count(self, outcome: Outcome | None = None) -> int:
        """How many rows ended with `outcome` (None: any), whatever their currency."""
        rows = sum(1 for i in self.itemised() if outcome is None or i.outcome is outcome)
        if self._settled is not None:
            rows += self._settled.total(outcome)[0]
        return rows

    def foreign(self) -> dict[str, dict[tuple[Outcome, str], tuple[int, Decimal]]]:
        """Rows not in euros: by currency, then by outcome and code, their count and sum."""
        found: dict[str, dict[tuple[Outcome, str], tuple[int, Decimal]]] = {}
        for item in self.itemised():
            if item.currency != EURO:
                ends = found.setdefault(item.currency, {})
                rows, total = ends.get((item.outcome, item.code), (0, Decimal("0.00")))
                amount = item.amount if item.amount is not None else 0
                ends[(item.outcome, item.code)] = (rows + 1, total + amount)
        return dict(sorted(found.items()))


@dataclass
class Report:
    """Everything the workbook and the summary need about one run."""

    file: str
    headers: tuple[str, ...]
    results: Results
    profile: Profile
    mapping: str  # field = column, as found in the file
    dry_run: bool
    base_url: str | None
    cid: str | None
    started_at: datetime
    finished_at: datetime
    stopped: str | None = None  # why the run stopped before every row was handled
    interrupted: bool = False  # stopped by Ctrl-C
    read_as: str = ""
    # Counted as the rows were read, before any outcome: the "in" side of the conservation.
    rows_read: int = 0  # every row, whatever its currency
    sum_read: Decimal = Decimal("0.00")  # euro rows only
    # Rows in other currencies as read: currency -> (rows, sum in that currency).
    foreign_read: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    today: date | None = None  # the day dates were judged against
    input_sha256: str = ""  # of the input file's bytes, to prove which file this was
    run_on: str = ""  # the computer's name
    journal: str | None = None  # the journal's path, when one was used
    journal_notes: tuple[str, ...] = ()  # what the journal said: new, this file seen before
    tool_version: str = ""

    def count(self, outcome: Outcome) -> int:
        """Rows that ended with `outcome`, in any currency."""
        return self.results.count(outcome)

    def total(self, outcome: Outcome | None = None) -> Decimal:
        """Sum of the euro rows' signed amounts, for one outcome or all rows that had one."""
        return self.results.tally(outcome)[1]

    def response_total(self, name: str) -> Decimal:
        """Sum of one money field of the answers to rows that were posted in this run."""
        total = Decimal("0.00")
        for result in self.results.itemised():
            value = result.response.get(name)
            if (
                result.outcome is Outcome.POSTED
                and not _credit_note(result)
                and isinstance(value, (int, Decimal))
                and not isinstance(value, bool)
            ):
                total += value  # an answer's odd text stays in its cell, out of the sums
        return total

    def credit_notes_registered(self) -> tuple[int, Decimal]:
        """Credit notes registered on their invoices in this run: how many, and their total.
        They move no money, so they are out of the money posted."""
        done = [r for r in self.results.itemised() if r.outcome is Outcome.POSTED]
        amounts = [r.payment.amount for r in done if r.payment and _credit_note(r)]
        return len(amounts), sum(amounts, Decimal("0.00"))

    @property
    def unreadable_amounts(self) -> int:
        """Rows whose amount could not be read: counted in rows, not in sums."""
        return sum(1 for result in self.results.itemised() if result.amount is None)

    @property
    def balanced(self) -> bool:
        """Rows and sums read equal rows and sums out, over the five outcomes: the euro sums,
        and each other currency's rows and sum."""
        return (
            sum(self.count(o) for o in Outcome) == self.rows_read
            and sum((self.total(o) for o in Outcome), Decimal("0.00")) == self.sum_read
            and self._foreign_out() == self.foreign_read
        )

    def _foreign_out(self) -> dict[str, tuple[int, Decimal]]:
        out = {}
        for currency, ends in self.results.foreign().items():
            rows = sum(n for n, _total in ends.values())
            out[currency] = (rows, sum((t for _n, t in ends.values()), Decimal("0.00")))
        return out

    def currency_lines(self, words: Words = ENGLISH) -> list[str]:
        """A line per currency other than the euro: its rows, their sum and how they ended
        ("CHF: 2 rows, 1 234.50 CHF, all invalid: not-euro"); none for an all-euro file."""
        return [line for _currency, _rows, _total, line in self.currencies(words)]

    def currencies(self, words: Words = ENGLISH) -> list[tuple[str, int, Decimal, str]]:
        """Each currency other than the euro: its code, rows, sum and currency_lines' line."""
        w, found = words, []
        out, ends_of = self._foreign_out(), self.results.foreign()
        for currency in sorted(out.keys() | self.foreign_read.keys()):
            rows, total = out.get(currency, (0, Decimal("0.00")))
            ends = ends_of.get(currency, {})
            named = w("currency not given") if currency == UNKNOWN_CURRENCY else currency
            unit = "" if currency == UNKNOWN_CURRENCY else f" {currency}"
            line = f"{named}: {rows_text(rows, w)}, {amount_text(total, w)}{unit}"
            if len(ends) == 1:
                (outcome, code), _ = next(iter(ends.items()))
                line += w(", all {outcome}: {code}", outcome=w(outcome.value), code=code)
            else:
                line += " = " + " + ".join(
                    f"{w(outcome.value)} {n} ({amount_text(t, w)}{unit}, {code})"
                    for (outcome, code), (n, t) in sorted(ends.items(), key=_order)
                )
            if self.foreign_read.get(currency) != (rows, total):
                read_rows, read = self.foreign_read.get(currency, (0, Decimal("0.00")))
                line += w(
                    " (DOES NOT BALANCE: read {rows}, {amount})",
                    rows=rows_text(read_rows, w),
                    amount=amount_text(read, w) + unit,
                )
            found.append((currency, rows, total, line + w(" (not in the euro sums)")))
        return found

    def conservation(self, words: Words = ENGLISH) -> tuple[str, str]:
        """The two lines 'rows read N = posted a + ...' and 'sum read X = posted x + ...'."""
        w = words
        verdict = w("balances") if self.balanced else w("DOES NOT BALANCE")
        rows = (
            w("rows read {n}", n=self.rows_read)
            + " = "
            + " + ".join(f"{w(o.value)} {self.count(o)}" for o in Outcome)
        )
        sums = w("sum read {amount}", amount=amount_text(self.sum_read, w)) + " = "
        sums += " + ".join(f"{w(o.value)} {amount_text(self.total(o), w)}" for o in Outcome)
        unread = self.unreadable_amounts
        note = w("; {rows} without a readable amount", rows=rows_text(unread, w)) if unread else ""
        apart = sum(n for n, _total in self._foreign_out().values())
        if apart:
            other = (
                "; euro rows only, {rows} in another currency apart"
                if apart == 1
                else "; euro rows only, {rows} in other currencies apart"
            )
            note += w(other, rows=rows_text(apart, w))
        return f"{rows} ({verdict})", f"{sums} ({verdict}{note})"

    def posted_to_act_on(self) -> int:
        """Posted rows that still need the accountant (a deducted credit note still open)."""
        return sum(
            1
            for r in self.results.itemised()
            if r.outcome is Outcome.POSTED and r.code in ATTENTION_CODES
        )


def _credit_note(result: RowResult) -> bool:
    return result.payment is not None and result.payment.creditnotebillnum is not None


def rows_text(count: int, words: Words = ENGLISH) -> str:
    """'1 row', '3 rows', in the language of `words`."""
    return words("{n} row", n=count) if count == 1 else words("{n} rows", n=count)


def amount_text(value: Decimal, words: Words = ENGLISH) -> str:
    """An amount as the terminal shows it: '1 234.50' in English (money()), the language's
    own way in Finnish and Swedish ('1 234,50')."""
    return money(value) if words.lang == "en" else words.number(value)


def _order(end: tuple[tuple[Outcome, str], tuple[int, Decimal]]) -> tuple[int, str]:
    (outcome, code), _ = end
    return list(Outcome).index(outcome), code


def money(value: Decimal) -> str:
    """1234.5 -> '1 234.50' (narrow no-break space between thousands)."""
    return f"{value:,.2f}".replace(",", "\u202f")
