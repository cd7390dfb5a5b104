"""Plan: what a run would do, before anything is sent.

Every row of the export read, mapped and validated (the plain rows of a text export settled a
column at a time, bulk.py), its euro or foreign sum counted, and every row that may be sent
judged against the file and the journal. What is left are the requests that would go out: a
dry run shows them as such, a real run sends them (posting.py), and the pipeline turns the
plan and the answers into the finished Report. The plan never sends and never writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from importer.bulk import Bulk, settle
from importer.duplicates import InFile, Keys, judge
from importer.export import Export
from importer.journal import Journal
from importer.mapping import map_row
from importer.models import RowResult, Transaction
from importer.posting import OnResult, Plan
from importer.problems import NOT_EURO
from importer.report import EURO, UNKNOWN_CURRENCY
from importer.validation import EURO as EURO_CODES
from importer.validation import Rules, Valid, cash, validate_row


@dataclass
class RunPlan:
    """Every row's fate as far as it is known without sending, and the requests to send."""

    export: Export
    rules: Rules
    bulk: Bulk
    results: list[RowResult | None]  # None: settled in bulk, or a request still to send
    requests: list[Plan] = field(default_factory=list)
    sum_read: Decimal = Decimal("0.00")  # the euro rows' sum, as read
    foreign: dict[int, str] = field(default_factory=dict)  # row -> its currency, not euro
    foreign_read: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    # The rows read one at a time, as read: kept only when asked (inspect counts them).
    transactions: dict[int, Transaction] = field(default_factory=dict)
    valids: dict[int, Valid] = field(default_factory=dict)  # read, waiting to be judged


def read_rows(export: Export, rules: Rules, notify: OnResult, *, keep: bool = False) -> RunPlan:
    """Read, map and validate every row; the rows that may be sent wait for `judge_rows`.
    `keep`: keep each row read one at a time as its Transaction."""
    table, columns = export.table, export.columns
    bulk = settle(export, rules)
    planned = RunPlan(export, rules, bulk, [None] * len(table.rows))
    planned.sum_read = Decimal(bulk.sum_cents()).scaleb(-2)  # bulk settles euro rows only
    for index in bulk.per_row().tolist():
        txn = map_row(table.rows[index], columns)
        if keep:
            planned.transactions[index] = txn
        _count(planned, index, txn)
        checked = validate_row(txn, columns, table.headers, rules)
        if isinstance(checked, Valid):
            planned.valids[index] = checked
        else:
            planned.results[index] = checked
            notify(checked)
    return planned


def judge_rows(
    planned: RunPlan, journal: Journal | None, everything: bool, notify: OnResult
) -> None:
    """Judge the rows that may be sent against the file and the journal: each is a request to
    send, or ends here (a duplicate, already registered, ...). `everything`: every sendable
    row, else only those that may repeat another (a dry run against an empty journal)."""
    bulk, valids = planned.bulk, planned.valids
    in_file = InFile()
    allow = planned.rules.allow_identical
    for index in bulk.to_judge(valids, everything):
        valid = valids.pop(index, None) or bulk.take(index)
        keys = in_file.check(valid)
        if isinstance(keys, Keys):
            earlier = judge(valid, keys, journal, allow)
            if earlier is None:
                planned.requests.append(Plan(index, valid, keys))
                continue
            planned.results[index] = earlier
            notify(earlier)
        else:
            planned.results[index] = keys
            notify(keys)


def settled_count(planned: RunPlan) -> int:
    """How many rows were settled in bulk without a problem."""
    return int(planned.bulk.settled().sum())


def _count(planned: RunPlan, index: int, txn: Transaction) -> None:
    moved = cash(txn)
    amount = moved if moved is not None else Decimal("0.00")
    currency = currency_of(txn)
    if currency == EURO:
        planned.sum_read += amount
        return
    planned.foreign[index] = currency
    counted, total = planned.foreign_read.get(currency, (0, Decimal("0.00")))
    planned.foreign_read[currency] = (counted + 1, total + amount)


def currency_of(txn: Transaction) -> str:
    """The row's currency for the sums: EURO, its code, or UNKNOWN_CURRENCY for a row the
    reader found not in euros without a code (KTL's currency digit)."""
    code = txn.currency.strip().upper()
    if code not in EURO_CODES:
        return code
    verdict = txn.row.verdict
    return UNKNOWN_CURRENCY if verdict is not None and verdict.code == NOT_EURO else EURO
