"""The outcome of a run: one RowResult per source row, counted and summed by outcome."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import overload

import numpy as np

from importer.bulk import Bulk, settled_total
from importer.models import ATTENTION_CODES, Outcome, RowResult
from importer.profiles import Profile

# Exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ATTENTION = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class Results(Sequence[RowResult]):
    """Every source row's RowResult, in file order.

    Rows settled in bulk (bulk.py: outgoing, or a dry run's sendable rows, always skipped
    and without a problem) are held as a kind and an amount, and become RowResults when read.
    """

    def __init__(self, items: list[RowResult | None], bulk: Bulk | None = None) -> None:
        held = range(len(items)) if bulk is None else np.flatnonzero(~bulk.settled()).tolist()
        missing = [i for i in held if items[i] is None]
        if missing:  # a gap is a bug, never a silently dropped row
            raise RuntimeError(f"bug: rows {missing[:20]} ended without an outcome")
        self._items, self._bulk = items, bulk

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
        if item is None and self._bulk is not None:
            return self._bulk.result(index if index >= 0 else len(self) + index)
        assert item is not None  # checked in __init__
        return item

    def __iter__(self) -> Iterator[RowResult]:
        return (self[i] for i in range(len(self)))

    def itemised(self) -> Iterator[RowResult]:
        """The results held one by one: every row not settled in bulk, so every problem."""
        return (item for item in self._items if item is not None)

    def tally(self, outcome: Outcome | None = None) -> tuple[int, Decimal]:
        """How many rows ended with `outcome` (None: any), and the sum of their amounts."""
        rows, total = 0, Decimal("0.00")
        for item in self.itemised():
            if outcome is None or item.outcome is outcome:
                rows += 1
                total += item.amount if item.amount is not None else 0
        if self._bulk is not None:
            more, more_total = settled_total(self._bulk, outcome)
            rows, total = rows + more, total + more_total
        return rows, total


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
    rows_read: int = 0
    sum_read: Decimal = Decimal("0.00")
    today: date | None = None  # the day dates were judged against
    input_sha256: str = ""  # of the input file's bytes, to prove which file this was
    run_on: str = ""  # the computer's name
    journal: str | None = None  # the journal's path, when one was used
    journal_notes: tuple[str, ...] = ()  # what the journal said: new, this file seen before
    tool_version: str = ""

    def count(self, outcome: Outcome) -> int:
        return self.results.tally(outcome)[0]

    def total(self, outcome: Outcome | None = None) -> Decimal:
        """Sum of the rows' signed amounts, for one outcome or all rows that had one."""
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
        """Rows and sums read equal rows and sums out, over the five outcomes."""
        return (
            sum(self.count(o) for o in Outcome) == self.rows_read
            and sum((self.total(o) for o in Outcome), Decimal("0.00")) == self.sum_read
        )

    def conservation(self) -> tuple[str, str]:
        """The two lines 'rows read N = posted a + ...' and 'sum read X = posted x + ...'."""
        verdict = "balances" if self.balanced else "DOES NOT BALANCE"
        rows = f"rows read {self.rows_read} = " + " + ".join(
            f"{o.value} {self.count(o)}" for o in Outcome
        )
        sums = f"sum read {money(self.sum_read)} = " + " + ".join(
            f"{o.value} {money(self.total(o))}" for o in Outcome
        )
        unread = self.unreadable_amounts
        rows_word = "row" if unread == 1 else "rows"
        note = f"; {unread} {rows_word} without a readable amount" if unread else ""
        return f"{rows} ({verdict})", f"{sums} ({verdict}{note})"

    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.stopped:
            return EXIT_FAILED
        attention = (Outcome.REJECTED, Outcome.INVALID, Outcome.UNKNOWN)
        if any(self.count(o) for o in attention) or self.posted_to_act_on():
            return EXIT_ATTENTION
        return EXIT_OK

    def posted_to_act_on(self) -> int:
        """Posted rows that still need the accountant (a deducted credit note still open)."""
        return sum(
            1
            for r in self.results.itemised()
            if r.outcome is Outcome.POSTED and r.code in ATTENTION_CODES
        )


def _credit_note(result: RowResult) -> bool:
    return result.payment is not None and bool(result.payment.creditnotebillnum)


def money(value: Decimal) -> str:
    """1234.5 -> '1 234.50' (narrow no-break space between thousands)."""
    return f"{value:,.2f}".replace(",", "\u202f")
