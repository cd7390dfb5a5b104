"""The sandbox's HTTP API (Starlette): POST /rest/token and POST /rest/jobs/payment.

Status rules from the seed specification: statusid 6 (OHISPAY) comes with HTTP 201, every other
statusid with HTTP 400. A body that breaks the JobAddPayment schema gets 400 with an
HttpApiProblem body; a missing or expired token gets 401.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from importer import json_decimal
from importer.sandbox.faults import RETRY_AFTER_SECONDS, Faults
from importer.sandbox.ledger import Invoice, Ledger

TOKEN_LIFETIME = 2 * 3600.0
DEFAULT_APICODE = "sandbox"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

STATUS_TEXTS = {
    5: "Invoice is already paid or closed",
    6: "Payment registered",
    9: "Invoice belongs to another customer",
    10: "Invoice not found",
    11: "Invoice is cancelled",
}


@dataclass
class SandboxState:
    """Everything the sandbox knows; tests reach in to read the ledger and move the clock."""

    ledger: Ledger
    apicode: str = DEFAULT_APICODE  # every customer id in the ledger logs in with this apicode
    token_lifetime: float = TOKEN_LIFETIME
    clock: Callable[[], float] = time.monotonic
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (cid, issued)
    requests: int = 0
    faults: Faults = field(default_factory=Faults)

    @property
    def customers(self) -> set[str]:
        return {invoice.cid for invoice in self.ledger.invoices}


class _Problem(Exception):  # noqa: N818 - becomes an HttpApiProblem response
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def create_app(state: SandboxState) -> Starlette:
    """The ASGI app serving `state`."""

    async def token(request: Request) -> Response:
        body = await _body(request)
        cid, apicode = str(body.get("cid", "")), str(body.get("apicode", ""))
        if cid not in state.customers or not secrets.compare_digest(apicode, state.apicode):
            return _json({"errorId": 1, "errorText": "Invalid cid or apicode"}, 400)
        issued = secrets.token_urlsafe(32)
        state.tokens[issued] = (cid, state.clock())
        return _json({"token": issued}, 201)

    async def payment(request: Request) -> Response:
        state.requests += 1
        faults = state.faults
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if faults.over_cap(state.clock()):
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            return _problem(429, "Too Many Requests", "rate limit exceeded", headers)
        if faults.fail():
            return _problem(503, "Service Unavailable", "try again later")
        try:
            cid = _authorised(request, state)
            body = await _body(request)
            amount, paydate, billcode, jobid, billnum = _checked(body)
        except _Problem as problem:
            return _problem(problem.status, problem.title, problem.detail)
        invoice = state.ledger.find(billcode, jobid, billnum)
        answer: dict[str, Any] = {
            "jobid": invoice.jobid if invoice else jobid,
            "billnum": invoice.billnum if invoice else billnum,
            "billcode": invoice.billcode if invoice else billcode,
            "paydate": paydate,
            "amount": amount,
        }
        if invoice is None:
            return _status(answer, 10, None)
        if invoice.cid != cid:
            return _status(answer, 9, None)  # another customer's amounts are not shown
        if invoice.state == "cancelled":
            return _status(answer, 11, invoice)
        if invoice.state in ("paid", "closed") or invoice.open_total <= 0:
            return _status(answer, 5, invoice)
        before = (invoice.capital, invoice.interest, invoice.noticefee)
        split = state.ledger.apply(invoice, amount, paydate)
        answer.update(
            capitalbefore=before[0],
            capitalafter=invoice.capital,
            focusedtocapital=split.capital,
            interestbefore=before[1],
            interestafter=invoice.interest,
            focusedtointerest=split.interest,
            noticefeebefore=before[2],
            noticefeeafter=invoice.noticefee,
            focusedtonoticefee=split.noticefee,
            unfocused=split.unfocused,
            statusid=6,
            statustext=STATUS_TEXTS[6],
        )
        if faults.drop((invoice.jobid, paydate, str(amount))):
            return _Cut()
        return _json(answer, 201)

    async def applied(request: Request) -> Response:
        """Not part of Ropo One: how often each payment was applied, for exactly-once checks."""
        rows = [
            {"jobid": jobid, "paydate": paydate, "amount": Decimal(amount), "times": times}
            for (jobid, paydate, amount), times in sorted(state.ledger.applied.items())
        ]
        faults = state.faults
        counts = {"requests": state.requests, "throttled": faults.throttled}
        counts["failed"] = faults.failed
        return _json({"applied": rows, **counts}, 200)

    return Starlette(
        routes=[
            Route("/rest/token", token, methods=["POST"]),
            Route("/rest/jobs/payment", payment, methods=["POST"]),
            Route("/sandbox/applied", applied, methods=["GET"]),
        ]
    )


def _authorised(request: Request, state: SandboxState) -> str:
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.startswith("Bearer ") else ""
    issued = state.tokens.get(token)
    if issued is None or state.clock() - issued[1] > state.token_lifetime:
        raise _Problem(401, "Unauthorized", "missing, invalid or expired token; POST /token")
    return issued[0]


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json_decimal.loads(await request.body())
    except ValueError:
        raise _Problem(400, "Bad Request", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _Problem(400, "Bad Request", "the body must be a JSON object")
    return body


def _checked(body: dict[str, Any]) -> tuple[Decimal, str, str | None, int | None, str | None]:
    """The JobAddPayment fields, or a _Problem naming the first broken one."""
    raw = body.get("amount")
    if raw is None or isinstance(raw, bool):
        raise _Problem(400, "Bad Request", "amount is required")
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise _Problem(400, "Bad Request", f"amount {raw!r} is not a number") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise _Problem(400, "Bad Request", "amount must be positive with at most two decimals")
    paydate = body.get("paydate")
    if not isinstance(paydate, str) or not _DATE.match(paydate) or not _real_date(paydate):
        raise _Problem(400, "Bad Request", "paydate is required in the form YYYY-MM-DD")
    billcode, jobid, billnum = body.get("billcode"), body.get("jobid"), body.get("billnum")
    if jobid is not None and (isinstance(jobid, bool) or not isinstance(jobid, int)):
        raise _Problem(400, "Bad Request", "jobid must be an integer")
    if billcode is not None and not isinstance(billcode, str):
        raise _Problem(400, "Bad Request", "billcode must be a string")
    if billnum is not None and not isinstance(billnum, str):
        raise _Problem(400, "Bad Request", "billnum must be a string")
    if not (billcode or jobid is not None or billnum):
        raise _Problem(400, "Bad Request", "one of billcode, jobid or billnum is required")
    return amount.quantize(Decimal("0.01")), paydate, billcode or None, jobid, billnum or None


def _real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _status(answer: dict[str, Any], statusid: int, invoice: Invoice | None) -> Response:
    """A 400 answer with a statusid; nothing was applied, so before equals after."""
    zero = Decimal("0.00")
    capital = invoice.capital if invoice else None
    interest = invoice.interest if invoice else None
    fee = invoice.noticefee if invoice else None
    answer.update(
        capitalbefore=capital,
        capitalafter=capital,
        focusedtocapital=zero,
        interestbefore=interest,
        interestafter=interest,
        focusedtointerest=zero,
        noticefeebefore=fee,
        noticefeeafter=fee,
        focusedtonoticefee=zero,
        unfocused=zero,
        statusid=statusid,
        statustext=STATUS_TEXTS[statusid],
    )
    return _json(answer, 400)


def _problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    body = {"status": status, "type": "about:blank", "title": title, "detail": detail}
    response = _json(body, status)
    response.headers.update(headers or {})
    return response


class _Cut(Response):
    """An answer cut off mid-body: the payment was applied, the client never learns it."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"400")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"statusid":', "more_body": True})
        # Returning without finishing the body makes the server close the connection.


class _QuietCuts(logging.Filter):
    """uvicorn logs each deliberately cut answer as an error; it is the point, not a fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietCuts())


def _json(data: dict[str, Any], status: int) -> Response:
    return Response(json_decimal.dumps(data), status_code=status, media_type="application/json")
