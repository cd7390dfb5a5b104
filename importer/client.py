"""The Ropo One API client: POST /token and POST /jobs/payment over httpx.

The only module that touches httpx exceptions. A request is retried only when it surely was
not processed (refused connection, connect or pool timeout, 429, 502, 503, 504); a request that
may have reached Ropo One but got no answer raises DeliveryUnknown and is never retried
(reliability.md section 1.3).
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type
from tenacity.wait import wait_random_exponential

from importer import json_decimal
from importer.errors import ApiError, ApiUnavailableError, CredentialsError, DeliveryUnknown
from importer.limiter import RateLimiter
from importer.models import RESPONSE_FIELDS, ApiAnswer, Payment
from importer.settings import ApiSettings

NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
RETRY_STATUSES = frozenset({429, 502, 503, 504})
TOKEN_LIFETIME = 2 * 3600.0  # POST /token: "Token will expire in 2 hours"
TOKEN_MARGIN = 300.0  # fetch a new token this long before the old one expires
MAX_RETRY_AFTER = 300.0

Sleep = Callable[[float], Awaitable[None]]


class _NotProcessed(Exception):  # noqa: N818 - internal retry signal
    """The request surely did not change anything at Ropo One; safe to send again."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


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
        self._login_lock = asyncio.Lock()
        self.limiter = RateLimiter(settings.rate, settings.in_flight, clock=clock, sleep=sleep)
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            transport=transport,
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
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
            response = await self._send("/token", body, authorised=False)
        except DeliveryUnknown as exc:
            raise ApiUnavailableError(
                f"Ropo One at {self._settings.base_url} did not answer the login ({exc}); "
                "try again later"
            ) from None
        data = _json(response)
        if response.status_code == 201 and isinstance(data.get("token"), str):
            self._token, self._token_at = data["token"], self._clock()
            return
        if response.status_code == 400:
            reason = data.get("errorText") or data.get("detail") or "no reason given"
            raise CredentialsError(
                f"Ropo One at {self._settings.base_url} refused customer id {credentials.cid} "
                f"with the apicode in ROPO_APICODE ({self._redact(str(reason))}); "
                "check ROPO_CID and ROPO_APICODE with Ropo support"
            )
        raise ApiError(
            f"POST {self._settings.base_url}/token answered HTTP {response.status_code}; "
            "is the base URL right? It should end in /rest"
        )

    async def post_payment(
        self,
        payment: Payment,
        before_send: Callable[[], None] | None = None,
        not_sent: Callable[[], None] | None = None,
    ) -> ApiAnswer:
        """Register one payment. Raises DeliveryUnknown when its fate cannot be known.

        Holds one of the limiter's concurrent slots for the whole request, retries included;
        `before_send` runs just before each attempt goes out (the journal's intent).
        """
        async with self.limiter.request():
            if (
                self._token is None
                or self._clock() - self._token_at > TOKEN_LIFETIME - TOKEN_MARGIN
            ):
                await self._relogin(self._token)
            used = self._token
            response = await self._send(
                "/jobs/payment", payment.body(), before=before_send, refused=not_sent
            )
            if response.status_code == 401:
                # The token expired or was revoked: the request was refused, not processed.
                await self._relogin(used)
                response = await self._send(
                    "/jobs/payment", payment.body(), before=before_send, refused=not_sent
                )
            return _answer(response)

    async def _relogin(self, stale: str | None) -> None:
        """Log in again, once for all concurrent requests that found the same token stale."""
        async with self._login_lock:
            if self._token is None or self._token == stale:
                await self.login()

    async def _send(
        self,
        path: str,
        body: dict[str, Any],
        *,
        authorised: bool = True,
        before: Callable[[], None] | None = None,
        refused: Callable[[], None] | None = None,
    ) -> httpx.Response:
        """POST with retries for what surely was not processed; ApiUnavailableError at the end."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_NotProcessed),
            wait=self._wait,
            stop=self._stop,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        return await self._post_once(path, body, authorised, before)
                    except _NotProcessed:
                        if refused is not None:
                            refused()
                        raise
        except _NotProcessed as exc:
            raise ApiUnavailableError(
                f"Ropo One at {self._settings.base_url} could not be reached after "
                f"{self._settings.max_attempts} attempts ({exc.reason}); nothing more was sent: "
                "run the same command again later to continue"
            ) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _post_once(
        self,
        path: str,
        body: dict[str, Any],
        authorised: bool,
        before: Callable[[], None] | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if authorised and self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        content = json_decimal.dumps(body).encode("utf-8")
        if authorised:  # a login is rare and not a payment: it does not wait its turn
            await self.limiter.start()
        if before is not None:
            before()
        if authorised:
            await self.limiter.sending()
        try:
            response = await self._http.post(path, content=content, headers=headers)
        except NEVER_SENT as exc:
            raise _NotProcessed(f"{type(exc).__name__}: the connection was not made") from None
        except httpx.TransportError as exc:
            raise DeliveryUnknown(
                f"{type(exc).__name__} after the request was sent: no answer came back"
            ) from None
        if response.status_code in RETRY_STATUSES:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            if response.status_code == 429:
                self.limiter.throttle(retry_after)
            raise _NotProcessed(f"HTTP {response.status_code}", retry_after)
        self.limiter.answered()
        if response.status_code >= 500:
            raise DeliveryUnknown(f"HTTP {response.status_code}: the server failed mid-request")
        return response

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=0.5, max=30)(state)
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, _NotProcessed) and exc.retry_after else 0.0
        return max(asked, backoff)

    def _stop(self, state: RetryCallState) -> bool:
        # idle_for sums the planned sleeps, so the cap holds with an injected sleep too.
        return (
            state.attempt_number >= self._settings.max_attempts
            or state.idle_for >= self._settings.max_retry_seconds
        )

    def _redact(self, text: str) -> str:
        for secret in (self._settings.credentials.apicode, self._token):
            if secret:
                text = text.replace(secret, "***")
        return text


def _retry_after(header: str | None) -> float | None:
    """Retry-After as seconds (delay-seconds or HTTP-date, RFC 9110 10.2.3), clamped."""
    if not header:
        return None
    try:
        seconds = float(header)  # a delay in seconds, never money
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = json_decimal.loads(response.content)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _answer(response: httpx.Response) -> ApiAnswer:
    """A payment answer: JobAddPaymentResponse fields, or the problem the server described."""
    data = _json(response)
    statusid = data.get("statusid")
    if isinstance(statusid, (int, str)) and str(statusid).isdigit():
        fields = {name: data.get(name) for name in RESPONSE_FIELDS}
        fields["statusid"] = int(statusid)
        return ApiAnswer(response.status_code, int(statusid), fields)
    problem = data.get("detail") or data.get("title") or data.get("error") or data.get("errorText")
    text = str(problem) if problem else response.text[:200] or "no body"
    return ApiAnswer(response.status_code, None, {}, problem=text)
