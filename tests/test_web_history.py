"""The run history survives a restart of the server: each run's record in its own folder, read
back by a new RunStore over the same folder, as `serve` builds one when it starts again. And the
send's ends: a failure before any payment leaves the run planned, an unexpected error is shown
without the server's folders, and the API stops a sending run."""

from __future__ import annotations

import json
import logging
import stat
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from importer.clock import Clock
from importer.web import Site
from importer.web.access import Access
from importer.web.record import RECORD
from importer.web.runs import RunStore
from tests.conftest import APICODE, Sandbox
from tests.webpage import AT, TOKEN, Browser, api_client, site, target

SENT = "rows read 15 = posted 6 + rejected 5 + invalid 2 + skipped 2 + unknown 0 (balances)"


def restarted(before: Site, clock: Clock | None = None, with_clients: bool = True) -> Site:
    """The same folder, clients and login token under a new server (a new RunStore)."""
    targets = before.targets if with_clients else {}
    store = RunStore(before.store.folder, clock or before.store.clock, targets=targets)
    return Site(store, before.targets, Access(TOKEN))


def never_started(work: Callable[[], None]) -> threading.Thread:
    """A send that never runs: the run stays `sending`, as when the server stops mid-send."""
    return threading.Thread(target=work)


def run_id(address: str) -> str:
    return address.rsplit("/", 1)[-1]


