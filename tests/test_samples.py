"""Every sample bank export parses to its golden output; refused files stop with one line.

`tests/samples/<format>/<name>.json` is the expected result for the input beside it (same
name, another suffix), or for the file its "input" names, relative to the repository (the
samples in sample_files/); "chosen" names the profile for a file that is not recognised
without one (generic). Adding a bank is adding files, not test code. After a deliberate
change, `ROPO_UPDATE_GOLDEN=1 python -m pytest tests/test_samples.py` rewrites the goldens.
"""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from importer.cli import cli
from importer.engine.fields import transactions
from importer.errors import ImporterError
from importer.export import open_export
from importer.models import Transaction

ROOT = Path(__file__).parent.parent
SAMPLES = Path(__file__).parent / "samples"
GOLDEN = sorted(SAMPLES.rglob("*.json"))
REFUSED = sorted(p for p in GOLDEN if "error" in json.loads(p.read_text(encoding="utf-8")))


def input_of(golden: Path) -> Path:
    named = json.loads(golden.read_text(encoding="utf-8")).get("input")
    if named:
        return ROOT / named
    (found,) = [p for p in golden.parent.glob(golden.stem + ".*") if p.suffix != ".json"]
    return found


def parsed(path: Path, chosen: str | None = None) -> dict[str, Any]:
    """What ropo-import reads from a file, as plain JSON values."""
    try:
        export = open_export(path, chosen)
    except ImporterError as exc:
        return {"error": str(exc).replace(str(path), "{file}")}
    return {
        "profile": export.profile.name,
        "read_as": export.table.form,
        "columns": export.columns.names,
        "rows": [_row(txn) for txn in transactions(export)],
    }


def _row(txn: Transaction) -> dict[str, Any]:
    def day(value: object) -> str | None:
        return value.isoformat() if value is not None else None  # type: ignore[attr-defined]

    return {
        "line": txn.row.line,
        **({"sheet": txn.row.sheet} if txn.row.sheet else {}),
        "archive_id": txn.archive_id,
        "booking_date": day(txn.booking_date),
        "value_date": day(txn.value_date),
        "payment_date": day(txn.payment_date),
        "paydate": day(txn.paydate),
        "amount": None if txn.amount is None else str(txn.amount),
        "reference": txn.reference,
        "payer": txn.payer,
        "message": txn.message,
        "billnum": txn.billnum,
        "currency": txn.currency,
        "verdict": f"{txn.verdict.outcome}:{txn.verdict.code}" if txn.verdict else None,
        "problems": [f"{p.field}:{p.code}" for p in txn.problems],
        **_remittance(txn),
    }


def _remittance(txn: Transaction) -> dict[str, Any]:
    """What a camt remittance adds to a row: the credit notes it carries or registers."""
    noted = txn.row.remittance
    if noted is None:
        return {}
    return {
        "credit_notes": [str(c) for c in noted.credit_notes],
        "registers": str(noted.registers) if noted.registers else None,
        "part": noted.part or None,
    }


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_sample_parses_to_its_golden_output(golden: Path) -> None:
    expected = json.loads(golden.read_text(encoding="utf-8"))
    chosen = expected.pop("chosen", None)
    actual = parsed(input_of(golden), chosen)
    if os.environ.get("ROPO_UPDATE_GOLDEN"):
        named = {"input": expected["input"]} if "input" in expected else {}
        named |= {"chosen": chosen} if chosen else {}
        text = json.dumps({**named, **actual}, ensure_ascii=False, indent=1)
        golden.write_text(text + "\n", encoding="utf-8")
        return
    expected.pop("input", None)
    assert actual == expected


def test_every_shipped_sample_has_a_golden_file() -> None:
    covered = {input_of(golden).resolve() for golden in GOLDEN}
    shipped = {
        p.resolve() for p in (ROOT / "sample_files").iterdir() if p.name != "sandbox-ledger.csv"
    }
    assert shipped <= covered, sorted(p.name for p in shipped - covered)


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_inspect_works_on_every_sample_without_a_profile(golden: Path) -> None:
    chosen = json.loads(golden.read_text(encoding="utf-8")).get("chosen")
    options = ["--profile", chosen] if chosen else []
    outcome = CliRunner().invoke(cli, ["inspect", str(input_of(golden)), *options])
    if golden in REFUSED:
        assert outcome.exit_code == 1
        assert outcome.stdout == ""
        assert outcome.stderr.count("\n") == 1, outcome.stderr
        assert outcome.stderr.startswith("ropo-import: error: ")
    else:
        assert outcome.exit_code == 0, outcome.stderr
        assert f"profile:  {json.loads(golden.read_text(encoding='utf-8'))['profile']} (" in (
            outcome.stdout
        )


@pytest.mark.parametrize("golden", REFUSED, ids=lambda p: p.stem)
def test_refused_files_stop_at_once_without_large_memory(golden: Path) -> None:
    path = input_of(golden)
    tracemalloc.start()
    started = time.process_time()
    with pytest.raises(ImporterError):
        open_export(path)
    spent = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert spent < 1.0  # the bound: a refused file stops within a second
    assert peak < 16 << 20
