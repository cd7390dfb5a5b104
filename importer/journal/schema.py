"""The journal's tables, opening a journal file, and bringing an older one up to date.

An unreadable or damaged journal stops the run before anything is sent: read as empty, it
would let every payment it remembers be sent again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from importer.errors import JournalError
from importer.journal.lock import BUSY_MS, LOCKS
from importer.journal.scope import canonical_endpoint

OPEN_RETRY_SECONDS = 0.05  # between tries while another run sets a new journal up
OPEN_WAIT_SECONDS = BUSY_MS / 1000  # how long a lock met while opening is waited out
CREATING_SECONDS = 1.0  # how long an empty journal may take to get its first page
VERSION = 2  # PRAGMA user_version: 2 added 'waiting', runs and locks, canonical endpoints

PAYMENTS = """
CREATE TABLE IF NOT EXISTS payments (
    endpoint      TEXT NOT NULL,
    cid           TEXT NOT NULL,
    row_key       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('waiting', 'sending', 'answered')),
    request       TEXT NOT NULL,
    source_file   TEXT NOT NULL,
    source_row    INTEGER NOT NULL,
    sent_at       TEXT NOT NULL,
    answered_at   TEXT,
    outcome       TEXT,
    http_status   INTEGER,
    statusid      INTEGER,
    response      TEXT,
    message       TEXT,
    fingerprint   TEXT,
    PRIMARY KEY (endpoint, cid, row_key)
)
"""
RUNS = """
CREATE TABLE IF NOT EXISTS runs (
    id            INTEGER PRIMARY KEY,
    endpoint      TEXT NOT NULL,
    cid           TEXT NOT NULL,
    input_sha256  TEXT NOT NULL,
    file          TEXT NOT NULL,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    sent          INTEGER
)
"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS by_fingerprint ON payments (endpoint, cid, fingerprint)",
    "CREATE INDEX IF NOT EXISTS runs_by_input ON runs (endpoint, cid, input_sha256)",
)
RESTORE = (
    "nothing was sent. Restore the journal from a backup (copy it with its -wal file, or "
    "while no run is going), or move it aside to start a new one; a new journal knows no "
    "payment sent before, so check what an export would send with --dry-run first"
)


def open_journal(
    path: Path, *, read_only: bool, sleep: Callable[[float], None] = time.sleep
) -> sqlite3.Connection:
    """A connection to a checked journal, created (writable) when there is none."""
    if _empty(path, sleep):
        raise JournalError(f"journal {path} is empty (0 bytes): it was truncated; {RESTORE}")
    try:
        if read_only:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_MS / 1000)
    except (sqlite3.Error, OSError) as exc:
        raise JournalError(f"journal {path}: cannot be opened ({_reason(exc)})") from None
    try:
        _prepare(db, path, read_only, sleep)
    except sqlite3.OperationalError as exc:
        db.close()
        if _busy(exc):
            raise JournalError(
                f"journal {path} is busy: another run kept it locked while this one opened it "
                f"({_reason(exc)}); run the command again"
            ) from None
        raise JournalError(f"journal {path} is damaged ({_reason(exc)}); {RESTORE}") from None
    except sqlite3.DatabaseError as exc:
        db.close()
        raise JournalError(f"journal {path} is damaged ({_reason(exc)}); {RESTORE}") from None
    except JournalError:
        db.close()
        raise
    return db


def _empty(path: Path, sleep: Callable[[float], None]) -> bool:
    """A journal file of 0 bytes: truncated, unless another run is creating it right now (the
    file exists empty for a moment before its first page is written), so it is given a moment
    to grow."""
    waited = 0.0
    while path.is_file() and path.stat().st_size == 0:
        if waited >= CREATING_SECONDS:
            return True
        sleep(OPEN_RETRY_SECONDS)
        waited += OPEN_RETRY_SECONDS
    return False


def _prepare(
    db: sqlite3.Connection, path: Path, read_only: bool, sleep: Callable[[float], None]
) -> None:
    """Check the journal and bring it to WAL and today's schema. Two runs opening a new
    journal at once meet here: switching to WAL or creating the tables needs the file to
    itself for a moment, and SQLite then answers "database is locked" at once, without its
    busy timeout. That is waited out, never called damage."""
    waited, started = 0.0, time.monotonic()
    while True:
        try:
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise JournalError(f"journal {path} is damaged ({check and check[0]}); {RESTORE}")
            if not read_only:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                _upgrade(db)
            return
        except sqlite3.OperationalError as exc:
            # Both the naps and the statements' own waits on the lock count.
            spent = max(waited, time.monotonic() - started)
            if not _busy(exc) or spent >= OPEN_WAIT_SECONDS:
                raise
            if db.in_transaction:
                db.execute("ROLLBACK")
            sleep(OPEN_RETRY_SECONDS)
            waited += OPEN_RETRY_SECONDS


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _upgrade(db: sqlite3.Connection) -> None:
    """Create the tables, or bring a journal written by an earlier version up to date."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        old = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'payments'"
        ).fetchone()
        if old is not None and "'waiting'" not in old[0]:
            # The state's CHECK cannot be altered in place: the table is copied.
            columns = {row[1] for row in db.execute("PRAGMA table_info(payments)")}
            if "fingerprint" not in columns:
                db.execute("ALTER TABLE payments ADD COLUMN fingerprint TEXT")
            db.execute("ALTER TABLE payments RENAME TO payments_v1")
            db.execute(PAYMENTS)
            db.execute(
                "INSERT INTO payments SELECT endpoint, cid, row_key, state, request, "
                "source_file, source_row, sent_at, answered_at, outcome, http_status, statusid, "
                "response, message, fingerprint FROM payments_v1"
            )
            db.execute("DROP TABLE payments_v1")
        db.execute(PAYMENTS)
        db.execute(RUNS)
        db.execute(LOCKS)
        for index in INDEXES:
            db.execute(index)
        for (endpoint,) in db.execute("SELECT DISTINCT endpoint FROM payments").fetchall():
            canonical = canonical_endpoint(endpoint)
            if canonical != endpoint:  # one scope, however the URL was spelled
                db.execute(
                    "UPDATE OR IGNORE payments SET endpoint = ? WHERE endpoint = ?",
                    (canonical, endpoint),
                )
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
