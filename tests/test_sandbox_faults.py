"""The sandbox's fault modes over real loopback HTTP: each answers as documented, applies the
payment or not as documented, and repeats under its seed."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest

from importer import json_decimal
from importer.models import RESPONSE_FIELDS
from importer.sandbox import Ledger, SandboxServer, SandboxState, answers
from importer.sandbox.faults import APPLIED_MODES, MODES, Faults, parse_fault
from tests.conftest import APICODE, LEDGER, Sandbox
from tests.test_sandbox import login

PAYMENT = {"billcode": "410014", "amount": Decimal("1.00"), "paydate": "2026-11-02"}
APPLIED_ONCE = {(500001, "2026-11-02", "1.00"): 1}
HTML_MODES = {
    "gateway-504": (504, "504 Gateway Time-out"),
    "gateway-502": (502, "502 Bad Gateway"),
    "proxy-503": (503, "503 Service Temporarily Unavailable"),
    "html-200": (200, "Sign in to continue"),
}


def with_modes(sandbox: Sandbox, **faults: Any) -> Faults:
    sandbox.state.faults = Faults(**faults)
    return sandbox.state.faults


def request(sandbox: Sandbox, token: str | None = None, **extra: Any) -> httpx.Request:
    token = token or login(sandbox).json()["token"]
    return httpx.Request(
        "POST",
        f"{sandbox.url}/jobs/payment",
        content=json_decimal.dumps(PAYMENT),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **extra},
    )


def send(sandbox: Sandbox, token: str | None = None) -> httpx.Response:
    with httpx.Client() as client:
        return client.send(request(sandbox, token))


def counts(sandbox: Sandbox) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(sandbox.url.replace("/rest", "/sandbox/applied")).json()
    return answer


@contextmanager
def uvicorn_errors() -> Iterator[list[logging.LogRecord]]:
    """Warnings and errors the sandbox's server logs meanwhile (uvicorn does not propagate)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize("mode", sorted(HTML_MODES))
def test_html_modes_apply_then_answer_an_html_page(sandbox: Sandbox, mode: str) -> None:
    with_modes(sandbox, modes={mode: 1.0})
    response = send(sandbox)
    status, title = HTML_MODES[mode]
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert title in response.text
    assert not response.text.lstrip().startswith("{")  # no problem body for the client to trust
    assert sandbox.state.ledger.applied == APPLIED_ONCE
    assert counts(sandbox)["faults"] == {mode: 1}


def test_cut_applies_then_breaks_off_a_201_body(sandbox: Sandbox) -> None:
    faults = with_modes(sandbox, modes={"cut": 1.0})
    with httpx.Client() as client:
        response = client.send(request(sandbox), stream=True)
        assert response.status_code == 201
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            response.read()
    assert sandbox.state.ledger.applied == APPLIED_ONCE
    assert faults.dropped == list(APPLIED_ONCE)
    assert counts(sandbox)["faults"] == {"cut": 1}


