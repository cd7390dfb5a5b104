"""The API client alone, on httpx.MockTransport: what is retried, what is never retried."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import httpx
import pytest

from importer.client import RopoClient
from importer.errors import ApiUnavailableError, CredentialsError, DeliveryUnknown
from importer.models import Payment
from importer.settings import ApiSettings, Credentials
from tests.conftest import APICODE, FakeClock

# A rate so high that the limiter never waits: these tests count the retry backoff's sleeps.
SETTINGS = ApiSettings(
    base_url="https://ropo.test/rest", credentials=Credentials("1000011", APICODE), rate=1e9
)
PAYMENT = Payment(billcode="410014", amount=Decimal("125.00"), paydate=date(2026, 11, 2))
APPLIED = {"statusid": 6, "statustext": "ok", "unfocused": 0}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A mock Ropo One: answers /token itself and hands /jobs/payment to `payment`."""

    def __init__(self, payment: Handler, clock: FakeClock | None = None) -> None:
        self.payment = payment
        self.requests: list[httpx.Request] = []
        self.logins = 0
        self.sleeps: list[float] = []
        self.clock = clock or FakeClock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/token"):
            self.logins += 1
            return httpx.Response(201, json={"token": f"token-{self.logins}"})
        return self.payment(request)

    async def sleep(self, seconds: float) -> None:
        """Time passes only here: the fake clock moves by what was slept."""
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    @property
    def payments(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/jobs/payment")]


def post(recorder: Recorder, clock: FakeClock | None = None, payment: Payment = PAYMENT):
    async def go():
        async with RopoClient(
            SETTINGS,
            transport=httpx.MockTransport(recorder),
            sleep=recorder.sleep,
            clock=clock or recorder.clock,
        ) as client:
            return await client.post_payment(payment)

    return asyncio.run(go())


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


def test_refused_connection_is_retried_with_backoff() -> None:
    calls = iter([httpx.ConnectError("refused"), httpx.ConnectError("refused"), None])

    def flaky(request: httpx.Request) -> httpx.Response:
        error = next(calls)
        if error:
            raise error
        return httpx.Response(201, json=APPLIED)

    recorder = Recorder(flaky)
    assert post(recorder).applied
    assert len(recorder.payments) == 3
    assert len(recorder.sleeps) == 2
    assert all(0 <= s <= 30 for s in recorder.sleeps)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_not_processed_statuses_are_retried_honouring_retry_after(status: int) -> None:
    answers = iter(
        [httpx.Response(status, headers={"Retry-After": "7"}), httpx.Response(201, json=APPLIED)]
    )
    recorder = Recorder(lambda r: next(answers))
    assert post(recorder).applied
    assert recorder.sleeps[0] >= 7


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("reset"),
        httpx.WriteTimeout("stuck"),
    ],
)
def test_ambiguous_failures_are_never_retried(error: Exception) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise error

    recorder = Recorder(broken)
    with pytest.raises(DeliveryUnknown):
        post(recorder)
    assert len(recorder.payments) == 1
    assert recorder.sleeps == []


def test_server_error_after_the_request_is_unknown_not_retried() -> None:
    recorder = Recorder(lambda r: httpx.Response(500, text="boom"))
    with pytest.raises(DeliveryUnknown):
        post(recorder)
    assert len(recorder.payments) == 1


def test_giving_up_after_the_attempt_cap() -> None:
    recorder = Recorder(lambda r: httpx.Response(503))
    with pytest.raises(ApiUnavailableError, match="after 5 attempts"):
        post(recorder)
    assert len(recorder.payments) == SETTINGS.max_attempts


def test_401_triggers_exactly_one_relogin() -> None:
    answers = iter([httpx.Response(401), httpx.Response(201, json=APPLIED)])
    recorder = Recorder(lambda r: next(answers))
    assert post(recorder).applied
    assert recorder.logins == 2
    assert recorder.payments[1].headers["Authorization"] == "Bearer token-2"


def test_a_second_401_is_an_answer_not_a_loop() -> None:
    recorder = Recorder(lambda r: httpx.Response(401, json={"status": 401, "detail": "no"}))
    answer = post(recorder)
    assert answer.http_status == 401
    assert recorder.logins == 2
    assert len(recorder.payments) == 2


def test_token_is_fetched_again_before_it_expires() -> None:
    clock = FakeClock()
    recorder = Recorder(lambda r: httpx.Response(201, json=APPLIED))

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


def test_problem_detail_is_kept_for_other_errors() -> None:
    recorder = Recorder(
        lambda r: httpx.Response(
            422, json={"status": 422, "title": "Unprocessable", "detail": "paydate odd"}
        )
    )
    answer = post(recorder)
    assert (answer.http_status, answer.statusid, answer.problem) == (422, None, "paydate odd")
