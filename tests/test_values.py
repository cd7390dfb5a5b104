"""Amounts, dates and references: each cell type alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer import json_decimal
from importer.amounts import infer_decimal_mark, parse_amount
from importer.dates import parse_date
from importer.errors import FieldError
from importer.identifiers import invoice_in_message
from importer.models import Payment
from importer.profiles.model import BILLNUM_IN_MESSAGE
from importer.references import finnish_check_digit, normalise_reference, parse_reference


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("125,00", ",", "125.00"),
        ("125.00", ".", "125.00"),
        ("1 234,56", ",", "1234.56"),
        ("1\u00a0234,56", ",", "1234.56"),
        ("1'234.56", ".", "1234.56"),
        ("1.234,56", ",", "1234.56"),
        ("1,234.56", None, "1234.56"),
        ("-12,30", ",", "-12.30"),
        ("12,30-", ",", "-12.30"),
        ("(5,00)", ",", "-5.00"),
        ("+1500,00", ",", "1500.00"),
        ("42", None, "42"),
        ("0,5", ",", "0.5"),
        ('"39,00"', ",", "39.00"),
    ],
)
def test_amounts_parse_exactly(text: str, mark: str | None, expected: str) -> None:
    assert parse_amount(text, mark) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "mark", "code"),
    [
        ("", ",", "missing-amount"),
        ("3O,00", ",", "bad-amount"),
        ("1.234", ",", "ambiguous-amount"),
        ("1,234", None, "ambiguous-amount"),
        ("12,345", ",", "too-many-decimals"),
        ("1,2,3", ",", "bad-amount"),
        ("EUR 12", ",", "bad-amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_code(text: str, mark: str | None, code: str) -> None:
    with pytest.raises(FieldError) as raised:
        parse_amount(text, mark)
    assert raised.value.code == code


def test_decimal_mark_is_inferred_from_the_column() -> None:
    assert infer_decimal_mark(["1,00", "2", "3,5"]) == ","
    assert infer_decimal_mark(["1.00", "2"]) == "."
    assert infer_decimal_mark(["1", "2"]) is None
    assert infer_decimal_mark(["1,00", "1.00"]) is None


@given(cents=st.integers(min_value=1, max_value=10**12), comma=st.booleans())
def test_amounts_round_trip_from_text_to_json_body(cents: int, comma: bool) -> None:
    text = f"{cents // 100}{',' if comma else '.'}{cents % 100:02d}"
    amount = parse_amount(text, "," if comma else ".")
    payment = Payment(billcode="410014", amount=amount, paydate=date(2026, 11, 2))
    body = json_decimal.dumps(payment.body())
    assert f'"amount":{cents // 100}.{cents % 100:02d}' in body
    assert json_decimal.loads(body)["amount"] == Decimal(cents) / 100


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("2026-11-02", None, date(2026, 11, 2)),
        ("2.11.2026", None, date(2026, 11, 2)),
        ("02.11.2026", None, date(2026, 11, 2)),
        ("2026/11/02", None, date(2026, 11, 2)),
        ("2026-11-02T10:15:00", None, date(2026, 11, 2)),
        ("02/11/26", "%d/%m/%y", date(2026, 11, 2)),
        (date(2026, 11, 2), None, date(2026, 11, 2)),
    ],
)
def test_dates_parse(value: object, fmt: str | None, expected: date) -> None:
    assert parse_date(value, fmt) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "missing-date"),
        ("31.09.2026", "bad-date"),
        ("11/02/2026", "bad-date"),
        ("soon", "bad-date"),
    ],
)
def test_bad_dates_are_refused(value: str, code: str) -> None:
    with pytest.raises(FieldError) as raised:
        parse_date(value)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234561", "1234561"),
        ("12 34561", "1234561"),
        ("ref=00000000000001234561", "1234561"),
        ("13013", "13013"),
        ("RF341234561", "RF341234561"),
        ("rf34 1234 561", "RF341234561"),
        ("RF4113", "RF4113"),
    ],
)
def test_references_are_normalised(raw: str, expected: str) -> None:
    assert normalise_reference(raw) == expected


@pytest.mark.parametrize("raw", ["1234562", "RF351234561", "12", "abc", "123456789012345678901"])
def test_bad_references_are_refused(raw: str) -> None:
    with pytest.raises(FieldError) as raised:
        normalise_reference(raw)
    assert raised.value.code == "bad-reference"


@given(base=st.integers(min_value=100, max_value=10**19 - 1))
def test_every_generated_finnish_reference_passes(base: int) -> None:
    reference = f"{base}{finnish_check_digit(str(base))}"
    assert normalise_reference(reference) == reference


def test_check_digit_examples_from_the_spec() -> None:
    assert finnish_check_digit("12345") == 3
    assert finnish_check_digit("123456") == 1


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Lasku 41004", "41004"),
        ("laskun nro R41011", "R41011"),
        ("Invoice no. 41004", "41004"),
        ("Faktura: 41004", "41004"),
        ("lasku r41011 kiitos", "R41011"),
        ("Osamaksu", ""),
        ("Lasku 11/2026", ""),  # a month, not an invoice
        ("Laskut 41004", ""),
        ("Lasku 41008 ja 41009", ["41008", "41009"]),  # several: never one of them guessed
    ],
)
def test_an_invoice_number_is_read_from_the_message(
    message: str, expected: str | list[str]
) -> None:
    assert invoice_in_message(message, BILLNUM_IN_MESSAGE) == expected


def test_a_reference_with_no_valid_neighbour_still_says_what_to_do() -> None:
    with pytest.raises(FieldError) as raised:
        parse_reference("RF00410072")
    assert "did you mean" not in raised.value.message
    assert "check it against the invoice" in raised.value.message


def test_a_declared_thousands_separator_makes_a_lone_group_unambiguous() -> None:
    assert parse_amount("1.234", ",", ".") == Decimal("1234")
    assert parse_amount("1.234.567,89", ",", ".") == Decimal("1234567.89")
    with pytest.raises(FieldError) as raised:
        parse_amount("12.34", ",", ".")
    assert raised.value.code == "bad-amount"
