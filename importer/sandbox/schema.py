"""What a request to the sandbox must look like, checked without ever raising anything else.

A body is a JSON object of at most BODY_LIMIT bytes of UTF-8; a payment carries the
JobAddPayment fields. Whatever breaks that is a Problem (400, or 413 for size) that the app
answers with an HttpApiProblem body: the sandbox never answers 500 for what a client sent.
"""

from __future__ import annotations

import json
import re
from contextlib import aclosing
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import ClientDisconnect, Request

BODY_LIMIT = 64 * 1024
CENT = Decimal("0.01")
# Amounts below 10^15 euros: far above any invoice, and small enough that rounding to cents
# stays exact in the default decimal context (28 digits).
MAX_AMOUNT_DIGITS = 15
MAX_JOBID = 2**63 - 1
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class Problem(Exception):  # noqa: N818 - becomes an HttpApiProblem response
    """A request the sandbox refuses, with the status and words of its problem body."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def bad(detail: str) -> Problem:
    return Problem(400, "Bad Request", detail)


async def read_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; never more than BODY_LIMIT bytes are read into memory."""
    declared = request.headers.get("content-length", "")
    if (
        declared.isascii()
        and declared.isdigit()
        and (len(declared) > 9 or int(declared) > BODY_LIMIT)
    ):
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    try:
        async with aclosing(request.stream()) as stream:
            async for chunk in stream:
                size += len(chunk)
                if size > BODY_LIMIT:
                    raise _too_large()
                chunks.append(chunk)
    except ClientDisconnect:
        raise bad("the body ended before its end") from None
    return parse_object(b"".join(chunks))


def parse_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from UTF-8 bytes, fractions as Decimal; NaN and Infinity are not JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the body is not valid UTF-8") from None
    try:
        body = json.loads(text, parse_float=Decimal, parse_constant=_not_json)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
        raise bad("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    return body


def credentials(body: dict[str, Any]) -> tuple[str, bytes]:
    """POST /token's cid (a string, or an integer as some clients send it) and apicode."""
    cid, apicode = body.get("cid", ""), body.get("apicode", "")
    if isinstance(cid, int) and not isinstance(cid, bool):
        cid = str(cid)
    if not isinstance(cid, str) or not isinstance(apicode, str):
        raise bad("cid and apicode must be strings")
    return _text(cid, "cid"), _text(apicode, "apicode").encode("utf-8")


def payment_fields(
    body: dict[str, Any],
) -> tuple[Decimal, str, str | None, int | None, str | None]:
    """The JobAddPayment fields, or a Problem naming the first broken one."""
    amount = _amount(body.get("amount"))
    paydate = body.get("paydate")
    if not isinstance(paydate, str) or not _DATE.fullmatch(paydate) or not _real_date(paydate):
        raise bad("paydate is required in the form YYYY-MM-DD")
    billcode, jobid, billnum = body.get("billcode"), body.get("jobid"), body.get("billnum")
    if jobid is not None and (isinstance(jobid, bool) or not isinstance(jobid, int)):
        raise bad("jobid must be an integer")
    if jobid is not None and abs(jobid) > MAX_JOBID:
        raise bad(f"jobid must be at most {MAX_JOBID}")
    if billcode is not None and not isinstance(billcode, str):
        raise bad("billcode must be a string")
    if billnum is not None and not isinstance(billnum, str):
        raise bad("billnum must be a string")
    if not (billcode or jobid is not None or billnum):
        raise bad("one of billcode, jobid or billnum is required")
    billcode = _text(billcode, "billcode") if billcode else None
    billnum = _text(billnum, "billnum") if billnum else None
    return amount, paydate, billcode, jobid, billnum


def credit_note_of(body: dict[str, Any]) -> str | None:
    """The credit note a request registers on the invoice (creditnotebillnum), if any."""
    number = body.get("creditnotebillnum")
    if number is None or number == "":
        return None
    if not isinstance(number, str):
        raise bad("creditnotebillnum must be a string")
    return _text(number, "creditnotebillnum")


def _amount(raw: object) -> Decimal:
    if raw is None or isinstance(raw, bool):
        raise bad("amount is required")
    if not isinstance(raw, (int, str, Decimal)):
        raise bad("amount must be a number")
    try:
        amount = Decimal(str(raw)) if isinstance(raw, (int, str)) else raw
    except InvalidOperation:
        raise bad(f"amount {_shown(raw)} is not a number") from None
    if not amount.is_finite() or amount <= 0:
        raise bad("amount must be positive with at most two decimals")
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise bad(f"amount must be below 10^{MAX_AMOUNT_DIGITS}")
    if amount != amount.quantize(CENT):
        raise bad("amount must be positive with at most two decimals")
    return amount.quantize(CENT)


def _text(value: str, name: str) -> str:
    """`value` when it is text UTF-8 can carry (a lone surrogate from a \\ud800 escape is not)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad(f"{name} is not valid Unicode text") from None
    return value


def _shown(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _too_large() -> Problem:
    return Problem(413, "Content Too Large", f"the body is over {BODY_LIMIT} bytes")
