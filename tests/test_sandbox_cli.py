"""`ropo-import sandbox --fault MODE[=SHARE]`: parsed into the sandbox's faults, refused in
one line when wrong, and served by a real sandbox process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import importer.sandbox.server
from importer.cli.app import cli
from importer.sandbox import SandboxState
from importer.sandbox.faults import MODES
from tests.conftest import sandbox_process

COMMAND = [sys.executable, "-m", "importer"]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[SandboxState]:
    """The state the command would serve, without serving it."""
    states: list[SandboxState] = []

    def serve(state: SandboxState, host: str, port: int, announce: Any) -> None:
        states.append(state)

    monkeypatch.setattr(importer.sandbox.server, "serve", serve)
    return states


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["sandbox", *args])


def test_fault_options_become_the_sandboxs_modes(served: list[SandboxState]) -> None:
    done = invoke(
        "--fault",
        "gateway-504=0.25",
        "--fault",
        "cut=0.5",
        "--seed",
        "3",
        "--trickle-seconds",
        "0.1",
    )
    assert done.exit_code == 0, done.output
    faults = served[0].faults
    assert faults.modes == {"gateway-504": 0.25, "cut": 0.5}
    assert (faults.seed, faults.trickle_seconds) == (3, 0.1)


def test_the_old_options_still_work(served: list[SandboxState]) -> None:
    done = invoke("--drop-rate", "0.5", "--fail-rate", "0.1", "--latency", "0.2")
    assert done.exit_code == 0, done.output
    faults = served[0].faults
    assert (faults.drop_rate, faults.fail_rate, faults.latency, faults.modes) == (
        0.5,
        0.1,
        0.2,
        {},
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "gateway-505"], "unknown fault mode 'gateway-505'; the modes are gateway-504"),
        (["--fault", "cut=1.5"], "fault cut: share 1.5 is not between 0 and 1"),
        (["--fault", "cut=-1"], "fault cut: share -1.0 is not between 0 and 1"),
        (["--fault", "cut=half"], "fault cut: share 'half' is not a number"),
        (["--fault", "cut", "--fault", "cut=0.5"], "cut is given twice"),
        (["--fault", "cut=0.6", "--fault", "stall=0.6"], "the fault shares add up to 1.2"),
    ],
)
def test_a_wrong_fault_is_one_line_naming_the_option(
    served: list[SandboxState], args: list[str], message: str
) -> None:
    done = invoke(*args)
    assert done.exit_code == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("ropo-import: Invalid value for '--fault': ")
    assert message in done.stderr
    assert served == []


def test_help_lists_every_mode() -> None:
    done = invoke("--help")
    assert done.exit_code == 0
    for mode, what in MODES.items():
        assert f"  {mode} " in done.output
        assert what in done.output


@pytest.fixture
def faulty_process() -> Iterator[str]:
    with sandbox_process("--fault", "gateway-504", "--fault", "redirect=0") as url:
        yield url


def test_a_sandbox_process_serves_its_faults(faulty_process: str) -> None:
    url = faulty_process
    applied = url.replace("/rest", "/sandbox/applied")
    assert httpx.get(applied).json()["faults"] == {"gateway-504": 0, "redirect": 0}
    token = httpx.post(f"{url}/token", json={"cid": "1000011", "apicode": "sandbox"}).json()
    response = httpx.post(
        f"{url}/jobs/payment",
        json={"billcode": "410014", "amount": "1.00", "paydate": "2026-11-02"},
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    assert response.status_code == 504
    answer = httpx.get(applied).json()
    assert answer["faults"] == {"gateway-504": 1, "redirect": 0}
    assert [row["times"] for row in answer["applied"]] == [1]
