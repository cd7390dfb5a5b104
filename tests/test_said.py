"""A problem message is data (importer/said.py): the English text it has always had, and its
template and values, worded in Finnish or Swedish where a surface shows it; a row refused in
a Finnish run reads in Finnish in the workbook and in the terminal, codes and cell values as
they are, and an English run reads as before."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from importer.amounts import MAX_AMOUNT, parse_amount
from importer.errors import FieldError
from importer.i18n import words
from importer.models import Problem
from importer.problems import BAD_REFERENCE, Outcome
from importer.readers.kinds import returned
from importer.references import parse_reference
from importer.said import Phrase, Reason, Said, in_words, listed, say
from tests.conftest import Sandbox
from tests.sheets import as_records
from tests.test_end_to_end import invoke
from tests.test_terminal import run_demo_export
from tests.test_workbook import sheet_rows

FI, SV, EN = words("fi"), words("sv"), words("en")
NBSP = "\u00a0"  # Babel's thousands separator in fi_FI and sv_FI


def refusal(raw: str) -> str:
    with pytest.raises(FieldError) as caught:
        parse_reference(raw)
    return caught.value.message


def test_a_said_is_its_english_text() -> None:
    said = say("the date is after today ({today}); x {n}", today=date(2026, 11, 2), n=3)
    assert said == "the date is after today (2026-11-02); x 3"
    assert isinstance(said, str)
    assert said.words(EN) == str(said)
    assert in_words(said, EN) == said


def test_dates_and_money_follow_the_language_and_cell_values_stay_as_read() -> None:
    said = say(
        "a payment of {amount} dated {paydate}",
        amount=Decimal("1234.50"),
        paydate=date(2026, 11, 2),
    )
    assert said == "a payment of 1234.50 dated 2026-11-02"
    assert said.words(FI) == f"maksu 1{NBSP}234,50{NBSP}€, päivätty 2.11.2026"
    assert said.words(SV) == f"en betalning på 1{NBSP}234,50{NBSP}€ daterad 2.11.2026"
    cell = Problem("amount", "Määrä", "3O,00", "bad-amount", say("the amount is empty")).text()
    assert cell.words(FI).startswith("sarake 'Määrä', arvo '3O,00': ")


def test_a_message_that_wraps_another_words_both() -> None:
    message = Problem("reference", "Viite", "410112", BAD_REFERENCE, refusal("410112")).text()
    assert message.startswith("column 'Viite', value '410112': its check digit is wrong")
    finnish = message.words(FI)
    assert finnish.startswith("sarake 'Viite', arvo '410112': tarkiste on väärä (7-3-1-tarkistus)")
    assert "tarkoititko 410111, " in finnish
    assert " tai 710112? " in finnish
    assert message.words(SV).startswith("kolumn 'Viite', värde '410112': kontrollsiffran är fel")


def test_lists_phrases_and_outcomes_are_worded() -> None:
    assert listed(["a", "b", "c"]) == "a, b or c"
    assert in_words(listed(["a", "b", "c"]), FI) == "a, b tai c"
    assert in_words(listed(["a", say("invoice {number}", number="7")]), SV) == "a eller faktura 7"
    assert listed(["a"]) == "a"
    reason = returned("RtrInf", "AM04").message
    assert reason.startswith("a returned payment (RtrInf, reason AM04: insufficient funds)")
    assert in_words(reason, FI).startswith("palautunut maksu (RtrInf, syy AM04: kate ei riitä)")
    phrase = say("{meaning}; {outcome}", meaning=Phrase("closed account"), outcome=Outcome.POSTED)
    assert (phrase, phrase.words(SV)) == ("closed account; posted", "avslutat konto; registrerad")


def test_a_reason_is_cut_before_its_advice_in_every_language() -> None:
    message = refusal("12345")
    reason = Reason(message)
    assert reason == "its check digit is wrong (7-3-1 check)"
    assert reason.words(FI) == "tarkiste on väärä (7-3-1-tarkistus)"


def test_plain_text_is_worded_when_it_is_a_whole_msgid_and_else_kept() -> None:
    # a message read back from a journal or a CSV is plain text
    assert in_words("registered", FI) == "kirjattu"
    assert in_words("column 'X', value 'Y': whatever", FI) == "column 'X', value 'Y': whatever"


@pytest.mark.parametrize("copied", [copy.deepcopy, lambda s: pickle.loads(pickle.dumps(s))])
def test_a_copy_keeps_its_template(copied: Callable[[Said], Said]) -> None:
    for said in (say("invoice {number}", number="41"), Reason(say("the reference is empty"))):
        again = copied(said)
        assert type(again) is type(said)
        assert again == said
        assert again.words(FI) == said.words(FI)


def test_an_unknown_template_reads_in_english_with_worded_values() -> None:
    said = Said("not in any catalogue: {day}", {"day": date(2026, 11, 2)})
    assert said.words(FI) == "not in any catalogue: 2.11.2026"


def test_a_finnish_run_reads_its_problems_in_finnish(ropo_env: Sandbox, tmp_path: Path) -> None:
    code, out, err = run_demo_export(tmp_path, "--lang", "fi")
    assert code == 2, err
    lines = out.splitlines()
    bad_reference = "rivi 14: virheellinen [bad-reference] sarake 'Viite', arvo 'ref=410112': "
    assert any(line.startswith(bad_reference + "tarkiste on väärä") for line in lines)
    assert (
        "rivi 15: virheellinen [bad-amount] sarake 'Määrä EUROA', arvo '3O,00': arvo ei ole "
        "luku: kirjoita se muodossa 1234,56 tai 1234.56"
    ) in lines
    assert any(
        line.startswith("rivi 12: hylätty [status-10] Ropo Onen statusid 10") for line in lines
    )
    book = tmp_path / "out.xlsx"
    results = {
        r["source_row"]: r for r in as_records(sheet_rows(book, FI("Results")), "Results", "fi")
    }
    assert results[14]["code"] == "bad-reference"
    assert results[14]["message"].startswith("sarake 'Viite', arvo 'ref=410112': tarkiste on väärä")
    assert results[15]["value"] == "3O,00"  # the cell as read
    attention = as_records(sheet_rows(book, FI("Needs attention")), "Needs attention", "fi")
    messages = {r["source_row"]: r["message"] for r in attention}
    assert messages[15].startswith("sarake 'Määrä EUROA', arvo '3O,00': arvo ei ole luku")
    assert messages[12].startswith("Ropo Onen statusid 10 NOT FOUND: tällä tunnisteella ei")
    english = " ".join(str(m) for m in messages.values())
    assert not any(word in english for word in ("column", "check digit", "not a number"))


def test_an_english_run_reads_as_before(ropo_env: Sandbox, tmp_path: Path) -> None:
    code, out, err = run_demo_export(tmp_path, "--lang", "en")
    assert code == 2, err
    assert (
        "line 15: invalid [bad-amount] column 'Määrä EUROA', value '3O,00': it is not a "
        "number: write it like 1234,56 or 1234.56"
    ) in out.splitlines()
    attention = as_records(sheet_rows(tmp_path / "out.xlsx", "Needs attention"), "Needs attention")
    messages = {r["source_row"]: r["message"] for r in attention}
    assert messages[14].startswith(
        "column 'Viite', value 'ref=410112': its check digit is wrong (7-3-1 check); did you "
        "mean 410111, "
    )


def test_a_file_that_stops_the_run_says_so_in_the_language(tmp_path: Path) -> None:
    missing = tmp_path / "puuttuu.csv"
    code, _, err = invoke("run", str(missing), "--dry-run", "--lang", "fi")
    assert (code, err) == (1, f"ropo-import: error: {missing}: tiedostoa ei ole; tarkista polku\n")
    unknown = tmp_path / "outo.csv"
    unknown.write_text("Foo;Bar\n1;2\n", "utf-8")
    code, _, err = invoke("run", str(unknown), "--dry-run", "--lang", "sv")
    assert code == 1
    assert err.startswith(
        f"ropo-import: error: {unknown}: ingen bankfil som ropo-import känner till (prövade "
    )
    assert err.count("\n") == 1
    code, _, err = invoke("run", str(missing), "--dry-run", "--lang", "en")
    assert (code, err) == (1, f"ropo-import: error: {missing}: no such file; check the path\n")


def test_the_largest_amount_the_message_writes_out_is_max_amount() -> None:
    # the template holds the figure itself, so each language groups its digits its own way
    with pytest.raises(FieldError) as caught:
        parse_amount("99999999999999")
    assert f"more than {MAX_AMOUNT:,} euro".replace(",", " ") in caught.value.message
    assert "yli 9 999 999 999 999,99 euroa" in in_words(caught.value.message, FI)