def test_drop_rate_still_cuts_and_counts_as_the_cut_mode(sandbox: Sandbox) -> None:
    with_modes(sandbox, drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        send(sandbox)
    assert sandbox.state.ledger.applied == APPLIED_ONCE
    assert counts(sandbox)["faults"] == {"cut": 1}


def test_huge_body_streams_json_until_the_client_leaves(sandbox: Sandbox) -> None:
    with_modes(sandbox, modes={"huge-body": 1.0})
    received = 0
    with uvicorn_errors() as errors, httpx.Client() as client:
        response = client.send(request(sandbox), stream=True)
        assert response.status_code == 201
        assert response.headers["content-type"] == "application/json"
        assert "content-length" not in response.headers
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > 20 * 2**20:
                break
        response.close()
        # The server takes the next request at once: the endless answer is over.
        with_modes(sandbox)
        assert login(sandbox).status_code == 201
    assert received > 20 * 2**20
    assert errors == []
    assert sandbox.state.ledger.applied == APPLIED_ONCE


def test_trickle_sends_a_valid_answer_one_byte_at_a_time(sandbox: Sandbox) -> None:
    with_modes(sandbox, modes={"trickle": 1.0}, trickle_seconds=0.02)
    timeout = httpx.Timeout(5.0, read=0.5)  # each read is quick: a per-read timeout never fires
    with httpx.Client(timeout=timeout) as client:
        started = time.monotonic()
        response = client.send(request(sandbox), stream=True)
        assert response.status_code == 201
        chunks = []
        for chunk in response.iter_raw(1):
            chunks.append(chunk)
            if len(chunks) == 6:
                break
        elapsed = time.monotonic() - started
        response.close()
    assert chunks == [b"{", b'"', b"j", b"o", b"b", b"i"]
    assert elapsed >= 5 * 0.02
    assert int(response.headers["content-length"]) > 300


def test_trickle_body_is_the_whole_answer(sandbox: Sandbox) -> None:
    with_modes(sandbox, modes={"trickle": 1.0}, trickle_seconds=0.0)
    response = send(sandbox)
    assert response.status_code == 201
    body = json_decimal.loads(response.content)
    assert body["statusid"] == 6
    assert set(RESPONSE_FIELDS) <= set(body)
    assert sandbox.state.ledger.applied == APPLIED_ONCE


def faulty_state(**faults: Any) -> SandboxState:
    return SandboxState(Ledger.load(LEDGER), apicode=APICODE, faults=Faults(**faults))


def token_for(server: SandboxServer) -> str:
    answer = httpx.post(f"{server.base_url}/token", json={"cid": "1000011", "apicode": APICODE})
    token: str = answer.json()["token"]
    return token


def test_stall_applies_and_never_answers_until_the_client_leaves() -> None:
    state = faulty_state(modes={"stall": 1.0})
    with uvicorn_errors() as errors:
        with SandboxServer(state) as server:
            headers = {"Authorization": f"Bearer {token_for(server)}"}
            body = json_decimal.dumps(PAYMENT)
            with pytest.raises(httpx.ReadTimeout):
                httpx.post(
                    f"{server.base_url}/jobs/payment", content=body, headers=headers, timeout=0.3
                )
            leaving = time.monotonic()
        stopped_in = time.monotonic() - leaving
    assert stopped_in < 1.5
    assert errors == []
    assert state.ledger.applied == APPLIED_ONCE
    assert state.faults.fired == {"stall": 1}


def test_stop_ends_a_stall_while_the_client_still_waits() -> None:
    state = faulty_state(modes={"stall": 1.0})
    outcome: list[BaseException | httpx.Response] = []
    with SandboxServer(state) as server:
        headers = {"Authorization": f"Bearer {token_for(server)}"}

        def wait_for_an_answer() -> None:
            try:
                outcome.append(
                    httpx.post(
                        f"{server.base_url}/jobs/payment",
                        content=json_decimal.dumps(PAYMENT),
                        headers=headers,
                        timeout=10,
                    )
                )
            except httpx.HTTPError as exc:
                outcome.append(exc)

        waiting = threading.Thread(target=wait_for_an_answer)
        waiting.start()
        deadline = time.monotonic() + 5
        while state.faults.fired.get("stall") != 1 and time.monotonic() < deadline:
            time.sleep(0.01)  # until the request has reached the stall
        stopping = time.monotonic()
        state.stop()
        waiting.join(timeout=5)
    assert time.monotonic() - stopping < 1.5
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.RemoteProtocolError)  # a cut, never an answer


def test_status_10_with_201_is_not_applied(sandbox: Sandbox) -> None:
    with_modes(sandbox, modes={"status-10-201": 1.0})
    response = send(sandbox)
    assert response.status_code == 201
    body = json_decimal.loads(response.content)
    assert body["statusid"] == 10
    assert set(RESPONSE_FIELDS) <= set(body)
    assert body["amount"] == Decimal("1.00")
    assert sandbox.state.ledger.applied == {}
    assert counts(sandbox)["faults"] == {"status-10-201": 1}


def test_echo_headers_puts_the_bearer_token_in_the_problem_detail(sandbox: Sandbox) -> None:
    with_modes(sandbox, modes={"echo-headers": 1.0})
    token = login(sandbox).json()["token"]
    response = send(sandbox, token)
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400
    assert f"Authorization: Bearer {token}" in problem["detail"]
    assert sandbox.state.ledger.applied == {}


def test_unauthorized_survives_a_new_login(sandbox: Sandbox) -> None:
    with_modes(sandbox, modes={"unauthorized": 1.0})
    first = send(sandbox)
    relogin = login(sandbox)
    again = send(sandbox, relogin.json()["token"])
    assert (first.status_code, relogin.status_code, again.status_code) == (401, 201, 401)
    assert again.json()["status"] == 401
    assert sandbox.state.ledger.applied == {}
    assert counts(sandbox)["faults"] == {"unauthorized": 2}


def test_redirect_points_elsewhere_on_the_same_host(sandbox: Sandbox) -> None:
    with_modes(sandbox, modes={"redirect": 1.0})
    response = send(sandbox)
    assert response.status_code == 307
    origin = sandbox.url.removesuffix("/rest")
    assert response.headers["location"] == f"{origin}/moved/rest/jobs/payment"
    assert sandbox.state.ledger.applied == {}


def test_retry_after_inf(sandbox: Sandbox) -> None:
    with_modes(sandbox, modes={"retry-after-inf": 1.0})
    response = send(sandbox)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "inf"
    assert response.json()["status"] == 429
    assert sandbox.state.ledger.applied == {}


