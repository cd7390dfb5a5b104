"""Every accepted sample, run through `ropo-import run` against the sandbox, ends as its golden.

The parse goldens (tests/test_samples.py) say what is read; these say what a run does with it:
for each row of the Results sheet its outcome, code, the identifier and amount sent and the
credit note columns, then the balance lines and the exit code. The golden is
tests/samples/run/<folder>--<name>.txt; `ROPO_UPDATE_GOLDEN=1` rewrites them (read every diff).
The sandbox's ledger is sample_files/sandbox-ledger.csv, so most references of the published
files are not found there (status-10): that is part of what the golden holds.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from importer.cli import cli
from tests.conftest import Sandbox
from tests.sheets import keyed

SAMPLES = Path(__file__).parent / "samples"
RUNS = SAMPLES / "run"
ROOT = SAMPLES.parent.parent
EVERY_DATE = ("--max-age", "20000")  # the published files are from 2006-2018
# Runs that need an option to show what the issue asks for.
WITH_OPTIONS = {"camt054/camt054-remittance": [("send", ["--credit-notes", "send"])]}


def _accepted() -> list[tuple[str, Path, list[str]]]:
    cases = []
    for golden in sorted(SAMPLES.rglob("*.json")):
        expected = json.loads(golden.read_text(encoding="utf-8"))
        if "error" in expected:
            continue
        named = expected.get("input")
        source = (
            ROOT / named
            if named
            else next(p for p in golden.parent.glob(golden.stem + ".*") if p.suffix != ".json")
        )
        chosen = ["--profile", expected["chosen"]] if expected.get("chosen") else []
        key = f"{golden.parent.relative_to(SAMPLES).as_posix()}/{golden.stem}"
        cases.append((key, source, chosen))
        for suffix, options in WITH_OPTIONS.get(key, []):
            cases.append((f"{key}--{suffix}", source, [*chosen, *options]))
    return cases


CASES = _accepted()


def _cell(value: Any, money: bool = False) -> str:
    if value is None:
        return ""
    if money and isinstance(value, (int, float)):  # as openpyxl gives them: shown, not summed
        return f"{Decimal(str(value)):.2f}"
    return str(value)


def _table(workbook: Path) -> list[str]:
    book = load_workbook(workbook, read_only=True)
    rows = list(book["Results"].iter_rows(values_only=True))
    book.close()
    header = keyed(rows[0], "Results")
    lines = []
    for values in rows[1:]:
        row = dict(zip(header, values, strict=False))
        named = [name for name in ("billcode", "jobid", "billnum") if row.get(name)]
        sent = f"{named[0]} {_cell(row.get(named[0]))}" if named else "-"
        extra = [
            f"{name} {_cell(row.get(name))}"
            for name in ("creditnotebillnum", "CreditNotes", "statusid")
            if row.get(name) not in (None, "")
        ]
        lines.append(
            f"line {row['source_row']}: {row['outcome']} [{row['code']}] {sent} "
            f"amount {_cell(row.get('amount'), money=True)}" + "".join(f"; {e}" for e in extra)
        )
    return lines


@pytest.mark.parametrize(("key", "source", "options"), CASES, ids=[c[0] for c in CASES])
def test_a_run_against_the_sandbox_ends_as_its_golden(
    key: str, source: Path, options: list[str], ropo_env: Sandbox, tmp_path: Path
) -> None:
    workbook = tmp_path / "result.xlsx"
    outcome = CliRunner().invoke(
        cli,
        [
            "run",
            str(source),
            "--output",
            str(workbook),
            "--journal",
            str(tmp_path / "journal.sqlite"),
            *EVERY_DATE,
            *options,
        ],
    )
    assert outcome.exit_code in (0, 2), outcome.output
    summary = [
        line
        for line in outcome.stdout.splitlines()
        if line.startswith(("rows read", "sum read", "credit notes registered"))
        or re.match(r"[A-Z?]{1,3}: ", line)
    ]
    assert all("DOES NOT BALANCE" not in line for line in summary), summary
    text = "\n".join([f"exit {outcome.exit_code}", *summary, *_table(workbook)]) + "\n"
    golden = RUNS / f"{key.replace('/', '--')}.txt"
    if os.environ.get("ROPO_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        return
    assert text == golden.read_text(encoding="utf-8")
