"""Mapped cells -> a Payment to send, or the reason the row is not sent.

Every problem becomes a RowResult naming the column, the raw value and what would fix it,
with a stable code; nothing here raises for a bad row.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from importer.amounts import parse_amount
from importer.dates import parse_date
from importer.errors import FieldError
from importer.mapping import Mapping
from importer.models import CellValue, Outcome, Payment, RowResult, SourceRow
from importer.references import normalise_reference

DESCRIPTION_LIMIT = 200


@dataclass(frozen=True)
class Valid:
    """A row that can be sent: its payment and the key that identifies the bank transaction."""

    row: SourceRow
    payment: Payment
    archive_id: str | None
    payer: str


def validate_row(
    row: SourceRow,
    values: dict[str, CellValue],
    mapping: Mapping,
    headers: tuple[str, ...],
    decimal_mark: str | None,
) -> Valid | RowResult:
    """Check one mapped row; a Valid payment, or a RowResult saying why it is not sent."""
    if row.verdict is not None:
        amount = values.get("amount")
        return RowResult(
            row,
            row.verdict.outcome,
            row.verdict.code,
            row.verdict.message,
            amount=amount if isinstance(amount, Decimal) else None,
        )
    extra = [cell for cell in row.cells[len(headers) :] if cell not in (None, "")]
    if extra:
        return _invalid(
            row,
            "ragged-row",
            f"line {row.line} has {len(row.cells)} fields but the header has {len(headers)}; "
            "a field probably contains an unquoted delimiter: quote it or fix the export",
        )
    columns = mapping.columns
    raw_amount = values.get("amount")
    try:
        amount = (
            raw_amount
            if isinstance(raw_amount, Decimal)
            else parse_amount(_text(raw_amount), decimal_mark or mapping.format.decimal_mark)
        )
    except FieldError as problem:
        return _invalid(row, problem.code, _where(columns.amount, raw_amount, problem.message))
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
        return _invalid(
            row,
            "too-many-decimals",
            _where(columns.amount, raw_amount, "a euro amount has at most two decimals"),
            amount,
        )
    raw_date = values.get("paydate")
    try:
        paydate = parse_date(raw_date, mapping.format.date_format)
    except FieldError as problem:
        return _invalid(
            row, problem.code, _where(columns.paydate, raw_date, problem.message), amount
        )
    identifier = _identifier(row, values, mapping, amount)
    if isinstance(identifier, RowResult):
        return identifier
    archive_id = _text(values.get("archive_id")).strip() or None
    payer = " ".join(_text(values.get("payer")).split())
    try:
        payment = Payment(
            amount=amount,
            paydate=paydate,
            type=mapping.payment.type or None,
            identifier=mapping.payment.identifier or None,
            description=_description(archive_id, payer),
            **identifier,
        )
    except ValidationError as exc:
        return _invalid(row, "bad-payment", exc.errors()[0]["msg"], amount)
    return Valid(row=row, payment=payment, archive_id=archive_id, payer=payer)


def _identifier(
    row: SourceRow, values: dict[str, CellValue], mapping: Mapping, amount: Decimal
) -> dict[str, str | int] | RowResult:
    """The one identifier to send, in the documented order: billcode, jobid, billnum."""
    columns = mapping.columns
    raw_reference = _text(values.get("reference")).strip()
    if raw_reference:
        try:
            return {"billcode": normalise_reference(raw_reference)}
        except FieldError as problem:
            return _invalid(
                row, problem.code, _where(columns.reference, raw_reference, problem.message), amount
            )
    raw_jobid = _text(values.get("jobid")).strip()
    if raw_jobid:
        if not raw_jobid.isdigit():
            return _invalid(
                row,
                "bad-jobid",
                _where(columns.jobid, raw_jobid, "a jobid is a whole number"),
                amount,
            )
        return {"jobid": int(raw_jobid)}
    raw_billnum = _text(values.get("billnum")).strip()
    if raw_billnum:
        return {"billnum": raw_billnum}
    named = ", ".join(repr(c) for c in (columns.reference, columns.jobid, columns.billnum) if c)
    return _invalid(
        row,
        "missing-reference",
        f"no reference in {named}: the payment cannot be matched to an invoice; "
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


def _invalid(row: SourceRow, code: str, message: str, amount: Decimal | None = None) -> RowResult:
    return RowResult(row, Outcome.INVALID, code, message, amount=amount)


def _where(column: str | None, raw: CellValue, problem: str) -> str:
    return f"column {column!r}, value {_text(raw)!r}: {problem}"


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
