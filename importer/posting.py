"""Posting: send the planned payments concurrently, journal each one, read each answer.

Each payment's intent is claimed in the journal just before each attempt goes out, marked not
processed after an attempt that surely was not, and its answer recorded just after, so a crash
leaves `unknown` only the requests that were in flight. Requests run `concurrency` at once at
`rate` per second (limiter.py).

Ctrl-C (SIGINT), SIGTERM and SIGHUP while posting: the first stops new requests and gives those
in flight GRACE_SECONDS to answer; the second, or the end of the grace, abandons them.
Abandoned requests are `unknown` (they may have reached Ropo One); rows never started are
`skipped`/`not-sent`. So are the rest when Ropo One stops answering (UNANSWERED_LIMIT requests
in a row without an answer) or answers in a way that shows a configuration problem.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import httpx

from importer import problems
from importer.answered import from_answer
from importer.client import RopoClient
from importer.duplicates import Keys, check_text, from_journal
from importer.errors import (
    ApiUnavailableError,
    CredentialsError,
    DeliveryUnknown,
    EndpointError,
    JournalError,
)
from importer.journal import Entry, Journal
from importer.models import (
    Outcome,
    Payment,
    RowResult,
)
from importer.said import Said, say
from importer.settings import ApiSettings
from importer.validation import Valid

GRACE_SECONDS = 10.0
UNANSWERED_LIMIT = 5  # requests in a row without an answer: Ropo One is not answering
OnResult = Callable[[RowResult], None]
OnPace = Callable[[str | None], None]  # why requests go slower than asked, or None
SIGNALS = {"SIGINT": "Ctrl-C", "SIGTERM": "SIGTERM", "SIGHUP": "SIGHUP"}
INTERRUPTIONS = frozenset(f"interrupted by {name}" for name in SIGNALS.values())
INTERRUPTED = "interrupted by Ctrl-C"
STOPPED_ON_REQUEST = "stopped on request: no new request was started after the ones in flight"


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
    # Set by whoever started the run (the web page's stop button): no new request is started
    # after it; the rows never started end `skipped`/`not-sent`, as after Ctrl-C.
    halt: threading.Event | None = None


@dataclass
class _Run:
    """The shared state of one posting run."""

    plans: Iterator[list[Plan]]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: set[asyncio.Task[RowResult | None]] = field(default_factory=set)
    why: str | None = None  # why the run stopped early
    interrupts: int = 0
    silent: int = 0  # requests in a row that got no answer

    def halt(self, why: str) -> None:
        self.why = self.why or why
        self.stop.set()

    def abandon(self) -> None:
        for task in self.in_flight:
            task.cancel()

    def heard(self, answered: bool) -> None:
        """Count the requests in a row that got no answer; too many stop the run."""
        self.silent = 0 if answered else self.silent + 1
        if self.silent >= UNANSWERED_LIMIT:
            self.halt(
                f"Ropo One stopped answering: {self.silent} requests in a row got no answer, "
                "so nothing more was sent; check those rows in Ropo One, then run the same "
                "command again later to send the rest"
            )


class _Known(Exception):  # noqa: N818 - a signal from the journal, not an error
    """The journal already holds this payment: it is judged from there, not sent."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(entry.key)
        self.entry = entry


async def post_all(
    plans: list[Plan],
    api: ApiSettings,
    journal: Journal,
    notify: OnResult,
    outside: Outside,
    on_pace: OnPace | None = None,
) -> tuple[dict[int, RowResult], str | None]:
    """Send every planned payment: each plan's RowResult by its row's index, and why the run
    stopped early (None when it did not). `on_pace` hears when Ropo One starts or stops
    throttling the run (answers of 429)."""
    results: dict[int, RowResult] = {}
    run = _Run(iter(_grouped(plans)))
    paced: list[str | None] = [None]
    loop = asyncio.get_running_loop()

    def on_signal(name: str) -> None:
        run.interrupts += 1
        run.halt(f"interrupted by {name}")
        if run.interrupts > 1:
            run.abandon()
        else:
            loop.call_later(outside.grace, run.abandon)

    handled = _handle_signals(loop, on_signal)
    try:
        async with RopoClient(
            api, transport=outside.transport, sleep=outside.sleep, clock=outside.clock
        ) as client:
            await client.login()  # wrong credentials stop the run before anything is posted

            def stopping() -> bool:
                if outside.halt is not None and outside.halt.is_set():
                    run.halt(STOPPED_ON_REQUEST)
                return run.stop.is_set()

            async def worker() -> None:
                while not stopping():
                    group = next(run.plans, None)
                    if group is None:
                        return
                    for plan in group:  # in order: a credit note after its invoice's payment
                        if stopping():
                            return
                        await one(plan)

            async def one(plan: Plan) -> None:
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
                if on_pace is not None and (now := _pace(client)) != paced[0]:
                    paced[0] = now
                    on_pace(now)

            await asyncio.gather(*(worker() for _ in range(api.in_flight)))
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
    for plan in plans:
        if plan.index not in results:
            results[plan.index] = unsent = _not_sent(plan, run.why or "")
            notify(unsent)
    return results, run.why


def _grouped(plans: list[Plan]) -> list[list[Plan]]:
    """The plans in the groups that must go one after another: a payment and the credit notes
    its payer deducted (one bank line's remittance), so that the last answer says what is
    left open. Every other plan is a group of its own, sent concurrently."""
    groups: list[list[Plan]] = []
    for plan in plans:
        row = plan.valid.row
        noted = row.remittance
        last = groups[-1][-1].valid.row if groups else None
        if (
            noted is not None
            and noted.registers is not None
            and last is not None
            and (last.file, last.line) == (row.file, row.line)
        ):
            groups[-1].append(plan)
        else:
            groups.append([plan])
    return groups


