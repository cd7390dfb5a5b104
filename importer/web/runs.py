"""The run store: each upload kept in a folder of its own, planned, sent once, then kept a while.

A run is planned when it is uploaded: `run_import(dry_run=True)` against the client's journal,
the plan `run --dry-run` prints. Sending is `run_import` of the same file, settings and journal
in a thread of the server, never inside a browser's request; the journal's lock is the only
gate against a second run of the same client (another tab, another user, the command line).
The store adds one rule of its own: a run is sent at most once (`send` answers False after).

Progress is held on the run (`Progress`): the seam for live progress over server-sent events.
Uploads and workbooks live under the user's data folder, in folders only the user can open,
and are removed `retention` after their upload. Each folder also holds the run's record
(record.py), so a restarted server loads the runs still kept: a planned one is planned again
when opened (the journal may know more by then), a finished one shows its counts and workbook,
and one that was sending when the server stopped is `interrupted`: never sent again from that
record, as what it sent is in the journal.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Literal, get_args

from importer.clock import Clock
from importer.errors import ImporterError
from importer.i18n import Lang
from importer.models import RowResult
from importer.problems import WENT_OUT
from importer.report import Report
from importer.web.record import Tally, read_record, record_of, run_of, tally_of, write_record
from importer.web.targets import Target
from importer.web.view import FATE_OF_CODE

LOG = logging.getLogger("ropo_import.web")
State = Literal["planned", "sending", "done", "stopped", "failed", "interrupted"]
STATES: tuple[State, ...] = get_args(State)
RETENTION = timedelta(days=7)
PRIVATE = 0o700
_SAFE_NAME = re.compile(r"[^\w.\- ]+")


@dataclass
class Progress:
    """How far a send has come: what live progress (SSE) will stream."""

    total: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    settled: int = 0  # rows settled in bulk (outgoing): never heard one by one
    started: float = field(default_factory=time.monotonic)  # for the rate (events.py)
    halt: threading.Event = field(default_factory=threading.Event)  # the stop button
    sent: int = 0  # rows that went to Ropo One in this send (not judged from the journal)

    @property
    def done(self) -> int:
        return sum(self.counts.values()) + self.settled

    def heard(self, result: RowResult) -> None:
        self.counts[result.outcome.value] += 1
        # A row judged from the journal ("unknown from an earlier run") went out before.
        if result.outcome in WENT_OUT and result.code not in FATE_OF_CODE:
            self.sent += 1

    @property
    def went_out(self) -> bool:
        """Whether any payment was sent (an answer heard, or none that proved anything)."""
        return self.sent > 0


@dataclass
class Run:
    """One uploaded file: its plan, then its send and workbook."""

    id: str
    file_name: str
    folder: Path
    sha256: str
    target: Target
    profile: str | None
    uploaded_at: datetime
    state: State = "planned"
    who: str = ""  # the name given on upload, for the history
    order: int = 0  # the upload's place among the store's: a clock may give two the same time
    plan: Report | None = None
    refused: str | None = None  # why the file could not be read: then there is no plan
    result: Report | None = None
    workbook: Path | None = None
    note: str | None = None  # what the last send said without sending (the journal was busy)
    progress: Progress = field(default_factory=Progress)
    finished_at: datetime | None = None
    removed: bool = False  # its files are gone after the retention period
    kept: Tally | None = None  # the counts of its plan or result, as its record keeps them

    @property
    def stale(self) -> bool:
        """A planned run loaded from its record: planned again before it is shown."""
        return self.state == "planned" and self.plan is None and self.refused is None

    @property
    def path(self) -> Path:
        return self.folder / self.file_name

    @property
    def report(self) -> Report | None:
        """The finished run's report, else the plan's."""
        return self.result or self.plan


class RunStore:
    """Every run of this server, and those an earlier one recorded; their files under
    `folder`. `targets` are the clients a loaded run is sent for, by name."""

    def __init__(
        self,
        folder: Path,
        clock: Clock,
        retention: timedelta = RETENTION,
        start: Callable[[Callable[[], None]], threading.Thread] | None = None,
        targets: Mapping[str, Target] | None = None,
    ) -> None:
        self.folder, self.clock, self.retention = folder, clock, retention
        self._start = start or _thread
        self._runs: dict[str, Run] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._saving = threading.Lock()
        private_folder(folder)
        self._forget_older(folder)
        self._load(targets or {})

    def _forget_older(self, folder: Path) -> None:
        """Remove what an earlier server left here past the retention period: its runs are
        not in this one's memory, so nothing else would ever remove them."""
        cutoff = (self.clock.now() - self.retention).timestamp()
        for left in folder.iterdir():
            if left.is_dir() and left.stat().st_mtime < cutoff:
                shutil.rmtree(left, ignore_errors=True)

    def _load(self, targets: Mapping[str, Target]) -> None:
        """The runs an earlier server recorded here and still within retention, in their order."""
        cutoff = self.clock.now() - self.retention
        found = []
        for folder in self.folder.iterdir():
            data = read_record(folder) if folder.is_dir() else None
            if data is None or data.get("id") != folder.name:
                continue
            try:
                run = run_of(data, folder, targets)
            except (KeyError, TypeError, ValueError):  # a record this version cannot read
                LOG.warning("run %s: its record cannot be read; left as it is", folder.name)
                continue
            if run.uploaded_at < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                continue
            found.append(run)
        found.sort(key=lambda r: (r.uploaded_at, r.order))
        for order, run in enumerate(found):
            run.order = order
            if run.state == "sending":  # the server stopped mid-send: the journal knows the rest
                run.state = "interrupted"
            self._runs[run.id] = run
            self.save(run)

    def save(self, run: Run) -> None:
        """Write the run's record (on upload and every change of state); counts kept with it."""
        report = run.report
        if report is not None:
            run.kept = tally_of(report)
        with self._saving:
            if run.removed or not run.folder.is_dir():
                return
            try:
                write_record(run.folder, record_of(run))
            except OSError as exc:  # the page goes on; only a restart would forget the run
                LOG.warning("run %s: its record cannot be written (%s)", run.id, exc.strerror)

    def add(
        self, name: str, data: BinaryIO, target: Target, profile: str | None, who: str = ""
    ) -> Run:
        """Keep the upload and plan it (slow: call from a worker thread). `who` is the name
        the accountant gave: who uploaded it, for the history (not a login)."""
        self.purge()
        run_id = secrets.token_hex(8)
        folder = private_folder(self.folder / run_id)
        run = Run(
            run_id, safe_name(name), folder, "", target, profile or target.profile, self.clock.now()
        )
        digest = hashlib.sha256()
        with run.path.open("xb") as file:
            while chunk := data.read(1 << 20):
                digest.update(chunk)
                file.write(chunk)
        run.sha256, run.who = digest.hexdigest(), who
        with self._lock:
            run.order = max((r.order + 1 for r in self._runs.values()), default=0)
            self._runs[run_id] = run
        self.save(run)
        self._plan(run)
        return run

    def replan(self, run: Run) -> None:
        """Plan a loaded planned run again (slow: a worker thread); others are left as they are."""
        if run.stale and not run.removed:
            self._plan(run)

    def _plan(self, run: Run) -> None:
        try:
            run.plan = self._import(run, dry_run=True)
        except ImporterError as exc:
            run.state, run.refused = "failed", self._told(exc, run)
        self.save(run)

    def again(self, run: Run, profile: str) -> Run:
        """The same upload read with another profile: a new run (slow: a worker thread)."""
        with run.path.open("rb") as data:
            return self.add(run.file_name, data, run.target, profile, run.who)

    def get(self, run_id: str) -> Run | None:
        with self._lock:
            return self._runs.get(run_id)

    def runs(self) -> list[Run]:
        """Newest first."""
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: r.order, reverse=True)

    def earlier(self, run: Run) -> list[Run]:
        """The runs of the same file (by its SHA-256) uploaded before this one."""
        return [r for r in self.runs() if r.sha256 == run.sha256 and r.order < run.order]

    def send(self, run_id: str, lang: Lang = "en") -> bool:
        """Start sending a planned run in the background; False when it was sent already or
        cannot be (nothing is started then)."""
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.state != "planned" or run.target.api is None:
                return False
            run.state, run.note, run.progress = "sending", None, Progress()
            self.save(run)
            thread = self._start(lambda: self._send(run, lang))
            self._threads[run_id] = thread
        return True

    def stop(self, run_id: str) -> bool:
        """Stop a sending run after the requests in flight; False when it is not sending."""
        run = self.get(run_id)
        if run is None or run.state != "sending":
            return False
        run.progress.halt.set()
        return True

    def wait(self, run_id: str, timeout: float | None = None) -> None:
        """Until the run's send has ended (tests, and a server that stops)."""
        thread = self._threads.get(run_id)
        if thread is not None:
            thread.join(timeout)

    def purge(self) -> list[str]:
        """Remove the files of runs uploaded more than `retention` ago; their ids."""
        cutoff = self.clock.now() - self.retention
        gone = []
        for run in self.runs():
            if run.uploaded_at < cutoff and not run.removed and run.state != "sending":
                shutil.rmtree(run.folder, ignore_errors=True)
                run.removed, run.workbook = True, None
                gone.append(run.id)
        return gone

    def _send(self, run: Run, lang: Lang) -> None:
        from importer.workbook import default_output, save_workbook

        try:
            report = self._import(run, dry_run=False)
            target = default_output(run.path, run.folder, self.clock.now())
            saved = save_workbook(report, target, fallbacks=[], lang=lang)
        except ImporterError as exc:
            self._failed(run, self._told(exc, run))
            return
        except Exception as exc:  # a thread's error would vanish: the page must say it
            LOG.exception("run %s", run.id)
            self._failed(run, f"unexpected error: {type(exc).__name__}: {self._told(exc, run)}")
            return
        run.result, run.workbook, run.finished_at = report, saved.path, self.clock.now()
        run.note = "; ".join(saved.refusals) or None
        run.state = "stopped" if report.stopped else "done"
        self.save(run)

    def _failed(self, run: Run, note: str) -> None:
        """A send that ended without a report. Before any payment went out (a busy or
        read-only journal, refused credentials) nothing was sent: the run stays planned, to be
        sent once the cause is gone. After, it is failed: what went out is in the journal."""
        run.state, run.note = ("failed" if run.progress.went_out else "planned"), note
        self.save(run)

    def _told(self, error: BaseException, run: Run) -> str:
        """The error's message with every path under the data folder said by its file's name:
        the user knows the upload by name, and the server's folders are not the page's."""
        told = str(error).replace(str(run.path), run.file_name)  # a name may hold a space
        inside = re.escape(str(self.folder)) + r"[^\s'\"]*"
        return re.sub(inside, lambda found: Path(found.group()).name, told)

    def _import(self, run: Run, *, dry_run: bool) -> Report:
        from importer.pipeline import Outside, run_import

        return run_import(
            run.path,
            journal_path=run.target.journal,
            api=run.target.api,
            profile=run.profile,
            rules=run.target.rules(self.clock),
            dry_run=dry_run,
            on_read=lambda rows: setattr(run.progress, "total", rows),
            on_result=None if dry_run else run.progress.heard,
            on_settled=lambda rows: setattr(run.progress, "settled", rows),
            outside=Outside(halt=run.progress.halt),
            clock=self.clock,
        )


def _thread(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work, name="ropo-import send", daemon=False)
    thread.start()
    return thread


def safe_name(name: str) -> str:
    """The upload's base name, kept for the workbook and messages: no folder, nothing hidden."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", base).strip(" .")[:120]
    return base or "upload"


def private_folder(path: Path) -> Path:
    """A folder only this user can open (0700 whatever the umask)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE)
    path.chmod(PRIVATE)
    return path
