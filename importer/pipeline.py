"""run_import: plan (read, map, validate, judge against the journal) -> send -> report.

No terminal code here: progress goes out through a callback, and the CLI renders the Report.
The plan (plan.py) says every row's fate that is known without sending and the requests that
would go out; sending returns the answers (posting.py); the Report is built from both.
"""

from __future__ import annotations

import asyncio
import hashlib
import platform
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from importer.clock import SYSTEM_CLOCK, Clock
from importer.export import open_export
from importer.journal import Journal
from importer.models import RowResult
from importer.plan import judge_rows, read_rows, settled_count
from importer.posting import INTERRUPTIONS, OnPace, OnResult, Outside, post_all
from importer.problems import WENT_OUT
from importer.profiles import Profile
from importer.report import Report, Results
from importer.settings import ApiSettings
from importer.validation import Rules, would_send
from importer.version import __version__

__all__ = ["OnResult", "Outside", "run_import"]


def run_import(
    path: Path,
    *,
    journal_path: Path,
    api: ApiSettings | None = None,
    profile: str | Profile | None = None,
    rules: Rules | None = None,
    dry_run: bool = False,
    on_result: OnResult | None = None,
    on_read: Callable[[int], None] | None = None,
    on_settled: Callable[[int], None] | None = None,
    outside: Outside | None = None,
    wait: float = 0.0,
    on_pace: OnPace | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Report:
    """Import one bank export. `api` is needed unless `dry_run`; a dry run posts nothing.

    `profile` is a built-in profile's name, a profile file's path or a Profile; None
    recognises the export from its content. `rules` default to today's date and the default
    limits. A dry run with `api` looks rows up in the journal, so it shows what a real run
    would skip. `on_read` hears how many rows the file has, `on_result` each row's outcome
    as it is known, `on_settled` how many rows were settled in bulk without a problem (for a
    progress bar), and `on_pace` when Ropo One throttles the run.

    A run that sends holds the journal's lock for its environment and customer from judging
    its rows to its last answer; `wait` is how long it waits for another run to let go of it.
    """
    started = clock.now()
    rules = rules or Rules(today=clock.today())
    sends = not dry_run and api is not None
    endpoint = api.base_url if api else None
    cid = api.credentials.cid if api else None
    # Opened first: a damaged journal stops the run before the file is even read.
    journal = Journal(journal_path, endpoint or "", cid or "", read_only=not sends)
    try:
        export = open_export(path, profile)
    except BaseException:
        journal.close()
        raise
    table, columns = export.table, export.columns
    notes: list[str] = []
    if on_read is not None:
        on_read(len(table.rows))
    notify = on_result or (lambda result: None)
    lock = journal.lock(table.file, wait=wait) if sends else None
    sha256 = table.sha256 or _sha256(path)
    stopped = None
    try:
        planned = read_rows(export, rules, notify)
        if lock is not None:  # from here to the last answer, no other run of this scope sends
            lock.acquire()
            if journal.created or journal.remembers_nothing():
                notes.append(NEW_JOURNAL)
            seen = journal.begin_run(sha256, table.file)
            if seen:
                notes.append(seen)
        elif journal.created and api is not None:
            notes.append("it does not exist yet: no payment sent before is known to it")
        # Every row that may be sent, may repeat another or may be known to the journal is
        # judged one at a time; in a dry run against an empty journal that is only the few
        # that may be duplicates.
        judge_rows(planned, journal, sends or journal.knows_any(), notify)
        if on_settled is not None:
            on_settled(settled_count(planned))
        answers: dict[int, RowResult] = {}
        if dry_run or api is None:
            for request in planned.requests:
                answers[request.index] = dry = would_send(request.valid)
                notify(dry)
        elif planned.requests:
            answers, stopped = asyncio.run(
                post_all(planned.requests, api, journal, notify, outside or Outside(), on_pace)
            )
        if lock is not None:
            journal.end_run(sum(1 for answer in answers.values() if _went_out(answer)))
    finally:
        try:
            journal.close()  # checkpoints the WAL into the main file
        finally:
            if lock is not None:
                lock.release()
    results = list(planned.results)
    for index, answer in answers.items():
        results[index] = answer
    for index, currency in planned.foreign.items():
        result = results[index]
        if result is not None:  # summed apart from the euros, whatever its outcome
            results[index] = replace(result, currency=currency)
    return Report(
        file=table.file,
        headers=table.headers,
        results=Results(results, planned.settled),
        profile=columns.profile,
        mapping=columns.describe(),
        dry_run=dry_run,
        base_url=endpoint,
        cid=cid,
        started_at=started,
        finished_at=clock.now(),
        stopped=stopped,
        interrupted=stopped in INTERRUPTIONS,
        read_as=table.form,
        rows_read=len(table.rows),
        sum_read=planned.sum_read,
        foreign_read=dict(sorted(planned.foreign_read.items())),
        today=rules.today,
        input_sha256=sha256,
        journal=str(journal_path) if api is not None else None,
        journal_notes=tuple(notes),
        run_on=platform.node(),
        tool_version=__version__,
    )


NEW_JOURNAL = (
    "it is new: it knows no payment sent before; if earlier runs on this computer used "
    "another journal, stop and give that one with --journal"
)


def _went_out(result: RowResult | None) -> bool:
    return result is not None and result.outcome in WENT_OUT


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
