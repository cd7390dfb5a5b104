"""Live progress and the stop button: the events a run's send streams (n of N, rate, time left,
counts per outcome, then the final state), the sending page that listens to them without an
inline script, and a stop that starts no new request against the real sandbox."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from importer.i18n import words
from importer.models import Outcome, RowResult
from importer.settings import ApiSettings, Credentials
from importer.web.events import snapshot, stream
from importer.web.runs import Progress, Run
from tests.conftest import APICODE, CID, DEMO_EXPORT, Sandbox
from tests.webpage import Browser, site, target

NOWHERE = ApiSettings("http://127.0.0.1:9/rest", Credentials(CID, APICODE))  # never reached


def parsed(body: str) -> list[tuple[str, dict[str, Any]]]:
    """The (event, data) pairs of a text/event-stream body."""
    found = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((fields["event"], json.loads(fields["data"])))
    return found


def held_run(tmp_path: Path) -> Run:
    """A planned demo run whose send is marked started but never runs: the test moves it."""
    here = site(tmp_path, target(tmp_path / "j.sqlite", NOWHERE))
    with DEMO_EXPORT.open("rb") as file:
        run = here.store.add("demo.csv", file, here.targets["acme"], None)
    run.state, run.progress = "sending", Progress(total=15, started=100.0)
    return run


def posted(run: Run, n: int) -> None:
    assert run.plan is not None
    row = next(iter(run.plan.results.itemised()))
    for _ in range(n):
        run.progress.heard(RowResult(row.row, Outcome.POSTED, "registered", ""))


def test_the_stream_follows_the_send_and_ends_with_its_final_state(tmp_path: Path) -> None:
    run = held_run(tmp_path)
    now = [100.0]

    async def follow() -> list[tuple[str, dict[str, Any]]]:
        events = stream(run, words("fi"), poll=0, clock=lambda: now[0])
        seen = [await anext(events)]
        posted(run, 4)
        now[0] = 102.0  # 4 payments in 2 s: 2 a second, 11 rows left
        seen.append(await anext(events))
        run.state = "done"
        seen += [e async for e in events]
        return [parsed(e)[0] for e in seen]

    events = asyncio.run(follow())
    assert [name for name, _ in events] == ["progress", "progress", "progress", "end"]
    first, moving, last, end = (data for _, data in events)
    assert (first["done"], first["total"], first["rate"], first["state"]) == (
        0,
        15,
        None,
        "sending",
    )
    assert (moving["done"], moving["rate"], moving["left"], moving["counts"]) == (
        4,
        2.0,
        6,  # 11 rows at 2 a second
        {"posted": 4},
    )
    assert moving["shown"]["line"] == "Lähetetään: 4/15 riviä"
    assert moving["shown"]["pace"] == "2,0 maksua sekunnissa, noin 6 s jäljellä"
    assert last["state"] == "done"
    assert end == {"state": "done", "url": f"/runs/{run.id}"}


def test_a_run_not_sending_streams_its_state_and_ends(tmp_path: Path) -> None:
    browser = Browser(site(tmp_path, demo=True))
    run = browser.post("/runs", {"demo": "1"}).headers["location"]
    answer = browser.get(f"{run}/events")
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert "no-store" in answer.headers["cache-control"]
    assert [name for name, _ in parsed(answer.text)] == ["progress", "end"]
    assert parsed(answer.text)[-1][1]["state"] == "planned"
    assert Browser(browser.site, login=False).get(f"{run}/events").status_code == 401


def test_the_stream_is_the_same_for_every_reader_and_reading_it_changes_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    here = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    browser = Browser(here)
    run = browser.upload()
    browser.post(f"{run}/send")
    here.store.wait(run.rsplit("/", 1)[-1])
    first, second = browser.get(f"{run}/events").text, browser.get(f"{run}/events").text
    events = parsed(first)
    assert [name for name, _ in events] == ["progress", "end"]
    final = events[0][1]
    assert (final["state"], final["done"], final["total"]) == ("done", 15, 15)
    assert final["counts"] == {"invalid": 2, "posted": 6, "rejected": 5, "skipped": 2}
    assert events[1][1] == {"state": "done", "url": run}
    assert [e for _, e in parsed(second)][1:] == [e for _, e in events][1:]
    assert max(sandbox.state.ledger.applied.values()) == 1


def test_the_sending_page_listens_without_an_inline_script(tmp_path: Path) -> None:
    run = held_run(tmp_path)
    here = site(tmp_path)
    here.store._runs[run.id] = run  # a run in the middle of its send
    browser = Browser(here)
    posted(run, 3)
    page = browser.get(f"/runs/{run.id}").text
    assert '<script src="/static/progress.js" defer></script>' in page
    assert "<script>" not in page  # CSP default-src 'self' would refuse it
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "Sending: 3 of 15 rows" in page
    assert "registered: 3" in page or "posted: 3" in page
    assert 'action="/runs/' + run.id + '/stop"' in page
    script = browser.get("/static/progress.js")
    assert script.status_code == 200
    assert "/events" in script.text
    assert "new EventSource(" in script.text


def test_stop_needs_the_form_token_and_leaves_a_run_not_sending_alone(tmp_path: Path) -> None:
    run = held_run(tmp_path)
    here = site(tmp_path)
    here.store._runs[run.id] = run
    browser = Browser(here)
    assert browser.post(f"/runs/{run.id}/stop", token="forged").status_code == 403
    cross = browser.post(f"/runs/{run.id}/stop", headers={"sec-fetch-site": "same-site"})
    assert cross.status_code == 403
    assert not run.progress.halt.is_set()
    answer = browser.post(f"/runs/{run.id}/stop")
    assert (answer.status_code, answer.headers["location"]) == (303, f"/runs/{run.id}")
    assert run.progress.halt.is_set()
    assert snapshot(run, words("en"))["stopping"] is True
    page = browser.get(f"/runs/{run.id}").text
    assert "Stopping: no new payment is sent" in page


def test_stop_after_the_requests_in_flight_sends_no_more_and_a_new_run_sends_the_rest(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_at_a_time = replace(sandbox.api(), concurrency=1)
    here = site(tmp_path, target(tmp_path / "j.sqlite", one_at_a_time))
    browser = Browser(here)
    run = browser.upload()
    heard = Progress.heard
    pressed = threading.Event()

    def press_stop_after_three(self: Progress, result: RowResult) -> None:
        heard(self, result)
        went_out = self.counts["posted"] + self.counts["rejected"]
        if went_out == 3 and not pressed.is_set():
            pressed.set()
            assert browser.post(f"{run}/stop").status_code == 303

    monkeypatch.setattr(Progress, "heard", press_stop_after_three)
    browser.post(f"{run}/send")
    here.store.wait(run.rsplit("/", 1)[-1])
    stopped = here.store.get(run.rsplit("/", 1)[-1])
    assert stopped is not None
    assert stopped.result is not None
    assert stopped.state == "stopped"
    ends = [(r.outcome, r.code) for r in stopped.result.results.itemised()]
    assert sum(1 for o, _ in ends if o in (Outcome.POSTED, Outcome.REJECTED)) == 3
    assert ends.count((Outcome.SKIPPED, "not-sent")) == 8
    assert Outcome.UNKNOWN not in {o for o, _ in ends}
    events = parsed(browser.get(f"{run}/events").text)
    assert events[-1][1]["state"] == "stopped"
    page = browser.get(run).text
    assert "stopped on request" in page
    assert stopped.workbook is not None
    monkeypatch.setattr(Progress, "heard", heard)
    rest = browser.upload()  # the same file again: only the 8 never started go out
    browser.post(f"{rest}/send")
    here.store.wait(rest.rsplit("/", 1)[-1])
    assert "rows read 15 = posted " in browser.get(rest).text
    applied = sandbox.state.ledger.applied
    assert (len(applied), max(applied.values())) == (6, 1)
