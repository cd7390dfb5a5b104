"""What `inspect` shows: the recognised format, the columns, counts and the first rows as they
would be posted. Reads and validates only: no journal, no credentials, no network.

It renders the plan a dry run makes (plan.py): a plain text export's plain rows are settled a
column at a time (bulk.py), every other row one at a time, and only the rows that may repeat
another are compared; so `inspect` takes about as long as `run --dry-run`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

from importer import problems
from importer.bulk import OUTGOING, SENDABLE
from importer.export import Export, open_export
from importer.mapping import map_row
from importer.models import RowResult, Transaction
from importer.plan import judge_rows, read_rows
from importer.profiles import Profile
from importer.validation import EURO, Rules, Valid, validate_row


@dataclass
class Inspection:
    """A bank export as ropo-import reads it."""

    export: Export
    counts: Counter[str] = field(default_factory=Counter)
    incoming_total: Decimal = Decimal("0.00")
    preview: list[Valid | RowResult] = field(default_factory=list)


def inspect_export(
    path: Path, profile: str | Profile | None, rows: int, rules: Rules
) -> Inspection:
    """The plan of a dry run without the journal (plan.py), counted: every row read, mapped
    and validated, duplicates within the file included; the first `rows` for the preview."""
    export = open_export(path, profile)
    table, columns = export.table, export.columns
    seen = Inspection(export)
    planned = read_rows(export, rules, lambda result: None, keep=True)
    judge_rows(planned, None, False, lambda result: None)
    requests = {request.index: request.valid for request in planned.requests}
    judged: dict[int, Valid | RowResult] = {**requests}
    for index in planned.transactions:
        result = planned.results[index]
        judged[index] = result if result is not None else requests[index]
    for index, result in enumerate(planned.results):
        if result is not None and index not in judged:
            judged[index] = result  # a settled row found to repeat another
    _count_settled(seen, planned.bulk.kinds, planned.bulk.sum_cents(planned.bulk.kinds == SENDABLE))
    for index in sorted(judged):
        txn = planned.transactions.get(index) or map_row(table.rows[index], columns)
        _count(seen, txn, judged[index])
    for index in range(min(rows, len(table.rows))):
        if index in judged:
            seen.preview.append(judged[index])
        else:
            txn = map_row(table.rows[index], columns)
            seen.preview.append(validate_row(txn, columns, table.headers, rules))
    seen.counts["rows"] = len(table.rows)
    return seen


def _count_settled(seen: Inspection, kinds: np.ndarray, cents: int) -> None:
    """The rows settled a column at a time: plain incoming payments and outgoing ones."""
    sendable = int(np.count_nonzero(kinds == SENDABLE))
    counts = seen.counts
    counts["outgoing"] += int(np.count_nonzero(kinds == OUTGOING))
    counts["incoming"] += sendable
    counts["with reference"] += sendable
    counts["ready to post"] += sendable
    seen.incoming_total += Decimal(cents).scaleb(-2)


def _count(seen: Inspection, txn: Transaction, checked: Valid | RowResult) -> None:
    counts = seen.counts
    noted = txn.row.remittance
    if txn.verdict is not None:
        counts[txn.verdict.code] += 1
    elif noted is not None and noted.registers is not None:
        counts["credit notes"] += 1  # deducted by the payer: no money of its own
    elif txn.amount is None:
        counts["unreadable amount"] += 1
    elif txn.amount < 0:
        counts["outgoing"] += 1
    elif txn.amount > 0 and txn.currency.upper() not in EURO:
        counts[f"incoming in {txn.currency.upper()}"] += 1  # never in the euro total
    elif txn.amount > 0:
        counts["incoming"] += 1
        seen.incoming_total += txn.amount
        has_reference = txn.reference or txn.billnum or txn.jobid
        counts["with reference" if has_reference else "without reference"] += 1
    if isinstance(checked, Valid):
        counts["ready to post"] += 1
    elif txn.verdict is None and checked.code not in (problems.OUTGOING, problems.ZERO_AMOUNT):
        counts[checked.code if "duplicate" in checked.code else "invalid"] += 1
