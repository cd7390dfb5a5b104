"""Shared fixtures: a real sandbox on loopback with a clock the test moves by hand."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from importer.demo import DEMO_DAY
from importer.i18n import LANGS
from importer.sandbox import Ledger, SandboxServer, SandboxState
from importer.settings import ApiSettings, Credentials
from importer.validation import Rules
from importer.workbook import sheet_names

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_files"
DEMO_EXPORT = SAMPLES / "demo-bank-export.csv"
LEDGER = SAMPLES / "sandbox-ledger.csv"
CID = "1000011"
# A canary: if this text shows up in any output, journal or workbook, a secret leaked.
APICODE = "canary-apicode-7f3a9c1e5b"
# The header line of an OP account-transactions CSV, for tests that write their own exports.
OP_HEADER = (
    '"Kirjauspäivä";"Arvopäivä";"Määrä EUROA";"Laji";"Selitys";"Saaja/Maksaja";'
    '"Saajan tilinumero";"Saajan pankin BIC";"Viite";"Viesti";"Arkistointitunnus"'
)
# The samples are November 2026 exports: their dates are judged as of the day they were made,
# so that no test starts failing when the calendar moves on (ROPO_TODAY for the CLI).
SAMPLE_DAY = DEMO_DAY
RULES = Rules(today=SAMPLE_DAY)


# The sandbox is local: tests post as fast as it answers (the limiter has its own tests).
FAST = 10_000.0


@pytest.fixture(autouse=True)
def _sample_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROPO_TODAY", SAMPLE_DAY.isoformat())
    monkeypatch.setenv("ROPO_RATE", str(FAST))


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests read English unless they ask for a language: the developer's own locale
    (LANG=fi_FI.UTF-8) would otherwise choose the words."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def formulas_in(workbook: Path) -> list[str]:
    """The sheets of a result workbook that hold a formula (none may)."""
    with zipfile.ZipFile(workbook) as archive:
        return [
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
            and name.endswith(".xml")
            and (b"<f>" in (xml := archive.read(name)) or b"<f " in xml)
        ]


def is_result_workbook(path: Path) -> bool:
    """A workbook with a Results sheet, in whichever language it was written."""
    marks = [f'name="{sheet_names(lang)[1]}"'.encode() for lang in LANGS]
    try:
        with zipfile.ZipFile(path) as archive:
            listed = archive.read("xl/workbook.xml")
    except (zipfile.BadZipFile, KeyError):
        return False
    return any(mark in listed for mark in marks)


@pytest.fixture(scope="session", autouse=True)
def _no_workbook_holds_a_formula(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole run, every result workbook any test wrote is scanned for formulas."""
    yield
    books = [p for p in tmp_path_factory.getbasetemp().rglob("*.xlsx") if is_result_workbook(p)]
    offenders = {str(book): found for book in books if (found := formulas_in(book))}
    assert offenders == {}, f"formulas in result workbooks: {offenders}"


class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sandbox:
    server: SandboxServer
    state: SandboxState
    clock: FakeClock

    @property
    def url(self) -> str:
        return self.server.base_url

    def api(self, cid: str = CID, apicode: str = APICODE) -> ApiSettings:
        return ApiSettings(base_url=self.url, credentials=Credentials(cid, apicode), rate=FAST)

    def tokens(self) -> list[str]:
        return list(self.state.tokens)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    clock = FakeClock()
    state = SandboxState(Ledger.load(LEDGER), apicode=APICODE, clock=clock)
    with SandboxServer(state) as server:
        yield Sandbox(server, state, clock)


@pytest.fixture
def ropo_env(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Sandbox:
    """The environment a user sets to run against the sandbox."""
    monkeypatch.setenv("ROPO_CID", CID)
    monkeypatch.setenv("ROPO_APICODE", APICODE)
    monkeypatch.setenv("ROPO_BASE_URL", sandbox.url)
    return sandbox


@pytest.fixture(autouse=True)
def _own_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The default journal lives in the user's data folder: each test gets its own."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@contextlib.contextmanager
def sandbox_process(*options: str) -> Iterator[str]:
    """`ropo-import sandbox --port 0 OPTIONS` as a process of its own, as a user runs it; its
    base URL. Its log is drained, or a full pipe would stall it mid-run."""
    process = subprocess.Popen(
        [sys.executable, "-m", "importer", "sandbox", "--port", "0", *options],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    drain = threading.Thread()
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # "Ropo One sandbox on http://127.0.0.1:PORT/rest ..."
        assert line.startswith("Ropo One sandbox on http://127.0.0.1:"), line
        drain = threading.Thread(target=process.stderr.read, daemon=True)
        drain.start()
        yield line.split()[4]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if drain.ident is not None:
            drain.join(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
