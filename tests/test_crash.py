"""Crash test: `ropo-import run` killed with SIGKILL at random moments, again and again, then
resumed to completion. Real processes, a real sandbox process, real HTTP on loopback."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from importer.journal import Journal, Unanswered, canonical_endpoint
from tests.conftest import CID, sandbox_process
from tests.test_faults import big_ledger, export

COMMAND = [sys.executable, "-m", "importer"]
ROWS = 600
KILLS = 30
IN_FLIGHT = 4  # --concurrency: no kill may leave more rows unknown than this

# Real processes killed and interrupted: the slowest tests; `-m 'not slow'` leaves them out.
pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    ledger = big_ledger(tmp_path / "ledger.csv")
    with sandbox_process("--ledger", str(ledger), "--latency", "0.02") as url:
        yield url


def applied(url: str) -> dict[Decimal, int]:
    """How often the sandbox applied each payment, by amount (every row's amount is unique)."""
    answer = httpx.get(url.replace("/rest", "/sandbox/applied")).json()
    return {Decimal(str(row["amount"])): row["times"] for row in answer["applied"]}


def test_sigkill_at_random_moments_loses_nothing_and_applies_nothing_twice(
    sandbox_url: str, tmp_path: Path
) -> None:
    source = export(tmp_path / "export.csv", ROWS)
    journal = tmp_path / "j.sqlite"
    env = {**os.environ, "ROPO_CID": CID, "ROPO_APICODE": "sandbox", "ROPO_RATE": "40"}
    run = [
        *COMMAND,
        "run",
        str(source),
        "--base-url",
        sandbox_url,
        "--journal",
        str(journal),
        "--output",
        str(tmp_path / "out.xlsx"),
        "--concurrency",
        str(IN_FLIGHT),
    ]
    chance = random.Random(20261123)
    kills = 0
    unknown_after_kill = [0]
    never_applied_after_kill = [0]
    while kills < KILLS:
        before = sum(applied(sandbox_url).values())
        process = subprocess.Popen(run, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Killed mid-posting (once it has been seen sending), at a random moment after.
        if not wait_until_applied(sandbox_url, before + 1, exited=process):
            break
        time.sleep(chance.uniform(0.0, 0.3))
        if process.poll() is not None:
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.stderr is not None
        process.stderr.close()
        kills += 1
        left = unanswered(journal, sandbox_url)
        unknown_after_kill.append(len(left))
        times = applied(sandbox_url)
        never_applied_after_kill.append(sum(1 for entry in left if amount(entry) not in times))
    assert kills >= KILLS, "the run finished before enough kills: add rows"

    done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "(balances)" in done.stdout, done.stderr
    times = applied(sandbox_url)
    assert max(times.values()) == 1, "a payment was applied twice"

    # Unknown rows: exactly the journal's unanswered intents, at most IN_FLIGHT per
    # kill; each one either reached the sandbox or did not, and is resolved by checking it.
    left = unanswered(journal, sandbox_url)
    assert len(left) == unknown_after_kill[-1]  # the uninterrupted run added none
    steps = [b - a for a, b in itertools.pairwise(unknown_after_kill)]
    assert all(0 <= step <= IN_FLIGHT for step in steps), steps  # at most those in flight
    # An unknown row the sandbox never applied was a request still on its way when the
    # process died, never one refused unprocessed and waiting for its retry: at most the
    # requests in flight per kill, and most kills leave none.
    never = [b - a for a, b in itertools.pairwise(never_applied_after_kill)]
    assert all(0 <= step <= IN_FLIGHT for step in never), never
    print(f"{kills} kills: {len(left)} unknown, {never_applied_after_kill[-1]} never applied")
    assert f"unknown {len(left)} (balances)" in done.stdout
    registered = [entry.id for entry in left if amount(entry) in times]
    missing = [entry.id for entry in left if amount(entry) not in times]
    resolve = [*COMMAND, "resolve", "--base-url", sandbox_url, "--journal", str(journal)]
    for entry_id in registered:
        resolve += ["--registered", str(entry_id)]
    for entry_id in missing:
        resolve += ["--not-registered", str(entry_id)]
    marked = subprocess.run(resolve, env=env, capture_output=True, text=True, check=False)
    assert marked.returncode == 0, marked.stdout + marked.stderr

    final = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert final.returncode == 0, final.stdout + final.stderr
    assert f"rows read {ROWS} = posted {len(missing)} + rejected 0 + invalid 0 + skipped " in (
        final.stdout
    )
    times = applied(sandbox_url)
    assert len(times) == ROWS  # every row's payment is in the sandbox's ledger...
    assert set(times.values()) == {1}  # ...exactly once
    assert posted_in_journal(journal, sandbox_url) == set(times)


def wait_until_applied(
    url: str, count: int, limit: float = 60.0, exited: subprocess.Popen[bytes] | None = None
) -> bool:
    """Poll the sandbox until it has applied `count` payments: an observable moment mid-run
    rather than a guess at how long the start takes on a loaded machine. False when the
    process `exited` ended first."""
    deadline = time.monotonic() + limit
    while sum(applied(url).values()) < count:
        if exited is not None and exited.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"the sandbox never applied {count} payments"
        time.sleep(0.02)
    return True


def unanswered(journal: Path, url: str) -> list[Unanswered]:
    book = Journal(journal, url, CID, read_only=True)
    try:
        return book.unanswered()
    finally:
        book.close()


def amount(entry: Unanswered) -> Decimal:
    return Decimal(str(entry.request["amount"]))


def posted_in_journal(journal: Path, url: str) -> set[Decimal]:
    db = sqlite3.connect(journal)
    try:
        rows = db.execute(
            "SELECT request FROM payments WHERE endpoint = ? AND cid = ? AND outcome = 'posted'",
            (canonical_endpoint(url), CID),
        ).fetchall()
    finally:
        db.close()
    return {Decimal(str(json.loads(request)["amount"])) for (request,) in rows}


@pytest.mark.parametrize(
    ("signum", "presses", "named"),
    [
        (signal.SIGINT, 1, "Ctrl-C"),
        (signal.SIGINT, 2, "Ctrl-C"),
        (signal.SIGTERM, 1, "SIGTERM"),
        (signal.SIGHUP, 1, "SIGHUP"),
    ],
)
def test_ctrl_c_sigterm_and_sighup_stop_sending_write_the_workbook_and_exit_130(
    sandbox_url: str, tmp_path: Path, signum: signal.Signals, presses: int, named: str
) -> None:
    source = export(tmp_path / "export.csv", 200)
    journal, workbook = tmp_path / "j.sqlite", tmp_path / "out.xlsx"
    env = {**os.environ, "ROPO_CID": CID, "ROPO_APICODE": "sandbox", "ROPO_RATE": "20"}
    run = [*COMMAND, "run", str(source), "--base-url", sandbox_url, "--journal", str(journal)]
    process = subprocess.Popen(
        [*run, "--output", str(workbook)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until_applied(sandbox_url, 20)  # mid-run: some payments are in, most are not
    for _ in range(presses):
        process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert err.count("\n") == 1
    assert f"interrupted by {named}" in err
    assert "(balances)" in out
    assert workbook.exists()
    assert 0 < len(applied(sandbox_url)) < 200

    done = subprocess.run(
        [*run, "--output", str(tmp_path / "2.xlsx")],
        env={**env, "ROPO_RATE": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "rows read 200 = " in done.stdout, done.stderr
    assert max(applied(sandbox_url).values()) == 1