async def _send(plan: Plan, client: RopoClient, journal: Journal, run: _Run) -> RowResult | None:
    """One payment: intent, request, answer. None when it surely was not sent."""
    row, payment, keys = plan.valid.row, plan.valid.payment, plan.keys
    sending = False  # an attempt may be on its way, or may have arrived

    def intent() -> None:
        nonlocal sending
        if sending:  # claimed by this very request's earlier attempt (a 401, then a new login)
            return
        known = journal.claim(keys.key, keys.fingerprint, payment, row.file, row.line)
        if known is not None:
            raise _Known(known)
        sending = True

    def refused() -> None:
        nonlocal sending
        journal.not_processed(keys.key)
        sending = False

    try:
        answer = await client.post_payment(payment, before_send=intent, not_sent=refused)
    except _Known as known:  # another run sent it since this run's plan was made
        return from_journal(plan.valid, known.entry)
    except DeliveryUnknown as exc:
        registered = bool(getattr(exc, "registered", False))
        run.heard(registered)
        _record(journal, run, keys, Outcome.UNKNOWN.value, None, None, {}, str(exc))
        code = problems.ANSWER_UNREAD if registered else problems.NO_ANSWER
        return _row(plan, Outcome.UNKNOWN, code, _checked(_told(exc), payment))
    except (ApiUnavailableError, CredentialsError, EndpointError) as exc:
        _settle(journal, run, keys)  # every attempt surely went unprocessed
        run.halt(str(exc))
        return None
    except JournalError as exc:
        run.halt(str(exc))
        if not sending:
            return None
        return _row(plan, Outcome.UNKNOWN, problems.JOURNAL_FAILED, _checked(str(exc), payment))
    except Exception as exc:  # a bug or a surprise must not take the other rows down
        if not sending:
            return _row(
                plan,
                Outcome.SKIPPED,
                problems.NOT_SENT,
                say(
                    "not sent: an unexpected error stopped this row before it went out "
                    "({error}); run the same command again to send it",
                    error=f"{type(exc).__name__}: {exc}",
                ),
            )
        reason = say(
            "an unexpected error after the request was sent ({error})",
            error=f"{type(exc).__name__}: {exc}",
        )
        _record(journal, run, keys, Outcome.UNKNOWN.value, None, None, {}, reason)
        return _row(plan, Outcome.UNKNOWN, problems.UNEXPECTED_ERROR, _checked(reason, payment))
    run.heard(True)
    result = from_answer(plan.valid, answer)
    statusid = answer.statusid
    _record(
        journal,
        run,
        keys,
        result.outcome.value,
        answer.http_status,
        statusid,
        answer.fields,
        result.message,
    )
    return result


def _pace(client: RopoClient) -> str | None:
    limiter = client.limiter
    if limiter.throttled and limiter.rate < 0.95 * limiter.target:
        return f"Ropo One is throttling: {limiter.rate:.1f}/s ({limiter.throttled} answers of 429)"
    return None


def _record(
    journal: Journal,
    run: _Run,
    keys: Keys,
    outcome: str,
    http_status: int | None,
    statusid: int | None,
    response: dict[str, object],
    message: str,
) -> None:
    """Record an answer; a journal that cannot be written stops the run (the row stays
    'sending' there, so the next run calls it unknown rather than sending it again)."""
    try:
        journal.record_answer(keys.key, outcome, http_status, statusid, response, message)
    except JournalError as exc:
        run.halt(str(exc))


def _settle(journal: Journal, run: _Run, keys: Keys) -> None:
    try:
        journal.not_processed(keys.key)
    except JournalError as exc:
        run.halt(str(exc))


def _handle_signals(
    loop: asyncio.AbstractEventLoop, handler: Callable[[str], None]
) -> list[signal.Signals]:
    """Take over Ctrl-C, SIGTERM and SIGHUP while posting, where the platform and thread
    allow it; the signals taken over."""
    handled = []
    for name, shown in SIGNALS.items():
        signum = getattr(signal, name, None)
        if signum is None:  # Windows has no SIGHUP
            continue
        try:
            loop.add_signal_handler(signum, handler, shown)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not main thread
            continue
        handled.append(signum)
    return handled


def _row(plan: Plan, outcome: Outcome, code: str, message: str) -> RowResult:
    payment = plan.valid.payment
    return RowResult(plan.valid.row, outcome, code, message, payment=payment, amount=payment.cash)


def _abandoned(plan: Plan) -> RowResult:
    return _row(
        plan,
        Outcome.UNKNOWN,
        problems.INTERRUPTED,
        say(
            "the run was interrupted while this request was in flight; {check}",
            check=check_text(plan.valid.payment),
        ),
    )


def _not_sent(plan: Plan, why: str) -> RowResult:
    return _row(
        plan,
        Outcome.SKIPPED,
        problems.NOT_SENT,
        say(
            "not sent: the run was interrupted before this row; run the same command again to "
            "send it"
        )
        if why in INTERRUPTIONS
        else say(
            "not sent: the run stopped before this row; run the same command again to send it"
        ),
    )


def _checked(error: str, payment: Payment) -> Said:
    """What went wrong, then what to check in Ropo One."""
    return say("{error}; {check}", error=error, check=check_text(payment))


def _told(exc: Exception) -> str:
    """An exception's message, as said where it was raised (a Said stays one)."""
    first = exc.args[0] if len(exc.args) == 1 else None
    return first if isinstance(first, str) else str(exc)
