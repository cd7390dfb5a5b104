"""Two real processes, as a user runs them: `ropo-import sandbox` and `ropo-import run`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEMO_EXPORT, sandbox_process

COMMAND = [sys.executable, "-m", "importer"]


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    with sandbox_process() as url:
        yield url


def run(args: list[str], apicode: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROPO_CID": "1000011", "ROPO_APICODE": apicode}
    return subprocess.run(
        [*COMMAND, "run", *args, "--journal", str(tmp_path / "j.sqlite")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_against_the_sandbox_process(sandbox_url: str, tmp_path: Path) -> None:
    workbook = tmp_path / "out.xlsx"
    done = run(
        [str(DEMO_EXPORT), "--base-url", sandbox_url, "--output", str(workbook)],
        "sandbox",
        tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert "posted 6 + rejected 5 + invalid 2 + skipped 2 + unknown 0 (balances)" in done.stdout
    assert workbook.exists()


def test_wrong_apicode_exits_1_with_one_line_before_posting(
    sandbox_url: str, tmp_path: Path
) -> None:
    workbook = tmp_path / "out.xlsx"
    done = run(
        [str(DEMO_EXPORT), "--base-url", sandbox_url, "--output", str(workbook)],
        "wrong",
        tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "refused customer id 1000011" in done.stderr
    assert done.stdout == ""
    assert not workbook.exists()
