"""Never twice across processes, folders and spellings: the journal is the one gate.

Real `ropo-import` processes against a real sandbox process over loopback, as a user would run
them: two runs at once, overlapping exports, `resolve` during a run, the same export from two
folders, the host spelled two ways, a journal left damaged.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from importer.errors import JournalBusyError
from importer.journal import Journal, RunLock, canonical_endpoint
from importer.journal.lock import _HELD
from tests.conftest import CID, OP_HEADER, sandbox_process
from tests.test_crash import applied, wait_until_applied
from tests.test_faults import REFERENCES, big_ledger

COMMAND = [sys.executable, "-m", "importer"]


def export(path: Path, first: int, last: int) -> Path:
    """Rows first..last-1 of one bank's month: each its own amount and archive id, so two
    exports that share a range describe the same payments."""
    lines = [OP_HEADER]
    for n in range(first, last):
        amount = f"{10 + n // 100},{n % 100:02d}"
        lines.append(
            f'"2026-11-02";"2026-11-02";{amount};"106";"VIITESIIRTO";"Payer {n}";"";"";'
            f'"{REFERENCES[n % len(REFERENCES)]}";"";"20261102/OVERLAP/{n:06d}"'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def slow_sandbox(tmp_path: Path) -> Iterator[str]:
    """A sandbox process answering each payment after 20 ms, so runs overlap."""
    ledger = big_ledger(tmp_path / "ledger.csv")
    with sandbox_process("--ledger", str(ledger), "--latency", "0.02") as url:
        yield url


@pytest.fixture
def user(tmp_path: Path) -> dict[str, str]:
    """One user's environment: their data folder (where the journal lives) and credentials."""
    return {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "home-data"),
        "ROPO_CID": CID,
        "ROPO_APICODE": "sandbox",
        "ROPO_RATE": "100",
        "ROPO_TODAY": "2026-11-20",
    }


def start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [*COMMAND, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    return finish(start(["run", *args], env, cwd))


def applied_once(url: str, amounts: set[Decimal]) -> None:
    times = applied(url)
    assert set(times) == amounts, "a payment was never applied, or one not in the exports was"
    assert set(times.values()) == {1}, "a payment was applied twice"


def amounts(first: int, last: int) -> set[Decimal]:
    return {Decimal(f"{10 + n // 100}.{n % 100:02d}") for n in range(first, last)}


def test_two_runs_of_one_export_at_once_apply_each_payment_once(
    slow_sandbox: str, user: dict[str, str], tmp_path: Path
) -> None:
    source = export(tmp_path / "november.csv", 0, 300)
    args = [str(source), "--base-url", slow_sandbox]
    first = start(["run", *args, "--output", str(tmp_path / "1.xlsx")], user, tmp_path / "a")
    second = start(["run", *args, "--output", str(tmp_path / "2.xlsx")], user, tmp_path / "b")
    done = [finish(first), finish(second)]
    codes = sorted(code for code, _out, _err in done)
    refused = [err for code, _out, err in done if code == 1]
    # One run sends; the other either waited its turn and found everything registered, or
    # stopped with one line naming the run that holds the journal.
    assert codes in ([0, 0], [0, 1]), done
    for err in refused:
        assert err.count("\n") == 1, err
        assert "another run is sending for customer 1000011" in err
        assert f"PID {first.pid}" in err or f"PID {second.pid}" in err
        assert "november.csv" in err
    third = run([*args, "--output", str(tmp_path / "3.xlsx")], user, tmp_path / "c")
    assert third[0] == 0, third
    assert "rows read 300 = posted 0 + rejected 0 + invalid 0 + skipped 300" in third[1]
    applied_once(slow_sandbox, amounts(0, 300))


def test_overlapping_exports_at_once_apply_the_shared_payments_once(
    slow_sandbox: str, user: dict[str, str], tmp_path: Path
) -> None:
    october = export(tmp_path / "oct-nov.csv", 0, 200)
    november = export(tmp_path / "november.csv", 100, 300)
    base = ["--base-url", slow_sandbox]
    one = start(["run", str(october), *base, "--output", str(tmp_path / "1.xlsx")], user, tmp_path)
    two = start(["run", str(november), *base, "--output", str(tmp_path / "2.xlsx")], user, tmp_path)
    finish(one), finish(two)
    # Whatever either run was refused, running both again completes the month.
    for source in (october, november):
        code, out, err = run(
            [str(source), *base, "--output", str(tmp_path / "x.xlsx")], user, tmp_path
        )
        assert code == 0, out + err
    applied_once(slow_sandbox, amounts(0, 300))


def test_resolve_during_a_run_is_refused_naming_the_run(
    slow_sandbox: str, user: dict[str, str], tmp_path: Path
) -> None:
    source = export(tmp_path / "november.csv", 0, 300)
    args = ["run", str(source), "--base-url", slow_sandbox, "--output", str(tmp_path / "1.xlsx")]
    running = start(args, {**user, "ROPO_RATE": "20"}, tmp_path)
    try:
        assert wait_until_applied(slow_sandbox, 1, exited=running)  # it is sending
        resolve = start(["resolve", "--base-url", slow_sandbox], user, tmp_path)
        code, out, err = finish(resolve)
    finally:
        running.terminate()
        finish(running)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert (
        f"another run is sending for customer 1000011 at {canonical_endpoint(slow_sandbox)}" in err
    )
    assert f"PID {running.pid}" in err


def test_one_user_from_two_folders_and_two_spellings_of_the_host_sends_each_payment_once(
    slow_sandbox: str, user: dict[str, str], tmp_path: Path
) -> None:
    source = export(tmp_path / "november.csv", 0, 40)
    port = slow_sandbox.split(":")[2].split("/")[0]
    first = run([str(source), "--base-url", slow_sandbox], user, tmp_path / "office")
    assert first[0] == 0, first
    assert "Journal: " in first[1]
    assert "it is new" in first[1]
    spelled = f"http://localhost:{port}/rest/"
    second = run([str(source), "--base-url", spelled], user, tmp_path / "home")
    assert second[0] == 0, second
    assert "rows read 40 = posted 0 + rejected 0 + invalid 0 + skipped 40" in second[1]
    assert "this file was imported for customer 1000011 at http://localhost:" in second[1]
    assert "it is new" not in second[1]
    applied_once(slow_sandbox, amounts(0, 40))
    # The journal is in the user's data folder, not in either working folder.
    assert (tmp_path / "home-data" / "ropo-import" / "journal.sqlite").is_file()
    assert not list((tmp_path / "office").rglob("*.sqlite"))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "cut in half"])
