"""A Transaction -> a Payment to send, or the reason the row is not sent.

Every problem becomes a RowResult naming the column, the raw value and what would fix it,
with a stable code; nothing here raises for a bad row. Duplicates are judged later, across the
file and the journal (duplicates.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from pydantic import ValidationError

from importer.defaults import MAX_AGE_DAYS
from importer.identifiers import choose_identifier, message_note
from importer.mapping import Columns
from importer.models import (
    CreditNote,
    Outcome,
    Payment,
    Problem,
    Remittance,
    RowResult,
    SourceRow,
    Transaction,
)
from importer.problems import (
    BAD_PAYMENT,
    CREDIT_NOTE,
    DIRECT_DEBIT,
    DRY_RUN,
    FUTURE_DATE,
    MISSING_VALUE,
    NOT_EURO,
    OLD_DATE,
    OUTGOING,
    RAGGED_ROW,
    TOO_MANY_DECIMALS,
    ZERO_AMOUNT,
    refusal,
)
from importer.profiles import PAYDATE_ORDER

DESCRIPTION_LIMIT = 200
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


def validate_row(
    txn: Transaction, columns: Columns, headers: tuple[str, ...], rules: Rules
) -> Valid | RowResult:
    """Check one transaction; a Valid payment, or a RowResult saying why it is not sent.

    A RowResult always carries the amount read from the row, so sums in equal sums out.
    """
    checked = _check(txn, columns, headers, rules)
    if isinstance(checked, RowResult):
        return replace(checked, amount=cash(txn))
    return checked


def cash(txn: Transaction) -> Decimal | None:
    """The money a row moves: a row that registers a credit note moves none."""
    noted = txn.row.remittance
    return Decimal("0.00") if noted and noted.registers else txn.amount


def _check(
    txn: Transaction, columns: Columns, headers: tuple[str, ...], rules: Rules
) -> Valid | RowResult:
    row, amount = txn.row, txn.amount
    verdict = txn.verdict
    if verdict is not None and not (rules.send_direct_debits and verdict.code == DIRECT_DEBIT):
        return RowResult(row, verdict.outcome, verdict.code, verdict.message)
    noted = row.remittance or Remittance()
    if noted.registers is not None:
        # Decided before any other check: by default such a row is never anything but this,
        # so it never lands in Needs attention to come back as a payment.
        if not rules.send_credit_notes:
            return _skipped(
                row,
                CREDIT_NOTE,
                f"credit note {noted.registers} that the payer deducted from {_invoice(txn)}: "
                "not registered in Ropo One (the default); the payment row above names it, "
                "and --credit-notes send registers it",
            )
        amount = noted.registers.amount  # the row itself moves no money
    extra = [cell for cell in row.cells[len(headers) :] if cell not in (None, "")]
    if extra:
        return _invalid(
            row,
            RAGGED_ROW,
            f"line {row.line} has {len(row.cells)} fields but the header has {len(headers)}; "
            "a field probably contains an unquoted delimiter: quote it or fix the export",
        )
    problem = txn.problem("amount")
    if problem is not None or amount is None:
        return _refuse(row, problem)
    if amount < 0:
        return _skipped(row, OUTGOING, "outgoing payment: not a payment to register")
    if amount == 0:
        return _skipped(row, ZERO_AMOUNT, "the amount is zero: nothing to register")
    if amount != amount.quantize(Decimal("0.01")):
        column = columns.names.get("amount", "amount")
        message = "a euro amount has at most two decimals"
        return _refuse(row, Problem("amount", column, amount, TOO_MANY_DECIMALS, message))
    if txn.currency.upper() not in EURO:
        column = columns.names.get("currency", "currency")
        message = "Ropo One takes euro payments; register this one by hand"
        return _refuse(row, Problem("currency", column, txn.currency, NOT_EURO, message))
    if txn.paydate is None:
        # Only the date that would be sent matters: a bad booking date beside a good payment
        # date does not stop the payment.
        return _refuse(row, txn.problem(*PAYDATE_ORDER))
    problem = _date_problem(txn, txn.paydate, columns, rules)
    if problem is not None:
        return _refuse(row, problem)
    identifier = choose_identifier(txn, columns, rules.domestic_references)
    if isinstance(identifier, Problem):
        return _refuse(row, identifier)
    archive_id = txn.archive_id or None
    payer = " ".join(txn.payer.split())
    notes = [message_note(txn, identifier), *_deducted(noted)]
    if verdict is not None:  # a direct debit, sent on request
        notes.append("direct debit")
    try:
        payment = Payment.model_validate(
            {
                "amount": amount,
                "paydate": txn.paydate,
                "type": columns.profile.payment.type or None,
                "identifier": columns.profile.payment.identifier or None,
                "creditnotebillnum": noted.registers.number if noted.registers else None,
                "description": _description(archive_id, payer, "; ".join(filter(None, notes))),
                **identifier,
            }
        )
    except ValidationError as exc:
        return _invalid(row, BAD_PAYMENT, refusal(exc).message)
    # Which row should leave the invoice settled: the payment itself when its credit notes are
    # not sent, else the invoice's last credit note.
    if rules.send_credit_notes:
        registered = any(c.number for c in noted.credit_notes)
        settles = noted.last if noted.registers is not None else not registered
    else:
        settles = noted.registers is None
    checks = noted.credit_notes if settles else ()
    return Valid(row=row, payment=payment, archive_id=archive_id, payer=payer, credit_notes=checks)


def _deducted(noted: Remittance) -> list[str]:
    if noted.registers:
        return [f"credit note {noted.registers} deducted by the payer"]
    if noted.credit_notes:
        shown = ", ".join(str(c) for c in noted.credit_notes)
        return [f"the payer deducted credit note{'s' * (len(noted.credit_notes) > 1)} {shown}"]
    return [noted.part] if noted.part else []


def _invoice(txn: Transaction) -> str:
    if txn.reference:
        return f"the invoice with reference {txn.reference}"
    return f"invoice {txn.billnum}" if txn.billnum else "its invoice"


def would_send(valid: Valid) -> RowResult:
    """A dry run's result for a row a real run would send."""
    payment = valid.payment
    message = "dry run: this payment would be sent"
    return RowResult(valid.row, Outcome.SKIPPED, DRY_RUN, message, payment, payment.cash)


