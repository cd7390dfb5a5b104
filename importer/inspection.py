"""What `inspect` shows: the recognised format, the columns, counts and the first rows as they
would be posted. Reads and validates only: no journal, no credentials, no network.

It renders the plan a dry run makes (plan.py), counted a column at a time, so `inspect` takes
no longer than `run --dry-run`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
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
from importer.report import EURO
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
    planned = read_rows(export, rules, lambda result: None)
    judge_rows(planned, None, False, lambda result: None)
    _count(seen, planned)
    requests = {request.index: request.valid for request in planned.requests}
    for index in range(min(rows, planned.fields.count)):
        seen.preview.append(_previewed(planned, requests, index))
    seen.counts["rows"] = planned.fields.count
    return seen


def _previewed(planned: RunPlan, requests: dict[int, Valid], index: int) -> Valid | RowResult:
    result = planned.results[index]
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
    currency = planned.currency
    for code in dict.fromkeys(str(c) for c in currency[incoming & (currency != EURO)]):
        add(f"incoming in {code}", np.flatnonzero(incoming & (currency == code)))
    incoming &= currency == EURO  # a foreign amount is never in the euro total
    add("incoming", np.flatnonzero(incoming))
    seen.incoming_total += amounts.total(incoming)
    named = _named(fields)
    add("with reference", np.flatnonzero(incoming & named))
    add("without reference", np.flatnonzero(incoming & ~named))
    ready = planned.settled.kinds == SENDABLE
    ready[[request.index for request in planned.requests]] = True
    add("ready to post", np.flatnonzero(ready))
    ended: dict[str, list[int]] = {}
    results = np.empty(fields.count, dtype=object)
    results[:] = planned.results
    # Most rows are settled (None): only the others are looked at, one at a time.
    for index in np.flatnonzero(results != None).tolist():  # noqa: E711 (elementwise)
        result = planned.results[index]
        if result is None or index in fields.verdicts:
            continue
        if result.code not in (problems.OUTGOING, problems.ZERO_AMOUNT):
            ended.setdefault(result.code if "duplicate" in result.code else "invalid", [])
            ended[result.code if "duplicate" in result.code else "invalid"].append(index)
    for name, rows in ended.items():
        add(name, np.asarray(rows))
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
