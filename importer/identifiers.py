"""The one identifier a payment is sent with: billcode, else jobid, else billnum.

That is the lookup order the API documents (seed: POST /jobs/payment). The billcode is the
row's reference, checked and never guessed; billnum comes from an invoice number column, or
from the payment's message ("Lasku 41004") when the row has no reference at all.
"""

from __future__ import annotations

import re
from functools import cache

from importer.errors import FieldError
from importer.mapping import Columns
from importer.models import CellValue, Problem, Transaction
from importer.references import parse_reference

Identifier = dict[str, str | int]
_NUMBER = re.compile(r"(?i)\b[a-z]{0,3}-?\d{3,}\b")

MAX_JOBID = 18  # digits: every 18-digit number fits a signed 64-bit integer
MAX_BILLNUM = 35  # characters, as a reference (billcode): Ropo One documents no limit


def choose_identifier(txn: Transaction, columns: Columns, domestic: bool) -> Identifier | Problem:
    """{"billcode": ...}, {"jobid": ...} or {"billnum": ...}; or the Problem that stops it."""
    problem = txn.problem("reference")
    if problem is not None:
        return problem
    in_message = invoice_in_message(txn.message, columns.profile.billnum_in_message)
    if txn.reference:
        try:
            reference = parse_reference(txn.reference)
        except FieldError as error:
            message = error.message
            if isinstance(in_message, str) and in_message:
                message += (
                    f"; the message names invoice {in_message}: to register by it instead, "
                    "empty the reference cell"
                )
            column, raw = _name(columns, "reference"), _raw(txn, columns)
            return Problem("reference", column, raw, error.code, message)
        return {"billcode": reference.to_send(domestic or _domestic(columns))}
    if txn.jobid:
        # ASCII digits only ('²' is a digit to isdigit), and no more than a 64-bit id holds.
        if not (txn.jobid.isascii() and txn.jobid.isdigit() and len(txn.jobid) <= MAX_JOBID):
            return Problem(
                "jobid",
                _name(columns, "jobid"),
                txn.jobid,
                "bad-jobid",
                f"a jobid is a whole number of at most {MAX_JOBID} digits",
            )
        return {"jobid": int(txn.jobid)}
    if txn.billnum:
        if len(txn.billnum) > MAX_BILLNUM:
            return Problem(
                "billnum",
                _name(columns, "billnum"),
                txn.billnum,
                "billnum-too-long",
                f"an invoice number is at most {MAX_BILLNUM} characters",
            )
        return {"billnum": txn.billnum}
    if isinstance(in_message, list):
        return Problem(
            "message",
            _name(columns, "message"),
            txn.message,
            "several-invoices",
            f"the message names invoice {in_message[0]} but also {', '.join(in_message[1:])}: "
            "a payment for several invoices is registered by hand",
        )
    if in_message:
        return {"billnum": in_message}
    named = ", ".join(
        repr(columns.names[f]) for f in ("reference", "jobid", "billnum") if f in columns.names
    )
    return Problem(
        "reference",
        _name(columns, "reference"),
        "",
        "missing-reference",
        f"no reference in {named or 'the file'} and no invoice number in the message: the "
        "payment cannot be matched to an invoice; find the invoice by hand and add its reference",
    )


def invoice_in_message(message: str, pattern: str | None) -> str | list[str]:
    """The invoice number the message names ("Lasku 41004" -> "41004"), "" when it names none,
    or every number in it (the invoice's first) when it has more than one: never guessed."""
    if not pattern or not message:
        return ""
    found = _compiled(pattern).search(message)
    if found is None:
        return ""
    number = found.group(1).upper()
    others = sorted({n.upper() for n in _NUMBER.findall(message)} - {number})
    return [number, *others] if others else number


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _domestic(columns: Columns) -> bool:
    return columns.profile.reference_form == "domestic"


def _name(columns: Columns, field: str) -> str:
    return columns.names.get(field, field)  # type: ignore[call-overload, no-any-return]


def _raw(txn: Transaction, columns: Columns) -> CellValue:
    at = columns.index.get("reference")
    return txn.row.cells[at] if at is not None and at < len(txn.row.cells) else txn.reference