def test_every_mode_is_tested_and_applied_modes_are_the_documented_ones() -> None:
    assert set(MODES) == {
        *HTML_MODES,
        *("cut", "huge-body", "trickle", "stall"),
        *("status-10-201", "echo-headers", "unauthorized", "redirect", "retry-after-inf"),
    }
    assert {mode for mode in MODES if MODES[mode].startswith("applied")} == APPLIED_MODES


def statuses(sandbox: Sandbox, seed: int, requests: int) -> list[int]:
    """The HTTP status of each of `requests` payments, from a fresh ledger."""
    sandbox.state.ledger = Ledger.load(LEDGER)
    faults = with_modes(
        sandbox, seed=seed, modes={"gateway-504": 0.3, "retry-after-inf": 0.2, "redirect": 0.1}
    )
    token = login(sandbox).json()["token"]
    with httpx.Client() as client:
        seen = [client.send(request(sandbox, token)).status_code for _ in range(requests)]
    reported = counts(sandbox)["faults"]
    assert reported == {
        "gateway-504": seen.count(504),
        "redirect": seen.count(307),
        "retry-after-inf": seen.count(429),
    }
    assert faults.fired == {mode: n for mode, n in reported.items() if n}
    # A 504 was applied like a 201; a 429 or a redirect was not.
    applied = sum(sandbox.state.ledger.applied.values())
    assert applied == seen.count(201) + seen.count(504)
    return seen


def test_seeded_shares_repeat(sandbox: Sandbox) -> None:
    first = statuses(sandbox, seed=11, requests=30)
    assert statuses(sandbox, seed=11, requests=30) == first
    assert statuses(sandbox, seed=12, requests=30) != first
    assert set(first) == {201, 504, 429, 307}
    assert 3 <= first.count(504) <= 18  # about 30% of 30


def test_shares_lie_end_to_end_so_a_full_set_covers_every_request() -> None:
    faults = Faults(seed=5, modes={"cut": 0.25, "stall": 0.75})
    picks = [faults.pick() for _ in range(2000)]
    assert None not in picks
    assert 400 < picks.count("cut") < 600
    assert Faults(seed=5).pick() is None
    assert Faults(seed=5, modes={"cut": 0.0}).pick() is None


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ({"modes": {"gateway-505": 1.0}}, "unknown fault mode 'gateway-505'; the modes are"),
        ({"modes": {"cut": 1.5}}, "share 1.5 is not between 0 and 1"),
        ({"modes": {"cut": -0.1}}, "share -0.1 is not between 0 and 1"),
        ({"modes": {"cut": 0.6, "stall": 0.6}}, "add up to 1.2"),
        ({"trickle_seconds": -1.0}, "trickle_seconds"),
    ],
)
def test_bad_faults_are_refused_by_name(faults: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Faults(**faults)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("cut", ("cut", 1.0)), ("gateway-504=0.25", ("gateway-504", 0.25)), ("stall=0", ("stall", 0))],
)
def test_parse_fault(text: str, parsed: tuple[str, float]) -> None:
    assert parse_fault(text) == parsed


@pytest.mark.parametrize("text", ["cut=", "cut=x", "cut=nan", "cut=2", "nope", "=0.5"])
def test_parse_fault_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        parse_fault(text)


# --- the odd answers alone, with a fake ASGI server: they end when the client goes ----------

SCOPE: dict[str, Any] = {"type": "http"}


def play(answer: Any, leave_after: int | None) -> list[dict[str, Any]]:
    """The messages `answer` sends when the client disconnects after `leave_after` of them."""
    sent: list[dict[str, Any]] = []
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) == leave_after:
            gone.set()

    async def go() -> None:
        await asyncio.wait_for(answer(SCOPE, receive, send), timeout=5)

    asyncio.run(go())
    return sent


def test_an_endless_body_stops_soon_after_the_client_has_gone() -> None:
    sent = play(answers.Endless(201, threading.Event()), leave_after=5)
    assert 5 <= len(sent) <= 8  # not a spin of sends into a closed connection
    assert sent[0]["status"] == 201
    assert all(message.get("more_body") for message in sent[1:])


def test_a_stopping_sandbox_ends_an_endless_body() -> None:
    stopping = threading.Event()
    stopping.set()
    assert len(play(answers.Endless(201, stopping), leave_after=None)) <= 2


def test_a_trickle_stops_when_the_client_goes() -> None:
    full = answers.json_response({"statusid": 6, "statustext": "Payment registered"}, 201)
    sent = play(answers.Trickle(full, 0.01, threading.Event()), leave_after=4)
    assert 4 <= len(sent) <= 5
    assert [m["body"] for m in sent[1:4]] == [b"{", b'"', b"s"]


def test_a_stall_sends_nothing_and_ends_when_the_client_goes() -> None:
    stall = answers.Stall(threading.Event())

    async def go() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        gone = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        waiting = asyncio.ensure_future(stall(SCOPE, receive, send))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        gone.set()
        await asyncio.wait_for(waiting, timeout=1)
        return sent

    assert asyncio.run(go()) == []
