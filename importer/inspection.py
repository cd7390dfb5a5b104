"""What `inspect` shows: the recognised format, the columns, counts and the first rows as they
would be posted. Reads and validates only: no journal, no credentials, no network.

It judges the rows as a dry run does: a plain text export's plain rows are settled a column at
a time (bulk.py), every other row one at a time, and only the rows that may repeat another are
compared; so `inspect` takes about as long as `run --dry-run`, not one call per row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

from importer.bulk import OUTGOING, SENDABLE, settle
from importer.duplicates import InFile, Keys, judge
from importer.export import Export, open_export
from importer.mapping import map_row
from importer.models import RowResult, Transaction
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
    """Read, map and validate every row, duplicates within the file included (the journal is
    not consulted); keep the first `rows` outcomes for the preview."""
    export = open_export(path, profile)
    table, columns = export.table, export.columns
    seen = Inspection(export)
    bulk = settle(export, rules)
    judged: dict[int, tuple[Transaction, Valid | RowResult]] = {}
    valids: dict[int, Valid] = {}
    for index in bulk.per_row().tolist():
        txn = map_row(table.rows[index], columns)
        checked = validate_row(txn, columns, table.headers, rules)
        judged[index] = (txn, checked)
        if isinstance(checked, Valid):
            valids[index] = checked
    in_file = InFile()
    for index in bulk.to_judge(valids, everything=False):
        if index not in judged:  # a settled row that may repeat another: read it whole
            valids[index] = bulk.take(index)
            judged[index] = (map_row(table.rows[index], columns), valids[index])
        keys = in_file.check(valids[index])
        held = (
            judge(valids[index], keys, None, rules.allow_identical)
            if isinstance(keys, Keys)
            else keys
        )
        if held is not None:
            judged[index] = (judged[index][0], held)
    _count_settled(seen, bulk.kinds, bulk.sum_cents(bulk.kinds == SENDABLE))
    for index in sorted(judged):
        _count(seen, *judged[index])
    for index in range(min(rows, len(table.rows))):
        if index in judged:
            seen.preview.append(judged[index][1])
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
    elif txn.verdict is None and checked.code not in ("outgoing", "zero-amount"):
        counts[checked.code if "duplicate" in checked.code else "invalid"] += 1
