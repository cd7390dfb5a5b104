"""The web page against the real sandbox over loopback: a file uploaded through the API or the
form ends exactly as `ropo-import run` of the same file (same outcomes, same Results sheet),
and each payment is applied once however many sends and command-line runs race for it."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from importer.journal import Journal
from importer.sandbox import Ledger, SandboxServer, SandboxState
from tests.conftest import APICODE, CID, DEMO_EXPORT, LEDGER, ROOT, Sandbox
from tests.sheets import as_records
from tests.test_end_to_end import DEMO_ENDS, invoke
from tests.webpage import Browser, api_client, site, target

# The demo export's plan on a new journal, as `run --dry-run` prints it: 11 to send, 2
# invalid (a reference that fails its check, an amount "3O,00"), 2 outgoing.
PLAN = {
    "to be sent": {"rows": 11, "sum": "2110.30"},
    "invalid": {"rows": 2, "sum": "39.00"},
    "duplicate": {"rows": 0, "sum": "0.00"},
    "already registered": {"rows": 0, "sum": "0.00"},
    "unknown from an earlier run": {"rows": 0, "sum": "0.00"},
    "not a payment to send": {"rows": 2, "sum": "-57.90"},
}


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[SandboxServer]:
    """A second sandbox with the same ledger: the command line's run of the same file."""
    with SandboxServer(SandboxState(Ledger.load(LEDGER), apicode=APICODE)) as server:
        yield server


def results_sheet(book: bytes | Path) -> list[dict[str, object]]:
    source = io.BytesIO(book) if isinstance(book, bytes) else book
    workbook = load_workbook(source, read_only=True)
    rows = list(workbook["Results"].iter_rows(values_only=True))
    workbook.close()
    return as_records(rows, "Results")


