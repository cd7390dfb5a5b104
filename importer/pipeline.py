"""run_import: read -> map -> validate -> journal -> post -> journal -> report.

No terminal code here: progress goes out through a callback, and the CLI renders the Report.
"""

from __future__ import annotations

import asyncio
import hashlib
import platform
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from importer.bulk import settle
from importer.duplicates import InFile, Keys, judge
from importer.export import open_export
from importer.journal import Journal
from importer.mapping import map_row
from importer.models import Outcome, RowResult, Transaction
from importer.posting import INTERRUPTIONS, OnPace, OnResult, Outside, Plan, post_all
from importer.profiles import Profile
from importer.report import EURO, UNKNOWN_CURRENCY, Report, Results
from importer.settings import ApiSettings
from importer.validation import EURO as EURO_CODES
from importer.validation import Rules, Valid, cash, validate_row, would_send
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
    started = datetime.now().astimezone()
    rules = rules or Rules(today=started.date())
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
    rows = table.rows
    results: list[RowResult | None] = [None] * len(rows)
    if on_read is not None:
        on_read(len(rows))
    notify = on_result or (lambda result: None)
    bulk = settle(export, rules)
    sum_read = Decimal(bulk.sum_cents()).scaleb(-2)  # bulk settles euro rows only
    foreign: dict[int, str] = {}  # row -> its currency, for rows not in euros
    foreign_read: dict[str, tuple[int, Decimal]] = {}
    valids: dict[int, Valid] = {}
    plans: list[Plan] = []
    lock = journal.lock(table.file, wait=wait) if sends else None
    sha256 = table.sha256 or _sha256(path)
    try:
        for index in bulk.per_row().tolist():
            txn = map_row(rows[index], columns)
            moved = cash(txn)
            amount = moved if moved is not None else Decimal("0.00")
            currency = currency_of(txn)
            if currency == EURO:
                sum_read += amount
            else:
                foreign[index] = currency
                counted, total = foreign_read.get(currency, (0, Decimal("0.00")))
                foreign_read[currency] = (counted + 1, total + amount)
            checked = validate_row(txn, columns, table.headers, rules)
            if isinstance(checked, Valid):
                valids[index] = checked
            else:
                results[index] = checked
                notify(checked)
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
        everything = sends or journal.knows_any()
        in_file = InFile()
        for index in bulk.to_judge(valids, everything):
            valid = valids.pop(index, None) or bulk.take(index)
            keys = in_file.check(valid)
            if isinstance(keys, Keys):
                earlier = judge(valid, keys, journal, rules.allow_identical)
                if earlier is None:
                    plans.append(Plan(index, valid, keys))
                    continue
                results[index] = earlier
                notify(earlier)
            else:
                results[index] = keys
                notify(keys)
        if on_settled is not None:
            on_settled(int(bulk.settled().sum()))
        stopped = None
        if dry_run or api is None:
            for plan in plans:
                results[plan.index] = dry = would_send(plan.valid)
                notify(dry)
        elif plans:
            stopped = asyncio.run(
                post_all(plans, api, journal, results, notify, outside or Outside(), on_pace)
            )
        if lock is not None:
            journal.end_run(sum(1 for plan in plans if _went_out(results[plan.index])))
    finally:
        try:
            journal.close()  # checkpoints the WAL into the main file
        finally:
            if lock is not None:
                lock.release()
    for index, currency in foreign.items():
        result = results[index]
        if result is not None:  # summed apart from the euros, whatever its outcome
            results[index] = replace(result, currency=currency)
    return Report(
        file=table.file,
        headers=table.headers,
        results=Results(results, bulk),
        profile=columns.profile,
        mapping=columns.describe(),
        dry_run=dry_run,
        base_url=endpoint,
        cid=cid,
        started_at=started,
        finished_at=datetime.now().astimezone(),
        stopped=stopped,
        interrupted=stopped in INTERRUPTIONS,
        read_as=table.form,
        rows_read=len(rows),
        sum_read=sum_read,
        foreign_read=dict(sorted(foreign_read.items())),
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


def currency_of(txn: Transaction) -> str:
    """The row's currency for the sums: EURO, its code, or UNKNOWN_CURRENCY for a row the
    reader found not in euros without a code (KTL's currency digit)."""
    code = txn.currency.strip().upper()
    if code not in EURO_CODES:
        return code
    verdict = txn.row.verdict
    return UNKNOWN_CURRENCY if verdict is not None and verdict.code == "not-euro" else EURO


def _went_out(result: RowResult | None) -> bool:
    return result is not None and result.outcome in (
        Outcome.POSTED,
        Outcome.REJECTED,
        Outcome.UNKNOWN,
    )


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
