"""Answers read safely: Retry-After bounded, and no secret kept from any answer or error."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from importer.answers import MAX_RETRY_AFTER, Scrubber, retry_after
from importer.client import RopoClient
from importer.errors import CredentialsError, DeliveryUnknown, EndpointError
from importer.models import RESPONSE_FIELDS, ApiAnswer
from tests.conftest import APICODE
from tests.test_client import SETTINGS, Recorder, answering, post

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("inf", MAX_RETRY_AFTER),
        ("Infinity", MAX_RETRY_AFTER),
        ("1e400", MAX_RETRY_AFTER),
        ("99999999", MAX_RETRY_AFTER),
        ("nan", None),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW + timedelta(days=400), usegmt=True), MAX_RETRY_AFTER),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("Mon, 02 Nov 2026 12:00:20", 20.0),  # no zone: read as GMT, as HTTP dates are
    ],
)
def test_retry_after_is_bounded_whatever_the_server_says(
    header: str | None, seconds: float | None
) -> None:
    assert retry_after(header, now=NOW) == seconds


def test_max_retry_after_is_a_minute() -> None:
    assert MAX_RETRY_AFTER == 60


@pytest.mark.parametrize("header", ["inf", "nan", "-1", "1e400"])
def test_a_throttled_request_never_waits_forever_or_not_at_all(header: str) -> None:
    recorder = answering(
        httpx.Response(429, headers={"Retry-After": header}),
        httpx.Response(201, json={"statusid": 6}),
    )
    assert post(recorder).applied
    backoff = [s for s in recorder.sleeps if s > 1e-6]
    assert len(backoff) <= 1
    assert all(0 <= s <= MAX_RETRY_AFTER for s in recorder.sleeps)


# --- secrets ----------------------------------------------------------------------------------

ECHO = (
    "POST /rest/jobs/payment HTTP/1.1\r\nAuthorization: Bearer {token}\r\n"
    'Content-Type: application/json\r\n\r\n{{"cid":"1000011","apicode":"{apicode}"}}'
)


def leaked(text: str) -> list[str]:
    secrets = ["token-1", "token-2", APICODE, "Bearer s3cr3t", "Basic dXNlcjpwYXNz"]
    return [secret for secret in secrets if secret in text]


def echoing(request: httpx.Request) -> httpx.Response:
    """A 400 that echoes the request, headers included, in every field it has."""
    text = ECHO.format(token=request.headers["Authorization"][7:], apicode=APICODE)
    fields = {
        "statusid": 1,
        "statustext": text,
        "billcode": f"Authorization: {request.headers['Authorization']}",
        "detail": text,
        "extra": [{"nested": "Bearer s3cr3t"}],
    }
    return httpx.Response(400, json=fields)


def test_an_answer_echoing_the_request_keeps_no_secret() -> None:
    answer = post(Recorder(echoing))
    assert answer.statusid == 1
    assert leaked(repr(answer)) == []
    assert "Authorization: ***" in answer.fields["statustext"]
    assert '"apicode":"***"' in answer.fields["statustext"]


@pytest.mark.parametrize(
    "body",
    [
        {"status": 400, "title": "Bad Request", "detail": "got Authorization: Bearer token-1"},
        {"status": 400, "title": "Bad Request", "detail": f"apicode={APICODE} refused"},
        {"error": "header authorization=Basic dXNlcjpwYXNz, Bearer s3cr3t"},
    ],
)
def test_a_problem_text_keeps_no_secret(body: dict[str, object]) -> None:
    answer = post(answering(httpx.Response(400, json=body)))
    assert answer.problem
    assert leaked(answer.problem) == []


def test_a_body_that_is_not_json_is_scrubbed_before_it_is_cut() -> None:
    """Cut first, and the first 200 characters could end in half a token."""
    text = "x" * 190 + " Bearer token-1 and more"
    answer = post(answering(httpx.Response(400, text=text)))
    assert answer.problem is not None
    assert "token" not in answer.problem
    assert len(answer.problem) <= 200


def test_a_token_from_an_earlier_login_is_scrubbed_too() -> None:
    """After a re-login, an echo may still carry the old token, in any form."""
    answers = iter(
        [
            httpx.Response(401),
            httpx.Response(400, json={"statusid": 1, "statustext": "old token-1, new token-2"}),
        ]
    )
    answer = post(Recorder(lambda r: next(answers)))
    assert answer.fields["statustext"] == "old ***, new ***"


def test_errors_keep_no_secret() -> None:
    location = "https://elsewhere.test/?access_token=token-1"
    with pytest.raises(EndpointError) as moved:
        post(answering(httpx.Response(307, headers={"Location": location})))
    assert leaked(str(moved.value)) == []
    assert "elsewhere.test" in str(moved.value)

    problem = {"status": 503, "title": "Unavailable", "detail": "Bearer token-1 busy"}
    recorder = Recorder(lambda r: httpx.Response(503, json=problem))
    with pytest.raises(Exception, match="could not be reached") as unavailable:
        post(recorder)
    assert leaked(str(unavailable.value)) == []


def test_a_login_refusal_keeps_no_secret() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        text = f"apicode {APICODE} refused; Authorization: Basic dXNlcjpwYXNz"
        return httpx.Response(400, json={"errorId": 1, "errorText": text})

    async def go() -> None:
        async with RopoClient(SETTINGS, transport=httpx.MockTransport(refuse)) as client:
            await client.login()

    with pytest.raises(CredentialsError) as raised:
        asyncio.run(go())
    assert leaked(str(raised.value)) == []
    assert "refused" in str(raised.value)


def test_unknown_delivery_messages_keep_no_secret() -> None:
    page = "<html>Bearer token-1</html>"
    with pytest.raises(DeliveryUnknown) as raised:
        post(answering(httpx.Response(201, html=page)))
    assert leaked(str(raised.value)) == []


def test_scrubbing_leaves_an_ordinary_answer_alone() -> None:
    body = {"statusid": 6, "statustext": "Capital kirjattu: Bearerless", "unfocused": 0}
    answer = post(answering(httpx.Response(201, json=body)))
    assert answer == ApiAnswer(201, 6, {**dict.fromkeys(RESPONSE_FIELDS), **body})


def test_a_short_secret_is_hidden_where_it_stands_alone_without_mangling_words() -> None:
    scrub = Scrubber(lambda: ["t", "a-long-token-value"])
    said = "RemoteProtocolError after the request was sent: token t, a-long-token-value!"
    assert scrub.text(said) == ("RemoteProtocolError after the request was sent: token ***, ***!")