def test_a_sent_run_is_shown_after_a_restart_with_its_counts_and_workbook(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    before = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    browser = Browser(before)
    run = browser.upload(who="Maija")
    browser.post(f"{run}/send")
    before.store.wait(run_id(run))
    record = before.store.folder / run_id(run) / RECORD
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert APICODE not in record.read_text()
    assert TOKEN not in record.read_text()

    after = restarted(before)
    browser = Browser(after)
    page = browser.get(run).text
    assert "What happened" in page
    assert SENT in page
    assert "its rows are in the workbook" in page
    book = browser.get(f"{run}/workbook")
    assert book.status_code == 200
    assert book.content == before.store.get(run_id(run)).workbook.read_bytes()  # type: ignore[union-attr]
    history = browser.get("/runs").text
    assert "Maija" in history
    assert "posted 6, rejected 5, invalid 2, skipped 2, unknown 0" in history
    shown = api_client(after).get(f"/api/runs/{run_id(run)}").json()
    assert shown["state"] == "done"
    assert shown["outcomes"]["posted"] == {"rows": 6, "sum": "1627.40"}
    assert shown["balanced"] is True
    # The same file again: the warning knows the run from before the restart (its SHA-256).
    again = browser.upload()
    assert f'href="{run}"' in browser.get(again).text.split("This file was uploaded before:")[1]
    # And the recorded run is not sent again.
    assert browser.post(f"{run}/send").headers["location"] == f"{run}?already=1"
    assert max(sandbox.state.ledger.applied.values()) == 1


def test_a_run_sending_when_the_server_stopped_is_interrupted_and_never_sent_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    clients = {"acme": target(tmp_path / "j.sqlite", sandbox.api())}
    store = RunStore(tmp_path / "uploads", Clock(at=AT), start=never_started, targets=clients)
    before = Site(store, clients, Access(TOKEN))
    browser = Browser(before)
    run = browser.upload()
    browser.post(f"{run}/send")
    assert before.store.get(run_id(run)).state == "sending"  # type: ignore[union-attr]

    after = restarted(before)
    loaded = after.store.get(run_id(run))
    assert loaded is not None
    assert loaded.state == "interrupted"
    browser = Browser(after)
    page = browser.get(run).text
    assert "The server stopped while sending; what was sent is in the journal" in page
    assert "Send 11 payments" not in page
    refused = api_client(after).post(f"/api/runs/{run_id(run)}/send")
    assert refused.status_code == 409
    assert "upload the file again" in refused.json()["error"]
    assert browser.post(f"{run}/send").headers["location"] == f"{run}?already=1"
    assert after.store.get(run_id(run)).state == "interrupted"  # type: ignore[union-attr]
    assert ">interrupted<" in browser.get("/runs").text
    assert restarted(after).store.get(run_id(run)).state == "interrupted"  # type: ignore[union-attr]
    assert sandbox.state.ledger.applied == {}


def test_a_planned_run_is_planned_again_after_a_restart(sandbox: Sandbox, tmp_path: Path) -> None:
    before = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    client = api_client(before)
    browser = Browser(before)
    planned = browser.upload()
    assert "Send 11 payments" in browser.get(planned).text
    other = browser.upload()  # the same file, sent: the journal knows its payments now
    browser.post(f"{other}/send")
    before.store.wait(run_id(other))
    stale = client.get(f"/api/runs/{run_id(planned)}").json()
    assert stale["plan"]["to be sent"]["rows"] == 11  # this server planned it before the send

    after = restarted(before)
    page = Browser(after).get(planned).text
    assert "Send 11 payments" not in page
    assert "Nothing to send." in page
    fresh = api_client(after).get(f"/api/runs/{run_id(planned)}").json()
    assert fresh["state"] == "planned"
    assert fresh["plan"]["to be sent"]["rows"] == 0
    assert fresh["plan"]["already registered"] == {"rows": 11, "sum": "2110.30"}


def test_runs_past_retention_are_removed_and_unreadable_records_left_alone(
    tmp_path: Path,
) -> None:
    before = site(tmp_path)
    run = run_id(Browser(before).upload())
    kept = run_id(Browser(before).upload())
    broken = before.store.folder / "0123456789abcdef"
    broken.mkdir()
    (broken / RECORD).write_text("{not json")
    assert {r.id for r in restarted(before).store.runs()} == {run, kept}
    later = Clock(at=AT + timedelta(days=8))
    assert restarted(before, later).store.runs() == []
    assert not (before.store.folder / run).exists()


def test_a_run_of_a_client_no_longer_in_the_settings_is_shown_and_not_sent(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    before = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    run = Browser(before).upload()
    after = restarted(before, with_clients=False)
    loaded = after.store.get(run_id(run))
    assert loaded is not None
    assert (loaded.target.name, loaded.target.api) == ("acme", None)
    assert "is not in the settings any more" in Browser(after).get(run).text
    assert not after.store.send(run_id(run))


def test_a_send_that_fails_before_any_payment_stays_planned(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = tmp_path / "j.sqlite"
    here = site(tmp_path, target(journal, sandbox.api()))
    browser = Browser(here)
    run = browser.upload()
    journal.mkdir()  # the journal cannot be opened: nothing can be sent
    browser.post(f"{run}/send")
    here.store.wait(run_id(run))
    shown = api_client(here).get(f"/api/runs/{run_id(run)}").json()
    assert shown["state"] == "planned"
    assert "journal" in shown["message"]
    assert sandbox.state.ledger.applied == {}
    journal.rmdir()  # the cause is gone: it is sent
    browser.post(f"{run}/send")
    here.store.wait(run_id(run))
    assert SENT in browser.get(run).text


def test_an_unexpected_error_after_the_send_shows_its_class_and_no_server_folder(
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    here = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    browser = Browser(here)
    run = browser.upload()
    where = here.store.folder / run_id(run) / "demo-bank-export-results.xlsx"

    def full_disk(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(where))

    monkeypatch.setattr("importer.workbook.save_workbook", full_disk)
    with caplog.at_level(logging.ERROR, logger="ropo_import.web"):
        browser.post(f"{run}/send")
        here.store.wait(run_id(run))
    shown = api_client(here).get(f"/api/runs/{run_id(run)}").json()
    assert shown["state"] == "failed"  # payments had gone out: the journal has them
    assert shown["message"] == (
        "unexpected error: PermissionError: [Errno 13] Permission denied: "
        "'demo-bank-export-results.xlsx'"
    )
    assert str(tmp_path) not in browser.get(run).text
    assert any(r.exc_info for r in caplog.records)  # the whole traceback is in the log
    assert sum(sandbox.state.ledger.applied.values()) == 6


def test_the_api_stops_a_sending_run_and_refuses_one_that_is_not(tmp_path: Path) -> None:
    clients = {"acme": target(tmp_path / "j.sqlite")}
    store = RunStore(tmp_path / "uploads", Clock(at=AT), start=never_started, targets=clients)
    here = Site(store, clients, Access(TOKEN))
    client = api_client(here)
    run = run_id(Browser(here).upload())
    refused = client.post(f"/api/runs/{run}/stop")
    assert refused.status_code == 409
    assert refused.json()["state"] == "planned"
    sending = store.get(run)
    assert sending is not None
    sending.state = "sending"  # as store.send leaves it (this client cannot send)
    assert client.post(f"/api/runs/{run}/stop").status_code == 202
    assert sending.progress.halt.is_set()
    assert client.post("/api/runs/nothing/stop").status_code == 404
    browser = Browser(here)
    assert browser.client.post(f"/api/runs/{run}/stop").status_code == 403  # no form token


def test_a_record_names_no_file_outside_its_folder_and_no_profile_of_its_own(
    tmp_path: Path,
) -> None:
    """A run.json is the server's own, but what it names is checked as if it were not: a
    workbook elsewhere ("../..", an absolute path) or a profile file is not taken from it."""
    before = site(tmp_path)
    run = run_id(Browser(before).upload())
    record = before.store.folder / run / RECORD
    outside = tmp_path / "secret.txt"
    outside.write_text("not the user's workbook")
    for named in (str(outside), "../../secret.txt", "../secret.txt"):
        data = json.loads(record.read_text())
        data.update(workbook=named, state="done", profile=str(tmp_path / "evil.toml"))
        record.write_text(json.dumps(data))
        loaded = restarted(before).store.get(run)
        assert loaded is not None
        assert loaded.workbook is None, named
        assert loaded.profile is None
        assert Browser(restarted(before)).get(f"/runs/{run}/workbook").status_code == 404


def test_a_client_name_moved_to_another_customer_does_not_take_its_runs_along(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    before = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    run = run_id(Browser(before).upload())
    moved = replace(before.targets["acme"], cid="2000022")  # "acme" is now another customer
    store = RunStore(before.store.folder, before.store.clock, targets={"acme": moved})
    loaded = store.get(run)
    assert loaded is not None
    assert loaded.target.api is None  # shown as recorded, never sent to the new customer
    assert loaded.target.cid != moved.cid
    assert not store.send(run)
    assert json.loads((store.folder / run / RECORD).read_text())["cid"] != "2000022"


def test_a_planned_run_from_before_a_restart_is_planned_again_before_it_is_sent(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """The page shows the new plan instead of sending the one nobody saw on this server; a
    script's send plans it again first."""
    before = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    browser = Browser(before)
    planned = browser.upload()
    browser.get(planned)  # the review, then the server restarts before Send is pressed
    after = restarted(before)
    browser = Browser(after)
    assert browser.post(f"{planned}/send").headers["location"] == planned
    assert after.store.get(run_id(planned)).state == "planned"  # type: ignore[union-attr]
    assert sandbox.state.ledger.applied == {}  # nothing sent: the new plan is shown first
    assert "Send 11 payments" in browser.get(planned).text
    again = restarted(before)
    answer = api_client(again).post(f"/api/runs/{run_id(planned)}/send")
    assert answer.status_code == 202
    assert answer.json()["plan"]["to be sent"]["rows"] == 11
    again.store.wait(run_id(planned))
    assert sum(sandbox.state.ledger.applied.values()) == 6
