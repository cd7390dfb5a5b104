"""Plan: what a run would do, before anything is sent.

Every row of the export read a column at a time and judged by the rules (engine/), its euro
or foreign sum counted, and every row that may be sent judged against the file and the
journal. What is left are the requests that would go out: a dry run shows them as such, a
real run sends them (posting.py), and the pipeline turns the plan and the answers into the
finished Report. `inspect` renders the same plan. The plan never sends and never writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from importer.duplicates import identity, judge, keys, payer_identity, repeated_archive_id
from importer.engine.cells import each_distinct
from importer.engine.fields import Fields
from importer.engine.references import reference_number
from importer.engine.repeats import ints, mixed, occurrences, repeated
from importer.engine.rules import Judged, apply, plain_rows
from importer.engine.settled import OUTGOING_KIND, SENDABLE, Settled
from importer.export import Export
from importer.journal import Journal
from importer.models import RowResult
from importer.posting import OnResult, Plan
from importer.problems import NOT_EURO
from importer.report import EURO, UNKNOWN_CURRENCY
from importer.validation import Rules


@dataclass
class RunPlan:
    """Every row's fate as far as it is known without sending, and the requests to send."""

    export: Export
    rules: Rules
    fields: Fields
    judged: Judged
    settled: Settled
    results: list[RowResult | None]  # None: settled, or a request still to send
    requests: list[Plan] = field(default_factory=list)
    sum_read: Decimal = Decimal("0.00")  # the euro rows' sum, as read
    foreign: dict[int, str] = field(default_factory=dict)  # row -> its currency, not euro
    foreign_read: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    # Each row's currency (currencies()), as read_rows counted the sums with it.
    currency: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))


def read_rows(export: Export, rules: Rules, notify: OnResult, *, made: bool = True) -> RunPlan:
    """Read every row and judge it by the rules; the rows that may be sent wait for
    `judge_rows`. `made=False`: the rows a rule ends are left without their RowResult
    (judged.unmade), for a count that shows only a few of them (inspect)."""
    fields = Fields(export, rules)
    judged = apply(fields, rules, made=made)
    kinds = np.zeros(fields.count, dtype=np.int8)
    kinds[judged.settled] = OUTGOING_KIND
    kinds[judged.sendable & plain_rows(fields)] = SENDABLE
    planned = RunPlan(export, rules, fields, judged, Settled(fields, kinds), [None] * fields.count)
    for index in sorted(judged.results):
        planned.results[index] = judged.results[index]
        notify(judged.results[index])
    _count(planned)
    return planned


def judge_rows(
    planned: RunPlan, journal: Journal | None, everything: bool, notify: OnResult
) -> None:
    """Judge the rows that may be sent against the file and the journal: each is a request to
    send, or ends here (a duplicate, already registered, ...). `everything`: every sendable
    row, else only those that may repeat another (a dry run against an empty journal)."""
    settled, valids = planned.settled, planned.judged.valids
    plain_sendable = np.flatnonzero(settled.kinds == SENDABLE)
    chosen = plain_sendable if everything else plain_sendable[_maybe_repeated(planned)]
    for index in chosen.tolist():
        valids[index] = settled.take(index)
    rows = sorted(valids)
    found = [valids[i] for i in rows]
    archives = [v.archive_id or "" for v in found]
    identities = ["|".join(identity(v.payment, v.payer)) for v in found]
    earlier, occurrence, first = occurrences(rows, archives, identities)
    lines = planned.fields.cells.lines
    allow = planned.rules.allow_identical
    for at, (index, valid) in enumerate(zip(rows, found, strict=True)):
        del valids[index]
        ended: RowResult | None
        if earlier[at] >= 0:
            ended = repeated_archive_id(valid, int(lines[earlier[at]]))
        else:
            row_keys = keys(valid, int(occurrence[at]), int(lines[first[at]]))
            ended = judge(valid, row_keys, journal, allow)
            if ended is None:
                planned.requests.append(Plan(index, valid, row_keys))
                continue
        planned.results[index] = ended
        notify(ended)


def settled_count(planned: RunPlan) -> int:
    """How many rows were settled without a problem."""
    return int(planned.settled.mask().sum())


def _maybe_repeated(planned: RunPlan) -> np.ndarray:
    """Which plain sendable rows may repeat a sendable row: they share an archive id, or one
    mixed number of date, amount, reference and payer (a unique number repeats nothing)."""
    fields, settled, valids = planned.fields, planned.settled, planned.judged.valids
    plain_rows_ = np.flatnonzero(settled.kinds == SENDABLE)
    found = [valids[i] for i in sorted(valids)]
    seen = [identity(v.payment, v.payer) for v in found]
    archives = np.concatenate(
        [
            fields.text("archive_id")[plain_rows_],
            np.array([v.archive_id or "" for v in found], dtype=object),
        ]
    )
    twice = repeated(archives, ignore="")
    days = np.concatenate(
        [fields.paydates.days[plain_rows_], ints(v.payment.paydate.toordinal() for v in found)]
    )
    cents = np.concatenate(
        [fields.amounts.cents[plain_rows_], ints(int(v.payment.amount.scaleb(2)) for v in found)]
    )
    references = np.concatenate(
        [fields.reference_numbers[plain_rows_], ints(reference_number(i[0]) for i in seen)]
    )
    payers = np.concatenate([_payer_hashes(fields)[plain_rows_], ints(hash(i[3]) for i in seen)])
    twice |= repeated(mixed(days, cents, references, payers))
    return twice[: len(plain_rows_)]


def _payer_hashes(fields: Fields) -> np.ndarray:
    """Each row's payer as the fingerprint compares it, hashed (once per distinct payer)."""
    payers = each_distinct(fields.text("payer"), lambda payer: hash(payer_identity(payer)))
    return payers.astype(np.int64) if len(payers) else np.zeros(fields.count, dtype=np.int64)


def _count(planned: RunPlan) -> None:
    """The "in" side of the balance: the euro rows' sum, and each other currency's rows and
    sum, as read (a row that registers a credit note moves no money)."""
    fields = planned.fields
    currency = planned.currency = currencies(fields)
    moves = np.ones(fields.count, dtype=bool)
    for index, noted in fields.cells.remittances.items():
        moves[index] = noted.registers is None
    euro = currency == EURO
    planned.sum_read = fields.amounts.total(euro & moves)
    for index in np.flatnonzero(~euro).tolist():
        code = str(currency[index])
        planned.foreign[index] = code
        amount = fields.amounts.value(index) if moves[index] else None
        counted, total = planned.foreign_read.get(code, (0, Decimal("0.00")))
        planned.foreign_read[code] = (counted + 1, total + (amount or Decimal("0.00")))


def currencies(fields: Fields) -> np.ndarray:
    """Each row's currency for the sums: EURO, its code, or UNKNOWN_CURRENCY for a row the
    reader found not in euros without a code (KTL's currency digit)."""
    found = np.full(fields.count, EURO, dtype=object)
    foreign = ~fields.euro
    found[foreign] = fields.currencies[foreign]
    for index, verdict in fields.cells.verdicts.items():
        if verdict.code == NOT_EURO and found[index] == EURO:
            found[index] = UNKNOWN_CURRENCY
    return found
