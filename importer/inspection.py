"""What `inspect` shows: the recognised format, the columns, counts and the first rows as they
would be posted. Reads and validates only: no journal, no credentials, no network.

It renders the plan a dry run makes (plan.py), counted a column at a time. The rows a rule ends
are counted by the rule (its code), without their messages: only the preview's rows are
worded. So `inspect` takes less time than `run --dry-run`, which words every one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, compress
from pathlib import Path

import numpy as np

from importer import problems
from importer.engine.cells import each_distinct
from importer.engine.fields import Fields
from importer.engine.payment import plain
from importer.engine.settled import SENDABLE
from importer.export import Export, open_export
from importer.mapping import clean
from importer.models import CellValue, RowResult
from importer.plan import RunPlan, judge_rows, read_rows
from importer.profiles import FieldName, Profile
from importer.validation import Rules, Valid


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
    """The plan of a dry run without the journal (plan.py), counted: every row read and
    judged, duplicates within the file included; the first `rows` for the preview."""
    export = open_export(path, profile)
    seen = Inspection(export)
    # The rows a rule ends are counted by rule; only the preview's get their message.
    planned = read_rows(export, rules, lambda result: None, made=False)
    judge_rows(planned, None, False, lambda result: None)
    _count(seen, planned)
    requests = {request.index: request.valid for request in planned.requests}
    for index in range(min(rows, planned.fields.count)):
        seen.preview.append(_previewed(planned, requests, index))
    seen.counts["rows"] = planned.fields.count
    return seen


def _previewed(planned: RunPlan, requests: dict[int, Valid], index: int) -> Valid | RowResult:
    result = planned.results[index] or planned.judged.made(planned.fields, planned.rules, index)
    if result is not None:
        return result
    if index in requests:
        return requests[index]
    if planned.settled.kinds[index] == SENDABLE:
        return plain(planned.fields, index)
    return planned.settled.result(index)


def _count(seen: Inspection, planned: RunPlan) -> None:
    """Each row's kind of money and fate, counted a column at a time; the counts are listed
    in the order they are first met in the file, as a reader going down the rows meets them."""
    fields = planned.fields
    met: dict[str, tuple[int, int]] = {}  # name -> (first row, rows)

    def add(name: str, rows: np.ndarray) -> None:
        if len(rows):
            first, counted = met.get(name, (fields.count, 0))
            met[name] = (min(first, int(rows[0])), counted + len(rows))

    open_rows = np.ones(fields.count, dtype=bool)
    kinds: dict[str, list[int]] = {}
    for index, verdict in sorted(fields.verdicts.items()):
        kinds.setdefault(verdict.code, []).append(index)
        open_rows[index] = False
    for index, noted in sorted(fields.cells.remittances.items()):
        if open_rows[index] and noted.registers is not None:
            kinds.setdefault("credit notes", []).append(index)  # no money of its own
            open_rows[index] = False
    for name, rows in kinds.items():
        add(name, np.asarray(rows))
    amounts = fields.amounts
    sign = amounts.sign()
    add("unreadable amount", np.flatnonzero(open_rows & ~amounts.has))
    open_rows &= amounts.has
    add("outgoing", np.flatnonzero(open_rows & (sign < 0)))
    incoming = open_rows & (sign > 0)
    foreign = np.zeros(fields.count, dtype=bool)
    foreign[list(planned.foreign)] = True  # every row not in euros (plan.py)
    abroad = np.flatnonzero(incoming & foreign)
    currencies = planned.currency[abroad]
    for currency in dict.fromkeys(str(c) for c in currencies):
        add(f"incoming in {currency}", abroad[currencies == currency])
    incoming &= ~foreign  # a foreign amount is never in the euro total
    add("incoming", np.flatnonzero(incoming))
    seen.incoming_total += amounts.total(incoming)
    named = _named(fields)
    add("with reference", np.flatnonzero(incoming & named))
    add("without reference", np.flatnonzero(incoming & ~named))
    ready = planned.settled.kinds == SENDABLE
    ready[[request.index for request in planned.requests]] = True
    add("ready to post", np.flatnonzero(ready))
    ended: dict[str, list[int]] = {}
    # Most rows are settled (None): only the others are looked at, one at a time; a row a
    # rule ended without its result made is counted by the rule's code.
    made = planned.results
    with_result = ((i, made[i]) for i in compress(range(len(made)), made))
    by_result = ((i, result.code) for i, result in with_result if result is not None)
    by_rule = ((i, rule.code) for i, rule in planned.judged.unmade.items())
    for index, ended_as in chain(by_result, by_rule):
        if index in fields.verdicts or ended_as in (problems.OUTGOING, problems.ZERO_AMOUNT):
            continue
        name = ended_as if ended_as and "duplicate" in ended_as else "invalid"
        ended.setdefault(name, []).append(index)
    for name, found in ended.items():
        add(name, np.sort(np.asarray(found)))
    for name, (_first, counted) in sorted(met.items(), key=lambda item: item[1][0]):
        seen.counts[name] += counted


def _named(fields: Fields) -> np.ndarray:
    """Rows with a reference, a jobid or an invoice number."""
    named = np.zeros(fields.count, dtype=bool)
    for name in ("reference", "billnum", "jobid"):
        raw = fields.raw(name)
        if raw is None:
            continue
        # A reference the engine read for the plan is there; only the other cells (about one
        # in thirty in a month's export) are cleaned to see whether anything is left of them.
        read = fields.plain_references if name == "reference" else np.zeros(len(raw), bool)
        rest = np.flatnonzero(~read)
        named |= read
        named[rest] |= each_distinct(raw[rest], _cleaner(fields, name)) != ""
    return named


def _cleaner(fields: Fields, name: FieldName) -> Callable[[CellValue], str]:
    return lambda value: "" if value is None else clean(value, fields.profile, name)
