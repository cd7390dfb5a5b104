"""run_import: read -> map -> validate -> journal -> post -> journal -> report.

No terminal code here: progress goes out through a callback, and the CLI renders the Report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx

from importer.client import RopoClient
from importer.duplicates import InFile, Keys, invoice_of, judge
from importer.errors import ApiUnavailableError, CredentialsError, DeliveryUnknown
from importer.export import open_export
from importer.journal import Journal
from importer.models import STATUSES, ApiAnswer, Outcome, RowResult, SourceRow
from importer.profiles import Profile
from importer.report import Report
from importer.settings import ApiSettings
from importer.validation import Rules, Valid, validate_row

OnResult = Callable[[RowResult], None]


@dataclass(frozen=True)
class Plan:
    """A row that passed validation and is not yet known to the journal."""

    index: int
    valid: Valid
    keys: Keys


@dataclass(frozen=True)
class Outside:
    """The outside world, injectable: tests use a mock transport and an instant sleep."""

    transport: httpx.AsyncBaseTransport | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic


def run_import(
    path: Path,
    *,
    journal_path: Path,
    api: ApiSettings | None = None,
    profile: str | Profile | None = None,
    rules: Rules | None = None,
    dry_run: bool = False,
    on_result: OnResult | None = None,
    outside: Outside = Outside(),
) -> Report:
    """Import one bank export. `api` is needed unless `dry_run`; a dry run posts nothing.

    `profile` is a built-in profile's name, a profile file's path or a Profile; None
    recognises the export from its content. `rules` default to today's date and the default
    limits. A dry run with `api` looks rows up in the journal, so it shows what a real run
    would skip.
    """
    started = datetime.now().astimezone()
    rules = rules or Rules(today=started.date())
    export = open_export(path, profile)
    table, columns = export.table, export.columns
    endpoint = api.base_url if api else None
    cid = api.credentials.cid if api else None
    journal = Journal(journal_path, endpoint or "", cid or "", read_only=dry_run or api is None)
    results: list[RowResult | None] = [None] * len(table.rows)
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
            stopped = asyncio.run(_post_all(plans, api, journal, results, notify, outside))
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
        read_as=table.form,
        rows_read=len(table.rows),
        sum_read=sum_read,
        today=rules.today,
    )


async def _post_all(
    plans: list[Plan],
    api: ApiSettings,
    journal: Journal,
    results: list[RowResult | None],
    notify: OnResult,
    outside: Outside,
) -> str | None:
    """Send every planned payment in order; returns why the run stopped early, or None."""
    async with RopoClient(
        api, transport=outside.transport, sleep=outside.sleep, clock=outside.clock
    ) as client:
        await client.login()  # wrong credentials stop the run before anything is posted
        for done, plan in enumerate(plans):
            row, payment = plan.valid.row, plan.valid.payment
            journal.record_intent(plan.keys.key, plan.keys.fingerprint, payment, row.file, row.line)
            try:
                answer = await client.post_payment(payment)
            except DeliveryUnknown as exc:
                result = RowResult(
                    row,
                    Outcome.UNKNOWN,
                    "no-answer",
                    f"{exc}; check in Ropo One whether {invoice_of(payment)} has a payment "
                    f"of {payment.amount} dated {payment.paydate} before sending it again",
                    payment=payment,
                    amount=payment.amount,
                )
            except (ApiUnavailableError, CredentialsError) as exc:
                journal.forget_intent(plan.keys.key)
                for rest in plans[done:]:
                    results[rest.index] = unsent = RowResult(
                        rest.valid.row,
                        Outcome.SKIPPED,
                        "not-sent",
                        "not sent: the run stopped before this row; run the same command "
                        "again to send it",
                        payment=rest.valid.payment,
                        amount=rest.valid.payment.amount,
                    )
                    notify(unsent)
                return str(exc)
            else:
                result = _from_answer(plan.valid, answer)
                journal.record_answer(
                    plan.keys.key,
                    result.outcome.value,
                    answer.http_status,
                    answer.statusid,
                    answer.fields,
                    result.message,
                )
            results[plan.index] = result
            notify(result)
    return None


def _every_row(results: list[RowResult | None], rows: list[SourceRow]) -> list[RowResult]:
    """Every source row has its outcome; a gap is a bug, never a silently dropped row."""
    missing = [row.line for row, result in zip(rows, results, strict=True) if result is None]
    if missing:
        raise RuntimeError(f"bug: lines {missing} ended without an outcome")
    return [result for result in results if result is not None]


def _from_answer(valid: Valid, answer: ApiAnswer) -> RowResult:
    payment = valid.payment
    result = RowResult(
        valid.row, Outcome.REJECTED, payment=payment, amount=payment.amount, response=answer.fields
    )
    if answer.applied:
        result.outcome, result.code = Outcome.POSTED, "registered"
        result.message = _allocation(answer)
    elif answer.statusid is not None and answer.http_status == 201:
        result.outcome, result.code = Outcome.UNKNOWN, "contradictory-answer"
        result.message = (
            f"HTTP 201 with statusid {answer.statusid}: the documentation says 201 comes only "
            f"with statusid 6; check in Ropo One whether {invoice_of(valid.payment)} has this "
            "payment"
        )
    elif answer.statusid is not None:
        name, meaning = STATUSES.get(answer.statusid, ("?", "a status the documentation lists"))
        text = answer.fields.get("statustext")
        result.code = f"status-{answer.statusid}"
        result.message = f"statusid {answer.statusid} {name}: {meaning}" + (
            f" (Ropo One: {text})" if text else ""
        )
    else:
        result.code = "api-error"
        result.message = f"HTTP {answer.http_status}: {answer.problem}"
    return result


def _allocation(answer: ApiAnswer) -> str:
    fields = answer.fields
    parts = [
        f"{label} {fields[name]}"
        for label, name in (
            ("notice fee", "focusedtonoticefee"),
            ("interest", "focusedtointerest"),
            ("capital", "focusedtocapital"),
        )
        if fields.get(name)
    ]
    message = "registered" + (": " + ", ".join(parts) if parts else "")
    unfocused = fields.get("unfocused")
    if unfocused and Decimal(str(unfocused)) > 0:
        message += f"; {unfocused} unfocused: an overpayment to refund or allocate by hand"
    return message
