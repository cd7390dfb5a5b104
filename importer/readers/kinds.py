"""Kinds of money that are not invoice payments, with one verdict each in every format.

A direct debit, a returned payment and a reversal can carry a good reference and a positive
amount, yet none of them is a debtor paying an invoice: direct debits are settled through the
bank's direct-debit service, a return is money sent back, and a reversal cancels an earlier
entry whichever its sign. KTL, camt and the CSV profiles all end them with these verdicts, so
the same money ends the same way whichever file brings it (issue 15 item 2).
"""

from __future__ import annotations

from collections.abc import Callable

from importer.models import Outcome, Verdict
from importer.problems import DIRECT_DEBIT, RETURNED, REVERSAL
from importer.said import Phrase, Said, say

# ISO 20022 ExternalReturnReason1Code: the common ones, so the message says what the bank said.
RETURN_REASONS = {
    "AC01": "incorrect account number",
    "AC04": "closed account",
    "AC06": "blocked account",
    "AG01": "transaction forbidden",
    "AM04": "insufficient funds",
    "AM05": "duplicate payment",
    "BE04": "missing creditor address",
    "FOCR": "following a cancellation request",
    "MD07": "the account holder has died",
    "MS02": "reason not given by the customer",
    "MS03": "reason not given by the bank",
    "RC01": "incorrect BIC",
}


def direct_debit(where: str) -> Verdict:
    return Verdict(
        Outcome.SKIPPED,
        DIRECT_DEBIT,
        say("a direct debit ({where}), not a reference payment", where=where),
    )


def returned(where: str, reason: str = "") -> Verdict:
    return Verdict(
        Outcome.SKIPPED,
        RETURNED,
        say(
            "a returned payment ({where}{reason}): money the bank sent back, not a payment "
            "of an invoice; nothing to register",
            where=where,
            reason=_reason(reason),
        ),
    )


def reversal(where: str, reason: str = "") -> Verdict:
    return Verdict(
        Outcome.SKIPPED,
        REVERSAL,
        say(
            "a reversal ({where}{reason}) cancelling an earlier entry, never a payment: if "
            "the entry it reverses was registered in Ropo One, cancel that payment there by hand",
            where=where,
            reason=_reason(reason),
        ),
    )


def bank_code(code: str) -> Said:
    """Where a camt entry says what it is: its bank transaction code."""
    return say("bank transaction code {code}", code=code)


VERDICTS: dict[str, Callable[[str], Verdict]] = {
    DIRECT_DEBIT: direct_debit,
    RETURNED: returned,
    REVERSAL: reversal,
}


def _reason(code: str) -> Said | str:
    if not code:
        return ""
    meaning = RETURN_REASONS.get(code.upper())
    if meaning:
        return say(", reason {code}: {meaning}", code=code, meaning=Phrase(meaning))
    return say(", reason {code}", code=code)
