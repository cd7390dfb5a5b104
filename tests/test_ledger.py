"""The sandbox's allocation rule, alone: notice fee, then interest, then capital; rest unfocused."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from importer.sandbox.ledger import Invoice, Ledger

cents = st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c) / 100)


@given(capital=cents, interest=cents, fee=cents, amount=cents.filter(lambda a: a > 0))
def test_allocation_conserves_every_cent_in_statutory_order(
    capital: Decimal, interest: Decimal, fee: Decimal, amount: Decimal
) -> None:
    invoice = Invoice(1, "R1", "13013", "1", "open", capital, interest, fee)
    split = Ledger([invoice]).apply(invoice, amount, "2026-11-02")
    assert split.noticefee + split.interest + split.capital + split.unfocused == amount
    assert split.noticefee == min(amount, fee)
    assert split.interest == min(amount - split.noticefee, interest)
    assert split.capital == min(amount - split.noticefee - split.interest, capital)
    assert split.unfocused == max(amount - (capital + interest + fee), Decimal(0))
    assert invoice.open_total == capital + interest + fee - (amount - split.unfocused)
    assert (invoice.state == "paid") == (invoice.open_total == 0)
