"""Resolving unknown payments from the page and the API, against the real sandbox: the sandbox
cuts off the answer to every payment it applies, so the demo's six registered payments end
`unknown`; the page lists them, marks them as `ropo-import resolve` does (under the journal's
lock, with a note saying where, by whom and when), and the next run does what was marked."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from importer.errors import JournalError
from importer.journal import Journal
from importer.sandbox.faults import Faults
from importer.web import Site
from tests.conftest import CID, DEMO_EXPORT, Sandbox
from tests.webpage import Browser, api_client, site, target

UNKNOWN_LINES = [2, 3, 5, 9, 10, 13]  # the demo's payments Ropo One registers


@dataclass
class Lost:
    """A sent run whose six registered payments ended unknown."""

    site: Site
    browser: Browser
    run: str  # the run's address
    journal: Path
    sandbox: Sandbox

    def waiting(self) -> dict[int, int]:
        """Source line -> journal id of the payments waiting to be resolved."""
        book = Journal(self.journal, self.sandbox.url, CID, read_only=True)
        try:
            return {e.source_row: e.id for e in book.unanswered()}
        finally:
            book.close()

    def note(self, entry_id: int) -> str:
        with sqlite3.connect(self.journal) as db:
            found = db.execute("SELECT message FROM payments WHERE rowid = ?", (entry_id,))
            return str(found.fetchone()[0])

    def send_again(self) -> dict[int, tuple[str, str]]:
        """The same file uploaded and sent again: line -> (outcome, code)."""
        client = api_client(self.site)
        with DEMO_EXPORT.open("rb") as file:
            run = client.post("/api/runs", files={"file": (DEMO_EXPORT.name, file)}).json()["id"]
        assert client.post(f"/api/runs/{run}/send").status_code == 202
        self.site.store.wait(run)
        report = self.site.store.get(run)
        assert report is not None
        assert report.result is not None
        return {r.row.line: (r.outcome.value, r.code) for r in report.result.results}


@pytest.fixture
def lost(sandbox: Sandbox, tmp_path: Path) -> Lost:
    journal = tmp_path / "j.sqlite"
    here = site(tmp_path, target(journal, sandbox.api()))
    browser = Browser(here)
    sandbox.state.faults = Faults(drop_rate=1.0)  # every applied payment's answer is cut off
    run = browser.upload(who="Maija")
    assert browser.post(f"{run}/send").status_code == 303
    here.store.wait(run.rsplit("/", 1)[-1])
    sandbox.state.faults = Faults()
    found = Lost(here, browser, run, journal, sandbox)
    assert sorted(found.waiting()) == UNKNOWN_LINES
    return found


def marks_on(page: str) -> list[int]:
    """The ids the page offers to mark."""
    return [int(n) for n in re.findall(r'action="/unknown/(\d+)"', page)]


def test_the_results_page_lists_the_runs_unknown_payments_and_marks_them_as_resolve_does(
    lost: Lost,
) -> None:
    ids = lost.waiting()
    page = lost.browser.get(lost.run).text
    assert sorted(marks_on(page)) == sorted(ids.values())
    assert "billcode 410027" in page
    assert "demo-bank-export.csv line 3" in page
    assert "It is in Ropo One" in page
    assert "It is not in Ropo One: the next run sends it" in page
    # The rows' advice points at the buttons, not at the command line's resolve.
    assert "check in Ropo One, then mark what you found under Payments to resolve" in page

    fields = {"client": "acme", "back": lost.run.rsplit("/", 1)[-1]}
    answer = lost.browser.post(f"/unknown/{ids[3]}", {**fields, "registered": "1"})
    assert answer.status_code == 303  # POST, redirect, GET: a reload marks nothing again
    assert answer.headers["location"] == f"{lost.run}?marked={ids[3]}&registered=1"
    said = lost.browser.get(answer.headers["location"]).text
    assert f"Payment {ids[3]} marked as in Ropo One: it is never sent again." in said
    assert ids[3] not in marks_on(said)
    missing = lost.browser.post(f"/unknown/{ids[5]}", {**fields, "registered": "0"})
    assert f"marked={ids[5]}&registered=0" in missing.headers["location"]
    again = lost.browser.post(f"/unknown/{ids[5]}", {**fields, "registered": "1"})
    assert f"gone={ids[5]}" in again.headers["location"]  # marked once; the second says so
    assert "is not waiting any more" in lost.browser.get(again.headers["location"]).text

    assert sorted(lost.waiting()) == [2, 9, 10, 13]
    # The day is the server's clock's; the name the one given at upload.
    day = "2026-11-20"
    assert lost.note(ids[3]) == (
        f"marked registered on the web page by Maija on {day} after checking Ropo One"
    )
    assert lost.note(ids[5]) == (
        f"marked not registered on the web page by Maija on {day} after checking Ropo One"
    )
    ends = lost.send_again()
    assert ends[3] == ("skipped", "already-registered")
    # Sent again, as marked: the sandbox had applied it (only its answer was lost), so the
    # invoice is closed now and Ropo One says so (statusid 5).
    assert ends[5] == ("rejected", "status-5")
    assert ends[9] == ("unknown", "unanswered-earlier")  # still waiting: never sent by itself


def test_the_clients_page_lists_every_waiting_payment_and_the_upload_page_and_history_link_it(
    lost: Lost,
) -> None:
    upload = lost.browser.get("/").text
    assert 'href="/unknown?client=acme"' in upload
    assert "Payments waiting to be resolved: 6" in upload
    assert "acme: payments waiting to be resolved: 6" in lost.browser.get("/runs").text
    review = lost.browser.get(lost.browser.upload()).text  # the same file: 6 unknown earlier
    assert "Resolve the payments whose answer never came" in review
    assert 'href="/unknown?client=acme"' in review
    listing = lost.browser.get("/unknown?client=acme").text
    assert sorted(marks_on(listing)) == sorted(lost.waiting().values())
    first = min(lost.waiting().values())
    answer = lost.browser.post(f"/unknown/{first}", {"client": "acme", "registered": "1"})
    assert answer.headers["location"] == f"/unknown?client=acme&marked={first}&registered=1"
    assert lost.browser.get("/unknown?client=nobody").status_code == 404
    assert "Payments waiting to be resolved: 5" in lost.browser.get("/").text


def test_a_busy_journal_marks_nothing_and_the_page_says_so(lost: Lost) -> None:
    ids = lost.waiting()
    other = Journal(lost.journal, lost.sandbox.url, CID)
    lock = other.lock("a command-line run")
    lock.acquire()
    try:
        answer = lost.browser.post(f"/unknown/{ids[3]}", {"client": "acme", "registered": "1"})
        page = lost.browser.get(answer.headers["location"]).text
        by_api = api_client(lost.site).post(f"/api/unknown/{ids[3]}", json={"registered": True})
    finally:
        lock.release()
        other.close()
    assert "Nothing was marked: another run is using this client&#39;s journal." in page
    assert by_api.status_code == 409
    assert "another run is sending" in by_api.json()["error"]
    assert sorted(lost.waiting()) == UNKNOWN_LINES


def test_the_marking_form_needs_the_form_token_and_the_same_origin(lost: Lost) -> None:
    entry = lost.waiting()[3]
    fields = {"client": "acme", "registered": "1"}
    assert lost.browser.post(f"/unknown/{entry}", fields, token="forged").status_code == 403
    cross = {"sec-fetch-site": "same-site"}  # another port of localhost
    assert lost.browser.post(f"/unknown/{entry}", fields, headers=cross).status_code == 403
    assert sorted(lost.waiting()) == UNKNOWN_LINES


def test_the_api_lists_and_marks_with_the_bearer_token(lost: Lost) -> None:
    client = api_client(lost.site)
    listed = client.get("/api/unknown?client=acme")
    assert listed.status_code == 200
    first = listed.json()[0]
    line3 = next(e for e in listed.json() if e["line"] == 3)
    assert line3["invoice"] == {"billcode": "410027"}
    assert (line3["amount"], line3["paydate"], line3["file"]) == (
        "100.00",
        "2026-11-02",
        "demo-bank-export.csv",
    )
    assert "the answer could not be read" in first["message"]
    assert [e["line"] for e in listed.json()] == UNKNOWN_LINES

    marked = client.post(f"/api/unknown/{first['id']}", json={"registered": False})
    assert marked.status_code == 200
    assert marked.json() == {**first, "registered": False, "client": "acme"}
    assert client.post(f"/api/unknown/{first['id']}", json={"registered": True}).status_code == 404
    assert client.post("/api/unknown/99999", json={"registered": True}).status_code == 404
    assert client.post(f"/api/unknown/{first['id']}", json={"registered": "yes"}).status_code == 400
    assert lost.note(first["id"]) == (
        "marked not registered on the web page on 2026-11-20 after checking Ropo One"
    )
    assert lost.browser.client.get("/api/unknown").status_code == 200  # a session may read
    browser_post = lost.browser.client.post(
        f"/api/unknown/{first['id']}", json={"registered": True}, headers={"origin": "x"}
    )
    assert browser_post.status_code == 403
    assert api_client(lost.site).get("/api/unknown?client=nobody").status_code == 404
    nobody = Browser(lost.site, login=False).client
    assert nobody.get("/api/unknown").status_code == 401


def test_a_send_refused_before_any_payment_stays_planned_beside_earlier_unknown_ones(
    lost: Lost, tmp_path: Path
) -> None:
    """Rows judged `unknown` from the journal went out before this send, not in it: refused
    credentials after judging them still leave the run planned, to be sent once fixed."""
    line5 = lost.waiting()[5]
    marked = api_client(lost.site).post(f"/api/unknown/{line5}", json={"registered": False})
    assert marked.status_code == 200  # so one payment is to be sent, the other five unknown
    wrong = target(lost.journal, lost.sandbox.api(apicode="not-the-apicode"), name="wrong")
    here = site(tmp_path / "other", wrong)
    client = api_client(here)
    with DEMO_EXPORT.open("rb") as file:
        run = client.post("/api/runs", files={"file": (DEMO_EXPORT.name, file)}).json()["id"]
    assert client.post(f"/api/runs/{run}/send").status_code == 202
    here.store.wait(run)
    shown = client.get(f"/api/runs/{run}").json()
    assert shown["state"] == "planned"
    assert "not-the-apicode" not in shown["message"]
    assert "refused customer id" in shown["message"]
    progress = here.store.get(run).progress  # type: ignore[union-attr]
    assert progress.counts["unknown"] == 5  # heard, and judged from the journal
    assert not progress.went_out


def test_a_marking_must_say_which_and_for_whom(lost: Lost, tmp_path: Path) -> None:
    """Never a default: a form without its answer marks nothing, and with several clients an
    id (each journal's own) is marked only for the client named."""
    entry = lost.waiting()[3]
    assert lost.browser.post(f"/unknown/{entry}", {"client": "acme"}).status_code == 400
    typo = {"client": "acme", "registered": "yes"}
    assert lost.browser.post(f"/unknown/{entry}", typo).status_code == 400
    lost.site.targets["other"] = target(tmp_path / "other.sqlite", lost.sandbox.api(), "other")
    client = api_client(lost.site)
    assert client.post(f"/api/unknown/{entry}", json={"registered": True}).status_code == 400
    assert lost.browser.post(f"/unknown/{entry}", {"registered": "1"}).status_code == 400
    assert sorted(lost.waiting()) == UNKNOWN_LINES
    named = client.post(f"/api/unknown/{entry}?client=acme", json={"registered": True})
    assert named.status_code == 200


def test_a_journal_that_cannot_be_written_marks_nothing_and_says_why(
    lost: Lost, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise JournalError("journal j.sqlite: cannot be written (disk I/O error)")

    monkeypatch.setattr("importer.web.unknown.mark", refused)
    entry = lost.waiting()[3]
    page = lost.browser.post(f"/unknown/{entry}", {"client": "acme", "registered": "1"})
    assert page.status_code == 500
    assert "cannot be written (disk I/O error)" in page.text
    by_api = api_client(lost.site).post(f"/api/unknown/{entry}", json={"registered": True})
    assert by_api.status_code == 500
    assert "cannot be written" in by_api.json()["error"]
    assert sorted(lost.waiting()) == UNKNOWN_LINES