def test_a_damaged_journal_stops_the_run_before_anything_is_sent(
    slow_sandbox: str, user: dict[str, str], tmp_path: Path, damage: str
) -> None:
    source = export(tmp_path / "november.csv", 0, 20)
    journal = tmp_path / "j.sqlite"
    base = [str(source), "--base-url", slow_sandbox, "--journal", str(journal)]
    assert run(base, user, tmp_path)[0] == 0
    data = journal.read_bytes()
    journal.write_bytes(
        {"truncated": b"", "garbage": b"\x00garbage" * 600, "cut in half": data[: len(data) // 2]}[
            damage
        ]
    )
    requests = httpx.get(slow_sandbox.replace("/rest", "/sandbox/applied")).json()["requests"]
    code, out, err = run([*base, "--output", str(tmp_path / "2.xlsx")], user, tmp_path)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert f"journal {journal}" in err
    assert "nothing was sent" in err
    assert "backup" in err
    after = httpx.get(slow_sandbox.replace("/rest", "/sandbox/applied")).json()["requests"]
    assert after == requests


def test_after_a_run_the_journal_file_alone_holds_everything(
    slow_sandbox: str, user: dict[str, str], tmp_path: Path
) -> None:
    """Copied without its -wal file (as a backup tool or a careless copy would), the journal
    still knows every payment: the WAL was checkpointed into the main file."""
    source = export(tmp_path / "november.csv", 0, 30)
    journal = tmp_path / "j.sqlite"
    assert (
        run([str(source), "--base-url", slow_sandbox, "--journal", str(journal)], user, tmp_path)[0]
        == 0
    )
    copy = tmp_path / "copy" / "j.sqlite"
    copy.parent.mkdir()
    copy.write_bytes(journal.read_bytes())
    code, out, _err = run(
        [str(source), "--base-url", slow_sandbox, "--journal", str(copy)], user, tmp_path
    )
    assert code == 0
    assert "posted 0 + rejected 0 + invalid 0 + skipped 30" in out
    applied_once(slow_sandbox, amounts(0, 30))


def test_a_lock_left_by_a_process_that_died_is_taken_over(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    Journal(journal, "http://127.0.0.1:1/rest", CID).close()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    db = sqlite3.connect(journal)
    with db:
        db.execute(
            "INSERT INTO locks VALUES (?, ?, 'gone', ?, ?, ?, 'old.csv', ?)",
            (
                canonical_endpoint("http://127.0.0.1:1/rest"),
                CID,
                os.uname().nodename,
                int(dead.stdout),
                time.time(),
                time.time(),
            ),
        )
    db.close()
    with RunLock(journal, canonical_endpoint("http://localhost:1/rest/"), CID, "new.csv"):
        assert len(_HELD) == 1


def test_a_second_lock_in_the_same_scope_waits_then_names_the_holder(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    endpoint = canonical_endpoint("http://127.0.0.1:1/rest")
    waited: list[float] = []
    with RunLock(journal, endpoint, CID, "first.csv"):
        clock = iter(range(100))
        second = RunLock(
            journal,
            endpoint,
            CID,
            "second.csv",
            wait=3,
            sleep=waited.append,
            clock=lambda: float(next(clock)),
        )
        with pytest.raises(JournalBusyError, match=r"another run is sending .* first\.csv"):
            second.acquire()
        assert len(waited) == 2  # polled until its 3 seconds (of the fake clock) ran out
        # Another customer, or another environment, is another scope: no wait.
        with RunLock(journal, endpoint, "2000022", "other.csv"):
            pass
    with RunLock(journal, endpoint, CID, "third.csv"):  # released: free again
        pass
