"""A Transaction -> a Payment to send, or the reason the row is not sent.

Every problem becomes a RowResult naming the column, the raw value and what would fix it,
with a stable code; nothing here raises for a bad row.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from importer.errors import FieldError
from importer.mapping import Columns
from importer.models import Outcome, Payment, Problem, RowResult, SourceRow, Transaction
from importer.profiles import PAYDATE_ORDER
from importer.references import normalise_reference

DESCRIPTION_LIMIT = 200
EURO = ("", "EUR")


@dataclass(frozen=True)
class Valid:
    """A row that can be sent: its payment and the key that identifies the bank transaction."""

    row: SourceRow
    payment: Payment
    archive_id: str | None
    payer: str


def validate_row(txn: Transaction, columns: Columns, headers: tuple[str, ...]) -> Valid | RowResult:
    """Check one transaction; a Valid payment, or a RowResult saying why it is not sent."""
    row, amount = txn.row, txn.amount
    if txn.verdict is not None:
        return RowResult(
            row, txn.verdict.outcome, txn.verdict.code, txn.verdict.message, amount=amount
        )
    extra = [cell for cell in row.cells[len(headers) :] if cell not in (None, "")]
    if extra:
        return _invalid(
            row,
            "ragged-row",
            f"line {row.line} has {len(row.cells)} fields but the header has {len(headers)}; "
            "a field probably contains an unquoted delimiter: quote it or fix the export",
        )
    problem = txn.problem("amount")
    if problem is not None or amount is None:
        return _refuse(row, problem, None)
    if amount < 0:
        return RowResult(
            row,
            Outcome.SKIPPED,
            "outgoing",
            "outgoing payment: not a payment to register",
            amount=amount,
        )
    if amount == 0:
        return RowResult(row, Outcome.SKIPPED, "zero-amount", "the amount is zero", amount=amount)
    if amount != amount.quantize(Decimal("0.01")):
        problem = Problem(
            "amount",
            columns.names.get("amount", "amount"),
            amount,
            "too-many-decimals",
            "a euro amount has at most two decimals",
        )
        return _refuse(row, problem, amount)
    if txn.currency.upper() not in EURO:
        return _invalid(
            row,
            "not-euro",
            f"column {columns.names.get('currency', 'currency')!r}, value {txn.currency!r}: "
            "Ropo One takes euro payments; register this one by hand",
            amount,
        )
    if txn.paydate is None:
        # Only the date that would be sent matters: a bad booking date beside a good payment
        # date does not stop the payment.
        return _refuse(row, txn.problem(*PAYDATE_ORDER), amount)
    identifier = _identifier(txn, columns)
    if isinstance(identifier, RowResult):
        return identifier
    archive_id = txn.archive_id or None
    payer = " ".join(txn.payer.split())
    try:
        payment = Payment(
            amount=amount,
            paydate=txn.paydate,
            type=columns.profile.payment.type or None,
            identifier=columns.profile.payment.identifier or None,
            description=_description(archive_id, payer),
            **identifier,
        )
    except ValidationError as exc:
        return _invalid(row, "bad-payment", exc.errors()[0]["msg"], amount)
    return Valid(row=row, payment=payment, archive_id=archive_id, payer=payer)


def _identifier(txn: Transaction, columns: Columns) -> dict[str, str | int] | RowResult:
    """The one identifier to send, in the documented order: billcode, jobid, billnum."""
    row, amount = txn.row, txn.amount
    problem = txn.problem("reference")
    if problem is not None:
        return _refuse(row, problem, amount)
    if txn.reference:
        try:
            return {"billcode": normalise_reference(txn.reference)}
        except FieldError as error:
            column = columns.names.get("reference", "reference")
            raw = row.cells[columns.index["reference"]] if "reference" in columns.index else None
            return _refuse(
                row, Problem("reference", column, raw, error.code, error.message), amount
            )
    if txn.jobid:
        if not txn.jobid.isdigit():
            column = columns.names.get("jobid", "jobid")
            problem = Problem("jobid", column, txn.jobid, "bad-jobid", "a jobid is a whole number")
            return _refuse(row, problem, amount)
        return {"jobid": int(txn.jobid)}
    if txn.billnum:
        return {"billnum": txn.billnum}
    named = ", ".join(
        repr(columns.names[f]) for f in ("reference", "jobid", "billnum") if f in columns.names
    )
    return _invalid(
        row,
        "missing-reference",
        f"no reference in {named or 'the file'}: the payment cannot be matched to an invoice; "
        "find the invoice by hand and add its reference",
        amount,
    )


def _description(archive_id: str | None, payer: str) -> str:
    """Text stored with the payment in Ropo One, so it can be traced back to the bank."""
    parts = ["Paid to own account"]
    if archive_id:
        parts.append(f"archive id {archive_id}")
    if payer:
        parts.append(f"payer {payer}")
    return "; ".join(parts)[:DESCRIPTION_LIMIT]


def _refuse(row: SourceRow, problem: Problem | None, amount: Decimal | None) -> RowResult:
    if problem is None:  # a field without a column: the profile maps nothing there
        return _invalid(row, "missing-value", "a needed field has no value", amount)
    return _invalid(row, problem.code, problem.text(), amount)


def _invalid(row: SourceRow, code: str, message: str, amount: Decimal | None = None) -> RowResult:
    return RowResult(row, Outcome.INVALID, code, message, amount=amount)
