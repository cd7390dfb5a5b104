"""Start-up: the command line and `import importer` load none of the heavy libraries until a
command needs them, every command's help still works, and the public API is complete.

Each check runs in a fresh interpreter: this test process has long imported everything.
No timing is asserted here; benchmarks/ measures how long `ropo-import --help` takes.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import typing

import pytest

import importer
from importer.cli import cli

# What a command may load when it runs, and nothing may load before.
HEAVY = (
    "pandas",
    "numpy",
    "openpyxl",
    "xlsxwriter",
    "httpx",
    "starlette",
    "uvicorn",
    "tenacity",
    "pydantic",
)
# Runs `code`, then prints which of HEAVY are loaded, also when `code` exits (as --help does).
PROBE = """
import json, sys
try:
    {code}
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def loaded_after(code: str) -> tuple[list[str], str]:
    """The heavy modules loaded by `code` in a new interpreter, and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


@pytest.mark.parametrize("module", ["importer", "importer.cli", "importer.version"])
def test_importing_loads_no_heavy_library(module: str) -> None:
    loaded, _ = loaded_after(f"import {module}")
    assert loaded == []


# sandbox --help lists the fault modes, which the sandbox package (starlette) declares.
LIGHT_HELP = [[], *([name] for name in sorted(cli.commands) if name != "sandbox")]


@pytest.mark.parametrize("command", LIGHT_HELP, ids=lambda c: " ".join(c) or "ropo-import")
def test_help_answers_without_loading_the_library(command: list[str]) -> None:
    argv = ["ropo-import", *command, "--help"]
    loaded, out = loaded_after(f"sys.argv = {argv!r}; from importer.cli import main; main()")
    assert "Usage: ropo-import" in out
    assert loaded == []


def test_sandbox_help_still_lists_the_fault_modes() -> None:
    from importer.sandbox.faults import MODES

    _, out = loaded_after(
        "sys.argv = ['ropo-import', 'sandbox', '--help']; from importer.cli import main; main()"
    )
    assert "Fault modes" in out
    assert all(mode in out for mode in MODES)


def test_version_is_read_when_asked() -> None:
    from importer.version import __version__

    loaded, out = loaded_after(
        "sys.argv = ['ropo-import', '--version']; from importer.cli import main; main()"
    )
    assert out == f"ropo-import, version {__version__}\n"
    assert loaded == []
    assert importer.__version__ == __version__


def test_every_public_name_resolves() -> None:
    for name in importer.__all__:
        assert getattr(importer, name) is not None, name
    assert set(importer.__all__) <= set(dir(importer))
    namespace: dict[str, object] = {}
    exec("from importer import *", namespace)  # the star import a user would write
    assert set(importer.__all__) <= set(namespace)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'run_imports'"):
        _ = importer.run_imports


def test_everything_run_import_takes_or_returns_is_public() -> None:
    """A library user can name every settings, rules and result type of run_import."""
    hints = typing.get_type_hints(importer.run_import)
    types = {
        kind
        for hint in hints.values()
        for kind in (hint, *typing.get_args(hint))
        if inspect.isclass(kind) and kind.__module__.startswith("importer.")
    }
    assert {t.__name__ for t in types} >= {"ApiSettings", "Rules", "Report", "Profile"}
    for kind in types:
        assert getattr(importer, kind.__name__) is kind, kind.__name__
