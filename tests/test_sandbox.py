"""The sandbox over real loopback HTTP: every branch the documentation describes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from importer import json_decimal
from importer.models import RESPONSE_FIELDS
from tests.conftest import APICODE, CID, Sandbox


def login(sandbox: Sandbox, cid: str = CID, apicode: str = APICODE) -> httpx.Response:
    return httpx.post(f"{sandbox.url}/token", json={"cid": cid, "apicode": apicode})


def pay(sandbox: Sandbox, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    if token is None:
        token = login(sandbox).json()["token"]
    return httpx.post(
        f"{sandbox.url}/jobs/payment",
        content=json_decimal.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def answer(response: httpx.Response) -> dict[str, Any]:
    return json_decimal.loads(response.content)


def test_token_is_issued_for_good_credentials(sandbox: Sandbox) -> None:
    response = login(sandbox)
    assert response.status_code == 201
    assert set(response.json()) == {"token"}


@pytest.mark.parametrize(("cid", "apicode"), [(CID, "wrong"), ("9999999", APICODE), ("", "")])
def test_bad_credentials_get_auth_error(sandbox: Sandbox, cid: str, apicode: str) -> None:
    response = login(sandbox, cid, apicode)
    assert response.status_code == 400
    assert set(response.json()) == {"errorId", "errorText"}


def test_payment_without_token_is_401(sandbox: Sandbox) -> None:
    response = pay(sandbox, {"amount": Decimal("1.00"), "paydate": "2026-11-02"}, token="nope")
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_token_expires_after_its_lifetime(sandbox: Sandbox) -> None:
    token = login(sandbox).json()["token"]
    body = {"billcode": "410014", "amount": Decimal("1.00"), "paydate": "2026-11-02"}
    sandbox.clock.advance(2 * 3600 + 1)
    assert pay(sandbox, body, token).status_code == 401
    assert sandbox.state.ledger.applied == {}


def test_payment_applies_notice_fee_then_interest_then_capital(sandbox: Sandbox) -> None:
    # R41010: capital 500.00, interest 12.34, notice fee 10.00
    response = pay(
        sandbox, {"billcode": "410108", "amount": Decimal("30.00"), "paydate": "2026-11-12"}
    )
    assert response.status_code == 201
    body = answer(response)
    assert set(RESPONSE_FIELDS) <= set(body)
    assert body["statusid"] == 6
    assert (body["focusedtonoticefee"], body["focusedtointerest"], body["focusedtocapital"]) == (
        Decimal("10.00"),
        Decimal("12.34"),
        Decimal("7.66"),
    )
    assert (body["noticefeeafter"], body["interestafter"], body["capitalafter"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("492.34"),
    )
    assert body["unfocused"] == Decimal("0.00")
    assert '"amount":30.00' in response.text  # a JSON number with two decimals


def test_overpayment_leaves_unfocused_and_closes_the_invoice(sandbox: Sandbox) -> None:
    # R41003: capital 89.90
    first = answer(
        pay(sandbox, {"billcode": "410030", "amount": Decimal("100.00"), "paydate": "2026-11-03"})
    )
    assert first["focusedtocapital"] == Decimal("89.90")
    assert first["unfocused"] == Decimal("10.10")
    again = pay(sandbox, {"billcode": "410030", "amount": Decimal("5.00"), "paydate": "2026-11-04"})
    assert again.status_code == 400
    assert answer(again)["statusid"] == 5


@pytest.mark.parametrize(
    ("identifier", "statusid"),
    [
        ({"billcode": "770013"}, 10),  # valid reference, no such invoice
        ({"billcode": "410043"}, 5),  # paid
        ({"billcode": "410098"}, 5),  # closed
        ({"billcode": "410056"}, 11),  # cancelled
        ({"billcode": "410069"}, 9),  # customer 1000022's invoice
        ({"jobid": 999}, 10),
        ({"billnum": "R00000"}, 10),
    ],
)
def test_refusals_are_400_with_their_statusid(
    sandbox: Sandbox, identifier: dict[str, Any], statusid: int
) -> None:
    response = pay(sandbox, {**identifier, "amount": Decimal("10.00"), "paydate": "2026-11-02"})
    assert response.status_code == 400
    body = answer(response)
    assert body["statusid"] == statusid
    assert set(RESPONSE_FIELDS) <= set(body)
    assert body["unfocused"] == Decimal("0.00")
    assert sandbox.state.ledger.applied == {}


def test_other_customers_amounts_are_not_shown(sandbox: Sandbox) -> None:
    body = answer(
        pay(sandbox, {"billcode": "410069", "amount": Decimal("1.00"), "paydate": "2026-11-02"})
    )
    assert body["capitalbefore"] is None


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"billcode": "410014", "paydate": "2026-11-02"}, "amount is required"),
        ({"billcode": "410014", "amount": Decimal("1.00")}, "paydate"),
        ({"billcode": "410014", "amount": Decimal("1.00"), "paydate": "02.11.2026"}, "paydate"),
        ({"billcode": "410014", "amount": Decimal("1.00"), "paydate": "2026-02-30"}, "paydate"),
        ({"amount": Decimal("1.00"), "paydate": "2026-11-02"}, "billcode, jobid or billnum"),
        ({"billcode": "410014", "amount": "abc", "paydate": "2026-11-02"}, "not a number"),
        ({"jobid": "500001", "amount": Decimal("1.00"), "paydate": "2026-11-02"}, "integer"),
    ],
)
def test_schema_errors_get_a_problem_body(
    sandbox: Sandbox, body: dict[str, Any], detail: str
) -> None:
    response = pay(sandbox, body)
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400
    assert problem["title"]
    assert detail in problem["detail"]


def test_lookup_order_billcode_before_jobid_before_billnum(sandbox: Sandbox) -> None:
    both = {"billcode": "410014", "jobid": 500002, "billnum": "R41003"}
    body = answer(pay(sandbox, {**both, "amount": Decimal("1.00"), "paydate": "2026-11-02"}))
    assert body["jobid"] == 500001
    jobid_first = {"jobid": 500002, "billnum": "R41003"}
    body = answer(pay(sandbox, {**jobid_first, "amount": Decimal("1.00"), "paydate": "2026-11-02"}))
    assert body["jobid"] == 500002
    unknown_billcode = {"billcode": "770013", "billnum": "R41003"}
    body = answer(
        pay(sandbox, {**unknown_billcode, "amount": Decimal("1.00"), "paydate": "2026-11-02"})
    )
    assert body["jobid"] == 500003


def test_billcode_is_compared_without_spaces_and_leading_zeros(sandbox: Sandbox) -> None:
    response = pay(
        sandbox, {"billcode": "0000 41 0014", "amount": Decimal("1.00"), "paydate": "2026-11-02"}
    )
    assert answer(response)["jobid"] == 500001


def test_amount_as_string_is_accepted_like_the_guides_example(sandbox: Sandbox) -> None:
    response = pay(sandbox, {"billcode": "410014", "amount": "1.50", "paydate": "2026-11-02"})
    assert response.status_code == 201
    assert answer(response)["focusedtonoticefee"] == Decimal("1.50")
