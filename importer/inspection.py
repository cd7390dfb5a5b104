"""What `inspect` shows: the recognised format, the columns, counts and the first rows as they
would be posted. Reads and validates only: no journal, no credentials, no network."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from importer.duplicates import InFile, Keys, judge
from importer.export import Export, open_export
from importer.models import RowResult
from importer.problems import OUTGOING, ZERO_AMOUNT
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
    seen = Inspection(export)
    counts = seen.counts
    in_file = InFile()
    for txn in export.transactions():
        checked = validate_row(txn, export.columns, export.table.headers, rules)
        if isinstance(checked, Valid):
            keys = in_file.check(checked)
            held = (
                judge(checked, keys, None, rules.allow_identical)
                if isinstance(keys, Keys)
                else keys
            )
            checked = held or checked
        if len(seen.preview) < rows:
            seen.preview.append(checked)
        counts["rows"] += 1
        if txn.verdict is not None:
            counts[txn.verdict.code] += 1
        elif txn.row.remittance is not None and txn.row.remittance.registers is not None:
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
        elif txn.verdict is None and checked.code not in (OUTGOING, ZERO_AMOUNT):
            counts[checked.code if "duplicate" in checked.code else "invalid"] += 1
    return seen
