"""The Ropo One API client: POST /token and POST /jobs/payment over httpx.

The only module that touches httpx exceptions. Every answer is read for what it proves
(reliability.md section 1.3; answers.py reads the bodies):

- sent again, by tenacity's retry loop, only when nothing was processed: the connection was
  never made, a 429, or a 503 that Ropo One itself wrote (its JSON problem body). Answers of
  429 do not use up the attempts while the server keeps answering; they have a time budget
  of their own. Either budget spent raises ApiUnavailableError;
- a readable answer (a 2xx with a statusid, or a definitive 4xx) is returned as an ApiAnswer;
- when the payment may have been applied and no readable answer came (500, 502, 504, a proxy's
  page, a dropped connection, a timeout, the deadline), DeliveryUnknown, never sent again;
  `registered` when a 2xx came whose body could not be read;
- an answer that shows the endpoint is wrong (a redirect, 403, 404, 405, a 401 right after a
  new login) raises EndpointError: the run must stop.
Every text kept from an answer, and every message raised, is scrubbed of the token and apicode.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from importer import json_decimal
from importer.answers import Reply, Scrubber, payment_answer, read_capped, retry_after
from importer.errors import (
    ApiUnavailableError,
    CredentialsError,
    DeliveryUnknown,
    EndpointError,
)
from importer.limiter import RateLimiter
from importer.models import ApiAnswer, Payment
from importer.said import Said, say
from importer.settings import ApiSettings

NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
TOKEN_LIFETIME = 2 * 3600.0  # POST /token: "Token will expire in 2 hours"
TOKEN_MARGIN = 300.0  # fetch a new token this long before the old one expires
MAX_BACKOFF = 30.0
# Answers that show the request went to the wrong place or as the wrong customer.
MISCONFIGURED = {
    403: "forbidden: check that customer id {cid} may register payments, with Ropo support",
    404: "not found: check the base URL (--env or --base-url; it should end in /rest)",
    405: "method not allowed: check the base URL (--env or --base-url; it should end in /rest)",
}

Sleep = Callable[[float], Awaitable[None]]
Callback = Callable[[], None]


class _NotProcessed(Exception):  # noqa: N818 - internal retry signal
    """The request surely did not change anything at Ropo One; safe to send again."""

    def __init__(
        self, reason: str, retry_after: float | None = None, throttled: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.throttled = reason, retry_after, throttled


@dataclass
class _Budget:
    """What one request may spend on retries, and has spent: attempts that found Ropo One
    unreachable or unavailable, and separately the time spent waiting out answers of 429.
    Its `stop` and `wait` are tenacity's; `charge` is called by each unprocessed attempt."""

    settings: ApiSettings
    clock: Callable[[], float]
    last: _NotProcessed | None = None
    exhausted: bool = False
    failures: int = 0
    backed_off: float = 0.0
    throttles: int = 0
    throttled_since: float | None = None
    throttled_for: float = 0.0  # planned sleeps: the bound holds with an injected sleep too
    throttled_spent: float = 0.0

    def charge(self, signal: _NotProcessed) -> None:
        """Count an attempt that was not processed and decide whether another may follow.

        Decided here, not in `stop`: tenacity 9 asks `wait` before `stop` (8.2 the other way
        round), and `wait` adds the planned sleep to what was spent."""
        settings, self.last = self.settings, signal
        if signal.throttled:
            self.throttles += 1
            now = self.clock()
            if self.throttled_since is None:
                self.throttled_since = now
            self.throttled_spent = max(now - self.throttled_since, self.throttled_for)
            self.exhausted = self.throttled_spent >= settings.max_throttle_seconds
        else:
            self.failures += 1
            self.exhausted = (
                self.failures >= settings.max_attempts
                or self.backed_off >= settings.max_retry_seconds
            )

    def stop(self, _state: RetryCallState) -> bool:
        return self.exhausted

    def wait(self, _state: RetryCallState) -> float:
        """Retry-After when Ropo One gave one and it is longer, else full jitter."""
        if self.exhausted or self.last is None:
            return 0.0  # never slept: tenacity stops; no jitter drawn for it
        if self.last.throttled:
            wait = max(self.last.retry_after or 0.0, _jitter(self.throttles))
            self.throttled_for += wait
        else:
            wait = max(self.last.retry_after or 0.0, _jitter(self.failures))
            self.backed_off += wait
        return wait


