"""Issue 14's fault list, end to end: the importer against the sandbox's fault modes over real
HTTP. For each: no payment applied twice, each row ends as the answer proves, a second run sends
nothing it should not, and the session's token shows up in no output, journal or workbook."""

from __future__ import annotations

import asyncio
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from importer.cli.exits import exit_code
from importer.journal import Journal
from importer.models import Outcome
from importer.pipeline import Outside, run_import
from importer.report import Report
from importer.sandbox import Ledger, SandboxServer, SandboxState
from importer.sandbox.faults import Faults
from importer.settings import ApiSettings, Credentials
from importer.workbook import write_workbook
from tests.conftest import CID, RULES
from tests.test_end_to_end import invoke
from tests.test_faults import big_ledger, export

ROWS = 20
APICODE = "canary-apicode-never-shown"


async def instant(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SandboxServer]:
    state = SandboxState(Ledger.load(big_ledger(tmp_path / "ledger.csv")), apicode=APICODE)
    with SandboxServer(state) as running:
        yield running


def api(server: SandboxServer) -> ApiSettings:
    return ApiSettings(
        base_url=server.base_url,
        credentials=Credentials(CID, APICODE),
        rate=1000,
        concurrency=1,  # one at a time: the seeded faults land on the same rows every run
        request_deadline=0.5,
    )


def run(server: SandboxServer, tmp_path: Path) -> Report:
    return run_import(
        tmp_path / "export.csv",
        journal_path=tmp_path / "j.sqlite",
        api=api(server),
        rules=RULES,
        outside=Outside(sleep=instant),
    )


def applied(server: SandboxServer) -> Counter[str]:
    return Counter(
        {amount: times for (_j, _d, amount), times in server.state.ledger.applied.items()}
    )


def secrets_nowhere(server: SandboxServer, report: Report, tmp_path: Path) -> None:
    """Neither a token of the session nor the apicode in the journal, the workbook or any
    message of the report."""
    secrets = [APICODE, *server.state.tokens]
    journal = b"".join(p.read_bytes() for p in tmp_path.glob("j.sqlite*"))
    book = write_workbook(report, tmp_path / "out.xlsx")
    with zipfile.ZipFile(book) as archive:
        sheets = b"".join(archive.read(name) for name in archive.namelist())
    texts = " ".join(f"{r.message} {r.response}" for r in report.results) + str(report.stopped)
    for secret in secrets:
        assert secret.encode() not in journal
        assert secret.encode() not in sheets
        assert secret not in texts


# mode -> (the code of the rows it hits, their outcome, whether the sandbox applied them)
HIT = {
    "gateway-504": (Outcome.UNKNOWN, "no-answer", True),
    "gateway-502": (Outcome.UNKNOWN, "no-answer", True),
    "proxy-503": (Outcome.UNKNOWN, "no-answer", True),
    "html-200": (Outcome.UNKNOWN, "answer-unread", True),
    "cut": (Outcome.UNKNOWN, "answer-unread", True),
    "huge-body": (Outcome.UNKNOWN, "answer-unread", True),
    "trickle": (Outcome.UNKNOWN, "answer-unread", True),
    "stall": (Outcome.UNKNOWN, "no-answer", True),
    "status-10-201": (Outcome.UNKNOWN, "contradictory-answer", False),
    "echo-headers": (Outcome.REJECTED, "api-error", False),
}


@pytest.mark.parametrize("mode", sorted(HIT))
def test_each_fault_ends_its_rows_as_the_answer_proves_and_nothing_twice(
    mode: str, server: SandboxServer, tmp_path: Path
) -> None:
    export(tmp_path / "export.csv", ROWS)
    server.state.faults = Faults(seed=3, modes={mode: 0.25}, trickle_seconds=0.05)
    report = run(server, tmp_path)
    outcome, code, applies = HIT[mode]
    hit = [r for r in report.results if r.code == code]
    fired = server.state.faults.fired[mode]
    assert 0 < fired < ROWS  # the fault happened, and not to every row
    assert len(hit) == fired
    assert {r.outcome for r in hit} == {outcome}
    assert {r.outcome for r in report.results if r not in hit} == {Outcome.POSTED}
    assert report.balanced
    assert report.stopped is None
    times = applied(server)
    assert set(times.values()) == {1}  # nothing twice
    assert len(times) == ROWS - (0 if applies else fired)
    secrets_nowhere(server, report, tmp_path)

    # The same export again, on a good day: the rows it hit are not sent again.
    server.state.faults = Faults()
    again = run(server, tmp_path)
    assert applied(server) == times
    if outcome is Outcome.UNKNOWN:
        journal = Journal(tmp_path / "j.sqlite", server.base_url, CID, read_only=True)
        assert len(journal.unanswered()) == fired  # resolve lists every one of them
        journal.close()
        assert again.count(Outcome.UNKNOWN) == fired
    assert again.count(Outcome.POSTED) == 0


@pytest.mark.parametrize(
    ("mode", "said"),
    [("unauthorized", "HTTP 401 right after a new login"), ("redirect", "a redirect to")],
)
def test_an_answer_that_shows_a_configuration_problem_stops_the_run_and_sends_nothing(
    mode: str, said: str, server: SandboxServer, tmp_path: Path
) -> None:
    export(tmp_path / "export.csv", ROWS)
    server.state.faults = Faults(modes={mode: 1.0})
    report = run(server, tmp_path)
    assert report.stopped is not None
    assert said in report.stopped
    assert exit_code(report) == 1
    assert [(r.outcome, r.code) for r in report.results] == [(Outcome.SKIPPED, "not-sent")] * ROWS
    assert not applied(server)
    secrets_nowhere(server, report, tmp_path)
    server.state.faults = Faults()
    again = run(server, tmp_path)  # fixed: the next run sends every row
    assert again.count(Outcome.POSTED) == ROWS
    assert set(applied(server).values()) == {1}


def test_throttled_without_end_still_finishes(server: SandboxServer, tmp_path: Path) -> None:
    """429 with Retry-After: inf is waited out at the cap, not forever, and retried."""
    export(tmp_path / "export.csv", ROWS)
    server.state.faults = Faults(seed=1, modes={"retry-after-inf": 0.3})
    report = run(server, tmp_path)
    assert server.state.faults.fired["retry-after-inf"] > 0
    assert report.count(Outcome.POSTED) == ROWS
    assert set(applied(server).values()) == {1}


def test_a_hung_server_stops_the_run_instead_of_making_every_row_unknown(
    server: SandboxServer, tmp_path: Path
) -> None:
    export(tmp_path / "export.csv", ROWS)
    server.state.faults = Faults(modes={"stall": 1.0})
    report = run(server, tmp_path)
    assert report.count(Outcome.UNKNOWN) == 5
    assert report.count(Outcome.SKIPPED) == ROWS - 5
    assert report.stopped is not None
    assert "stopped answering" in report.stopped


def test_an_echoed_token_never_reaches_the_terminal(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export(tmp_path / "export.csv", 5)
    server.state.faults = Faults(modes={"echo-headers": 1.0})
    monkeypatch.setenv("ROPO_CID", CID)
    monkeypatch.setenv("ROPO_APICODE", APICODE)
    code, out, err = invoke(
        "run",
        str(tmp_path / "export.csv"),
        "--base-url",
        server.base_url,
        "--journal",
        str(tmp_path / "j.sqlite"),
        "--output",
        str(tmp_path / "o.xlsx"),
        "--verbose",
    )
    assert code == 2
    assert "headers were" in out  # the echo is shown...
    for secret in [APICODE, *server.state.tokens]:  # ...without what it echoed
        assert secret not in out + err
