"""Screenshots of every page (upload, review, sending, results, history) in Finnish, Swedish
and English, taken in the real browser against the sandbox, to look at: each page must show
its words in the chosen language and nothing the page's script left broken.

They go to a temporary folder, or to ROPO_SHOTS when set (ROPO_SHOTS=shots pytest -k
screenshots), where a person looks at them; the README's picture of the review page is one.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from importer.clock import Clock
from importer.i18n import Lang, words
from importer.sandbox.faults import Faults
from importer.web import Site
from importer.web.access import Access
from importer.web.runs import Progress, RunStore
from tests import browser
from tests.browser import WAIT_MS, log_in, served
from tests.conftest import DEMO_EXPORT, Sandbox
from tests.webpage import AT, TOKEN, site, target

chromium, tab = browser.chromium, browser.tab  # the browser tier's fixtures
PAGES = ("upload", "review", "problems", "sending", "results", "history")


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_screenshots_of_every_page(
    tab: Any, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: Lang
) -> None:
    shots = Path(os.environ.get("ROPO_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    w = words(lang)
    here = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    tab.set_viewport_size({"width": 1280, "height": 800})
    looked, heard = threading.Event(), Progress.heard

    def held(self: Progress, result: Any) -> None:  # the send waits for its picture
        heard(self, result)
        if self.counts["posted"] + self.counts["rejected"] == 3:
            looked.wait(timeout=WAIT_MS / 1000)

    monkeypatch.setattr(Progress, "heard", held)

    def shoot(name: str) -> None:
        # The review as it first shows, and its problems only (the README's picture, in fi).
        whole = name not in ("review", "problems")
        tab.screenshot(path=shots / f"{name}-{lang}.png", full_page=whole)

    with served(here) as base:
        log_in(tab, base)
        tab.goto(f"{base}/?lang={lang}")
        tab.fill('input[name="who"]', "Maija")
        tab.set_input_files('input[name="file"]', str(DEMO_EXPORT))
        shoot("upload")
        assert w("Upload a bank export") in tab.content()
        tab.locator('form button[type="submit"]').first.click()
        tab.wait_for_url(f"{base}/runs/*")
        shoot("review")
        assert w("What a send would do") in tab.content()
        tab.set_viewport_size({"width": 1280, "height": 1080})
        tab.locator(".filter a").click()
        tab.wait_for_url("**problems=1")
        shoot("problems")
        tab.set_viewport_size({"width": 1280, "height": 800})
        tab.locator("button.send").click()
        tab.locator('[data-show="pace"]', has_text=re.compile(r"\d")).wait_for()
        shoot("sending")
        assert w("Stop after the requests in flight") in tab.content()
        looked.set()
        tab.locator("a.download").wait_for()
        shoot("results")
        assert w("What happened") in tab.content()
        tab.goto(f"{base}/runs")
        shoot("history")
        assert "Maija" in tab.content()
    assert tab.errors == []
    assert all((shots / f"{name}-{lang}.png").stat().st_size > 10_000 for name in PAGES)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_screenshots_of_resolving_and_of_runs_after_a_restart(
    tab: Any, sandbox: Sandbox, tmp_path: Path, lang: Lang
) -> None:
    shots = Path(os.environ.get("ROPO_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    w = words(lang)
    clients = {"acme": target(tmp_path / "j.sqlite", sandbox.api())}
    never = RunStore(tmp_path / "uploads", Clock(at=AT), start=_idle, targets=clients)
    before = Site(never, clients, Access(TOKEN))
    sandbox.state.faults = Faults(drop_rate=1.0)  # the answers to applied payments are lost
    with served(before) as base:
        log_in(tab, base)
        tab.goto(f"{base}/?lang={lang}")
        tab.set_input_files('input[name="file"]', str(DEMO_EXPORT))
        tab.locator('form button[type="submit"]').first.click()
        tab.wait_for_url(f"{base}/runs/*")
        tab.locator("button.send").click()  # never started: `sending` when the server stops
        tab.locator('[data-show="line"]').wait_for()
        tab.goto("about:blank")  # the page stops following before its server stops
    here = site(tmp_path, *clients.values())  # the same folder: the run above is loaded
    tab.set_viewport_size({"width": 1280, "height": 800})

    def shoot(name: str) -> None:
        tab.screenshot(path=shots / f"{name}-{lang}.png", full_page=True)

    with served(here) as base:
        log_in(tab, base)
        tab.goto(f"{base}/runs?lang={lang}")
        tab.locator("table.rows a").first.click()
        assert w("interrupted") != "interrupted" or lang == "en"
        shoot("interrupted")
        tab.goto(f"{base}/?lang={lang}")
        tab.set_input_files('input[name="file"]', str(DEMO_EXPORT))
        tab.locator('form button[type="submit"]').first.click()
        tab.wait_for_url(f"{base}/runs/*")
        tab.locator("button.send").click()
        tab.locator("table.unknown").wait_for()
        tab.locator("table.unknown button.registered").first.click()
        tab.get_by_role("status").wait_for()
        shoot("results-unknown")
        assert w("Payments to resolve") in tab.content()
        tab.goto(f"{base}/")
        shoot("upload-waiting")
        tab.locator('a[href^="/unknown"]').first.click()
        tab.locator("table.unknown").wait_for()
        shoot("unknown")
    sandbox.state.faults = Faults()
    after = site(tmp_path, *clients.values())  # restarted again: the sent run from its record
    with served(after) as base:
        log_in(tab, base)
        tab.goto(f"{base}/runs?lang={lang}")
        shoot("history-restarted")
        tab.locator("table.rows a").first.click()
        tab.locator("a.download").wait_for()
        shoot("kept")
    assert tab.errors == []


def _idle(work: Any) -> threading.Thread:
    """A send that never runs: its run stays `sending`, as when the server stops mid-send."""
    return threading.Thread(target=work)
