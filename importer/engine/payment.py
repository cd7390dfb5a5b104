"""A row no rule ended -> its Valid payment: the identifier chosen and the request built.

A plain row (a reference the kernel read, nothing else to say) is put together from the
columns without reading anything again; any other row goes through choose_identifier and
pydantic, one at a time, and may still be refused (its identifier, or the request itself).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import ValidationError

from importer.identifiers import choose_identifier, message_note
from importer.models import Outcome, Payment, Problem, Remittance, RowResult, SourceRow
from importer.models import Transaction as Txn
from importer.problems import BAD_PAYMENT, MISSING_VALUE, explain
from importer.said import Said, say
from importer.validation import SHOWN_LENGTH, Rules, Valid, shortened

if TYPE_CHECKING:
    from importer.engine.fields import Fields

DESCRIPTION_LIMIT = 200


def build(fields: Fields, rules: Rules, index: int) -> Valid | RowResult:
    """The payment of a row no rule ended, read one cell at a time."""
    txn = fields.transaction(index)
    row = txn.row
    noted = fields.cells.remittances.get(index) or Remittance()
    amount = noted.registers.amount if noted.registers is not None else txn.amount
    identifier = choose_identifier(txn, fields.columns, rules.domestic_references)
    if isinstance(identifier, Problem):
        return refuse(row, identifier, cash(txn.amount, noted))
    archive_id = txn.archive_id or None
    payer = " ".join(txn.payer.split())
    notes = [message_note(txn, identifier), *_deducted(noted)]
    if txn.verdict is not None:  # a direct debit, sent on request
        notes.append("direct debit")
    try:
        payment = Payment.model_validate(
            {
                "amount": amount,
                "paydate": txn.paydate,
                "type": fields.profile.payment.type or None,
                "identifier": fields.profile.payment.identifier or None,
                "creditnotebillnum": noted.registers.number if noted.registers else None,
                "description": description(archive_id, payer, "; ".join(filter(None, notes))),
                **identifier,
            }
        )
    except ValidationError as exc:
        result = RowResult(row, Outcome.INVALID, BAD_PAYMENT, explain(exc, pydantic_words=True))
        return replace(result, amount=cash(txn.amount, noted))
    # Which row should leave the invoice settled: the payment itself when its credit notes are
    # not sent, else the invoice's last credit note.
    if rules.send_credit_notes:
        registered = any(c.number for c in noted.credit_notes)
        settles = noted.last if noted.registers is not None else not registered
    else:
        settles = noted.registers is None
    checks = noted.credit_notes if settles else ()
    return Valid(row=row, payment=payment, archive_id=archive_id, payer=payer, credit_notes=checks)


def plain(fields: Fields, index: int) -> Valid:
    """A plain row's payment, from the columns: every part of it was read and checked there
    (a positive euro amount in cents, a date in the window, a valid Finnish reference)."""
    archive_id = str(fields.text("archive_id")[index]) or None
    payer = " ".join(str(fields.text("payer")[index]).split())
    paydate = fields.paydate(index)
    payment = Payment.model_construct(
        amount=Decimal(int(fields.amounts.cents[index])).scaleb(-2),
        paydate=paydate,
        billcode=fields.plain_billcode(index),
        type=fields.profile.payment.type or None,
        identifier=fields.profile.payment.identifier or None,
        description=description(archive_id, payer),
    )
    return Valid(row=fields.cells.row(index), payment=payment, archive_id=archive_id, payer=payer)


def cash(amount: Decimal | None, noted: Remittance) -> Decimal | None:
    """The money a row moves: a row that registers a credit note moves none."""
    return Decimal("0.00") if noted.registers else amount


def refuse(row: SourceRow, problem: Problem | None, amount: Decimal | None = None) -> RowResult:
    """The row refused for the cell `problem` names, its value shortened for the message;
    `amount` is the money the row carries for the sums."""
    if problem is None:  # a field without a column: the profile maps nothing there
        missing = say("a needed field has no value")
        return RowResult(row, Outcome.INVALID, MISSING_VALUE, missing, amount=amount)
    raw = problem.raw
    text = format(raw, "f") if isinstance(raw, Decimal) else raw
    if isinstance(text, str) and len(text) > SHOWN_LENGTH:
        problem = replace(problem, raw=shortened(text))
    message = problem.text()
    return RowResult(row, Outcome.INVALID, problem.code, message, amount=amount, problem=problem)


def invoice_text(txn: Txn) -> Said:
    if txn.reference:
        return say("the invoice with reference {reference}", reference=txn.reference)
    if txn.billnum:
        return say("invoice {number}", number=txn.billnum)
    return say("its invoice")


def description(archive_id: str | None, payer: str, note: str = "") -> str:
    """Text stored with the payment in Ropo One, so it can be traced back to the bank."""
    parts = ["Paid to own account"]
    if archive_id:
        parts.append(f"archive id {archive_id}")
    if payer:
        parts.append(f"payer {payer}")
    # The note last: when the text is cut, what traces the payment back is kept.
    return "; ".join([*parts, *([note] if note else [])])[:DESCRIPTION_LIMIT]


def _deducted(noted: Remittance) -> list[str]:
    if noted.registers:
        return [f"credit note {noted.registers} deducted by the payer"]
    if noted.credit_notes:
        shown = ", ".join(str(c) for c in noted.credit_notes)
        return [f"the payer deducted credit note{'s' * (len(noted.credit_notes) > 1)} {shown}"]
    return [noted.part] if noted.part else []
