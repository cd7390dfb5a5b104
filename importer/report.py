"""The outcome of a run: one RowResult per source row, counted and summed by outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from importer.models import Outcome, RowResult
from importer.profiles import Profile

# Exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ATTENTION = 2


@dataclass
class Report:
    """Everything the workbook and the summary need about one run."""

    file: str
    headers: tuple[str, ...]
    results: list[RowResult]
    profile: Profile
    mapping: str  # field = column, as found in the file
    dry_run: bool
    base_url: str | None
    cid: str | None
    started_at: datetime
    finished_at: datetime
    stopped: str | None = None  # why the run stopped before every row was handled
    read_as: str = ""

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.results if result.outcome is outcome)

    def total(self, outcome: Outcome | None = None) -> Decimal:
        """Sum of the rows' signed amounts, for one outcome or all rows that had one."""
        return sum(
            (
                r.amount
                for r in self.results
                if r.amount is not None and (outcome is None or r.outcome is outcome)
            ),
            Decimal("0.00"),
        )

    def response_total(self, name: str) -> Decimal:
        """Sum of one money field of the answers to rows that were posted in this run."""
        return sum(
            (
                Decimal(str(r.response[name]))
                for r in self.results
                if r.outcome is Outcome.POSTED and r.response.get(name) is not None
            ),
            Decimal("0.00"),
        )

    @property
    def balanced(self) -> bool:
        """Rows and sums in equal rows and sums out, over the five outcomes."""
        return (
            sum(self.count(o) for o in Outcome) == len(self.results)
            and sum((self.total(o) for o in Outcome), Decimal("0.00")) == self.total()
        )

    def exit_code(self) -> int:
        if self.stopped:
            return EXIT_FAILED
        attention = (Outcome.REJECTED, Outcome.INVALID, Outcome.UNKNOWN)
        return EXIT_ATTENTION if any(self.count(o) for o in attention) else EXIT_OK
