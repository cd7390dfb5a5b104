"""A reference written in the payment's message (issue 15 item 3), through run_import.

The samples are OP exports whose rows have no reference but a message: the reference alone,
after "viite", two of them, or one whose check digit fails. A valid one is sent as billcode and
the payment's description says it came from the message; anything else is never guessed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from importer.cli import cli
from importer.identifiers import IN_MESSAGE, references_in_message
from importer.pipeline import run_import
from importer.references import Reference
from tests.conftest import RULES
from tests.test_outcomes import ends_of, golden_ends

CASES = Path(__file__).parent / "samples" / "message-references"

# case -> line -> what is sent or the start of the message that refuses it; each line's
# outcome and code are in the sample's outcome golden.
SAID: dict[str, dict[int, str]] = {
    "reference-alone": {2: "billcode=9597349", 3: "billcode=RF18539007547034"},
    "reference-after-viite": {
        2: "billcode=9597349",
        3: "billcode=9597349",  # a valid reference wins over "Lasku 41004"
        4: "billnum=41004",  # the invoice number rule is unchanged
    },
    "two-candidates": {
        2: "the message names 2 references: 9597349 (valid), 41001 (valid); "
        "nothing is posted to a guessed reference",
    },
    "bad-check-digit": {
        2: "the message names reference 9597340 (its check digit is wrong (7-3-1 check)), "
        "which is not valid;",
        3: "the message names reference 9597340 (",
    },
}


def _sent(result_payment: object) -> str:
    fields = result_payment.model_dump(exclude_none=True)  # type: ignore[attr-defined]
    key = next(k for k in ("billcode", "jobid", "billnum") if k in fields)
    return f"{key}={fields[key]}"


@pytest.mark.parametrize("case", sorted(SAID))
def test_a_reference_in_the_message_is_sent_only_when_it_is_the_one_valid_one(
    case: str, tmp_path: Path
) -> None:
    source = CASES / f"{case}.csv"
    report = run_import(source, journal_path=tmp_path / "j.sqlite", rules=RULES, dry_run=True)
    assert ends_of(report) == golden_ends(source)
    seen: dict[int, str] = {}
    for result in report.results:
        if result.payment is not None:
            seen[result.row.line] = _sent(result.payment)
            taken = result.payment.billcode is not None
            assert (IN_MESSAGE in (result.payment.description or "")) is taken
        else:
            assert result.outcome.value == "invalid"
            start = SAID[case][result.row.line]
            assert start in result.message, result.message
            seen[result.row.line] = start
    assert seen == SAID[case]


def test_the_command_line_dry_run_names_the_unclear_message_and_sends_the_clear_one(
    tmp_path: Path,
) -> None:
    for case, expected_code in (("reference-alone", 0), ("two-candidates", 2)):
        outcome = CliRunner().invoke(
            cli,
            [
                "run", str(CASES / f"{case}.csv"), "--dry-run",
                "--journal", str(tmp_path / f"{case}.sqlite"), "--reports", str(tmp_path),
            ],
        )  # fmt: skip
        assert outcome.exit_code == expected_code, outcome.stdout + outcome.stderr
    assert (
        "line 2: invalid [reference-in-message-unclear] column 'Viesti', value "
        "'viite 9597349, viite 41001': the message names 2 references"
    ) in outcome.stdout


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("9597349", "9597349"),
        ("95 97349", "9597349"),
        ("rf18 5390 0754 7034", "RF18539007547034"),
        ("VIITE:9597349", "9597349"),
        ("Referens 9597349 tack", "9597349"),
        ("reference no. 9597349", "9597349"),
        ("Ref. RF18 5390 0754 7034 ok", "RF18539007547034"),
        ("viite 9597349 ja viite 95 97349", "9597349"),  # the same reference twice is one
    ],
)
def test_one_valid_reference_is_found(message: str, expected: str) -> None:
    found = references_in_message(message)
    assert isinstance(found, Reference)
    assert found.printed == expected


@pytest.mark.parametrize(
    ("message", "listed"),
    [
        ("", []),
        ("Lasku 41004", []),  # an invoice number, not a reference
        ("12", []),  # too short to be a reference: a count, not a guess
        ("kiitos 9597349", []),  # a number in a sentence, with no word naming it
        ("9597340", ["9597340 (its check digit is wrong (7-3-1 check))"]),
        ("viite 9597349 viite 41001", ["9597349", "41001"]),
        (
            "RF19 5390 0754 7034",
            ["RF19 5390 0754 7034 (it is not a valid RF creditor reference (ISO 11649 check))"],
        ),
    ],
)
def test_anything_else_is_listed_not_guessed(message: str, listed: list[str]) -> None:
    found = references_in_message(message)
    assert isinstance(found, list)
    assert [shown for shown, _ in found] == listed


@pytest.mark.parametrize(
    "message",
    [
        "RF12" + "1" * 26 + "!",  # (\s?[a-z0-9]+)+$ would take minutes to fail on this
        "ref RF12" + " ab" * 100_000 + " 1",
        "viite " + "1 " * 100_000,
        " ".join(f"viite {n}" for n in range(41_000, 61_000)),
    ],
    ids=["rf-then-junk", "rf-then-words", "digit-groups", "many-candidates"],
)
def test_a_hostile_message_is_read_quickly_and_shown_short(message: str) -> None:
    started = time.process_time()
    found = references_in_message(message)
    assert time.process_time() - started < 1.0
    assert isinstance(found, list)
    assert all(len(shown) < 200 for shown, _ in found)
