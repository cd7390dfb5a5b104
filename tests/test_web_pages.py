"""What the pages show: the plan with the file's own line numbers and the problem cell
marked, the problems-only filter, the send button's words, the production label, the
history's warning, an unreadable file, and the words in Finnish and Swedish."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from importer.i18n import words
from importer.web.app import HERE
from importer.web.pages import accepted_lang
from importer.web.view import FATES
from tests.conftest import DEMO_EXPORT
from tests.sheets import as_records
from tests.webpage import Browser, site, target


def cells(page: str) -> list[list[str]]:
    """The rows table's rows, each as its cells' texts (a marked cell starts with '!')."""
    body = page.split('<table class="rows">', 1)[1].split("</table>", 1)[0]
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S):
        texts = re.findall(r'<td( class="problem")?[^>]*>(.*?)</td>', row, re.S)
        found.append([("!" if marked else "") + re.sub(r"<[^>]+>", "", t) for marked, t in texts])
    return found


@pytest.fixture
def browser(tmp_path: Path) -> Browser:
    return Browser(site(tmp_path, demo=True))


def test_the_review_shows_the_plan_with_the_files_own_lines(browser: Browser) -> None:
    page = browser.get(browser.post("/runs", {"demo": "1"}).headers["location"]).text
    assert "Recognised as OP, account transactions CSV (2021 format): 15 rows" in page
    assert (
        "rows read 15 = to be sent 11 + invalid 2 + duplicate 0 + already registered 0 + "
        "unknown from an earlier run 0 + not a payment to send 2 (balances)"
    ) in page  # in the fates of the table above it, not in outcomes ("skipped 13")
    assert (
        "sum read 2\u202f091.40 = to be sent 2\u202f110.30 + invalid 39.00 + duplicate 0.00 + "
        "already registered 0.00 + unknown from an earlier run 0.00 + not a payment to send -57.90 "
        "(balances; 1 row without a readable amount)"
    ) in page
    rows = cells(page)
    assert [row[0] for row in rows] == [str(line) for line in range(2, 17)]  # under the header
    amount = next(row for row in rows if row[0] == "15")
    assert "!3O,00" in amount  # the cell that stopped the row is marked
    assert "bad-amount" in amount
    assert "fix the amount or declare the profile&#39;s marks" in amount  # what to do beside it


def test_problems_only_shows_the_rows_to_act_on(browser: Browser) -> None:
    run = browser.post("/runs", {"demo": "1"}).headers["location"]
    rows = cells(browser.get(f"{run}?problems=1").text)
    assert [(row[0], row[2]) for row in rows] == [("14", "bad-reference"), ("15", "bad-amount")]


def test_a_client_without_credentials_reviews_but_cannot_send(browser: Browser) -> None:
    page = browser.get(browser.post("/runs", {"demo": "1"}).headers["location"]).text
    assert "Files can be reviewed, not sent: set ROPO_CID and ROPO_APICODE" in page
    assert "/send" not in page


def test_a_production_client_is_labelled_on_upload_and_on_its_send_button(
    tmp_path: Path,
) -> None:
    from importer.settings import ApiSettings, Credentials

    api = ApiSettings("https://ropo24.fi/rest", Credentials("1000011", "x"))
    browser = Browser(site(tmp_path, target(tmp_path / "j", api, production=True), demo=True))
    assert 'class="production">PRODUCTION' in browser.get("/").text
    page = browser.get(browser.post("/runs", {"demo": "1"}).headers["location"]).text
    assert 'class="send production">Send 11 payments, €2,110.30, to fi-prod' in page


def test_the_history_warns_when_the_same_file_comes_again(browser: Browser) -> None:
    first = browser.post("/runs", {"demo": "1"}).headers["location"]
    second = browser.post("/runs", {"demo": "1"}).headers["location"]
    history = browser.get("/runs").text
    assert history.count("uploaded before") == 1
    assert "30ce1b671e68" in history  # the file's SHA-256, shortened
    assert f'href="{first}"' in browser.get(second).text  # the review links the earlier one
    assert "This file was uploaded before" not in browser.get(first).text


def test_a_file_that_is_no_bank_export_says_why(browser: Browser, tmp_path: Path) -> None:
    odd = tmp_path / "notes.csv"
    odd.write_text("hello;world\n1;2\n", encoding="utf-8")
    page = browser.get(browser.upload(odd)).text
    assert "This file could not be read:" in page
    assert str(tmp_path) not in page.replace(str(odd.name), "")  # no server path


@pytest.mark.parametrize(
    ("asked", "header", "word"),
    [
        ("?lang=fi", "", "Kaikki rivit"),
        ("?lang=sv", "fi", "Alla rader"),
        ("", "sv-FI,sv;q=0.9,en;q=0.5", "Alla rader"),
        ("", "de,fi;q=0.3,en;q=0.2", "Kaikki rivit"),
        ("", "", "All rows"),
    ],
)
def test_the_words_follow_the_switch_then_the_browser(
    browser: Browser, asked: str, header: str, word: str
) -> None:
    run = browser.post("/runs", {"demo": "1"}).headers["location"]
    page = browser.get(run + asked, headers={"accept-language": header}).text
    assert word in page


def test_accept_language_is_read_by_its_weights() -> None:
    assert accepted_lang("en;q=0.1, sv;q=0.8, fi;q=0.5") == "sv"
    assert accepted_lang("de-DE") is None


def test_every_word_of_the_pages_is_in_both_catalogues() -> None:
    said = set(FATES) | {"planned", "sending", "done", "stopped", "failed", "interrupted"}
    for template in (HERE / "templates").glob("*.html"):
        said |= set(re.findall(r'w\("([^"]+)"', template.read_text("utf-8")))
    for lang in ("fi", "sv"):
        missing = sorted(word for word in said if word not in words(lang).texts)
        assert missing == [], lang


def test_a_client_without_credentials_is_not_told_its_run_was_sent(browser: Browser) -> None:
    run = browser.post("/runs", {"demo": "1"}).headers["location"]
    assert browser.post(f"{run}/send").headers["location"] == run


def test_a_file_not_recognised_can_be_read_as_a_chosen_profile(
    browser: Browser, tmp_path: Path
) -> None:
    renamed = tmp_path / "export.csv"  # the demo export with its header renamed: not OP's
    text = DEMO_EXPORT.read_text("utf-8-sig").replace("Määrä EUROA", "Summa")
    renamed.write_text(text.replace("Arvopäivä", "Päivä"), encoding="utf-8")
    refused = browser.upload(renamed)
    page = browser.get(refused).text
    assert "This file could not be read:" in page
    assert '<option value="generic" selected>' in page
    token = browser.form_token(refused)
    read = browser.post(f"{refused}/again", {"profile": "generic"}, token=token)
    assert read.status_code == 303
    assert read.headers["location"] != refused
    assert browser.post(f"{refused}/again", {"profile": "../x"}, token=token).status_code == 400


def test_the_plan_of_a_file_named_beyond_latin_1_downloads(
    browser: Browser, tmp_path: Path
) -> None:
    """A header is Latin-1: a name like Łódź goes as filename*, not as a 500."""
    named = tmp_path / "tiliote_Łódź.csv"
    named.write_bytes(DEMO_EXPORT.read_bytes())
    answer = browser.get(f"{browser.upload(named)}/plan.xlsx")
    assert answer.status_code == 200
    disposition = answer.headers["content-disposition"]
    assert disposition == "attachment; filename*=utf-8''tiliote_%C5%81%C3%B3d%C5%BA-plan.xlsx"


def test_the_plan_downloads_as_the_dry_runs_workbook_with_the_problem_rows(
    browser: Browser,
) -> None:
    run = browser.post("/runs", {"demo": "1"}).headers["location"]
    answer = browser.get(f"{run}/plan.xlsx")
    assert (
        answer.headers["content-disposition"] == 'attachment; filename="demo-bank-export-plan.xlsx"'
    )
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    rows = as_records(list(book["Needs attention"].iter_rows(values_only=True)), "Needs attention")
    book.close()
    assert [(row["source_row"], row["code"]) for row in rows] == [
        (14, "bad-reference"),
        (15, "bad-amount"),
    ]


def test_the_history_names_who_uploaded_and_the_form_offers_the_name_again(
    browser: Browser,
) -> None:
    browser.post("/runs", {"demo": "1", "who": "  Liisa   Laine "})
    assert "<td>Liisa Laine</td>" in browser.get("/runs").text
    assert 'name="who" value="Liisa Laine"' in browser.get("/").text


def test_the_profile_reads_in_the_pages_language(browser: Browser) -> None:
    """What the file was recognised as, in the accountant's language, as on the Summary."""
    run = browser.post("/runs", {"demo": "1"}).headers["location"]
    page = browser.get(run + "?lang=fi").text
    assert "OP, tilitapahtumat CSV (vuodesta 2021)" in page
    assert "OP, account transactions CSV" not in page
