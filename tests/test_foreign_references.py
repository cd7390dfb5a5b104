"""A foreign reference is named as such (issue 15 item 4), with the digits it really has.

A Swiss QR reference, a Swedish OCR or Norwegian KID too long to be Finnish, a KID ending in
"-" or a Danish payment slip code is refused as `foreign-reference`, saying what it is and
that Ropo One invoices use Finnish or RF references. A valid Finnish reference is never
named foreign, however it is padded, and a Finnish-length typo keeps its Finnish message.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.engine import fields
from importer.errors import FieldError
from importer.foreign import foreign_kind, mod11_check
from importer.pipeline import run_import
from importer.readers import frame
from importer.references import finnish_check_digit, parse_reference
from tests.conftest import RULES
from tests.test_outcomes import ends_of, golden_ends

SAMPLE = Path(__file__).parent / "samples" / "foreign" / "foreign-references.csv"
ADVICE = "Ropo One invoices use Finnish or RF references: check the invoice, or register"


def _refusal(raw: str) -> FieldError:
    with pytest.raises(FieldError) as raised:
        parse_reference(raw)
    return raised.value


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        # The Swiss Implementation Guidelines' own example, as printed and compact.
        ("21 00000 00003 13947 14300 09017", "Swiss QR reference (27 digits, its recursive "),
        ("210000000003139471430009017", "mod-10 check digit holds"),
        ("210000000003139471430009018", "Swiss QR reference (27 digits, its recursive mod-10 "),
        ("12345678901234567890121", "Swedish OCR or Norwegian KID (23 digits, its Luhn"),
        ("10000000000000000000057", "Norwegian KID (23 digits, its mod-11 check digit holds)"),
        ("12345670-", "Norwegian KID (8 digits and '-', its mod-11 check digit holds)"),
        ("+71<000000012345678+87654321<", "Danish payment slip code (+71, payment id of 15"),
    ],
)
def test_a_foreign_reference_is_named_with_its_digit_count(raw: str, named: str) -> None:
    error = _refusal(raw)
    assert error.code == "foreign-reference"
    assert named in error.message
    assert ADVICE in error.message


def test_the_swiss_check_digit_is_reported_as_it_is() -> None:
    assert "check digit holds" in _refusal("210000000003139471430009017").message
    assert "check digit fails" in _refusal("210000000003139471430009018").message


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("000000000000000000000000001", None),  # 27 digits: the Swiss shape, not "has 1"
        ("0000001", "this one has 7 (6 of them leading zeros, which do not count)"),
        ("00 12", "this one has 4 (2 of them leading zeros, which do not count)"),
        ("123", "this one has 3;"),
        ("1234567890123456789000", "this one has 22;"),  # no foreign check holds
    ],
)
def test_the_digit_count_is_the_count_of_digits_written(raw: str, count: str | None) -> None:
    error = _refusal(raw)
    if count is None:
        assert error.code == "foreign-reference"
        assert "(27 digits" in error.message
        assert "has 1" not in error.message
    else:
        assert error.code == "bad-reference"
        assert count in error.message


@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=35))
def test_every_count_a_reference_message_gives_is_the_digits_in_the_value(digits: str) -> None:
    message = ""
    try:
        parse_reference(digits)
    except FieldError as error:
        message = error.message
    said = re.findall(r"this one has (\d+)|\((\d+) digits", message)
    assert all(int(a or b) == len(digits) for a, b in said), message


@given(base=st.integers(min_value=100, max_value=10**19 - 1).map(str), width=st.integers(0, 35))
def test_a_valid_finnish_reference_is_never_named_foreign(base: str, width: int) -> None:
    reference = base + str(finnish_check_digit(base))
    padded = reference.zfill(min(width, 35))  # KTL pads to 20; any padding is the same one
    assert parse_reference(padded).printed == reference


@given(base=st.integers(min_value=100, max_value=10**19 - 1).map(str), slip=st.integers(1, 9))
def test_a_finnish_length_typo_keeps_its_finnish_message(base: str, slip: int) -> None:
    wrong = base + str((finnish_check_digit(base) + slip) % 10)
    assert _refusal(wrong).code == "bad-reference"
    assert foreign_kind(wrong) is None


def test_the_mod_11_check_digit_ten_is_a_dash() -> None:
    assert mod11_check("1234567") == "4"  # weights 2..7 from the right: 106 % 11 = 7
    assert mod11_check("12345670") == "-"  # 122 % 11 = 1: 11 - 1 is ten


# Line -> the start of what the row says, for the sample through a dry run; each line's outcome
# and code are in its outcome golden.
SAID = {
    2: "a Swiss QR reference (27 digits, its recursive mod-10 check ",
    3: "a Swiss QR reference (27 digits, its recursive mod-10 check ",
    4: "a Swedish OCR or Norwegian KID (23 digits",
    5: "a Norwegian KID (23 digits",
    6: "a Norwegian KID (8 digits and '-'",
    7: "a Danish payment slip code (+71",
    8: "",
    9: "a Finnish reference has 4 to 20 digits, this one has 7 (6 of them",
    10: "the message names reference 21 00000 00003 13947 ",
}


@pytest.mark.parametrize("quick", [True, False], ids=["columns", "row-by-row"])
def test_the_sample_names_each_foreign_reference_in_both_paths(
    quick: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not quick:  # the csv module reads the file, every value through its scalar parser
        monkeypatch.setattr(frame, "read_columns", lambda *args: None)
        monkeypatch.setattr(fields, "KERNELS", False)
    report = run_import(SAMPLE, journal_path=tmp_path / "j.sqlite", rules=RULES, dry_run=True)
    assert ends_of(report) == golden_ends(SAMPLE)
    for result in report.results:
        assert SAID[result.row.line] in result.message, result.message
    swiss = next(r for r in report.results if r.row.line == 10)
    assert "(a Swiss QR reference (27 digits" in swiss.message
    assert report.balanced


def test_a_camt_payment_quoting_a_swiss_reference_is_named_and_a_chf_one_summed_apart(
    tmp_path: Path,
) -> None:
    camt = SAMPLE.parent / "camt054-swiss.xml"
    report = run_import(camt, journal_path=tmp_path / "j.sqlite", rules=RULES, dry_run=True)
    ends = [(r.code, r.currency, r.amount) for r in report.results]
    assert ends == [
        ("dry-run", "", Decimal("125.00")),
        ("foreign-reference", "", Decimal("80.00")),  # a euro payment quoting a QR reference
        ("not-euro", "CHF", Decimal("1234.50")),  # the currency is what stops it
    ]
    assert "a Swiss QR reference (27 digits" in report.results[1].message
    assert report.sum_read == Decimal("205.00")
    assert report.foreign_read == {"CHF": (1, Decimal("1234.50"))}
    assert report.balanced
