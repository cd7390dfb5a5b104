"""What a run accepts (Rules) and what a row that can be sent is (Valid).

The rules themselves are declared once, in engine/rules.py; the payment of a row they leave
is built in engine/payment.py. Duplicates are judged later, across the file and the journal
(duplicates.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from importer.defaults import MAX_AGE_DAYS
from importer.models import CreditNote, Outcome, Payment, RowResult, SourceRow
from importer.problems import DRY_RUN
from importer.said import say

EURO = ("", "EUR")
# A cell's value is shown whole in a message up to this length, else its start and its end:
# a 10,000-digit reference makes a message nobody reads.
SHOWN_LENGTH = 40


@dataclass(frozen=True)
class Rules:
    """What a run accepts beyond the file itself; each relaxation is an explicit option."""

    today: date
    max_age_days: int = MAX_AGE_DAYS  # a paydate older than this many days is invalid
    allow_future: bool = False  # send payments dated after today
    allow_identical: bool = False  # send rows identical to an earlier one (no archive id)
    domestic_references: bool = False  # RF + Finnish reference -> the Finnish reference
    send_credit_notes: bool = False  # register the credit notes a payer deducted (camt)
    send_direct_debits: bool = False  # register direct debits as payments, as other money


@dataclass(frozen=True)
class Valid:
    """A row that can be sent: its payment and the key that identifies the bank transaction."""

    row: SourceRow
    payment: Payment
    archive_id: str | None
    payer: str
    # The credit notes the payer deducted, when the invoice should be settled once this
    # payment is registered: if Ropo One still shows it open, the row needs attention.
    credit_notes: tuple[CreditNote, ...] = ()


WOULD_SEND = say("dry run: this payment would be sent")


def would_send(valid: Valid) -> RowResult:
    """A dry run's result for a row a real run would send."""
    payment = valid.payment
    return RowResult(valid.row, Outcome.SKIPPED, DRY_RUN, WOULD_SEND, payment, payment.cash)


def shortened(text: str) -> str:
    """`text`, or its start and end around an ellipsis when it is longer than SHOWN_LENGTH."""
    if len(text) <= SHOWN_LENGTH:
        return text
    return f"{text[: SHOWN_LENGTH - 12]}…{text[-8:]}"
