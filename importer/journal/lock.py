"""One run at a time per journal scope (a Ropo One environment and a customer id).

The lock is a row in the journal itself, so every run, `resolve` and the web page pass the same
gate, whichever folder or process they run from. A holder refreshes its row's heartbeat from a
thread of its own; a row left behind by a run that died is taken over: on this computer when its
process is gone, from another computer when its heartbeat stopped. The same thread checkpoints
the WAL now and then, so the main file alone holds (nearly) everything even mid-run.

The lock guards the plan: a run judges its rows against the journal and sends them while no
other run of the scope can. The journal's insert-only intents (claim) still refuse a key that
is already held, so even a lock that failed could not send one payment twice.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from importer.errors import JournalBusyError, JournalError

LOCKS = """
CREATE TABLE IF NOT EXISTS locks (
    endpoint   TEXT NOT NULL,
    cid        TEXT NOT NULL,
    token      TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    since      REAL NOT NULL,
    file       TEXT NOT NULL,
    heartbeat  REAL NOT NULL,
    PRIMARY KEY (endpoint, cid)
)
"""
HEARTBEAT_SECONDS = 5.0
CHECKPOINT_SECONDS = 30.0
STALE_SECONDS = 60.0  # a lock from another computer not refreshed this long was left behind
REUSED_SECONDS = 600.0  # a live process whose lock went unrefreshed this long is not its taker
POLL_SECONDS = 0.2
BUSY_MS = 10_000  # how long one statement waits for another writer's transaction

# Locks held by this process: a second run inside one process (the web page) is a live holder
# although its PID is ours.
_HELD: set[str] = set()


@dataclass(frozen=True)
class Holder:
    """Who holds a scope's lock."""

    host: str
    pid: int
    since: float
    file: str

    def describe(self) -> str:
        started = datetime.fromtimestamp(self.since).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        return f"PID {self.pid} on {self.host}, since {started}, importing {self.file}"


class RunLock:
    """`with RunLock(...)`: hold the scope's lock; JournalBusyError when another run holds it
    past `wait` seconds."""

    def __init__(
        self,
        path: Path,
        endpoint: str,
        cid: str,
        file: str,
        *,
        wait: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path, self._endpoint, self._cid, self._file = path, endpoint, cid, file
        self._wait, self._sleep, self._clock = wait, sleep, clock
        self._token = secrets.token_hex(16)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        deadline = self._clock() + self._wait
        while True:
            holder = self._try_take()
            if holder is None:
                break
            if self._clock() >= deadline:
                raise JournalBusyError(
                    f"journal {self.path}: another run is sending for customer {self._cid} at "
                    f"{self._endpoint}: {holder.describe()}. Wait for it to finish (or give "
                    "--wait SECONDS), then run again: it sends only what that run did not"
                )
            self._sleep(POLL_SECONDS)
        _HELD.add(self._token)
        self._thread = threading.Thread(target=self._beat, name="journal-heartbeat", daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._token in _HELD:
            _HELD.discard(self._token)
            try:
                with _connect(self.path) as db:
                    db.execute(
                        "DELETE FROM locks WHERE endpoint = ? AND cid = ? AND token = ?",
                        (self._endpoint, self._cid, self._token),
                    )
            except sqlite3.Error:
                pass  # a lock left behind is taken over once its process is gone

    def _try_take(self) -> Holder | None:
        """Take the lock if it is free or left behind; else who holds it."""
        try:
            db = _connect(self.path)
            try:
                db.execute("BEGIN IMMEDIATE")
                found = db.execute(
                    "SELECT token, host, pid, since, file, heartbeat FROM locks "
                    "WHERE endpoint = ? AND cid = ?",
                    (self._endpoint, self._cid),
                ).fetchone()
                if found is not None and _live(*found):
                    db.execute("ROLLBACK")
                    return Holder(found[1], found[2], found[3], found[4])
                now = time.time()
                db.execute(
                    "INSERT OR REPLACE INTO locks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        self._endpoint,
                        self._cid,
                        self._token,
                        socket.gethostname(),
                        os.getpid(),
                        now,
                        self._file,
                        now,
                    ),
                )
                db.execute("COMMIT")
                return None
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise JournalError(
                f"journal {self.path}: the run lock cannot be taken ({exc})"
            ) from None

    def _beat(self) -> None:
        """Refresh the heartbeat; checkpoint the WAL now and then."""
        last_checkpoint = time.monotonic()
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with _connect(self.path) as db:
                    db.execute(
                        "UPDATE locks SET heartbeat = ? WHERE endpoint = ? AND cid = ? "
                        "AND token = ?",
                        (time.time(), self._endpoint, self._cid, self._token),
                    )
                    if time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS:
                        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                        last_checkpoint = time.monotonic()
            except sqlite3.Error:
                continue  # a busy journal: the next beat tries again


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_MS / 1000)
    db.execute(LOCKS)
    return db


def _live(token: str, host: str, pid: int, since: float, file: str, heartbeat: float) -> bool:
    """Whether the run that holds this lock may still be sending."""
    if token in _HELD:
        return True
    quiet = time.time() - heartbeat
    if host != socket.gethostname():
        return quiet < STALE_SECONDS
    alive = _process_alive(pid)
    if alive is None:  # cannot tell on this platform: the heartbeat decides
        return quiet < STALE_SECONDS
    return alive and quiet < REUSED_SECONDS


def _process_alive(pid: int) -> bool | None:
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process there
        return None
    if pid == os.getpid():
        return False  # this process holds no such lock (it would be in _HELD): left behind
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True