class RopoClient:
    """An authenticated session with Ropo One. Use as `async with RopoClient(...) as client`."""

    def __init__(
        self,
        settings: ApiSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = "ropo-import",
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        self._token: str | None = None
        self._token_at = 0.0
        self._tokens: set[str] = set()  # every token of this session: an echo may hold an old one
        self._login_lock = asyncio.Lock()
        self._scrub = Scrubber(lambda: (settings.credentials.apicode, *self._tokens))
        self.limiter = RateLimiter(settings.rate, settings.in_flight, clock=clock, sleep=sleep)
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            transport=transport,
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            follow_redirects=False,
            # identity: a compressed body could inflate far past the size cap in one chunk
            headers={
                "User-Agent": user_agent,
                "Accept": "application/json",
                "Accept-Encoding": "identity",
            },
        )

    async def __aenter__(self) -> RopoClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._http.aclose()

    async def login(self) -> None:
        """Fetch a token with the customer id and apicode; CredentialsError when refused."""
        credentials = self._settings.credentials
        body = {"cid": credentials.cid, "apicode": credentials.apicode}
        try:
            reply = await self._exchange("/token", body, authorised=False)
        except DeliveryUnknown as exc:  # a login changes nothing: unanswered is unavailable
            raise ApiUnavailableError(
                f"Ropo One at {self._settings.base_url} did not answer the login ({exc}); "
                "try again later"
            ) from None
        token = (reply.data() or {}).get("token")
        if reply.ok and isinstance(token, str) and token:
            self._token, self._token_at = token, self._clock()
            self._tokens.add(token)
            return
        if reply.status in (400, 401):
            raise CredentialsError(
                f"Ropo One at {self._settings.base_url} refused customer id {credentials.cid} "
                f"with the apicode in ROPO_APICODE ({reply.problem(self._scrub)}); "
                "check ROPO_CID and ROPO_APICODE with Ropo support"
            )
        raise EndpointError(
            f"POST {self._settings.base_url}/token answered HTTP {reply.status} without a "
            "token; is the base URL right? It should end in /rest"
        )

    async def post_payment(
        self,
        payment: Payment,
        before_send: Callback | None = None,
        not_sent: Callback | None = None,
    ) -> ApiAnswer:
        """Register one payment and return Ropo One's answer as read.

        `before_send` runs just before each attempt goes out; `not_sent` after each attempt
        that surely was not processed (before the back-off, and before raising
        ApiUnavailableError or EndpointError). What either raises propagates unchanged, and
        then nothing more is sent. Raises DeliveryUnknown when the payment may have been
        applied and no readable answer came. Holds one of the limiter's slots throughout.
        """
        async with self.limiter.request():
            if (
                self._token is None
                or self._clock() - self._token_at > TOKEN_LIFETIME - TOKEN_MARGIN
            ):
                await self._relogin(self._token)
            reply = await self._exchange(
                "/jobs/payment", payment.body(), before=before_send, not_sent=not_sent
            )
            return payment_answer(reply, self._scrub)

    async def _relogin(self, stale: str | None) -> None:
        """Log in again, once for all concurrent requests that found the same token stale."""
        async with self._login_lock:
            if self._token is None or self._token == stale:
                await self.login()

    async def _exchange(
        self,
        path: str,
        body: dict[str, Any],
        *,
        authorised: bool = True,
        before: Callback | None = None,
        not_sent: Callback | None = None,
    ) -> Reply:
        """POST until an answer proves something: a Reply to read (2xx or a definitive 4xx),
        or an error. Only what surely was not processed is sent again."""
        budget = _Budget(self._settings, self._clock)  # one budget across a new login too
        relogged = False
        while True:
            token, reply = await self._send(path, body, authorised, before, not_sent, budget)
            refused = token is not None and reply.status == 401
            if not (refused or reply.status in MISCONFIGURED or 300 <= reply.status < 400):
                return reply
            if not_sent is not None:  # a refusal or a redirect: nothing was processed
                not_sent()
            if not refused or relogged:
                raise EndpointError(self._scrub.text(self._misconfigured(path, reply)))
            await self._relogin(token)  # the token expired or was revoked
            relogged = True

    async def _send(
        self,
        path: str,
        body: dict[str, Any],
        authorised: bool,
        before: Callback | None,
        not_sent: Callback | None,
        budget: _Budget,
    ) -> tuple[str | None, Reply]:
        """Send until an attempt is processed: the token it carried and its reply, or
        ApiUnavailableError when the budget is spent."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_NotProcessed),
            stop=budget.stop,
            wait=budget.wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    token = self._token if authorised else None  # another request may renew it
                    try:
                        return token, await self._attempt(path, body, token, before)
                    except _NotProcessed as signal:
                        if not_sent is not None:
                            not_sent()
                        budget.charge(signal)
                        raise
        except _NotProcessed as signal:
            raise self._unavailable(signal, budget) from None
        raise AssertionError("unreachable: tenacity returns the reply or raises")

    async def _attempt(
        self, path: str, body: dict[str, Any], token: str | None, before: Callback | None
    ) -> Reply:
        """One request, read to its end within the deadline, judged for what it proves."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        content = json_decimal.dumps(body).encode("utf-8")
        if token is not None:  # a login is rare and not a payment: it does not wait its turn
            await self.limiter.start()
        if before is not None:
            before()
        if token is not None:
            await self.limiter.sending()
        status: int | None = None
        deadline = self._settings.deadline
        try:
            async with (
                asyncio.timeout(deadline),
                self._http.stream("POST", path, content=content, headers=headers) as response,
            ):
                status = response.status_code
                reply = Reply(status, response.headers, await read_capped(response))
        except NEVER_SENT as exc:
            raise _NotProcessed(f"{type(exc).__name__}: the connection was not made") from None
        except httpx.TransportError as exc:
            said = say("{error} after the request was sent", error=type(exc).__name__)
            raise self._unknown(said, status) from None
        except TimeoutError:
            said = say("no complete answer within {seconds} s", seconds=f"{deadline:g}")
            raise self._unknown(said, status) from None
        return self._judge(reply)

    def _judge(self, reply: Reply) -> Reply:
        """Retry what surely was not processed; DeliveryUnknown for what proves nothing."""
        status = reply.status
        if status == 429:
            wait = retry_after(reply.headers.get("Retry-After"))
            self.limiter.throttle(wait)
            raise _NotProcessed("HTTP 429: too many requests", wait, throttled=True)
        if status == 503 and reply.from_ropo_one():
            wait = retry_after(reply.headers.get("Retry-After"))
            raise _NotProcessed(f"HTTP 503: {reply.problem(self._scrub)}", wait)
        self.limiter.answered()
        if 200 <= status < 300 or 300 <= status < 400 or status in (401, *MISCONFIGURED):
            return reply  # read by the caller
        if status >= 500 or status < 200:
            raise self._unknown(
                say("HTTP {status} after the request was sent", status=status), status
            )
        if reply.html:
            said = say("HTTP {status} with an HTML page, not Ropo One's JSON", status=status)
            raise self._unknown(said, status)
        return reply

    def _unknown(self, reason: Said, status: int | None) -> DeliveryUnknown:
        """The payment may have been applied: registered when a 2xx status line was read. The
        message is a template of ours (worded in the user's language), scrubbed all the same."""
        registered = status is not None and 200 <= status < 300
        message: str = (
            say(
                "registered, but the answer could not be read (HTTP {status}; {reason})",
                status=status,
                reason=reason,
            )
            if registered
            else say("{reason}; Ropo One may have applied it", reason=reason)
        )
        scrubbed = self._scrub.text(message)
        return DeliveryUnknown(message if scrubbed == message else scrubbed, registered=registered)

    def _unavailable(self, signal: _NotProcessed, budget: _Budget) -> ApiUnavailableError:
        where = self._settings.base_url
        if signal.throttled:
            return ApiUnavailableError(
                f"Ropo One at {where} kept answering 429 (too many requests) for "
                f"{budget.throttled_spent:.0f} s; nothing more was sent: run the same command "
                "again later, perhaps with a lower --rate"
            )
        return ApiUnavailableError(
            f"Ropo One at {where} could not be reached after {budget.failures} "
            f"attempts ({self._scrub.text(signal.reason)}); nothing more was sent: "
            "run the same command again later to continue"
        )

    def _misconfigured(self, path: str, reply: Reply) -> str:
        url = f"POST {self._settings.base_url}{path}"
        cid = self._settings.credentials.cid
        if reply.status == 401:
            return (
                f"{url} refused a token Ropo One had just issued (HTTP 401 right after a new "
                f"login); check that customer id {cid} may register payments, with Ropo support"
            )
        if reply.status in MISCONFIGURED:
            return f"{url} answered HTTP {reply.status}, " + MISCONFIGURED[reply.status].format(
                cid=cid
            )
        location = reply.headers.get("Location") or "nowhere named"
        return (
            f"{url} answered HTTP {reply.status}, a redirect to {location}; payments are never "
            "sent on to another address: check the base URL (--env or --base-url)"
        )


def _jitter(attempt: int) -> float:
    """Full-jitter exponential backoff (AWS): a random wait up to 0.5 s * 2^attempt, 30 s."""
    return random.uniform(0, min(MAX_BACKOFF, 0.5 * 2 ** min(attempt, 16)))
