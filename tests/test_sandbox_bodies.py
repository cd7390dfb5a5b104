"""Whatever a client sends, the sandbox answers 4xx with a problem body, never 500: broken
JSON, odd numbers, deep nesting, wrong types, and bodies over 64 KiB (413, read no further)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importer.sandbox import Ledger, SandboxServer, SandboxState
from importer.sandbox.schema import BODY_LIMIT
from tests.conftest import APICODE, CID, LEDGER


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxState(Ledger.load(LEDGER), apicode=APICODE)) as running:
        yield running


@pytest.fixture(scope="module")
def token(server: SandboxServer) -> str:
    answer = httpx.post(f"{server.base_url}/token", json={"cid": CID, "apicode": APICODE})
    issued: str = answer.json()["token"]
    return issued


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as shared:
        yield shared


def post(
    server: SandboxServer, path: str, body: Any, token: str, client: httpx.Client | None = None
) -> httpx.Response:
    return (client or httpx).post(
        f"{server.base_url}{path}",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def assert_problem(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert detail in problem["detail"]


PAY = '"billcode": "410014", "paydate": "2026-11-02"'
BOTH = ["/token", "/jobs/payment"]


@pytest.mark.parametrize("path", BOTH)
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"a": 1} trailing', "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b"1e999999", "must be a JSON object"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"cid": "\xc3"}', "not valid UTF-8"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),  # a BOM is not JSON
        (b'{"amount": NaN}', "not valid JSON"),
        (b'{"amount": -Infinity}', "not valid JSON"),
        (b'{"amount": 1' + b"0" * 5000 + b"}", "not valid JSON"),  # past int's digit limit
        (b"[" * 30000 + b"]" * 30000, "not valid JSON"),  # deeper than Python recurses
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(
    server: SandboxServer, token: str, path: str, body: bytes, detail: str
) -> None:
    assert_problem(post(server, path, body, token), 400, detail)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"cid": [], "apicode": "x"}', "must be strings"),
        ('{"cid": "1000011", "apicode": {"a": 1}}', "must be strings"),
        ('{"cid": 1e999999, "apicode": "x"}', "must be strings"),
        ('{"cid": "1000011", "apicode": "\\ud800"}', "not valid Unicode"),
    ],
)
def test_wrong_types_at_token_are_400(
    server: SandboxServer, token: str, body: str, detail: str
) -> None:
    assert_problem(post(server, "/token", body, token), 400, detail)


def test_non_ascii_apicode_is_just_wrong(server: SandboxServer, token: str) -> None:
    body = json.dumps({"cid": CID, "apicode": "pääsykoodi"})
    response = post(server, "/token", body, token)
    assert response.status_code == 400
    assert response.json() == {"errorId": 1, "errorText": "Invalid cid or apicode"}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"amount": 1e999999, ' + PAY + "}", "amount must be below 10^15"),
        ('{"amount": "1e999999", ' + PAY + "}", "amount must be below 10^15"),
        ('{"amount": 1e-999999, ' + PAY + "}", "at most two decimals"),
        ('{"amount": "NaN", ' + PAY + "}", "positive"),
        ('{"amount": "sNaN", ' + PAY + "}", "positive"),
        ('{"amount": [], ' + PAY + "}", "amount must be a number"),
        ('{"amount": {"v": 1}, ' + PAY + "}", "amount must be a number"),
        ('{"amount": true, ' + PAY + "}", "amount is required"),
        ('{"amount": "1,00", ' + PAY + "}", "not a number"),
        ('{"amount": 1.00, "paydate": 20261102, "billcode": "410014"}', "paydate"),
        (
            '{"amount": 1.00, "paydate": "\\u0662\\u0660\\u0662\\u0666-11-02", "jobid": 1}',
            "paydate",
        ),
        ('{"amount": 1.00, "paydate": "2026-11-02", "billcode": 410014}', "billcode must be"),
        ('{"amount": 1.00, "paydate": "2026-11-02", "billnum": ["R1"]}', "billnum must be"),
        ('{"amount": 1.00, "paydate": "2026-11-02", "jobid": 1.5}', "jobid must be an integer"),
        ('{"amount": 1.00, "paydate": "2026-11-02", "jobid": 1' + "0" * 30 + "}", "at most"),
        ('{"amount": 1.00, "paydate": "2026-11-02", "billcode": "\\udc00"}', "not valid Unicode"),
    ],
)
def test_odd_payment_fields_are_400(
    server: SandboxServer, token: str, body: str, detail: str
) -> None:
    assert_problem(post(server, "/jobs/payment", body, token), 400, detail)


@pytest.mark.parametrize("path", BOTH)
def test_a_body_over_64_kib_is_413(server: SandboxServer, token: str, path: str) -> None:
    body = b'{"cid": "' + b"x" * BODY_LIMIT + b'"}'
    assert_problem(post(server, path, body, token), 413, "over 65536 bytes")


@pytest.mark.parametrize("path", BOTH)
def test_a_streamed_body_over_64_kib_is_413(server: SandboxServer, token: str, path: str) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked, so only reading can tell
        yield b'{"cid": "'
        for _ in range(64):
            yield b"x" * 4096
        yield b'"}'

    assert_problem(post(server, path, chunks(), token), 413, "over 65536 bytes")


@pytest.mark.parametrize("path", BOTH)
def test_a_body_of_exactly_64_kib_is_read(server: SandboxServer, token: str, path: str) -> None:
    head, tail = b'{"cid": "1000011", "apicode": "x", "pad": "', b'"}'
    body = head + b" " * (BODY_LIMIT - len(head) - len(tail)) + tail
    assert len(body) == BODY_LIMIT
    response = post(server, path, body, token)
    assert response.status_code == 400
    assert response.status_code != 413


@pytest.mark.parametrize("path", BOTH)
def test_a_declared_huge_body_is_refused_before_it_is_sent(
    server: SandboxServer, token: str, path: str
) -> None:
    """Content-Length 1 GB, no body sent: the 413 comes at once, the server reads nothing."""
    host, port = server.base_url.removeprefix("http://").split("/")[0].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(
            f"POST /rest{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n".encode()
        )
        head = connection.recv(65536).decode()
    assert head.startswith("HTTP/1.1 413 ")


# --- any body at all: never a 5xx ---------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),  # json.dumps writes NaN and Infinity, which JSON does not have
    st.text(max_size=20),
    st.sampled_from(["\ud800", "1e999999", "-0", "0.001", "1E+2", "2026-02-30", "410014"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
FIELDS = ("amount", "paydate", "billcode", "jobid", "billnum", "cid", "apicode")
shaped = st.fixed_dictionaries(
    {}, optional={name: values | st.sampled_from(["2026-11-02", "1.00", CID]) for name in FIELDS}
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "json", "shaped", "tampered"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    text = json.dumps(draw(values if kind == "json" else shaped), ensure_ascii=draw(st.booleans()))
    raw = text.encode("utf-8", "surrogatepass")
    if kind == "tampered" and raw:
        at = draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw = raw[:at] + draw(st.binary(max_size=4)) + raw[at + draw(st.integers(0, 3)) :]
    return raw


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies())
def test_no_body_gets_a_5xx(
    server: SandboxServer, token: str, client: httpx.Client, body: bytes
) -> None:
    for path in BOTH:
        response = post(server, path, body, token, client)
        assert response.status_code < 500, (path, body, response.text)
        assert response.status_code in (201, 400, 413), (path, body, response.text)
        assert isinstance(response.json(), dict)
