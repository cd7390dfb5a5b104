"""The SQLite journal: a payment's intent is committed before it is sent, its answer after.

So a payment is never sent twice by the tool: a row already answered in an earlier run is not
sent again, and a row whose intent was committed but whose answer never came is `unknown`
until someone checks Ropo One (reliability.md sections 1.2 and 3). WAL with synchronous=FULL:
a committed intent survives a crash or a power cut.

Rows are keyed by (endpoint, customer id, key): the bank's archive id where the export has one,
else a fingerprint of the payment's canonical fields (duplicates.py). Every row also stores its
fingerprint, so an export without archive ids can be matched against one with them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from importer import json_decimal
from importer.errors import JournalError
from importer.models import Payment

SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    endpoint      TEXT NOT NULL,
    cid           TEXT NOT NULL,
    row_key       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('sending', 'answered')),
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
INDEX = "CREATE INDEX IF NOT EXISTS by_fingerprint ON payments (endpoint, cid, fingerprint)"
_SELECT = (
    "SELECT row_key, state, sent_at, answered_at, outcome, response, message, source_file, "
    "source_row, request FROM payments WHERE endpoint = ? AND cid = ? AND "
)
_MAY_BE_APPLIED = " AND (state = 'sending' OR outcome = 'posted') ORDER BY sent_at"
BY_KEY = _SELECT + "row_key = ?"
BY_FINGERPRINT = {
    True: _SELECT + "fingerprint = ? AND row_key LIKE 'archive:%'" + _MAY_BE_APPLIED,
    False: _SELECT + "fingerprint = ? AND row_key NOT LIKE 'archive:%'" + _MAY_BE_APPLIED,
}


class _Sent:
    """When and from where a journalled payment was sent."""

    sent_at: str
    source_file: str
    source_row: int

    @property
    def when(self) -> str:
        """When it was sent, or answered once it was, in local time: '2026-11-23 10:15'."""
        return datetime.fromisoformat(self.sent_at).astimezone().strftime("%Y-%m-%d %H:%M")

    @property
    def where(self) -> str:
        return f"{Path(self.source_file).name} line {self.source_row}"


@dataclass(frozen=True)
class Entry(_Sent):
    """What the journal knows about one payment."""

    key: str
    state: str  # 'sending': intent committed, no answer recorded; 'answered'
    sent_at: str
    outcome: str | None
    response: dict[str, Any]
    message: str | None
    source_file: str = ""
    source_row: int = 0
    request: str = ""  # the body as sent, canonical JSON


@dataclass(frozen=True)
class Unanswered(_Sent):
    """A payment sent without a recorded answer: someone must check Ropo One."""

    id: int
    source_file: str
    source_row: int
    sent_at: str
    request: dict[str, Any]


class Journal:
    """One SQLite file; entries scoped to one endpoint and customer id."""

    def __init__(self, path: Path, endpoint: str, cid: str, *, read_only: bool = False) -> None:
        self.path, self._endpoint, self._cid = path, endpoint, cid
        self._read_only = read_only
        self._db: sqlite3.Connection | None = None
        if read_only and not path.exists():
            return
        try:
            if read_only:
                self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.execute(SCHEMA)
                _add_fingerprint_column(self._db)
                self._db.execute(INDEX)
        except sqlite3.Error as exc:
            raise JournalError(f"journal {path}: cannot be opened ({exc})") from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def lookup(self, key: str) -> Entry | None:
        """The journal's record of this payment, or None when it was never sent."""
        return self._first(BY_KEY, key)

    def knows_any(self) -> bool:
        """Whether any payment of this endpoint and customer id was ever sent."""
        if self._db is None:
            return False
        query = "SELECT 1 FROM payments WHERE endpoint = ? AND cid = ? LIMIT 1"
        try:
            return self._db.execute(query, (self._endpoint, self._cid)).fetchone() is not None
        except sqlite3.OperationalError:  # a read-only look at an older or empty journal
            return False

    def lookup_fingerprint(self, fingerprint: str, *, archived: bool) -> Entry | None:
        """A payment with this fingerprint that may have been applied (answered as posted, or
        sent without an answer); `archived` picks entries keyed by an archive id or not."""
        return self._first(BY_FINGERPRINT[archived], fingerprint)

    def _first(self, query: str, value: str) -> Entry | None:
        if self._db is None:
            return None
        try:
            found = self._db.execute(query, (self._endpoint, self._cid, value)).fetchone()
        except sqlite3.OperationalError:  # a read-only look at an older or empty journal
            return None
        if found is None:
            return None
        key, state, sent_at, answered_at, outcome, response, message, file, line, request = found
        return Entry(
            key=key,
            state=state,
            sent_at=answered_at or sent_at,
            outcome=outcome,
            response=json_decimal.loads(response) if response else {},
            message=message,
            source_file=file,
            source_row=line,
            request=request,
        )

    def record_intent(
        self, key: str, fingerprint: str, payment: Payment, source_file: str, source_row: int
    ) -> None:
        """Commit, durably, that this payment is about to be sent."""
        self._write(
            "INSERT INTO payments (endpoint, cid, row_key, fingerprint, state, request, "
            "source_file, source_row, sent_at) VALUES (?, ?, ?, ?, 'sending', ?, ?, ?, ?) "
            "ON CONFLICT (endpoint, cid, row_key) DO UPDATE SET state = 'sending', "
            "fingerprint = excluded.fingerprint, request = excluded.request, "
            "source_file = excluded.source_file, source_row = excluded.source_row, "
            "sent_at = excluded.sent_at",
            (
                self._endpoint,
                self._cid,
                key,
                fingerprint,
                json_decimal.dumps(payment.body()),
                source_file,
                source_row,
                _now(),
            ),
        )

    def record_answer(
        self,
        key: str,
        outcome: str,
        http_status: int,
        statusid: int | None,
        response: dict[str, Any],
        message: str,
    ) -> None:
        """Commit the answer Ropo One gave to this payment."""
        self._write(
            "UPDATE payments SET state = 'answered', answered_at = ?, outcome = ?, "
            "http_status = ?, statusid = ?, response = ?, message = ? "
            "WHERE endpoint = ? AND cid = ? AND row_key = ?",
            (
                _now(),
                outcome,
                http_status,
                statusid,
                json_decimal.dumps(response),
                message,
                self._endpoint,
                self._cid,
                key,
            ),
        )

    def forget_intent(self, key: str) -> None:
        """The request surely never reached Ropo One: it may be sent again later."""
        self._write(
            "DELETE FROM payments WHERE state = 'sending' AND endpoint = ? AND cid = ? "
            "AND row_key = ?",
            (self._endpoint, self._cid, key),
        )

    def unanswered(self) -> list[Unanswered]:
        """Every payment of this endpoint and customer whose answer never came, oldest first."""
        if self._db is None:
            return []
        try:
            found = self._db.execute(
                "SELECT rowid, source_file, source_row, sent_at, request FROM payments "
                "WHERE endpoint = ? AND cid = ? AND state = 'sending' ORDER BY sent_at, rowid",
                (self._endpoint, self._cid),
            ).fetchall()
        except sqlite3.OperationalError:
            return []
        return [
            Unanswered(rowid, file, line, sent_at, json_decimal.loads(request))
            for rowid, file, line, sent_at, request in found
        ]

    def resolve(self, entry_id: int, registered: bool, note: str) -> bool:
        """Record what a person found in Ropo One for one unanswered payment.

        Registered: it is answered as posted, so no run sends it again. Not registered: the entry
        is removed, so the next run sends it. False when no unanswered payment has that id.
        """
        if registered:
            sql = (
                "UPDATE payments SET state = 'answered', outcome = 'posted', answered_at = ?, "
                "message = ? WHERE rowid = ? AND endpoint = ? AND cid = ? AND state = 'sending'"
            )
            values: tuple[Any, ...] = (_now(), note, entry_id, self._endpoint, self._cid)
        else:
            sql = (
                "DELETE FROM payments WHERE rowid = ? AND endpoint = ? AND cid = ? "
                "AND state = 'sending'"
            )
            values = (entry_id, self._endpoint, self._cid)
        return self._write(sql, values) == 1

    def _write(self, sql: str, values: tuple[Any, ...]) -> int:
        """Run one statement in its own committed transaction; the number of rows it changed."""
        if self._db is None or self._read_only:
            raise JournalError(f"journal {self.path}: opened read-only, nothing may be written")
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                return self._db.execute(sql, values).rowcount
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: cannot be written ({exc})") from None


def _add_fingerprint_column(db: sqlite3.Connection) -> None:
    """Journals written before fingerprints were stored get the column (empty for old rows)."""
    names = {row[1] for row in db.execute("PRAGMA table_info(payments)")}
    if "fingerprint" not in names:
        db.execute("ALTER TABLE payments ADD COLUMN fingerprint TEXT")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
