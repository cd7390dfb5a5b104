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
from importer.said import Phrase, Said, say
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
        result.message = say(
            "HTTP {status} with statusid {statusid}: the documentation says statusid 6 comes "
            "with HTTP 201 and only then; {check}",
            status=answer.http_status,
            statusid=shown,
            check=check_text(payment),
        )
    elif answer.statusid is not None:
        name, meaning = STATUSES.get(answer.statusid, ("?", ""))
        said = dict(
            statusid=answer.statusid,
            name=name,
            meaning=Phrase(meaning) if meaning else say("a status the documentation does not list"),
        )
        text = answer.fields.get("statustext")
        result.code = status(answer.statusid)
        result.message = (
            say("statusid {statusid} {name}: {meaning} (Ropo One: {text})", text=text, **said)
            if text
            else say("statusid {statusid} {name}: {meaning}", **said)
        )
    else:
        result.code = API_ERROR
        result.message = say(
            "HTTP {status}: {problem}", status=answer.http_status, problem=answer.problem
        )
    return result


def _credit_notes_settled(result: RowResult, valid: Valid, answer: ApiAnswer) -> None:
    """After the payment and the credit notes the payer deducted, the invoice should be
    settled: when Ropo One says it is still open (or does not say), the row needs attention."""
    after = [answered_money(answer.fields.get(f"{part}after")) for part in OPEN_PARTS]
    still = sum((a for a in after if a is not None), Decimal("0.00"))
    if after.count(None) < len(after) and still <= 0:
        return
    shown = (
        say("still shows {amount} open", amount=still.quantize(Decimal("0.01")))
        if None not in after
        else say("does not say what is open")
    )
    if valid.payment.creditnotebillnum:
        todo = say("check in Ropo One how the credit notes were booked on the invoice")
    else:
        todo = say(
            "register the credit note in Ropo One, or run again with --credit-notes send "
            "(confirm with Ropo support first how Ropo One books it)"
        )
    said = dict(
        message=result.message,
        notes=tuple(c.said() for c in valid.credit_notes),
        shown=shown,
        invoice=invoice_of(valid.payment),
        todo=todo,
    )
    result.code = CREDIT_NOTE_OPEN
    result.message = (
        say(
            "{message}; the payer deducted credit notes {notes}, but Ropo One {shown} on "
            "{invoice}: {todo}",
            **said,
        )
        if len(valid.credit_notes) > 1
        else say(
            "{message}; the payer deducted credit note {notes}, but Ropo One {shown} on "
            "{invoice}: {todo}",
            **said,
        )
    )


def _allocation(answer: ApiAnswer) -> Said:
    fields = answer.fields
    parts = []
    if fields.get("focusedtonoticefee"):
        parts.append(say("notice fee {amount}", amount=fields["focusedtonoticefee"]))
    if fields.get("focusedtointerest"):
        parts.append(say("interest {amount}", amount=fields["focusedtointerest"]))
    if fields.get("focusedtocapital"):
        parts.append(say("capital {amount}", amount=fields["focusedtocapital"]))
    message = say("registered: {parts}", parts=tuple(parts)) if parts else say("registered")
    overpaid = unfocused(fields)
    if overpaid is not None:
        message = say(
            "{message}; {amount} unfocused: an overpayment to refund or allocate by hand",
            message=message,
            amount=overpaid,
        )
    return message


OPEN_PARTS = ("capital", "interest", "noticefee")
