"""Posting rate against a slow, rate-capped sandbox (issue 5's figure; issue 7 extends this).

    python benchmarks/posting.py            # about 90 seconds

The sandbox answers each payment after 50 ms and answers 429 above 20 requests per second.
It prints the rate a 1,000-row run reaches with --rate 20 (target: at least 90% of 20 per
second), and the 429s a run with the default settings triggers (target: none).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from importer.models import Outcome
from importer.pipeline import run_import
from importer.sandbox import Ledger, SandboxServer, SandboxState
from importer.sandbox.faults import Faults
from importer.settings import ApiSettings, Credentials
from importer.validation import Rules
from tests.conftest import CID, SAMPLE_DAY
from tests.test_faults import big_ledger, export

LATENCY, CAP = 0.05, 20


def measure(rows: int, rate: float | None, scratch: Path) -> tuple[float, int, int]:
    """(payments posted per second, 429s seen by the sandbox, payments posted)."""
    faults = Faults(latency=LATENCY, rate_cap=CAP)
    state = SandboxState(
        Ledger.load(big_ledger(scratch / "ledger.csv")), apicode="sandbox", faults=faults
    )
    source = export(scratch / f"export-{rows}-{rate}.csv", rows)
    with SandboxServer(state) as server:
        settings = {"rate": rate} if rate else {}
        api = ApiSettings(server.base_url, Credentials(CID, "sandbox"), **settings)
        started = time.perf_counter()
        report = run_import(
            source,
            journal_path=scratch / f"j-{rows}-{rate}.sqlite",
            api=api,
            rules=Rules(today=SAMPLE_DAY),
        )
        elapsed = time.perf_counter() - started
    posted = report.count(Outcome.POSTED)
    return posted / elapsed, faults.throttled, posted


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        achieved, throttled, posted = measure(1000, 20, scratch)
        print(
            f"--rate 20, 1,000 rows, sandbox {LATENCY * 1000:.0f} ms and cap {CAP}/s: "
            f"{achieved:.2f} per second = {achieved / 20:.1%} of 20 (target >= 90%), "
            f"{posted} posted, {throttled} answered 429"
        )
        achieved, throttled, posted = measure(200, None, scratch)
        print(
            f"default settings, 200 rows on the same sandbox: {achieved:.2f} per second, "
            f"{throttled} answered 429 (target: 0), {posted} posted"
        )


if __name__ == "__main__":
    main()
