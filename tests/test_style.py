"""The code stays ruff-clean and strictly typed: checked here, so that CI, which runs the tests,
proves it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


LIMIT = 400  # lines: style.md's "keep modules under ~400 lines"


def test_only_the_command_line_imports_click_and_rich() -> None:
    """The library reports through return values and callbacks, never to the terminal."""
    package = ROOT / "importer"
    offenders = [
        str(path.relative_to(ROOT))
        for path in package.rglob("*.py")
        if package / "cli" not in path.parents
        and re.search(r"^\s*(import|from)\s+(click|rich)\b", path.read_text("utf-8"), re.M)
    ]
    assert offenders == []


def test_modules_stay_small() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text("utf-8").splitlines())
        for path in (ROOT / "importer").rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > LIMIT} == {}
