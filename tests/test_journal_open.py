"""Opening a journal while another run opens or holds it: busy is waited out or said as busy,
never reported as damage (a run that hears "damaged" is told to restore a good journal)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from importer.errors import JournalError
from importer.journal.schema import open_journal


def test_runs_opening_one_new_journal_at_once_all_get_it(tmp_path: Path) -> None:
    """What two runs of one export at once do on a first day (seen failing under load)."""
    for attempt in range(10):
        path = tmp_path / f"journal-{attempt}.sqlite"
        failures: list[BaseException] = []
        start = threading.Barrier(6)

        def open_it(
            path: Path = path,
            start: threading.Barrier = start,
            failures: list[BaseException] = failures,
        ) -> None:
            start.wait()
            try:
                open_journal(path, read_only=False).close()
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []


def test_a_journal_kept_locked_is_called_busy_not_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.sqlite"
    open_journal(path, read_only=False).close()
    monkeypatch.setattr("importer.journal.schema.VERSION", 99)  # an upgrade needs the writer
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run's write, that does not end
    naps: list[float] = []
    try:
        monkeypatch.setattr("importer.journal.schema.BUSY_MS", 0)  # no waiting on the lock
        with pytest.raises(JournalError, match="is busy") as raised:
            open_journal(path, read_only=False, sleep=naps.append)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "damaged" not in str(raised.value)


def test_a_lock_let_go_while_opening_is_waited_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.sqlite"
    open_journal(path, read_only=False).close()
    monkeypatch.setattr("importer.journal.schema.VERSION", 99)
    monkeypatch.setattr("importer.journal.schema.BUSY_MS", 0)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    def nap(seconds: float) -> None:  # the other run finishes while this one waits
        if holder.in_transaction:
            holder.execute("ROLLBACK")

    open_journal(path, read_only=False, sleep=nap).close()
    holder.close()


def test_an_empty_journal_that_stays_empty_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"")
    naps: list[float] = []
    with pytest.raises(JournalError, match=r"is empty \(0 bytes\): it was truncated"):
        open_journal(path, read_only=False, sleep=naps.append)
    assert 0 < sum(naps) <= 1.01  # given its moment to grow first, on the injected clock


def test_an_empty_journal_that_another_run_is_creating_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"")

    def creating(seconds: float) -> None:  # meanwhile the other run writes its first page
        open_journal(tmp_path / "other.sqlite", read_only=False).close()
        path.write_bytes((tmp_path / "other.sqlite").read_bytes())

    open_journal(path, read_only=False, sleep=creating).close()
