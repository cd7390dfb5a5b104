"""The sandbox's invoices and how a payment is applied to them.

A payment goes to the open notice fee first, then interest, then capital (the Finnish
statutory order, Korkolaki 7 §); what is left is `unfocused`. A credit note registered on an
invoice (`creditnotebillnum`) reduces its capital first: it cancels what was invoiced, not the
fees. How Ropo One itself books one is not documented; this is the sandbox's model. Exact
Decimal arithmetic.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from importer.errors import ConfigError

COLUMNS = ("jobid", "billnum", "billcode", "cid", "state", "capital", "interest", "noticefee")
STATES = ("open", "paid", "closed", "cancelled")
ZERO = Decimal("0.00")


@dataclass
class Invoice:
    """One invoice in the sandbox ledger, with its open amounts."""

    jobid: int
    billnum: str
    billcode: str
    cid: str
    state: str
    capital: Decimal
    interest: Decimal
    noticefee: Decimal

    @property
    def open_total(self) -> Decimal:
        return self.capital + self.interest + self.noticefee


@dataclass(frozen=True)
class Allocation:
    """How one payment was split; before/after are the invoice's open amounts."""

    noticefee: Decimal
    interest: Decimal
    capital: Decimal
    unfocused: Decimal


@dataclass
class Ledger:
    """Invoices by billcode, jobid and billnum; counts how often each payment was applied."""

    invoices: list[Invoice]
    applied: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    # (jobid, creditnotebillnum, amount): how often each credit note was registered
    credit_notes: Counter[tuple[int, str, str]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._by_billcode = {billcode_key(i.billcode): i for i in self.invoices if i.billcode}
        self._by_jobid = {i.jobid: i for i in self.invoices}
        self._by_billnum = {i.billnum: i for i in self.invoices if i.billnum}

    @classmethod
    def load(cls, path: Path) -> Ledger:
        """Read a ledger CSV with the columns in COLUMNS."""
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise ConfigError(f"sandbox ledger {path}: cannot be read ({exc.strerror})") from None
        invoices = []
        for line, row in enumerate(rows, start=2):
            try:
                invoice = Invoice(
                    jobid=int(row["jobid"]),
                    billnum=row["billnum"].strip(),
                    billcode=row["billcode"].strip(),
                    cid=row["cid"].strip(),
                    state=row["state"].strip(),
                    capital=Decimal(row["capital"]),
                    interest=Decimal(row["interest"]),
                    noticefee=Decimal(row["noticefee"]),
                )
            except (KeyError, ValueError, InvalidOperation, AttributeError):
                raise ConfigError(
                    f"sandbox ledger {path}: line {line} is not a valid invoice; "
                    f"the columns are {', '.join(COLUMNS)}"
                ) from None
            if invoice.state not in STATES:
                raise ConfigError(
                    f"sandbox ledger {path}: line {line}: state {invoice.state!r} is not one "
                    f"of {', '.join(STATES)}"
                )
            invoices.append(invoice)
        return cls(invoices)

    def find(self, billcode: str | None, jobid: int | None, billnum: str | None) -> Invoice | None:
        """The documented lookup order: billcode, then jobid, then billnum."""
        if billcode:
            found = self._by_billcode.get(billcode_key(billcode))
            if found:
                return found
        if jobid is not None and jobid in self._by_jobid:
            return self._by_jobid[jobid]
        if billnum:
            return self._by_billnum.get(billnum.strip())
        return None

    def apply(
        self, invoice: Invoice, amount: Decimal, paydate: str, credit_note: str | None = None
    ) -> Allocation:
        """Apply a payment: notice fee, then interest, then capital; the rest is unfocused.
        A credit note goes to capital first, then interest, then the notice fee."""
        left = amount
        if credit_note:
            to_capital = min(left, invoice.capital)
            left -= to_capital
            to_interest = min(left, invoice.interest)
            left -= to_interest
            to_fee = min(left, invoice.noticefee)
            left -= to_fee
        else:
            to_fee = min(left, invoice.noticefee)
            left -= to_fee
            to_interest = min(left, invoice.interest)
            left -= to_interest
            to_capital = min(left, invoice.capital)
            left -= to_capital
        invoice.noticefee -= to_fee
        invoice.interest -= to_interest
        invoice.capital -= to_capital
        if invoice.open_total == ZERO:
            invoice.state = "paid"
        if credit_note:
            self.credit_notes[(invoice.jobid, credit_note, str(amount))] += 1
        else:
            self.applied[(invoice.jobid, paydate, str(amount))] += 1
        return Allocation(to_fee, to_interest, to_capital, left)


def billcode_key(billcode: str) -> str:
    """Billcodes compare without spaces and leading zeros (and RF in upper case)."""
    return billcode.replace(" ", "").lstrip("0").upper()
