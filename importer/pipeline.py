"""run_import: read -> map -> validate -> journal -> post -> journal -> report.

No terminal code here: progress goes out through a callback, and the CLI renders the Report.
"""

from __future__ import annotations

import asyncio
import hashlib
import platform
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from importer import __version__
from importer.duplicates import InFile, Keys, judge
from importer.export import open_export
from importer.journal import Journal
from importer.models import Outcome, RowResult, SourceRow
from importer.posting import INTERRUPTED, OnResult, Outside, Plan, post_all
from importer.profiles import Profile
from importer.report import Report
from importer.settings import ApiSettings
from importer.validation import Rules, Valid, validate_row

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
    outside: Outside | None = None,
) -> Report:
    """Import one bank export. `api` is needed unless `dry_run`; a dry run posts nothing.

    `profile` is a built-in profile's name, a profile file's path or a Profile; None
    recognises the export from its content. `rules` default to today's date and the default
    limits. A dry run with `api` looks rows up in the journal, so it shows what a real run
    would skip. `on_read` hears how many rows the file has, `on_result` each row's outcome
    as it is known (for a progress bar).
    """
    started = datetime.now().astimezone()
    rules = rules or Rules(today=started.date())
    export = open_export(path, profile)
    table, columns = export.table, export.columns
    endpoint = api.base_url if api else None
    cid = api.credentials.cid if api else None
    journal = Journal(journal_path, endpoint or "", cid or "", read_only=dry_run or api is None)
    results: list[RowResult | None] = [None] * len(table.rows)
    if on_read is not None:
        on_read(len(table.rows))
    plans: list[Plan] = []
    in_file = InFile()
    notify = on_result or (lambda result: None)
    sum_read = Decimal("0.00")
    try:
        for index, txn in enumerate(export.transactions()):
            sum_read += txn.amount if txn.amount is not None else 0
            checked = validate_row(txn, columns, table.headers, rules)
            if isinstance(checked, Valid):
                keys = in_file.check(checked)
                if isinstance(keys, Keys):
                    earlier = judge(checked, keys, journal, rules.allow_identical)
                    if earlier is None:
                        plans.append(Plan(index, checked, keys))
                        continue
                    checked = earlier
                else:
                    checked = keys
            results[index] = checked
            notify(checked)
        stopped = None
        if dry_run or api is None:
            for plan in plans:
                results[plan.index] = dry = RowResult(
                    plan.valid.row,
                    Outcome.SKIPPED,
                    "dry-run",
                    "dry run: this payment would be sent",
                    payment=plan.valid.payment,
                    amount=plan.valid.payment.amount,
                )
                notify(dry)
        elif plans:
            stopped = asyncio.run(
                post_all(plans, api, journal, results, notify, outside or Outside())
            )
    finally:
        journal.close()
    return Report(
        file=table.file,
        headers=table.headers,
        results=_every_row(results, table.rows),
        profile=columns.profile,
        mapping=columns.describe(),
        dry_run=dry_run,
        base_url=endpoint,
        cid=cid,
        started_at=started,
        finished_at=datetime.now().astimezone(),
        stopped=stopped,
        interrupted=stopped == INTERRUPTED,
        read_as=table.form,
        rows_read=len(table.rows),
        sum_read=sum_read,
        today=rules.today,
        input_sha256=_sha256(path),
        run_on=platform.node(),
        tool_version=__version__,
    )


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _every_row(results: list[RowResult | None], rows: list[SourceRow]) -> list[RowResult]:
    """Every source row has its outcome; a gap is a bug, never a silently dropped row."""
    missing = [row.line for row, result in zip(rows, results, strict=True) if result is None]
    if missing:
        raise RuntimeError(f"bug: lines {missing} ended without an outcome")
    return [result for result in results if result is not None]
