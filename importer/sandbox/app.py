"""The sandbox's HTTP API (Starlette): POST /rest/token and POST /rest/jobs/payment.

Status rules from the seed specification: statusid 6 (OHISPAY) comes with HTTP 201, every other
statusid with HTTP 400. A body that breaks the JobAddPayment schema gets 400 with an
HttpApiProblem body (413 when it is over the size limit); a missing or expired token gets 401.
Fault modes (faults.py) then replace or mangle answers on purpose; nothing the client sends
makes the sandbox answer 500.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from importer.sandbox import answers
from importer.sandbox.answers import problem
from importer.sandbox.faults import RETRY_AFTER_SECONDS, Faults
from importer.sandbox.ledger import Invoice, Ledger
from importer.sandbox.schema import (
    Problem,
    credentials,
    credit_note_of,
    payment_fields,
    read_object,
)

TOKEN_LIFETIME = 2 * 3600.0
DEFAULT_APICODE = "sandbox"
UNAUTHORIZED = "missing, invalid or expired token; POST /token"
# Where the redirect mode points: the same host, a path that is not the API.
MOVED_PREFIX = "/moved"

STATUS_TEXTS = {
    5: "Invoice is already paid or closed",
    6: "Payment registered",
    9: "Invoice belongs to another customer",
    10: "Invoice not found",
    11: "Invoice is cancelled",
}

Applied = tuple[int, str, str]  # (jobid, paydate, amount): the ledger's key of one payment


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
    # Set by stop(): answers that wait (stall, trickle, huge-body) end within a poll interval.
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def customers(self) -> set[str]:
        return {invoice.cid for invoice in self.ledger.invoices}

    def stop(self) -> None:
        """End every answer still waiting on purpose, so that the server can shut down."""
        self.stopping.set()


def create_app(state: SandboxState) -> Starlette:
    """The ASGI app serving `state`."""

    async def token(request: Request) -> Response:
        try:
            cid, apicode = credentials(await read_object(request))
        except Problem as refused:
            return problem(refused.status, refused.title, refused.detail)
        known = secrets.compare_digest(apicode, state.apicode.encode("utf-8"))
        if cid not in state.customers or not known:
            return answers.json_response({"errorId": 1, "errorText": "Invalid cid or apicode"}, 400)
        issued = secrets.token_urlsafe(32)
        state.tokens[issued] = (cid, state.clock())
        return answers.json_response({"token": issued}, 201)

    async def payment(request: Request) -> Response:
        state.requests += 1
        faults = state.faults
        # Counted as it arrives, as a gateway counts, before the latency the server adds.
        throttled = faults.over_cap(state.clock())
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if throttled:
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            return problem(429, "Too Many Requests", "rate limit exceeded", headers)
        if faults.fail():
            return problem(503, "Service Unavailable", "try again later")
        mode = faults.pick()
        if mode is not None and (early := _refusal(mode, request)) is not None:
            faults.record(mode)
            return early
        answer, applied = await _process(request, state, contradict=mode == "status-10-201")
        if mode is None:
            if applied and faults.drop(applied):
                return answers.Cut(answer)
            return answer
        if mode == "status-10-201" and answer.status_code != 201:
            return answer  # a broken request is refused before any statusid is chosen
        faults.record(mode)
        if mode == "cut" and applied:
            faults.dropped.append(applied)
        return _disguised(mode, answer, state)

    async def applied(request: Request) -> Response:
        """Not part of Ropo One: how often each payment was applied, for exactly-once checks."""
        rows = [
            {"jobid": jobid, "paydate": paydate, "amount": Decimal(amount), "times": times}
            for (jobid, paydate, amount), times in sorted(state.ledger.applied.items())
        ]
        faults = state.faults
        credit_notes = [
            {"jobid": jobid, "creditnotebillnum": number, "amount": Decimal(amount), "times": n}
            for (jobid, number, amount), n in sorted(state.ledger.credit_notes.items())
        ]
        counts: dict[str, Any] = {
            "credit_notes": credit_notes,
            "requests": state.requests,
            "throttled": faults.throttled,
        }
        counts["failed"] = faults.failed
        counts["faults"] = faults.counts()
        return answers.json_response({"applied": rows, **counts}, 200)

    return Starlette(
        routes=[
            Route("/rest/token", token, methods=["POST"]),
            Route("/rest/jobs/payment", payment, methods=["POST"]),
            Route("/sandbox/applied", applied, methods=["GET"]),
        ]
    )


async def _process(
    request: Request, state: SandboxState, contradict: bool
) -> tuple[Response, Applied | None]:
    """Ropo One's own answer to a payment request, and the payment when it was applied.

    With `contradict`, a valid request is answered 201 carrying statusid 10, and not applied.
    """
    try:
        cid = _authorised(request, state)
        body = await read_object(request)
        amount, paydate, billcode, jobid, billnum = payment_fields(body)
        credit_note = credit_note_of(body)
    except Problem as refused:
        return problem(refused.status, refused.title, refused.detail), None
    invoice = state.ledger.find(billcode, jobid, billnum)
    answer: dict[str, Any] = {
        "jobid": invoice.jobid if invoice else jobid,
        "billnum": invoice.billnum if invoice else billnum,
        "billcode": invoice.billcode if invoice else billcode,
        "paydate": paydate,
        "amount": amount,
    }
    if contradict:
        return _status(answer, 10, None, http=201), None
    if invoice is None:
        return _status(answer, 10, None), None
    if invoice.cid != cid:
        return _status(answer, 9, None), None  # another customer's amounts are not shown
    if invoice.state == "cancelled":
        return _status(answer, 11, invoice), None
    if invoice.state in ("paid", "closed") or invoice.open_total <= 0:
        return _status(answer, 5, invoice), None
    before = (invoice.capital, invoice.interest, invoice.noticefee)
    split = state.ledger.apply(invoice, amount, paydate, credit_note)
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
    noted = f" credit note {credit_note}" if credit_note else ""
    return answers.json_response(answer, 201), (invoice.jobid, paydate, f"{amount}{noted}")


def _refusal(mode: str, request: Request) -> Response | None:
    """The answer of a mode that refuses before anything is processed; None for the others."""
    if mode == "unauthorized":
        return problem(401, "Unauthorized", UNAUTHORIZED)
    if mode == "retry-after-inf":
        return problem(429, "Too Many Requests", "rate limit exceeded", {"Retry-After": "inf"})
    if mode == "redirect":
        # Built from the listening address, not the Host header a client may have garbled.
        host, port = request.scope["server"]
        shown = f"[{host}]" if ":" in host else host
        moved = f"http://{shown}:{port}{MOVED_PREFIX}{request.scope['path']}"
        return Response(b"", 307, headers={"Location": moved})
    if mode == "echo-headers":
        # What a careless server or proxy does: the client must scrub the token it sent.
        echoed = "; ".join(
            f"{_title_case(name)}: {value}" for name, value in request.headers.items()
        )
        return problem(400, "Bad Request", f"unexpected request; headers were: {echoed}")
    return None


def _disguised(mode: str, answer: Response, state: SandboxState) -> Response:
    """What an applied mode makes of Ropo One's answer on its way to the client."""
    if mode == "gateway-504":
        return answers.gateway_page(504)
    if mode == "gateway-502":
        return answers.gateway_page(502)
    if mode == "proxy-503":
        return answers.gateway_page(503)
    if mode == "html-200":
        return answers.proxy_page()
    if mode == "cut":
        return answers.Cut(answer)
    if mode == "huge-body":
        return answers.Endless(answer.status_code, state.stopping)
    if mode == "trickle":
        return answers.Trickle(answer, state.faults.trickle_seconds, state.stopping)
    if mode == "stall":
        return answers.Stall(state.stopping)
    return answer  # status-10-201: _process already wrote the contradiction


def _authorised(request: Request, state: SandboxState) -> str:
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.startswith("Bearer ") else ""
    issued = state.tokens.get(token)
    if issued is None or state.clock() - issued[1] > state.token_lifetime:
        raise Problem(401, "Unauthorized", UNAUTHORIZED)
    return issued[0]


def _status(
    answer: dict[str, Any], statusid: int, invoice: Invoice | None, http: int = 400
) -> Response:
    """An answer with a refusing statusid; nothing was applied, so before equals after."""
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
    return answers.json_response(answer, http)


def _title_case(name: str) -> str:
    """'authorization' -> 'Authorization': header names as the client wrote them, mostly."""
    return "-".join(part.capitalize() for part in name.split("-"))
