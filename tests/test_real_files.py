"""Exports that banks and other projects published, read as a user would read them.

Each file under tests/samples/real/ (sources and licences in its SOURCES.md) has three checks:
its parse golden beside it (tests/test_samples.py), `ropo-import inspect` against the text in
tests/samples/real/inspect/, and, when it is accepted, `ropo-import run` against a sandbox
process with rows and sums in = out. `ROPO_UPDATE_GOLDEN=1` rewrites the inspect goldens too.
The files are dated 2011-2018: they are read with a --max-age that lets every date through, so
that the goldens show what would be posted rather than one old-date refusal per row.
"""

from __future__ import annotations

import json
import os
import re
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from importer.cli import cli
from importer.engine.fields import transactions
from importer.errors import ImporterError
from importer.export import open_export
from importer.report import money
from tests.conftest import CID, sandbox_process

REAL = Path(__file__).parent / "samples" / "real"
INSPECT = REAL / "inspect"
EVERY_DATE = ("--max-age", "20000")

# A published file that is rightly refused: the sum record does not match its records.
INCONSISTENT = "ktl/corporatejs-ktl-spec-example.txt"


def _inputs() -> list[Path]:
    return sorted(
        p
        for p in REAL.rglob("*")
        if p.is_file() and p.suffix not in {".json", ".md"} and INSPECT not in p.parents
    )


INPUTS = _inputs()


def _name(path: Path) -> str:
    return path.relative_to(REAL).as_posix()


def _golden(path: Path) -> dict[str, object] | None:
    beside = path.with_suffix(".json")
    return json.loads(beside.read_text(encoding="utf-8")) if beside.exists() else None


ACCEPTED = [p for p in INPUTS if (g := _golden(p)) is not None and "error" not in g]


def test_there_are_real_files_of_every_kind_the_issue_names() -> None:
    kinds = {p.parent.name for p in INPUTS}
    assert {"camt054", "camt053", "ktl", "tito", "csv"} <= kinds
    assert len(INPUTS) >= 8
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    named = list(map(_name, INPUTS))
    assert [name for name in named if f"`{name}`" not in sources] == []


def test_every_real_file_has_a_parse_golden() -> None:
    assert [_name(p) for p in INPUTS if _golden(p) is None] == []


@pytest.mark.parametrize("path", INPUTS, ids=_name)
def test_inspect_prints_what_its_golden_says(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REAL)  # the file is named relative to REAL in what is printed
    monkeypatch.setenv("COLUMNS", "100")
    outcome = CliRunner().invoke(cli, ["inspect", _name(path), "--rows", "50", *EVERY_DATE])
    text = f"exit {outcome.exit_code}\n--- stdout\n{outcome.stdout}--- stderr\n{outcome.stderr}"
    golden = INSPECT / f"{_name(path).replace('/', '--')}.txt"
    if os.environ.get("ROPO_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        return
    assert text == golden.read_text(encoding="utf-8")
    assert outcome.exit_code in (0, 1)
    assert str(Path.cwd()) not in text  # no absolute path: the golden holds on any machine


def _sum_of(golden: dict[str, object]) -> tuple[int, Decimal]:
    """The rows and the euro sum a run reads: a credit note registered on its invoice moves no
    money, and rows in another currency are summed apart."""
    rows = golden["rows"]
    assert isinstance(rows, list)
    amounts = [
        Decimal(r["amount"])
        for r in rows
        if r["amount"] is not None
        and not r.get("registers")
        and (r["currency"] or "EUR").upper() in ("EUR", "1")
    ]
    return len(rows), sum(amounts, Decimal("0.00"))


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """One sandbox process for all files: their references differ, so no run meets another's."""
    with sandbox_process() as url:
        yield url


@pytest.mark.parametrize("path", ACCEPTED, ids=_name)
def test_run_against_the_sandbox_balances_and_never_fails(
    path: Path, sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = _golden(path)
    assert golden is not None
    rows, total = _sum_of(golden)
    monkeypatch.setenv("ROPO_CID", CID)
    monkeypatch.setenv("ROPO_APICODE", "sandbox")  # what `ropo-import sandbox` accepts
    workbook = tmp_path / "out.xlsx"
    outcome = CliRunner().invoke(
        cli,
        ["run", str(path), "--base-url", sandbox_url, "--output", str(workbook),
         "--journal", str(tmp_path / "j.sqlite"), *EVERY_DATE],
    )  # fmt: skip
    out = outcome.stdout
    assert outcome.exit_code in (0, 2), outcome.stderr  # 1 is a failure: never on these files
    assert re.search(rf"^rows read {rows} = .* \(balances\)$", out, re.M), out
    balances = r"\(balances(; euro rows only, [^)]*)?\)$"
    assert re.search(rf"^sum read {re.escape(money(total))} = .* {balances}", out, re.M), out
    assert "DOES NOT BALANCE" not in out
    assert workbook.exists()


def test_the_inconsistent_ktl_example_is_refused_with_its_figures() -> None:
    # corporate.js added a record (KUISMA HEIDI, another account, 2017) to the FFI example
    # without changing its sum record: refusing the file is right.
    with pytest.raises(ImporterError, match=r"sum record says 11 payments totalling 8602\.89"):
        open_export(REAL / INCONSISTENT)


def test_refusing_a_ktl_file_does_not_reserve_a_gigabyte() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ImporterError):
            open_export(REAL / INCONSISTENT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # the bound tests/test_samples.py sets for refused files


def test_the_ffi_spec_example_is_read_whole() -> None:
    export = open_export(REAL / "ktl" / "ffi-spec-example.txt")
    rows = list(transactions(export))
    assert len(rows) == 13  # 7 reference payments, 4 direct debits, 2 failed direct debits
    paid = [t for t in rows if t.verdict is None]
    assert sum((t.amount or Decimal(0) for t in paid), Decimal(0)) == Decimal("6482.21")
    codes = [t.verdict.code for t in rows if t.verdict]
    assert codes == ["direct-debit"] * 3 + ["direct-debit-failed"] * 2 + ["direct-debit"]


def test_a_chf_statement_with_a_euro_payment_inside_is_read() -> None:
    export = open_export(REAL / "camt053" / "oca-like-camt053-chf-statement.xml")
    rows = list(transactions(export))
    assert [(t.amount, t.currency) for t in rows] == [
        (Decimal("-318.40"), "CHF"),
        (Decimal("212.50"), "CHF"),
    ]
