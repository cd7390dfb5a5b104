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
from importer.errors import ApiUnavailableError, CredentialsError, DeliveryUnknown
from importer.export import open_export
from importer.journal import Entry, Journal, row_key
from importer.models import STATUSES, ApiAnswer, Outcome, RowResult, SourceRow
from importer.profiles import Profile
from importer.report import Report
from importer.settings import ApiSettings
from importer.validation import Valid, validate_row

OnResult = Callable[[RowResult], None]


@dataclass(frozen=True)
class Plan:
    """A row that passed validation and is not yet known to the journal."""

    index: int
    valid: Valid
    key: str


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
    dry_run: bool = False,
    on_result: OnResult | None = None,
    outside: Outside = Outside(),
) -> Report:
    """Import one bank export. `api` is needed unless `dry_run`; a dry run posts nothing.

    `profile` is a built-in profile's name, a profile file's path or a Profile; None
    recognises the export from its content. A dry run with `api` looks rows up in the journal,
    so it shows what a real run would skip.
    """
    started = datetime.now().astimezone()
    export = open_export(path, profile)
    table, columns = export.table, export.columns
    endpoint = api.base_url if api else None
    cid = api.credentials.cid if api else None
    journal = Journal(journal_path, endpoint or "", cid or "", read_only=dry_run or api is None)
    results: list[RowResult | None] = [None] * len(table.rows)
    plans: list[Plan] = []
    first_line: dict[str, int] = {}
    notify = on_result or (lambda result: None)
    try:
        for index, txn in enumerate(export.transactions()):
            row = txn.row
            checked = validate_row(txn, columns, table.headers)
            if isinstance(checked, RowResult):
                results[index] = checked
                notify(checked)
                continue
            key = row_key(checked.payment, checked.archive_id, checked.payer)
            if key in first_line:
                results[index] = _duplicate(checked, key, first_line[key])
                notify(results[index])
                continue
            first_line[key] = row.line
            entry = journal.lookup(key)
            if entry is not None:
                results[index] = _from_journal(checked, entry)
                notify(results[index])
            else:
                plans.append(Plan(index, checked, key))
        stopped = None
        if dry_run or api is None:
            for plan in plans:
                results[plan.index] = RowResult(
                    plan.valid.row,
                    Outcome.SKIPPED,
                    "dry-run",
                    "dry run: this payment would be sent",
                    payment=plan.valid.payment,
                    amount=plan.valid.payment.amount,
                )
                notify(results[plan.index])
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
            journal.record_intent(plan.key, payment, row.file, row.line)
            try:
                answer = await client.post_payment(payment)
            except DeliveryUnknown as exc:
                result = RowResult(
                    row,
                    Outcome.UNKNOWN,
                    "no-answer",
                    f"{exc}; check in Ropo One whether {_invoice(plan.valid)} has a payment "
                    f"of {payment.amount} dated {payment.paydate} before sending it again",
                    payment=payment,
                    amount=payment.amount,
                )
            except (ApiUnavailableError, CredentialsError) as exc:
                journal.forget_intent(plan.key)
                for rest in plans[done:]:
                    results[rest.index] = RowResult(
                        rest.valid.row,
                        Outcome.SKIPPED,
                        "not-sent",
                        "not sent: the run stopped before this row; run the same command "
                        "again to send it",
                        payment=rest.valid.payment,
                        amount=rest.valid.payment.amount,
                    )
                    notify(results[rest.index])
                return str(exc)
            else:
                result = _from_answer(plan.valid, answer)
                journal.record_answer(
                    plan.key,
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
            f"with statusid 6; check in Ropo One whether {_invoice(valid)} has this payment"
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


def _from_journal(valid: Valid, entry: Entry) -> RowResult:
    payment = valid.payment
    result = RowResult(
        valid.row,
        Outcome.SKIPPED,
        payment=payment,
        amount=payment.amount,
        response=entry.response,
    )
    if entry.state == "sending":
        result.outcome, result.code = Outcome.UNKNOWN, "unanswered-earlier"
        result.message = (
            f"sent at {entry.sent_at} in an earlier run, but no answer was recorded; check in "
            f"Ropo One whether {_invoice(valid)} has a payment of {payment.amount} dated "
            f"{payment.paydate}"
        )
    elif entry.outcome == Outcome.POSTED.value:
        result.code = "already-registered"
        result.message = f"already registered in an earlier run at {entry.sent_at}"
    else:
        result.outcome = Outcome(entry.outcome or Outcome.REJECTED.value)
        result.code = "answered-earlier"
        result.message = f"answered in an earlier run at {entry.sent_at}: {entry.message}"
    return result


def _duplicate(valid: Valid, key: str, line: int) -> RowResult:
    same = "archive id" if key.startswith("archive:") else "date, amount, reference and payer"
    return RowResult(
        valid.row,
        Outcome.SKIPPED,
        "duplicate-in-file",
        f"same {same} as line {line}: sent once only",
        payment=valid.payment,
        amount=valid.payment.amount,
    )


def _invoice(valid: Valid) -> str:
    payment = valid.payment
    if payment.billcode:
        return f"the invoice with reference {payment.billcode}"
    if payment.jobid is not None:
        return f"job {payment.jobid}"
    return f"invoice {payment.billnum}"
