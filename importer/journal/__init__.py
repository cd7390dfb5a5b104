"""The SQLite journal: a payment's intent is committed before it is sent, its answer after.

So a payment is never sent twice by the tool: a row already answered in an earlier run is not
sent again, and a row whose intent was committed but whose answer never came is `unknown`
until someone checks Ropo One (reliability.md sections 1.2 and 3). WAL with synchronous=FULL:
a committed intent survives a crash or a power cut; the WAL is checkpointed into the main file
at the end of every run, so the file alone holds everything.

Rows are keyed by (endpoint, customer id, key): the bank's archive id where the export has one,
else a fingerprint of the payment's canonical fields (duplicates.py). The endpoint is the
environment's canonical origin (scope.py). A row's state is one of:

- waiting: recorded, but surely not processed (its last attempt was refused unprocessed, or
  someone found it missing in Ropo One): it may be sent;
- sending: a request may be on its way or may have arrived: never sent again by itself;
- answered: Ropo One's answer is recorded (outcome posted, rejected or unknown).

Intents are claimed, never overwritten: `claim` inserts a new key, or moves a waiting (or a
rejected and since corrected) row to sending, inside one BEGIN IMMEDIATE; any other row already
held is returned to be judged, and is not sent.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from importer import json_decimal
from importer.clock import SYSTEM_CLOCK, Clock
from importer.errors import JournalError
from importer.journal.lock import RunLock
from importer.journal.schema import open_journal
from importer.journal.scope import canonical_endpoint, default_journal
from importer.models import Payment
from importer.said import say

__all__ = ["Entry", "Journal", "RunLock", "Unanswered", "canonical_endpoint", "default_journal"]

_COLUMNS = (
    "row_key, state, sent_at, answered_at, outcome, response, message, source_file, "
    "source_row, request"
)
_SCOPE = " FROM payments WHERE endpoint = ? AND cid = ? AND "
_MAY_BE_APPLIED = " AND state != 'waiting' AND (outcome IS NULL OR outcome != 'rejected')"
BY_KEY = "SELECT " + _COLUMNS + _SCOPE + "row_key = ?"
BY_FINGERPRINT = {
    archived: "SELECT "
    + _COLUMNS
    + _SCOPE
    + f"fingerprint = ? AND row_key {'' if archived else 'NOT '}LIKE 'archive:%'"
    + _MAY_BE_APPLIED
    + " ORDER BY sent_at"
    for archived in (True, False)
}
# Waiting for a person: sent without an answer, or answered in a way that proves nothing.
UNRESOLVED = (
    "SELECT rowid, source_file, source_row, sent_at, request, message FROM payments "
    "WHERE endpoint = ? AND cid = ? AND "
    "(state = 'sending' OR (state = 'answered' AND outcome = 'unknown')) "
    "ORDER BY sent_at, rowid"
)
RESOLVE = {
    True: "UPDATE payments SET state = 'answered', outcome = 'posted', answered_at = ?, "
    "message = ? WHERE rowid = ? AND endpoint = ? AND cid = ? AND "
    "(state = 'sending' OR (state = 'answered' AND outcome = 'unknown'))",
    False: "UPDATE payments SET state = 'waiting', outcome = NULL, answered_at = ?, "
    "message = ? WHERE rowid = ? AND endpoint = ? AND cid = ? AND "
    "(state = 'sending' OR (state = 'answered' AND outcome = 'unknown'))",
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
        return say("{file} line {line}", file=Path(self.source_file).name, line=self.source_row)


@dataclass(frozen=True)
class Entry(_Sent):
    """What the journal knows about one payment."""

    key: str
    state: str  # 'waiting', 'sending' or 'answered' (module docstring)
    sent_at: str
    outcome: str | None
    response: dict[str, Any]
    message: str | None
    source_file: str = ""
    source_row: int = 0
    request: str = ""  # the body as sent, canonical JSON


@dataclass(frozen=True)
class Unanswered(_Sent):
    """A payment whose fate a person must check in Ropo One."""

    id: int
    source_file: str
    source_row: int
    sent_at: str
    request: dict[str, Any]
    message: str | None = None  # what the answer was, when one came that proved nothing


class Journal:
    """One SQLite file; entries scoped to one endpoint and customer id."""

    def __init__(self, path: Path, endpoint: str, cid: str, *, read_only: bool = False) -> None:
        self.path, self.endpoint, self._cid = path, canonical_endpoint(endpoint), cid
        self._read_only = read_only
        self._db: sqlite3.Connection | None = None
        self._run_id: int | None = None
        self.created = not path.exists()
        if read_only and self.created:
            return
        self._db = open_journal(path, read_only=read_only)

    def close(self) -> None:
        """Checkpoint the WAL into the main file (a writable journal), then close."""
        if self._db is None:
            return
        if not self._read_only:
            # Another connection reading blocks it: that one's own close checkpoints.
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
        self._db = None

    def lock(self, file: str, *, wait: float = 0.0) -> RunLock:
        """The run lock of this journal's scope (lock.py), not yet taken."""
        return RunLock(self.path, self.endpoint, self._cid, file, wait=wait)

    def lookup(self, key: str) -> Entry | None:
        """The journal's record of this payment, or None when it was never sent."""
        return self._first(BY_KEY, key)

    def remembers_nothing(self) -> bool:
        """Whether this journal holds no payment and no run at all, of any scope."""
        return not self._read("SELECT 1 FROM payments LIMIT 1", ()) and not self._read(
            "SELECT 1 FROM runs LIMIT 1", ()
        )

    def knows_any(self) -> bool:
        """Whether any payment of this endpoint and customer id was ever recorded."""
        query = "SELECT 1 FROM payments WHERE endpoint = ? AND cid = ? LIMIT 1"
        return bool(self._read(query, (self.endpoint, self._cid)))

    def lookup_fingerprint(self, fingerprint: str, *, archived: bool) -> Entry | None:
        """A payment with this fingerprint that may have been applied (answered as posted or
        unknown, or sent without an answer); `archived` picks entries keyed by an archive id
        or not."""
        return self._first(BY_FINGERPRINT[archived], fingerprint)

    def _first(self, query: str, value: str) -> Entry | None:
        found = self._read(query, (self.endpoint, self._cid, value))
        if not found:
            return None
        key, state, sent_at, answered_at, outcome, response, message, file, line, request = found[0]
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

    def _read(self, query: str, values: tuple[Any, ...]) -> list[Any]:
        if self._db is None:
            return []
        try:
            return self._db.execute(query, values).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # a read-only look at an older or empty journal
                return []
            raise JournalError(f"journal {self.path}: cannot be read ({exc})") from None

    def claim(
        self, key: str, fingerprint: str, payment: Payment, source_file: str, source_row: int
    ) -> Entry | None:
        """Commit, durably, that this payment is about to be sent: None when claimed.

        A key the journal already holds is claimed only from 'waiting', or from a rejected
        answer whose request the user has since corrected; otherwise its Entry is returned, to
        be judged from the journal, and the payment must not be sent.
        """
        request = json_decimal.dumps(payment.body())
        values = (request, source_file, source_row, _now(), fingerprint)
        scope = (self.endpoint, self._cid, key)
        db = self._writable()
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                inserted = db.execute(
                    "INSERT INTO payments (request, source_file, source_row, sent_at, "
                    "fingerprint, endpoint, cid, row_key, state) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'sending') ON CONFLICT DO NOTHING",
                    (*values, *scope),
                ).rowcount
                if inserted:
                    return None
                moved = db.execute(
                    "UPDATE payments SET state = 'sending', request = ?, source_file = ?, "
                    "source_row = ?, sent_at = ?, fingerprint = ?, answered_at = NULL, "
                    "outcome = NULL, http_status = NULL, statusid = NULL, response = NULL, "
                    "message = NULL WHERE endpoint = ? AND cid = ? AND row_key = ? AND "
                    "(state = 'waiting' OR (state = 'answered' AND outcome = 'rejected' "
                    "AND request != ?))",
                    (*values, *scope, request),
                ).rowcount
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: cannot be written ({exc})") from None
        return None if moved else self.lookup(key)

    def not_processed(self, key: str) -> None:
        """The last attempt surely never reached Ropo One: the payment may be sent later."""
        self._write(
            "UPDATE payments SET state = 'waiting' WHERE state = 'sending' AND endpoint = ? "
            "AND cid = ? AND row_key = ?",
            (self.endpoint, self._cid, key),
        )

    def record_answer(
        self,
        key: str,
        outcome: str,
        http_status: int | None,
        statusid: int | None,
        response: dict[str, Any],
        message: str,
    ) -> None:
        """Commit the answer Ropo One gave to this payment (outcome 'unknown' when the answer
        proves nothing: resolve lists it)."""
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
                self.endpoint,
                self._cid,
                key,
            ),
        )

    def unanswered(self) -> list[Unanswered]:
        """Every payment of this scope whose fate a person must check, oldest first."""
        found = self._read(UNRESOLVED, (self.endpoint, self._cid))
        return [
            Unanswered(rowid, file, line, sent_at, json_decimal.loads(request), message)
            for rowid, file, line, sent_at, request, message in found
        ]

    def resolve(self, entry_id: int, registered: bool, note: str) -> bool:
        """Record what a person found in Ropo One for one unresolved payment.

        Registered: it is answered as posted, so no run sends it again. Not registered: it is
        waiting, so the next run sends it. False when no unresolved payment has that id.
        """
        values = (_now(), note, entry_id, self.endpoint, self._cid)
        return self._write(RESOLVE[registered], values) == 1

    def begin_run(self, sha256: str, file: str) -> str | None:
        """Record that a run of this input starts; when this journal saw the same input for
        this scope before, a sentence saying when."""
        earlier = self._read(
            "SELECT started_at, sent FROM runs WHERE endpoint = ? AND cid = ? AND "
            "input_sha256 = ? ORDER BY started_at DESC LIMIT 1",
            (self.endpoint, self._cid, sha256),
        )
        db = self._writable()
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                self._run_id = db.execute(
                    "INSERT INTO runs (endpoint, cid, input_sha256, file, host, pid, "
                    "started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        self.endpoint,
                        self._cid,
                        sha256,
                        file,
                        socket.gethostname(),
                        os.getpid(),
                        _now(),
                    ),
                ).lastrowid
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: cannot be written ({exc})") from None
        if not earlier:
            return None
        started, sent = earlier[0]
        when = datetime.fromisoformat(started).astimezone()  # said to the minute, as read
        seen = dict(cid=self._cid, endpoint=self.endpoint, when=when)
        if sent is None:
            return say(
                "this file was imported for customer {cid} at {endpoint} before, on {when}: "
                "only what the journal does not know is sent",
                **seen,
            )
        return say(
            "this file was imported for customer {cid} at {endpoint} before, on {when} "
            "({sent} sent then): only what the journal does not know is sent",
            sent=sent,
            **seen,
        )

    def end_run(self, sent: int) -> None:
        if self._run_id is not None:
            self._write(
                "UPDATE runs SET finished_at = ?, sent = ? WHERE id = ?",
                (_now(), sent, self._run_id),
            )

    def _writable(self) -> sqlite3.Connection:
        if self._db is None or self._read_only:
            raise JournalError(f"journal {self.path}: opened read-only, nothing may be written")
        return self._db

    def _write(self, sql: str, values: tuple[Any, ...]) -> int:
        """Run one statement in its own committed transaction; the number of rows it changed."""
        db = self._writable()
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                return db.execute(sql, values).rowcount
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: cannot be written ({exc})") from None


def _now(clock: Clock = SYSTEM_CLOCK) -> str:
    """The journal's timestamp: UTC, so that runs from machines in other zones sort."""
    return clock.now().astimezone(UTC).isoformat(timespec="microseconds")
