"""What Ropo One's answer to one payment means for its row: posted, rejected or unknown.

An answer is read for what it proves: statusid 6 with HTTP 201 is posted, any other 2xx or a
statusid that is not a whole number proves nothing (unknown). A posted payment whose payer
deducted credit notes should leave the invoice settled; when Ropo One says it is still open,
the row needs attention (`credit-note-open`).
"""

from __future__ import annotations

from decimal import Decimal

from importer.duplicates import check_text, invoice_of
from importer.models import STATUS_APPLIED, STATUSES, ApiAnswer, Outcome, RowResult
from importer.problems import (
    API_ERROR,
    CONTRADICTORY_ANSWER,
    CREDIT_NOTE_OPEN,
    REGISTERED,
    answered_money,
    status,
    unfocused,
)
from importer.validation import Valid


def from_answer(valid: Valid, answer: ApiAnswer) -> RowResult:
    """The outcome Ropo One's answer means for this row."""
    payment = valid.payment
    result = RowResult(
        valid.row, Outcome.REJECTED, payment=payment, amount=payment.cash, response=answer.fields
    )
    if answer.applied:
        result.outcome, result.code = Outcome.POSTED, REGISTERED
        result.message = _allocation(answer)
        if valid.credit_notes:
            _credit_notes_settled(result, valid, answer)
    elif (
        200 <= answer.http_status < 300
        or answer.statusid == STATUS_APPLIED
        or answer.raw_statusid is not None
    ):
        # Any 2xx means Ropo One took it, and statusid 6 means it registered it: an answer
        # that says one without the other, or a statusid that is no whole number, proves
        # nothing either way.
        shown = answer.statusid if answer.raw_statusid is None else repr(answer.raw_statusid)
        result.outcome, result.code = Outcome.UNKNOWN, CONTRADICTORY_ANSWER
        result.message = (
            f"HTTP {answer.http_status} with statusid {shown}: the documentation says "
            f"statusid 6 comes with HTTP 201 and only then; {check_text(payment)}"
        )
    elif answer.statusid is not None:
        name, meaning = STATUSES.get(answer.statusid, ("?", "a status the documentation lists"))
        text = answer.fields.get("statustext")
        result.code = status(answer.statusid)
        result.message = f"statusid {answer.statusid} {name}: {meaning}" + (
            f" (Ropo One: {text})" if text else ""
        )
    else:
        result.code = API_ERROR
        result.message = f"HTTP {answer.http_status}: {answer.problem}"
    return result


def _credit_notes_settled(result: RowResult, valid: Valid, answer: ApiAnswer) -> None:
    """After the payment and the credit notes the payer deducted, the invoice should be
    settled: when Ropo One says it is still open (or does not say), the row needs attention."""
    after = [answered_money(answer.fields.get(f"{part}after")) for part in OPEN_PARTS]
    still = sum((a for a in after if a is not None), Decimal("0.00"))
    if after.count(None) < len(after) and still <= 0:
        return
    notes = ", ".join(str(c) for c in valid.credit_notes)
    invoice = invoice_of(valid.payment)
    shown = f"still shows {still:.2f} open" if None not in after else "does not say what is open"
    if valid.payment.creditnotebillnum:
        todo = "check in Ropo One how the credit notes were booked on the invoice"
    else:
        todo = (
            "register the credit note in Ropo One, or run again with --credit-notes send "
            "(confirm with Ropo support first how Ropo One books it)"
        )
    result.code = CREDIT_NOTE_OPEN
    result.message += (
        f"; the payer deducted credit note{'s' * (len(valid.credit_notes) > 1)} {notes}, "
        f"but Ropo One {shown} on {invoice}: {todo}"
    )


def _allocation(answer: ApiAnswer) -> str:
    fields = answer.fields
    parts = [
        f"{label} {fields[name]}"
        for label, name in (
            ("notice fee", "focusedtonoticefee"),
            ("interest", "focusedtointerest"),
            ("capital", "focusedtocapital"),
        )
        if fields.get(name)
    ]
    message = "registered" + (": " + ", ".join(parts) if parts else "")
    overpaid = unfocused(fields)
    if overpaid is not None:
        message += f"; {overpaid} unfocused: an overpayment to refund or allocate by hand"
    return message


OPEN_PARTS = ("capital", "interest", "noticefee")