def cli_run(twin: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROPO_CID", CID)
    monkeypatch.setenv("ROPO_APICODE", APICODE)
    monkeypatch.setenv("ROPO_BASE_URL", twin.base_url)
    book = tmp_path / "cli.xlsx"
    code, _out, err = invoke(
        "run", str(DEMO_EXPORT), "--output", str(book), "--journal", str(tmp_path / "cli.sqlite")
    )
    assert code == 2, err
    return book


def test_the_api_plans_sends_and_ends_as_the_command_line(
    sandbox: Sandbox,
    twin: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    client = api_client(here)
    with DEMO_EXPORT.open("rb") as file:
        answer = client.post("/api/runs", files={"file": (DEMO_EXPORT.name, file, "text/csv")})
    assert answer.status_code == 201, answer.text
    planned = answer.json()
    assert (planned["state"], planned["plan"], planned["balanced"]) == ("planned", PLAN, True)
    assert sandbox.state.ledger.applied == {}  # planning sent nothing

    run = planned["id"]
    assert client.post(f"/api/runs/{run}/send").status_code == 202
    here.store.wait(run)
    assert client.post(f"/api/runs/{run}/send").status_code == 409  # sent already
    done = client.get(f"/api/runs/{run}").json()
    assert done["state"] == "done"
    assert {k: v["rows"] for k, v in done["outcomes"].items()} == {
        "posted": 6,
        "rejected": 5,
        "invalid": 2,
        "skipped": 2,
        "unknown": 0,
    }
    book = client.get(f"/api/runs/{run}/workbook")
    assert book.status_code == 200
    web_rows = results_sheet(book.content)
    assert [(r["source_row"], r["outcome"], r["code"]) for r in web_rows] == DEMO_ENDS
    assert web_rows == results_sheet(cli_run(twin, tmp_path, monkeypatch))
    assert sandbox.state.ledger.applied == twin.state.ledger.applied


def test_the_form_reviews_sends_once_and_offers_the_same_workbook(
    sandbox: Sandbox,
    twin: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    browser = Browser(here)
    run = browser.upload()
    review = browser.get(run).text
    assert "Send 11 payments, €2,110.30, to a sandbox on this machine" in review
    first = browser.post(f"{run}/send")
    assert (first.status_code, first.headers["location"]) == (303, run)
    again = browser.post(f"{run}/send")  # a reload or a double click
    assert again.headers["location"] == f"{run}?already=1"
    here.store.wait(run.rsplit("/", 1)[-1])
    page = browser.get(again.headers["location"]).text
    assert "This run was sent already: nothing was sent again." in page
    assert "rows read 15 = posted 6 + rejected 5 + invalid 2 + skipped 2 + unknown 0" in page
    book = browser.get(f"{run}/workbook")
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert results_sheet(book.content) == results_sheet(cli_run(twin, tmp_path, monkeypatch))
    assert max(sandbox.state.ledger.applied.values()) == 1


def test_two_sends_and_a_command_line_run_at_once_apply_each_payment_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = tmp_path / "shared.sqlite"  # the page's and the command line's
    here = site(tmp_path, target(journal, sandbox.api()))
    client = api_client(here)
    with DEMO_EXPORT.open("rb") as file:
        run = client.post("/api/runs", files={"file": ("demo.csv", file)}).json()["id"]
    env = {
        **os.environ,
        "ROPO_CID": CID,
        "ROPO_APICODE": APICODE,
        "ROPO_BASE_URL": sandbox.url,
    }
    command = [sys.executable, "-m", "importer", "run", str(DEMO_EXPORT), "--quiet"]
    command += ["--journal", str(journal), "--output", str(tmp_path / "cli.xlsx")]
    start = threading.Barrier(3)
    codes: list[int] = []

    def send() -> None:
        start.wait()
        codes.append(client.post(f"/api/runs/{run}/send").status_code)

    senders = [threading.Thread(target=send) for _ in range(2)]
    for thread in senders:
        thread.start()
    start.wait()
    cli = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    for thread in senders:
        thread.join()
    here.store.wait(run)
    assert sorted(codes) == [202, 409]  # one send started; the other was told it was sent
    # The runs overlap or follow each other as the machine schedules them: whichever holds the
    # journal's lock sends, the other is refused (the command line exits 1 naming the page's
    # run; the page's run is planned again, saying why) or finds every row known already.
    state = client.get(f"/api/runs/{run}").json()
    posted = re.search(r"posted (\d+)", cli.stdout)
    by_cli = int(posted.group(1)) if posted else 0
    assert cli.returncode in (1, 2), cli.stderr
    assert cli.returncode == 2 or "holds" in cli.stderr or "another run" in cli.stderr, cli.stderr
    if state["state"] == "planned":  # sent again once the command line let go: nothing new
        assert "another run" in state["message"] or "holds" in state["message"]
        assert client.post(f"/api/runs/{run}/send").status_code == 202
        here.store.wait(run)
        state = client.get(f"/api/runs/{run}").json()
    by_page = state["outcomes"]["posted"]["rows"]
    assert sorted([by_cli, by_page]) == [0, 6]
    applied = sandbox.state.ledger.applied
    assert (len(applied), max(applied.values())) == (6, 1)


def test_a_send_while_another_run_holds_the_journal_sends_nothing_until_it_lets_go(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = tmp_path / "shared.sqlite"
    here = site(tmp_path, target(journal, sandbox.api()))
    browser = Browser(here)
    run = browser.upload()
    other = Journal(journal, sandbox.url, CID)
    lock = other.lock("a command-line run")
    lock.acquire()
    try:
        browser.post(f"{run}/send")
        here.store.wait(run.rsplit("/", 1)[-1])
        page = browser.get(run).text
        assert "another run is sending for customer" in page
        assert sandbox.state.ledger.applied == {}
        assert "Send 11 payments" in page  # planned again: it may be sent once the other ends
    finally:
        lock.release()
        other.close()
    browser.post(f"{run}/send")
    here.store.wait(run.rsplit("/", 1)[-1])
    assert "rows read 15 = posted 6 +" in browser.get(run).text
