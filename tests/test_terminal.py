"""What the terminal shows: a progress bar on a terminal only, --quiet, --verbose, NO_COLOR."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import DEMO_EXPORT, Sandbox
from tests.test_end_to_end import invoke

SGR = re.compile(r"\x1b\[[0-9;]*m")  # any style: colour, bold, reset
# A colour: foreground or background, basic, bright, 256 or true colour (NO_COLOR keeps bold).
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


def run_demo_export(tmp_path: Path, *options: str) -> tuple[int, str, str]:
    return invoke(
        "run",
        str(DEMO_EXPORT),
        "--output",
        str(tmp_path / "out.xlsx"),
        "--journal",
        str(tmp_path / "j.sqlite"),
        *options,
    )


def test_no_progress_bar_when_the_output_is_not_a_terminal(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    code, out, err = run_demo_export(tmp_path)
    assert (code, err) == (2, "")
    assert "15/15" not in out


def test_a_terminal_gets_a_progress_bar_with_count_and_rate(
    ropo_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: treat the captured stderr as a terminal
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    code, out, err = run_demo_export(tmp_path)
    assert code == 2
    plain = SGR.sub("", err)
    assert re.search(r"demo-bank-export\.csv .*15/15 [\d.]+ rows/s", plain), plain[-300:]
    assert COLOUR.search(err)  # in colour ...
    assert "15/15" not in out  # ... and on stderr, so stdout stays the report


def test_no_color_takes_the_colour_out(
    ropo_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (("TTY_COMPATIBLE", "1"), ("TTY_INTERACTIVE", "1"), ("NO_COLOR", "1")):
        monkeypatch.setenv(name, value)
    code, out, err = run_demo_export(tmp_path)
    assert code == 2
    assert "15/15" in err
    assert not COLOUR.search(err + out)


def test_quiet_prints_the_balance_and_the_workbook_only(
    ropo_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    code, out, err = run_demo_export(tmp_path, "--quiet")
    assert code == 2
    assert err == ""  # no progress bar even on a terminal
    assert SGR.sub("", out).splitlines() == [
        "rows read 15 = posted 6 + rejected 5 + invalid 2 + skipped 2 + unknown 0 (balances)",
        f"Workbook: {tmp_path / 'out.xlsx'}",
    ]


def test_verbose_prints_one_line_per_problem_once(ropo_env: Sandbox, tmp_path: Path) -> None:
    code, out, _ = run_demo_export(tmp_path, "--verbose")
    assert code == 2
    problems = [line for line in out.splitlines() if line.startswith("line ")]
    assert sorted(int(p.split()[1].rstrip(":")) for p in problems) == [6, 7, 8, 12, 14, 15, 16]
    assert "line 14: invalid [bad-reference] column 'Viite', value 'ref=410112'" in out


def test_quiet_and_verbose_together_are_a_usage_error(tmp_path: Path) -> None:
    code, out, err = run_demo_export(tmp_path, "--quiet", "--verbose", "--dry-run")
    assert (code, out) == (1, "")
    assert err == "ropo-import: --quiet and --verbose do not go together: choose one\n"


def test_the_bar_counts_only_rows_handled_and_says_when_ropo_one_throttles() -> None:
    from importer.cli.progress import Watch
    from importer.models import Outcome, RowResult, SourceRow

    row = SourceRow("x.csv", 2, ())
    with Watch("x.csv") as watch:
        watch.on_read(3)
        watch.on_result(RowResult(row, Outcome.POSTED, "registered"))
        watch.on_pace("Ropo One is throttling: 4.9/s (3 answers of 429)")
        watch.on_result(RowResult(row, Outcome.SKIPPED, "not-sent"))  # after Ctrl-C
        task = watch._bar.tasks[0]
    assert task.completed == 1
    assert watch._pace == " · Ropo One is throttling: 4.9/s (3 answers of 429)"
