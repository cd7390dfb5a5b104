"""Property tests (hypothesis): references, amounts and the conservation line."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.iso7064 import mod_97_10

from importer import json_decimal
from importer.amounts import parse_amount
from importer.errors import FieldError
from importer.models import Outcome, Payment
from importer.pipeline import run_import
from importer.references import candidates, finnish_check_digit, parse_reference
from importer.sandbox import Ledger, SandboxServer, SandboxState
from importer.settings import ApiSettings, Credentials
from tests.conftest import APICODE, CID, FAST, LEDGER, OP_HEADER, RULES, SAMPLE_DAY

# --- references -------------------------------------------------------------------------

finnish_bases = st.integers(min_value=100, max_value=10**19 - 1).map(str)
finnish = finnish_bases.map(lambda base: base + str(finnish_check_digit(base)))
rf_bodies = st.one_of(
    finnish,
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=21),
)
rf = rf_bodies.map(lambda body: "RF" + mod_97_10.calc_check_digits(body + "RF") + body)


def grouped(reference: str, size: int) -> str:
    """Printed the way invoices print it: groups from the right (Finnish 5, RF 4 from left)."""
    if reference.startswith("RF"):
        return " ".join(reference[i : i + size] for i in range(0, len(reference), size))
    head = len(reference) % size
    parts = [reference[:head]] if head else []
    parts += [reference[i : i + size] for i in range(head, len(reference), size)]
    return " ".join(parts)


def rejected(text: str) -> bool:
    """True when the reference is refused, as bad-reference and never otherwise."""
    try:
        parse_reference(text)
    except FieldError as error:
        return error.code == "bad-reference"
    return False


@given(reference=finnish, form=st.sampled_from(["plain", "grouped", "padded", "ref=", "nbsp"]))
def test_every_valid_finnish_reference_passes_in_every_printed_form(
    reference: str, form: str
) -> None:
    printed = {
        "plain": reference,
        "grouped": grouped(reference, 5),
        "padded": reference.zfill(20),
        "ref=": "ref=" + reference,
        "nbsp": grouped(reference, 5).replace(" ", "\u00a0"),
    }[form]
    parsed = parse_reference(printed)
    assert parsed.printed == reference
    assert parsed.domestic == reference


@given(reference=rf, lower=st.booleans(), spaced=st.booleans())
def test_every_valid_rf_reference_passes(reference: str, lower: bool, spaced: bool) -> None:
    printed = grouped(reference, 4) if spaced else reference
    printed = printed.lower() if lower else printed
    assert parse_reference(printed).printed == reference


@given(base=finnish_bases)
def test_an_rf_reference_around_a_finnish_one_has_that_domestic_form(base: str) -> None:
    reference = base + str(finnish_check_digit(base))
    wrapped = "RF" + mod_97_10.calc_check_digits(reference + "RF") + reference
    parsed = parse_reference(wrapped)
    assert parsed.to_send(domestic=False) == wrapped
    assert parsed.to_send(domestic=True) == reference


@given(reference=finnish, data=st.data())
def test_every_single_digit_change_of_a_finnish_reference_is_caught(
    reference: str, data: st.DataObject
) -> None:
    at = data.draw(st.integers(min_value=0, max_value=len(reference) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != reference[at]]))
    typo = reference[:at] + digit + reference[at + 1 :]
    assert rejected(typo)
    _swaps, changes = candidates(typo.lstrip("0"))
    if not typo.startswith("0"):  # the original is one changed digit away: it is named
        assert reference in changes


@given(reference=finnish, data=st.data())
def test_every_adjacent_swap_of_a_finnish_reference_is_caught_unless_five_apart(
    reference: str, data: st.DataObject
) -> None:
    """The 7-3-1 weights of neighbours differ by 2, 4 or 6, so a swap of two digits that
    differ by 5 changes the sum by a multiple of 10: no check digit can see it (documented in
    references.py). Every other swap is caught, and the original is named."""
    at = data.draw(st.integers(min_value=0, max_value=len(reference) - 2))
    a, b = reference[at], reference[at + 1]
    typo = reference[:at] + b + a + reference[at + 2 :]
    if a == b:
        return
    if abs(int(a) - int(b)) == 5:
        if not typo.startswith("0"):  # (a leading zero may make it too short to pass)
            assert not rejected(typo)
        return
    assert rejected(typo)
    if not typo.startswith("0"):
        swaps, _changes = candidates(typo)
        assert reference in swaps


@given(reference=rf, data=st.data())
def test_every_single_digit_change_or_adjacent_digit_swap_of_an_rf_reference_is_caught(
    reference: str, data: st.DataObject
) -> None:
    """ISO 7064 mod 97-10 catches every changed digit and every swap of two neighbouring
    digits. (A letter counts as two digits, so a digit swapped with a letter is not a simple
    transposition and carries no such guarantee.)"""
    at = data.draw(st.integers(min_value=2, max_value=len(reference) - 1))
    if not reference[at].isdigit():
        return
    if data.draw(st.booleans()) and at < len(reference) - 1 and reference[at + 1].isdigit():
        a, b = reference[at], reference[at + 1]
        typo = reference[:at] + b + a + reference[at + 2 :]
    else:
        digit = data.draw(st.sampled_from([d for d in "0123456789" if d != reference[at]]))
        typo = reference[:at] + digit + reference[at + 1 :]
    if typo != reference:
        assert rejected(typo)


# --- amounts ----------------------------------------------------------------------------

GROUPINGS = ["", " ", "\u00a0", "\u202f", "'", "other"]


def written(cents: int, mark: str, grouping: str, sign: str) -> str:
    """An amount the way some bank or spreadsheet writes it."""
    whole, fraction = divmod(abs(cents), 100)
    group = ("." if mark == "," else ",") if grouping == "other" else grouping
    digits = f"{whole:,}".replace(",", group) if group else str(whole)
    text = f"{digits}{mark}{fraction:02d}"
    if cents >= 0:
        return "+" + text if sign == "plus" else text
    return {"leading": f"-{text}", "trailing": f"{text}-", "parentheses": f"({text})"}.get(
        sign, "\u2212" + text
    )


@given(
    cents=st.integers(min_value=-(10**13), max_value=10**13),
    mark=st.sampled_from([",", "."]),
    grouping=st.sampled_from(GROUPINGS),
    sign=st.sampled_from(["leading", "trailing", "parentheses", "unicode", "plus"]),
    declared=st.booleans(),
)
def test_amounts_round_trip_exactly_from_text_to_the_json_body(
    cents: int, mark: str, grouping: str, sign: str, declared: bool
) -> None:
    text = written(cents, mark, grouping, sign)
    value = parse_amount(text, mark if declared else None)
    assert value == Decimal(cents) / 100
    if value > 0:
        body = json_decimal.dumps(
            Payment(billcode="410014", amount=value, paydate=date(2026, 11, 2)).body()
        )
        assert f'"amount":{abs(cents) // 100}.{abs(cents) % 100:02d}' in body
        assert json_decimal.loads(body)["amount"] == value


@given(whole=st.integers(min_value=1, max_value=999), thousands=st.integers(0, 999))
def test_a_lone_thousands_group_in_a_decimal_comma_file_is_never_guessed(
    whole: int, thousands: int
) -> None:
    with pytest.raises(FieldError) as raised:
        parse_amount(f"{whole}.{thousands:03d}", ",")
    assert raised.value.code == "ambiguous-amount"
    assert parse_amount(f"{whole}.{thousands:03d}", ",", ".") == whole * 1000 + thousands


# --- conservation -----------------------------------------------------------------------

LEDGER_REFERENCES = ["410014", "410027", "410030", "RF28410072", "410085", "410108", "410111"]


@dataclass(frozen=True)
class Row:
    text: str  # the CSV line
    amount: Decimal | None  # what the file's amount means, None when it cannot be read


amounts = st.one_of(
    st.integers(min_value=-50_000, max_value=200_000).map(
        lambda c: (written(c, ",", " ", "leading"), Decimal(c) / 100)
    ),
    st.sampled_from([("1.234", None), ("3O,00", None), ("", None), ("12,345", None)]),
)
references = st.one_of(
    st.sampled_from(LEDGER_REFERENCES),
    finnish,
    st.sampled_from(["410028", "12", "", "RF00410072"]),
)
days = st.one_of(
    st.integers(min_value=0, max_value=450).map(lambda n: (SAMPLE_DAY - timedelta(n)).isoformat()),
    st.sampled_from(["2026-12-24", "2026-11-31", "02.11.2026"]),
)


@st.composite
def rows(draw: st.DrawFn) -> list[Row]:
    made: list[Row] = []
    for number in range(draw(st.integers(min_value=1, max_value=25))):
        if made and draw(st.integers(0, 5)) == 0:  # now and then the same row again
            made.append(draw(st.sampled_from(made)))
            continue
        (amount_text, amount), reference, day = draw(amounts), draw(references), draw(days)
        archive = draw(st.sampled_from(["", f"20261102/5UGC/{number:06d}"]))
        payer = draw(st.sampled_from(["Virtanen Matti", "Laine Sari"]))
        cells = [day, day, amount_text, "106", "VIITESIIRTO", payer, "", "", f"ref={reference}"]
        text = ";".join(f'"{c}"' if i != 2 else c for i, c in enumerate(cells))
        made.append(Row(f'{text};"";"{archive}"', amount))
    return made


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxServer]:
    state = SandboxState(Ledger.load(LEDGER), apicode=APICODE)
    with SandboxServer(state) as server:
        yield server


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(generated=rows())
def test_rows_and_sums_in_equal_rows_and_sums_out_for_generated_files(
    generated: list[Row], module_sandbox: SandboxServer
) -> None:
    api = ApiSettings(
        base_url=module_sandbox.base_url, credentials=Credentials(CID, APICODE), rate=FAST
    )
    with tempfile.TemporaryDirectory() as scratch:
        export = Path(scratch) / "generated.csv"
        export.write_text("\n".join([OP_HEADER, *(r.text for r in generated)]) + "\n", "utf-8")
        report = run_import(export, journal_path=Path(scratch) / "j.sqlite", api=api, rules=RULES)
    expected_sum = sum((r.amount for r in generated if r.amount is not None), Decimal("0.00"))
    assert report.rows_read == len(generated) == len(report.results)
    assert sum(report.count(o) for o in Outcome) == len(generated)
    assert report.sum_read == expected_sum
    assert sum((report.total(o) for o in Outcome), Decimal("0.00")) == expected_sum
    assert report.balanced
    assert [r.row.line for r in report.results] == list(range(2, len(generated) + 2))
