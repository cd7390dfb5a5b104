"""The demo: the sandbox in this process, a realistic bank export through the whole pipeline."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from importer.clock import Clock
from importer.i18n import Lang
from importer.pipeline import OnResult, run_import
from importer.report import Report
from importer.sandbox import Ledger, SandboxServer, SandboxState
from importer.settings import ApiSettings, Credentials
from importer.validation import Rules
from importer.workbook import Saved, check_output, default_output, save_workbook

DEMO_EXPORT = "demo-bank-export.csv"
DEMO_LEDGER = "sandbox-ledger.csv"
DEMO_CID = "1000011"
# The day the demo export was made: its dates are judged as of then, so the demo shows the
# same outcomes whatever the date (a real run judges against today).
DEMO_DAY = date(2026, 11, 20)
SCRATCH_JOURNAL = "a scratch journal, gone with the demo's sandbox"
DEMO_RATE = 50.0  # the sandbox is on this machine; a real run defaults to 5 per second


def sample_files() -> Path:
    """The sample_files folder: shipped inside the package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "sample_files", here.parent / "sample_files"):
        if (candidate / DEMO_EXPORT).exists():
            return candidate
    raise FileNotFoundError("sample_files/ is missing: reinstall ropo-import")


def run_demo(
    reports: Path,
    clock: Clock,
    on_result: OnResult | None = None,
    on_read: Callable[[int], None] | None = None,
    on_settled: Callable[[int], None] | None = None,
    lang: Lang = "en",
) -> tuple[Report, Saved]:
    """Import the demo export into a fresh sandbox; returns the report and where its workbook
    went (a fallback when `reports` failed after the run, or nowhere). The clock stamps the
    workbook's name and the run; the demo's dates are judged as of DEMO_DAY whatever it says.
    The workbook is written in `lang`."""
    samples = sample_files()
    export = samples / DEMO_EXPORT
    target = check_output(
        default_output(export, reports, clock.now()),
        input_path=export,
        journal_path=None,
        option="--reports folder",
    )
    state = SandboxState(Ledger.load(samples / DEMO_LEDGER))
    with SandboxServer(state) as server, tempfile.TemporaryDirectory() as scratch:
        api = ApiSettings(
            base_url=server.base_url,
            credentials=Credentials(DEMO_CID, state.apicode),
            rate=DEMO_RATE,
        )
        report = run_import(
            export,
            journal_path=Path(scratch) / "journal.sqlite",
            api=api,
            rules=Rules(today=DEMO_DAY),
            on_result=on_result,
            on_read=on_read,
            on_settled=on_settled,
            clock=clock,
        )
    # A fresh sandbox and a journal of its own: there is no earlier run to warn about.
    report.journal, report.journal_notes = SCRATCH_JOURNAL, ()
    return report, save_workbook(report, target, lang=lang)
