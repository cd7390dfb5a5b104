"""The web page in a real browser (Debian's Chromium through playwright) against the page served
by uvicorn on loopback and the real sandbox: what the accountant clicks, the script that
follows a send, and what a browser itself does (cookies, Sec-Fetch-Site, downloads, reloads).

Routes, headers and state changes are tested fast with Starlette's TestClient elsewhere; these
are the few things only a browser can show."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from importer.journal import Journal
from importer.sandbox.faults import Faults
from importer.web.runs import Progress
from tests import browser
from tests.browser import WAIT_MS, log_in, other_port, served
from tests.conftest import CID, DEMO_EXPORT, Sandbox
from tests.sheets import as_records
from tests.test_end_to_end import DEMO_ENDS
from tests.webpage import site, target

chromium, tab = browser.chromium, browser.tab  # the browser tier's fixtures


def upload_demo(page: Any, base: str) -> str:
    """Choose the demo export in the file field and review it; the run's address."""
    log_in(page, base)
    page.set_input_files('input[name="file"]', str(DEMO_EXPORT))
    page.get_by_role("button", name="Review before sending").click()
    page.wait_for_url(f"{base}/runs/*")
    return str(page.url)


def test_upload_review_filter_send_follow_download_and_reload(
    tab: Any, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    posts: list[str] = []
    tab.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    # The send waits after its third request until the test has seen the page follow it.
    looked, heard = threading.Event(), Progress.heard

    def held(self: Progress, result: Any) -> None:
        heard(self, result)
        if self.counts["posted"] + self.counts["rejected"] == 3:
            looked.wait(timeout=WAIT_MS / 1000)

    monkeypatch.setattr(Progress, "heard", held)
    with served(here) as base:
        run = upload_demo(tab, base)
        # Review: the two invalid rows marked, their cell outlined, the file's own lines.
        assert tab.locator("tr.attention").count() == 2
        assert tab.locator("td.problem").count() == 2
        marked = tab.locator("tr.attention td.num").all_inner_texts()
        assert marked == ["14", "15"]  # the file's own line numbers
        tab.get_by_role("link", name="Problems only").click()
        tab.wait_for_url("**problems=1")
        assert tab.locator("table.rows tbody tr").count() == 2
        tab.get_by_role("link", name="All rows").click()
        tab.wait_for_url("**problems=0")
        assert tab.locator("table.rows tbody tr").count() == 15
        # Send: the page follows over server-sent events, without reloading itself.
        tab.get_by_role("button", name="Send 11 payments").click()
        tab.wait_for_url(run)
        tab.evaluate("window.sameDocument = true")
        tab.locator('[data-show="line"]', has_text="of 15 rows").wait_for()
        tab.locator('[data-show="pace"]', has_text="payments a second").wait_for()
        assert tab.evaluate("window.sameDocument") is True  # the script wrote it: no reload
        # A second tab follows the same send; closing it changes nothing.
        other = tab.context.new_page()
        other.goto(run)
        other.locator('[data-show="line"]', has_text="of 15 rows").wait_for()
        other.close()
        looked.set()
        tab.get_by_role("heading", name="What happened").wait_for()  # the results, by itself
        reopened = tab.context.new_page()
        reopened.goto(run)
        assert "rows read 15 = posted 6 + rejected 5" in reopened.content()
        reopened.close()
        assert "rows read 15 = posted 6 + rejected 5" in tab.content()
        # The workbook: the command line's, row for row.
        with tab.expect_download() as download:
            tab.get_by_role("link", name="Download the workbook").click()
        saved = tmp_path / download.value.suggested_filename
        assert saved.suffix == ".xlsx"
        download.value.save_as(saved)
        book = load_workbook(saved, read_only=True)
        rows = as_records(list(book["Results"].iter_rows(values_only=True)), "Results")
        book.close()
        assert [(r["source_row"], r["outcome"], r["code"]) for r in rows] == DEMO_ENDS
        # A reload (and going back to the review) after the send sends nothing.
        tab.reload()
        tab.go_back()
        tab.reload()
        tab.get_by_role("heading", name="What happened").wait_for()
    sends = [url for url in posts if url.endswith("/send")]
    assert sends == [f"{run}/send"]
    applied = sandbox.state.ledger.applied
    assert (len(applied), max(applied.values())) == (6, 1)
    assert tab.errors == []  # no script error, no CSP refusal


def test_a_form_on_another_loopback_port_is_refused(
    tab: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    here = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    with served(here) as base:
        run = upload_demo(tab, base)
        stolen = tab.locator('input[name="form_token"]').first.get_attribute("value")
        # Even with the right form token: the browser says the form is another origin's.
        evil = (
            f'<form method="post" action="{run}/send">'
            f'<input type="hidden" name="form_token" value="{stolen}">'
            "<button>Win a prize</button></form>"
        )
        with other_port(tmp_path, "prize.html", evil) as address:
            tab.goto(address)
            with tab.expect_response(f"{run}/send") as answer:
                tab.get_by_role("button", name="Win a prize").click()
            assert answer.value.status == 403
            assert "another site or port" in answer.value.text()
        tab.goto(run)
        assert tab.get_by_role("button", name="Send 11 payments").is_visible()
    assert sandbox.state.ledger.applied == {}


def test_an_oversized_upload_is_refused(tab: Any, tmp_path: Path) -> None:
    here = site(tmp_path, max_upload=100_000)
    big = tmp_path / "big.csv"
    big.write_bytes(DEMO_EXPORT.read_bytes() * 1000)  # about 1 MB against a cap of 0.1
    with served(here) as base:
        log_in(tab, base)
        tab.set_input_files('input[name="file"]', str(big))
        with tab.expect_response(f"{base}/runs") as answer:
            tab.get_by_role("button", name="Review before sending").click()
        assert answer.value.status == 413
        assert "larger than" in answer.value.text()
    assert here.store.runs() == []


def test_without_javascript_the_page_reloads_itself_and_the_stop_button_stops(
    chromium: Any, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_at_a_time = replace(sandbox.api(), concurrency=1)
    here = site(tmp_path, target(tmp_path / "j.sqlite", one_at_a_time))
    reached, looked, heard = threading.Event(), threading.Event(), Progress.heard

    def held(self: Progress, result: Any) -> None:
        heard(self, result)
        if self.counts["posted"] + self.counts["rejected"] == 3:
            reached.set()
            looked.wait(timeout=WAIT_MS / 1000)

    monkeypatch.setattr(Progress, "heard", held)
    context = chromium.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        with served(here) as base:
            run = upload_demo(page, base)
            page.get_by_role("button", name="Send 11 payments").click()
            page.wait_for_url(run)
            assert reached.wait(timeout=WAIT_MS / 1000)  # three requests answered: reload
            page.reload()
            assert "Sending: 7 of 15 rows" in page.locator('[data-show="line"]').inner_text()
            page.get_by_role("button", name="Stop after the requests in flight").click()
            page.locator('[data-show="stopping"]').wait_for()  # the server's page says so
            looked.set()
            page.get_by_role("heading", name="What happened").wait_for()  # the meta refresh
            shown = page.content()
    finally:
        context.close()
    assert "stopped on request: no new request was started after the ones in flight" in shown
    assert shown.count("<code>not-sent</code>") == 8
    applied = sandbox.state.ledger.applied
    assert sum(applied.values()) == shown.count("<code>registered</code>")  # the 3 that went


def test_an_unknown_payment_is_resolved_from_the_results_page(
    tab: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = tmp_path / "j.sqlite"
    here = site(tmp_path, target(journal, sandbox.api()))
    sandbox.state.faults = Faults(drop_rate=1.0)  # the answers to applied payments are lost
    posts: list[str] = []
    tab.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    with served(here) as base:
        run = upload_demo(tab, base)
        tab.get_by_role("button", name="Send 11 payments").click()
        tab.get_by_role("heading", name="Payments to resolve").wait_for()  # the results
        assert tab.locator("table.unknown tbody tr").count() == 6
        line = tab.locator("table.unknown tr", has_text="billcode 410027")
        line.get_by_role("button", name="It is in Ropo One").click()
        tab.get_by_role("status").filter(has_text="marked as in Ropo One").wait_for()
        assert tab.url.startswith(run)  # back on the run's page, which says what was done
        assert tab.locator("table.unknown tbody tr").count() == 5
        assert tab.locator("table.unknown", has_text="billcode 410027").count() == 0
        tab.reload()  # a GET: nothing is marked again
    marks = [url for url in posts if "/unknown/" in url]
    assert len(marks) == 1
    book = Journal(journal, sandbox.url, CID, read_only=True)
    try:
        left = book.unanswered()
    finally:
        book.close()
    assert len(left) == 5
    assert "410027" not in {e.request.get("billcode") for e in left}
    assert tab.errors == []