def _date_problem(
    txn: Transaction, paydate: date, columns: Columns, rules: Rules
) -> Problem | None:
    """A paydate after today, or older than the allowed age, is refused with how to allow it."""
    field = next(f for f in PAYDATE_ORDER if getattr(txn, f) == paydate)
    column = columns.names.get(field, field)
    at = columns.index.get(field)
    raw = txn.row.cells[at] if at is not None and at < len(txn.row.cells) else paydate
    if paydate > rules.today and not rules.allow_future:
        return Problem(
            field,
            column,
            raw,
            FUTURE_DATE,
            f"the date is after today ({rules.today}); a bank export lists payments already "
            "received, so check the file, or run with --allow-future to send it as it is",
        )
    age = (rules.today - paydate).days
    if age > rules.max_age_days:
        return Problem(
            field,
            column,
            raw,
            OLD_DATE,
            f"the date is {age} days before today ({rules.today}), more than the "
            f"{rules.max_age_days} allowed; check this is this period's export, or run with "
            f"--max-age {age} to send it",
        )
    return None


def _description(archive_id: str | None, payer: str, note: str = "") -> str:
    """Text stored with the payment in Ropo One, so it can be traced back to the bank."""
    parts = ["Paid to own account"]
    if archive_id:
        parts.append(f"archive id {archive_id}")
    if payer:
        parts.append(f"payer {payer}")
    # The note last: when the text is cut, what traces the payment back is kept.
    return "; ".join([*parts, *([note] if note else [])])[:DESCRIPTION_LIMIT]


def _refuse(row: SourceRow, problem: Problem | None) -> RowResult:
    if problem is None:  # a field without a column: the profile maps nothing there
        return _invalid(row, MISSING_VALUE, "a needed field has no value")
    raw = problem.raw
    text = format(raw, "f") if isinstance(raw, Decimal) else raw
    if isinstance(text, str) and len(text) > SHOWN_LENGTH:
        problem = replace(problem, raw=shortened(text))
    return replace(_invalid(row, problem.code, problem.text()), problem=problem)


def shortened(text: str) -> str:
    """`text`, or its start and end around an ellipsis when it is longer than SHOWN_LENGTH."""
    if len(text) <= SHOWN_LENGTH:
        return text
    return f"{text[: SHOWN_LENGTH - 12]}…{text[-8:]}"


def _skipped(row: SourceRow, code: str, message: str) -> RowResult:
    return RowResult(row, Outcome.SKIPPED, code, message)


def _invalid(row: SourceRow, code: str, message: str) -> RowResult:
    return RowResult(row, Outcome.INVALID, code, message)
