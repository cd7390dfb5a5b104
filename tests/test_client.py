"""The API client alone, on httpx.MockTransport: every answer read for what it proves.

Sent again only when nothing was processed; DeliveryUnknown when the payment may have been
applied (registered when a 2xx came); EndpointError when the configuration is wrong."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from importer.client import RopoClient
from importer.errors import (
    ApiError,
    ApiUnavailableError,
    CredentialsError,
    DeliveryUnknown,
    EndpointError,
)
from importer.models import ApiAnswer, Payment
from importer.settings import ApiSettings, Credentials
from tests.conftest import APICODE, FakeClock

# A rate so high that the limiter never waits: these tests count the retry backoff's sleeps.
SETTINGS = ApiSettings(
    base_url="https://ropo.test/rest", credentials=Credentials("1000011", APICODE), rate=1e9
)
PAYMENT = Payment(billcode="410014", amount=Decimal("125.00"), paydate=date(2026, 11, 2))
APPLIED = {"statusid": 6, "statustext": "ok", "unfocused": 0}
PROBLEM_503 = {"status": 503, "type": "about:blank", "title": "Unavailable", "detail": "later"}

Handler = Callable[[httpx.Request], Any]


class Recorder:
    """A mock Ropo One: answers /token itself and hands /jobs/payment to `payment`.

    `events` records the order of what happened: 'send' (the callback), 'request', 'not-sent',
    'sleep'."""

    def __init__(self, payment: Handler, clock: FakeClock | None = None) -> None:
        self.payment = payment
        self.requests: list[httpx.Request] = []
        self.logins = 0
        self.sleeps: list[float] = []
        self.events: list[str] = []
        self.clock = clock or FakeClock()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/token"):
            self.logins += 1
            return httpx.Response(201, json={"token": f"token-{self.logins}"})
        self.events.append("request")
        answer = self.payment(request)
        return await answer if asyncio.iscoroutine(answer) else answer

    async def sleep(self, seconds: float) -> None:
        """Time passes only here: the fake clock moves by what was slept."""
        self.sleeps.append(seconds)
        if seconds > 1e-6:  # not the limiter's spacing at a rate of 1e9 a second
            self.events.append("sleep")
        self.clock.advance(seconds)

    @property
    def payments(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/jobs/payment")]


def post(
    recorder: Recorder,
    payment: Payment = PAYMENT,
    settings: ApiSettings = SETTINGS,
    before_send: Callable[[], None] | None = None,
    not_sent: Callable[[], None] | None = None,
) -> ApiAnswer:
    async def go() -> ApiAnswer:
        async with RopoClient(
            settings,
            transport=httpx.MockTransport(recorder),
            sleep=recorder.sleep,
            clock=recorder.clock,
        ) as client:
            if not_sent is None:
                return await client.post_payment(payment, before_send)
            return await client.post_payment(payment, before_send, not_sent)

    return asyncio.run(go())


def answering(*answers: httpx.Response | Exception) -> Recorder:
    """A mock that gives these answers in turn (an exception is raised instead)."""
    queue = iter(answers)

    def next_answer(request: httpx.Request) -> httpx.Response:
        answer = next(queue)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return Recorder(next_answer)


class Body(httpx.AsyncByteStream):
    """A response body sent in chunks, then cut (an exception) or trickled forever."""

    def __init__(self, *chunks: bytes, cut: Exception | None = None, trickle: bool = False) -> None:
        self.chunks, self.cut, self.trickle = chunks, cut, trickle

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.cut is not None:
            raise self.cut
        while self.trickle:  # a byte at a time, each well within any read timeout
            await asyncio.sleep(0.001)
            yield b" "


# --- what is sent -------------------------------------------------------------------------


def test_body_is_exact_json_with_two_decimal_amount_and_bearer_token() -> None:
    recorder = Recorder(lambda r: httpx.Response(201, json=APPLIED))
    payment = Payment(
        billcode="410014", amount=Decimal("0.1") + Decimal("0.2"), paydate=date(2026, 11, 2)
    )
    answer = post(recorder, payment=payment)
    assert answer.applied
    sent = recorder.payments[0]
    assert sent.content == b'{"billcode":"410014","paydate":"2026-11-02","amount":0.30}'
    assert sent.headers["Authorization"] == "Bearer token-1"
    assert sent.headers["Content-Type"] == "application/json"


def test_response_money_is_read_as_decimal() -> None:
    body = b'{"statusid":6,"focusedtocapital":0.10,"unfocused":1234567.89}'
    recorder = Recorder(lambda r: httpx.Response(201, content=body))
    answer = post(recorder)
    assert answer.fields["focusedtocapital"] == Decimal("0.10")
    assert answer.fields["unfocused"] == Decimal("1234567.89")


# --- sent again: only what surely was not processed ------------------------------------------


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")],
)
def test_a_connection_never_made_is_retried_with_backoff(error: Exception) -> None:
    recorder = answering(error, error, httpx.Response(201, json=APPLIED))
    assert post(recorder).applied
    assert len(recorder.payments) == 3
    assert len(recorder.sleeps) == 2
    assert all(0 <= s <= 30 for s in recorder.sleeps)


@pytest.mark.parametrize("media", ["application/json", "application/problem+json"])
def test_a_503_that_ropo_one_wrote_is_retried_honouring_retry_after(media: str) -> None:
    problem = httpx.Response(
        503,
        content=httpx.Response(200, json=PROBLEM_503).content,
        headers={"Content-Type": f"{media}; charset=utf-8", "Retry-After": "7"},
    )
    recorder = answering(problem, httpx.Response(201, json=APPLIED))
    assert post(recorder).applied
    assert recorder.sleeps[0] >= 7


def test_a_429_is_retried_honouring_retry_after() -> None:
    throttled = httpx.Response(429, headers={"Retry-After": "7"})
    recorder = answering(throttled, httpx.Response(201, json=APPLIED))
    assert post(recorder).applied
    assert recorder.sleeps[0] >= 7


def test_answers_of_429_do_not_use_up_the_attempts() -> None:
    """Today's --rate 50 against a 5/s cap gave up after 5 answers of 429.

    Twenty answers: even if every jittered wait drew its longest (30 s), they stay inside the
    600 s budget for throttling, so the test holds whatever the random draws."""
    throttled = [httpx.Response(429, headers={"Retry-After": "1"}) for _ in range(20)]
    recorder = answering(*throttled, httpx.Response(201, json=APPLIED))
    assert post(recorder).applied
    assert len(recorder.payments) == 21


def test_a_server_that_keeps_answering_429_stops_after_its_time_budget() -> None:
    recorder = Recorder(lambda r: httpx.Response(429, headers={"Retry-After": "30"}))
    settings = replace(SETTINGS, max_throttle_seconds=300)
    with pytest.raises(ApiUnavailableError, match=r"kept answering 429 .* for 300 s"):
        post(recorder, settings=settings)
    assert sum(recorder.sleeps) == pytest.approx(300, abs=30)
    assert len(recorder.payments) == 11


def test_giving_up_after_the_attempt_cap() -> None:
    recorder = Recorder(lambda r: httpx.Response(503, json=PROBLEM_503))
    with pytest.raises(ApiUnavailableError, match="could not be reached after 5 attempts"):
        post(recorder)
    assert len(recorder.payments) == SETTINGS.max_attempts


# --- never sent again: the payment may have been applied ------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("reset"),
        httpx.WriteTimeout("stuck"),
        httpx.WriteError("broken pipe"),
    ],
)
def test_ambiguous_failures_are_never_retried(error: Exception) -> None:
    recorder = answering(error)
    with pytest.raises(DeliveryUnknown) as raised:
        post(recorder)
    assert raised.value.registered is False
    assert len(recorder.payments) == 1
    assert recorder.sleeps == []


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, text="boom"),
        httpx.Response(502, json={"message": "Bad Gateway"}),
        httpx.Response(504, headers={"Retry-After": "1"}),
        httpx.Response(503),  # no body: a proxy's, not Ropo One's
        httpx.Response(503, json={"message": "Service Unavailable"}),  # a gateway's JSON
        httpx.Response(503, text=str(PROBLEM_503)),  # not JSON
        httpx.Response(503, html="<html><body>503 Service Unavailable</body></html>"),
        httpx.Response(400, html="<html><body>400 Bad Request (nginx)</body></html>"),
        httpx.Response(422, text="<!DOCTYPE html><title>Error</title>"),
    ],
    ids=[
        "500",
        "502",
        "504",
        "503-empty",
        "503-gateway",
        "503-text",
        "503-html",
        "400-html",
        "422-html",
    ],
)
def test_server_errors_and_proxy_pages_are_unknown_never_retried(answer: httpx.Response) -> None:
    """A gateway can answer 502/504 or a page after Ropo One applied the payment."""
    recorder = answering(answer)
    with pytest.raises(DeliveryUnknown, match="may have applied it") as raised:
        post(recorder)
    assert raised.value.registered is False
    assert len(recorder.payments) == 1
    assert recorder.sleeps == []


HUGE = b'{"statusid":6,"statustext":"' + b"x" * (1024 * 1024) + b'"}'


@pytest.mark.parametrize("status", [200, 201])
@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (lambda s: httpx.Response(s, html="<html>Payment registered</html>"), "HTML page"),
        (lambda s: httpx.Response(s, text="ok"), "not a JSON object"),
        (lambda s: httpx.Response(s, json=[APPLIED]), "not a JSON object"),
        (lambda s: httpx.Response(s, json={"statustext": "ok"}), "no statusid"),
        (lambda s: httpx.Response(s, json={"statusid": None}), "no statusid"),
        (lambda s: httpx.Response(s), "an empty body"),
        (lambda s: httpx.Response(s, content=b'{"statusid":NaN}'), "not a JSON object"),
        (lambda s: httpx.Response(s, content=HUGE), "over 1024 KiB"),
        (lambda s: httpx.Response(s, stream=Body(*[HUGE[:70_000]] * 20)), "over 1024 KiB"),
        (
            lambda s: httpx.Response(
                s, stream=Body(b'{"statusid":', cut=httpx.RemoteProtocolError("cut"))
            ),
            "RemoteProtocolError",
        ),
        (
            lambda s: httpx.Response(s, stream=Body(b'{"statusid":', cut=httpx.ReadTimeout("?"))),
            "ReadTimeout",
        ),
    ],
    ids=[
        "html",
        "text",
        "array",
        "no-statusid",
        "null",
        "empty",
        "nan",
        "huge",
        "huge-stream",
        "cut",
        "read-timeout",
    ],
)
def test_a_2xx_whose_body_cannot_be_read_is_registered_never_rejected(
    status: int, answer: Callable[[int], httpx.Response], why: str
) -> None:
    recorder = answering(answer(status))
    with pytest.raises(
        DeliveryUnknown, match="registered, but the answer could not be read"
    ) as raised:
        post(recorder)
    assert raised.value.registered is True
    assert why in str(raised.value)
    assert len(recorder.payments) == 1


def test_the_deadline_bounds_the_whole_request_not_each_read() -> None:
    """A body that trickles a byte at a time never trips the read timeout; the deadline ends it."""
    settings = replace(SETTINGS, read_timeout=60, request_deadline=0.05)
    recorder = answering(httpx.Response(201, stream=Body(b'{"statusid":6', trickle=True)))
    with pytest.raises(DeliveryUnknown, match=r"within 0\.05 s") as raised:
        post(recorder, settings=settings)
    assert raised.value.registered is True  # the 201 status line was read
    assert len(recorder.payments) == 1

    stalled = Recorder(lambda r: asyncio.Event().wait())  # no status line ever comes
    with pytest.raises(DeliveryUnknown, match=r"within 0\.05 s") as raised:
        post(stalled, settings=settings)
    assert raised.value.registered is False


def test_the_deadline_is_a_little_above_the_read_timeout_unless_given() -> None:
    assert SETTINGS.deadline == 90
    assert replace(SETTINGS, read_timeout=120).deadline == 150
    assert replace(SETTINGS, request_deadline=10).deadline == 10


# --- answers returned as read: posting decides what they mean ---------------------------------


@pytest.mark.parametrize(
    ("status", "statusid"), [(201, 6), (400, 10), (400, 5), (201, 10), (400, 6), (200, 6)]
)
def test_a_statusid_is_returned_as_read_whatever_the_status(status: int, statusid: int) -> None:
    body = {"statusid": statusid, "statustext": "t"}
    answer = post(answering(httpx.Response(status, json=body)))
    assert (answer.http_status, answer.statusid, answer.raw_statusid) == (status, statusid, None)
    assert answer.applied is (status == 201 and statusid == 6)


@pytest.mark.parametrize("odd", [b"6.0", b'"6"', b'"x"', b"true", b"[6]"])
@pytest.mark.parametrize("status", [201, 400])
def test_a_statusid_that_is_not_a_whole_number_stays_visible_and_never_applied(
    status: int, odd: bytes
) -> None:
    body = b'{"statusid":' + odd + b',"statustext":"ok"}'
    answer = post(answering(httpx.Response(status, content=body)))
    assert answer.statusid is None
    assert answer.raw_statusid is not None
    assert answer.fields["statusid"] == answer.raw_statusid
    assert not answer.applied
    assert answer.problem
    assert "not a whole number" in answer.problem


def test_problem_detail_is_kept_for_other_errors() -> None:
    problem = {"status": 422, "title": "Unprocessable", "detail": "paydate odd"}
    answer = post(answering(httpx.Response(422, json=problem)))
    assert (answer.http_status, answer.statusid, answer.problem) == (422, None, "paydate odd")


def test_a_4xx_over_the_size_cap_is_an_answer_saying_so() -> None:
    answer = post(answering(httpx.Response(409, content=b"[" + b"0," * 600_000 + b"0]")))
    assert answer.http_status == 409
    assert answer.problem == "the answer was too large (over 1024 KiB) and was not read"


# --- answers that show a configuration problem stop the run ---------------------------------


def test_401_triggers_exactly_one_relogin() -> None:
    recorder = answering(httpx.Response(401), httpx.Response(201, json=APPLIED))
    assert post(recorder).applied
    assert recorder.logins == 2
    assert recorder.payments[1].headers["Authorization"] == "Bearer token-2"


def test_a_401_right_after_a_new_login_stops_the_run() -> None:
    recorder = Recorder(lambda r: httpx.Response(401, json={"status": 401, "detail": "no"}))
    with pytest.raises(EndpointError, match="HTTP 401 right after a new login"):
        post(recorder)
    assert recorder.logins == 2
    assert len(recorder.payments) == 2


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_and_names_where_it_pointed(status: int) -> None:
    moved = httpx.Response(status, headers={"Location": "https://elsewhere.test/rest/jobs/payment"})
    recorder = answering(moved)
    with pytest.raises(EndpointError, match=f"HTTP {status}, a redirect to https://elsewhere"):
        post(recorder)
    assert len(recorder.payments) == 1


@pytest.mark.parametrize(
    ("status", "says"),
    [(403, "customer id 1000011 may register"), (404, "check the base URL"), (405, "base URL")],
)
def test_forbidden_not_found_and_wrong_method_stop_the_run(status: int, says: str) -> None:
    recorder = answering(httpx.Response(status, html="<html>nope</html>"))
    with pytest.raises(EndpointError, match=f"HTTP {status}, .*{says}"):
        post(recorder)
    assert len(recorder.payments) == 1


def test_a_login_to_the_wrong_address_says_so() -> None:
    async def go() -> None:
        transport = httpx.MockTransport(lambda r: httpx.Response(404, html="<html>404</html>"))
        async with RopoClient(SETTINGS, transport=transport) as client:
            await client.login()

    with pytest.raises(EndpointError, match="HTTP 404"):
        asyncio.run(go())


def test_a_login_that_is_never_answered_is_unavailable() -> None:
    async def go() -> None:
        transport = httpx.MockTransport(lambda r: httpx.Response(502))
        async with RopoClient(SETTINGS, transport=transport) as client:
            await client.login()

    with pytest.raises(ApiUnavailableError, match="did not answer the login"):
        asyncio.run(go())


# --- the callbacks: the journal's intent and its 'not processed' ------------------------------


def test_the_callbacks_frame_every_attempt_and_not_sent_comes_before_the_backoff() -> None:
    recorder = answering(
        httpx.ConnectError("refused"),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(503, json=PROBLEM_503),
        httpx.Response(401),
        httpx.Response(201, json=APPLIED),
    )
    answer = post(
        recorder,
        before_send=lambda: recorder.events.append("send"),
        not_sent=lambda: recorder.events.append("not-sent"),
    )
    assert answer.applied
    unprocessed = ["send", "request", "not-sent", "sleep"]
    refused = ["send", "request", "not-sent"]  # then a new login, at once
    assert recorder.events == [*unprocessed * 3, *refused, "send", "request"]


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (httpx.ConnectError("refused"), ApiUnavailableError),
        (httpx.Response(307, headers={"Location": "/x"}), EndpointError),
        (httpx.Response(404), EndpointError),
    ],
)
def test_not_sent_runs_before_an_error_that_stops_the_run(
    answer: httpx.Response | Exception, raised: type[Exception]
) -> None:
    recorder = answering(*[answer] * SETTINGS.max_attempts)
    calls: list[str] = []
    with pytest.raises(raised):
        post(
            recorder, before_send=lambda: calls.append("send"), not_sent=lambda: calls.append("no")
        )
    assert calls[-2:] == ["send", "no"]
    assert calls.count("send") == calls.count("no") == len(recorder.payments)


def test_an_error_in_a_callback_propagates_and_nothing_more_is_sent() -> None:
    class JournalBrokeError(Exception):
        pass

    def broken() -> None:
        raise JournalBrokeError("disk full")

    recorder = answering(httpx.Response(201, json=APPLIED))
    with pytest.raises(JournalBrokeError, match="disk full"):
        post(recorder, before_send=broken)
    assert recorder.payments == []

    recorder = answering(httpx.ConnectError("refused"), httpx.Response(201, json=APPLIED))
    with pytest.raises(JournalBrokeError):
        post(recorder, not_sent=broken)
    assert len(recorder.payments) == 1
    assert recorder.sleeps == []


# --- the token ---------------------------------------------------------------------------


def test_token_is_fetched_again_before_it_expires() -> None:
    clock = FakeClock()
    recorder = Recorder(lambda r: httpx.Response(201, json=APPLIED), clock)

    async def go() -> None:
        async with RopoClient(
            SETTINGS, transport=httpx.MockTransport(recorder), sleep=recorder.sleep, clock=clock
        ) as client:
            await client.post_payment(PAYMENT)
            clock.advance(3600)
            await client.post_payment(PAYMENT)
            clock.advance(3600)  # 2 hours after the first login: refresh first
            await client.post_payment(PAYMENT)

    asyncio.run(go())
    assert recorder.logins == 2
    assert [r.headers["Authorization"] for r in recorder.payments] == [
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_concurrent_requests_that_find_the_token_refused_log_in_once() -> None:
    def payment(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer token-1":
            return httpx.Response(401)
        return httpx.Response(201, json=APPLIED)

    recorder = Recorder(payment)

    async def go() -> list[ApiAnswer]:
        async with RopoClient(
            SETTINGS, transport=httpx.MockTransport(recorder), sleep=recorder.sleep
        ) as client:
            await client.login()
            return await asyncio.gather(*(client.post_payment(PAYMENT) for _ in range(4)))

    assert all(answer.applied for answer in asyncio.run(go()))
    assert recorder.logins == 2


def test_refused_login_names_the_customer_but_never_the_apicode() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"errorId": 1, "errorText": f"bad apicode {APICODE}"})

    async def go() -> None:
        async with RopoClient(SETTINGS, transport=httpx.MockTransport(refuse)) as client:
            await client.login()

    with pytest.raises(CredentialsError) as raised:
        asyncio.run(go())
    assert "1000011" in str(raised.value)
    assert APICODE not in str(raised.value)
    assert isinstance(raised.value, ApiError)
