"""`inspect` renders the plan a dry run makes (issue 16: it was a third loop, one call per
row, 30 times slower than the dry run), counted a column at a time.

The oracle below is the count inspection.py once made one row at a time, in file order: each
row's canonical fields (engine.fields.transactions) and the dry run's result for it. The
messy exports of tests/test_engine.py and every shipped sample give the same counts, in the
same order, the same euro total and the same preview both ways.
"""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from importer.cli.inspect import _SHOWN_COUNTS
from importer.engine.fields import transactions
from importer.export import open_export
from importer.inspection import inspect_export
from importer.models import RowResult
from importer.pipeline import run_import
from importer.readers import frame
from importer.validation import EURO, Rules, Valid
from tests.test_engine import OP_HEADER, RULES, _op_rows

SAMPLES = Path(__file__).parent.parent / "sample_files"


def _row_by_row(
    path: Path, rows: int, rules: Rules, tmp_path: Path
) -> tuple[Counter[str], Decimal, list[str]]:
    export = open_export(path)
    counts: Counter[str] = Counter()
    total = Decimal("0.00")
    preview: list[str] = []
    journal = tmp_path / "never-written.sqlite"
    report = run_import(path, journal_path=journal, rules=rules, dry_run=True)
    for txn, checked in zip(transactions(export), report.results, strict=True):
        if len(preview) < rows:
            preview.append(_shown(checked))
        counts["rows"] += 1
        noted = txn.row.remittance
        if txn.verdict is not None:
            counts[txn.verdict.code] += 1
        elif noted is not None and noted.registers is not None:
            counts["credit notes"] += 1
        elif txn.amount is None:
            counts["unreadable amount"] += 1
        elif txn.amount < 0:
            counts["outgoing"] += 1
        elif txn.amount > 0 and txn.currency.upper() not in EURO:
            counts[f"incoming in {txn.currency.upper()}"] += 1
        elif txn.amount > 0:
            counts["incoming"] += 1
            total += txn.amount
            has_reference = txn.reference or txn.billnum or txn.jobid
            counts["with reference" if has_reference else "without reference"] += 1
        if checked.code == "dry-run":
            counts["ready to post"] += 1
        elif txn.verdict is None and checked.code not in ("outgoing", "zero-amount"):
            counts[checked.code if "duplicate" in checked.code else "invalid"] += 1
    return counts, total, preview


def _shown(checked: Valid | RowResult) -> str:
    if isinstance(checked, Valid):
        return f"{checked.row.line} POST {checked.payment.body()}"
    if checked.code == "dry-run" and checked.payment is not None:
        return f"{checked.row.line} POST {checked.payment.body()}"
    return f"{checked.row.line} {checked.outcome.value} {checked.code} {checked.message}"


def _same(path: Path, tmp_path: Path, rules: Rules = RULES) -> None:
    seen = inspect_export(path, None, 30, rules)
    counts, total, preview = _row_by_row(path, 30, rules, tmp_path)
    assert +seen.counts == +counts
    # The "also:" line lists the other counts in the order they were first met.
    assert [k for k in seen.counts if k not in _SHOWN_COUNTS and seen.counts[k]] == [
        k for k in counts if k not in _SHOWN_COUNTS
    ]
    assert seen.incoming_total == total
    assert [_shown(c) for c in seen.preview] == preview


@pytest.mark.parametrize("distinct", [False, True], ids=["repeated-invoices", "an-invoice-each"])
@pytest.mark.parametrize("seed", range(4))
def test_inspect_counts_a_messy_export_as_the_row_by_row_reading_does(
    seed: int, distinct: bool, tmp_path: Path
) -> None:
    path = tmp_path / "messy.csv"
    lines = _op_rows(random.Random(seed), 600, distinct=distinct)
    path.write_text(OP_HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert isinstance(open_export(path).table.rows, frame.FrameRows)  # the quick way in
    _same(path, tmp_path)


@pytest.mark.parametrize(
    "sample", sorted(p.name for p in SAMPLES.iterdir() if p.name != "sandbox-ledger.csv")
)
def test_inspect_counts_every_shipped_sample_as_the_row_by_row_reading_does(
    sample: str, tmp_path: Path
) -> None:
    _same(SAMPLES / sample, tmp_path)
