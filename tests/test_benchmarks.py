"""The benchmark script still runs end to end (on tiny inputs: its figures mean nothing here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_the_benchmarks_run_end_to_end_on_tiny_inputs(tmp_path: Path) -> None:
    output = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--smoke", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = output.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results (smoke run")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + 18  # the header and eighteen figures
    assert all(row.rstrip().endswith(("| yes |", "| **no** |")) for row in rows[1:])


def test_a_run_keeps_the_earlier_runs_under_its_own() -> None:
    from benchmarks.run import EARLIER, earlier

    before = "# Benchmark results\n\nMachine: x.\n\n| a |\n\nWhy a.\n\n## Earlier runs\n\nolder\n"
    kept = earlier(before)
    assert kept.startswith(f"\n{EARLIER}\n\nMachine: x.")
    assert kept.count(EARLIER) == 1
    assert "Why a." in kept
    assert kept.rstrip().endswith("older")
    smoke = "# Benchmark results (smoke run: tiny inputs, figures mean nothing)\n| a |"
    assert earlier(smoke) == ""
    # A smoke run between two full runs drops its own table, not the runs kept under it.
    assert earlier(smoke + "\n" + kept) == kept
    assert earlier("") == ""
