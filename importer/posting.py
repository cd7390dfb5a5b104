"""Posting: send the planned payments concurrently, journal each one, read each answer.

Each payment's intent is committed to the journal just before its request goes out, and its
answer just after, so a crash leaves `unknown` only the requests that were in flight. Requests
run `concurrency` at once at `rate` per second (limiter.py).

Ctrl-C (SIGINT) while posting: the first stops new requests and gives those in flight
GRACE_SECONDS to answer; the second, or the end of the grace, abandons them. Abandoned requests
are `unknown` (they may have reached Ropo One); rows never started are `skipped`/`not-sent`.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import httpx

from importer.client import RopoClient
from importer.duplicates import Keys, invoice_of
from importer.errors import ApiUnavailableError, CredentialsError, DeliveryUnknown, EndpointError
from importer.journal import Journal
from importer.models import STATUSES, ApiAnswer, Outcome, RowResult
from importer.settings import ApiSettings
from importer.validation import Valid

GRACE_SECONDS = 10.0
OnResult = Callable[[RowResult], None]
INTERRUPTED = "interrupted by Ctrl-C"


@dataclass(frozen=True)
class Plan:
    """A row that passed validation and is not yet known to the journal."""

    index: int
    valid: Valid
    keys: Keys


@dataclass(frozen=True)
class Outside:
    """The outside world, injectable: tests use a mock transport and an instant sleep."""

    transport: httpx.AsyncBaseTransport | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    grace: float = GRACE_SECONDS


@dataclass
class _Run:
    """The shared state of one posting run."""

    plans: Iterator[Plan]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: set[asyncio.Task[RowResult | None]] = field(default_factory=set)
    why: str | None = None  # why the run stopped early
    interrupts: int = 0

    def halt(self, why: str) -> None:
        self.why = self.why or why
        self.stop.set()

    def abandon(self) -> None:
        for task in self.in_flight:
            task.cancel()


async def post_all(
    plans: list[Plan],
    api: ApiSettings,
    journal: Journal,
    results: list[RowResult | None],
    notify: OnResult,
    outside: Outside,
) -> str | None:
    """Send every planned payment; returns why the run stopped early, or None."""
    run = _Run(iter(plans))
    loop = asyncio.get_running_loop()

    def on_interrupt() -> None:
        run.interrupts += 1
        run.halt(INTERRUPTED)
        if run.interrupts > 1:
            run.abandon()
        else:
            loop.call_later(outside.grace, run.abandon)

    handled = _handle_interrupts(loop, on_interrupt)
    try:
        async with RopoClient(
            api, transport=outside.transport, sleep=outside.sleep, clock=outside.clock
        ) as client:
            await client.login()  # wrong credentials stop the run before anything is posted

            async def worker() -> None:
                while not run.stop.is_set():
                    plan = next(run.plans, None)
                    if plan is None:
                        return
                    task = asyncio.ensure_future(_send(plan, client, journal, run))
                    run.in_flight.add(task)
                    try:
                        result = await task
                    except asyncio.CancelledError:
                        if not task.cancelled():
                            raise
                        result = _abandoned(plan)
                    finally:
                        run.in_flight.discard(task)
                    if result is not None:
                        results[plan.index] = result
                        notify(result)

            await asyncio.gather(*(worker() for _ in range(api.in_flight)))
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)
    for plan in plans:
        if results[plan.index] is None:
            results[plan.index] = unsent = _not_sent(plan, run.why or "")
            notify(unsent)
    return run.why


async def _send(plan: Plan, client: RopoClient, journal: Journal, run: _Run) -> RowResult | None:
    """One payment: intent, request, answer. None when it surely was not sent."""
    row, payment, keys = plan.valid.row, plan.valid.payment, plan.keys

    def intent() -> None:
        journal.record_intent(keys.key, keys.fingerprint, payment, row.file, row.line)

    try:
        answer = await client.post_payment(payment, before_send=intent)
    except DeliveryUnknown as exc:
        return RowResult(
            row,
            Outcome.UNKNOWN,
            "no-answer",
            f"{exc}; check in Ropo One whether {invoice_of(payment)} has a payment of "
            f"{payment.amount} dated {payment.paydate}, then record it with ropo-import resolve",
            payment=payment,
            amount=payment.amount,
        )
    except (ApiUnavailableError, CredentialsError, EndpointError) as exc:
        journal.forget_intent(keys.key)  # every attempt surely went unprocessed
        run.halt(str(exc))
        return None
    result = from_answer(plan.valid, answer)
    journal.record_answer(
        keys.key,
        result.outcome.value,
        answer.http_status,
        answer.statusid,
        answer.fields,
        result.message,
    )
    return result


def _handle_interrupts(loop: asyncio.AbstractEventLoop, handler: Callable[[], None]) -> bool:
    """Take over Ctrl-C while posting, where the platform and thread allow it."""
    try:
        loop.add_signal_handler(signal.SIGINT, handler)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        return False
    return True


def _abandoned(plan: Plan) -> RowResult:
    payment = plan.valid.payment
    return RowResult(
        plan.valid.row,
        Outcome.UNKNOWN,
        "interrupted",
        f"the run was interrupted while this request was in flight; check in Ropo One whether "
        f"{invoice_of(payment)} has a payment of {payment.amount} dated {payment.paydate}, "
        "then record it with ropo-import resolve",
        payment=payment,
        amount=payment.amount,
    )


def _not_sent(plan: Plan, why: str) -> RowResult:
    reason = "the run was interrupted" if why == INTERRUPTED else "the run stopped"
    return RowResult(
        plan.valid.row,
        Outcome.SKIPPED,
        "not-sent",
        f"not sent: {reason} before this row; run the same command again to send it",
        payment=plan.valid.payment,
        amount=plan.valid.payment.amount,
    )


def from_answer(valid: Valid, answer: ApiAnswer) -> RowResult:
    """The outcome Ropo One's answer means for this row."""
    payment = valid.payment
    result = RowResult(
        valid.row, Outcome.REJECTED, payment=payment, amount=payment.amount, response=answer.fields
    )
    if answer.applied:
        result.outcome, result.code = Outcome.POSTED, "registered"
        result.message = _allocation(answer)
    elif answer.statusid is not None and answer.http_status == 201:
        result.outcome, result.code = Outcome.UNKNOWN, "contradictory-answer"
        result.message = (
            f"HTTP 201 with statusid {answer.statusid}: the documentation says 201 comes only "
            f"with statusid 6; check in Ropo One whether {invoice_of(payment)} has this payment"
        )
    elif answer.statusid is not None:
        name, meaning = STATUSES.get(answer.statusid, ("?", "a status the documentation lists"))
        text = answer.fields.get("statustext")
        result.code = f"status-{answer.statusid}"
        result.message = f"statusid {answer.statusid} {name}: {meaning}" + (
            f" (Ropo One: {text})" if text else ""
        )
    else:
        result.code = "api-error"
        result.message = f"HTTP {answer.http_status}: {answer.problem}"
    return result


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
    unfocused = fields.get("unfocused")
    if unfocused and Decimal(str(unfocused)) > 0:
        message += f"; {unfocused} unfocused: an overpayment to refund or allocate by hand"
    return message
