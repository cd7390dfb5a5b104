"""The outcome of a run: one RowResult per source row, counted and summed by outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from importer.models import Outcome, RowResult
from importer.profiles import Profile

# Exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ATTENTION = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


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
    interrupted: bool = False  # stopped by Ctrl-C
    read_as: str = ""
    # Counted as the rows were read, before any outcome: the "in" side of the conservation.
    rows_read: int = 0
    sum_read: Decimal = Decimal("0.00")
    today: date | None = None  # the day dates were judged against
    input_sha256: str = ""  # of the input file's bytes, to prove which file this was
    run_on: str = ""  # the computer's name
    tool_version: str = ""

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
    def unreadable_amounts(self) -> int:
        """Rows whose amount could not be read: counted in rows, not in sums."""
        return sum(1 for result in self.results if result.amount is None)

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
        return EXIT_ATTENTION if any(self.count(o) for o in attention) else EXIT_OK


def money(value: Decimal) -> str:
    """1234.5 -> '1 234.50' (narrow no-break space between thousands)."""
    return f"{value:,.2f}".replace(",", "\u202f")
