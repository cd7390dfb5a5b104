"""One function per figure; each returns (ours, baseline) in the figure's unit.

Figures that report memory run in a child process of their own (`python -m benchmarks.measure
NAME ARGS...`), which prints its time and its own peak RSS, so no figure inherits another's
memory.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from benchmarks.inputs import CID, OP_HEADER, finnish_reference, ledger_for, rows
from importer import pipeline
from importer.cli.exits import exit_code
from importer.export import open_export
from importer.inspection import inspect_export
from importer.models import Outcome, RowResult, SourceRow
from importer.pipeline import run_import
from importer.profiles import choose_profile
from importer.report import Report, Results
from importer.sandbox import Ledger, SandboxServer, SandboxState
from importer.sandbox.faults import Faults
from importer.settings import ApiSettings, Credentials
from importer.validation import Rules
from importer.workbook import write_workbook
from importer.workbook.results import _result_values, results_header

TODAY = Rules(today=date(2026, 11, 24))
ROOT = Path(__file__).resolve().parent.parent


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def best_of(runs: int, name: str, *args: str) -> dict[str, float]:
    """The fastest of `runs` fresh runs, and the highest peak memory among them: a shared
    machine only ever slows a run down, so the fastest is the closest to the code's cost."""
    found = [in_child(name, *args) for _ in range(runs)]
    return {
        "seconds": min(f["seconds"] for f in found),
        "peak_mb": max(f["peak_mb"] for f in found),
    }


def alternating(runs: int, *measures: tuple[str, ...]) -> list[dict[str, float]]:
    """best_of for several measures taken in turn, round after round: figures that are
    compared with each other then see the same moments of a shared machine's load."""
    found: list[list[dict[str, float]]] = [[] for _ in measures]
    for _ in range(runs):
        for taken, (name, *args) in zip(found, measures, strict=True):
            taken.append(in_child(name, *args))
    return [
        {
            "seconds": min(f["seconds"] for f in taken),
            "peak_mb": max(f["peak_mb"] for f in taken),
        }
        for taken in found
    ]


def in_child(name: str, *args: str) -> dict[str, float]:
    """Run one measurement in a fresh Python: {'seconds': ..., 'peak_mb': ...}."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.measure", name, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the work each child does -------------------------------------------------------------


def preflight(path: str) -> None:
    """Read, map and validate a bank export: a dry run without the workbook."""
    run_import(Path(path), journal_path=Path(path + ".no-journal"), dry_run=True, rules=TODAY)


def inspected(path: str) -> None:
    """What `ropo-import inspect` computes: the dry run's plan, counted, and a preview."""
    inspect_export(Path(path), None, 10, TODAY)


def bare_read(path: str) -> None:
    pd.read_csv(path, sep=";", dtype=str)  # imported above, as ours is: neither times an import


def bare_xml(path: str) -> None:
    """What any camt reader does at least: parse the XML into a tree."""
    from xml.etree import ElementTree

    ElementTree.parse(path)  # noqa: S314 (the benchmark's own generated file)


def excel_ours(path: str) -> None:
    open_export(Path(path))


def excel_pandas(path: str) -> None:
    pd.read_excel(path, engine="openpyxl", dtype=str)


def result_report(count: int) -> Report:
    """`count` results as a posting run leaves them: posted with answers, some rejected."""
    profile = choose_profile("op")
    header = OP_HEADER
    results = []
    for n, cells in enumerate(rows(count), start=2):
        amount = Decimal(cells[2].replace(",", "."))
        row = SourceRow("bench.csv", n, tuple(cells))
        if n % 10:
            answer: dict[str, Any] = {
                "statusid": 6,
                "statustext": "Payment registered",
                "capitalbefore": Decimal("1000.00"),
                "capitalafter": Decimal("1000.00") - amount,
                "focusedtocapital": amount,
                "interestbefore": Decimal("0.00"),
                "interestafter": Decimal("0.00"),
                "focusedtointerest": Decimal("0.00"),
                "noticefeebefore": Decimal("0.00"),
                "noticefeeafter": Decimal("0.00"),
                "focusedtonoticefee": Decimal("0.00"),
                "unfocused": Decimal("0.00"),
            }
            results.append(
                RowResult(
                    row, Outcome.POSTED, "registered", "registered", amount=amount, response=answer
                )
            )
        else:
            results.append(
                RowResult(
                    row,
                    Outcome.REJECTED,
                    "status-10",
                    "statusid 10 NOT FOUND",
                    amount=amount,
                    response={"statusid": 10},
                )
            )
    now = datetime.now().astimezone()
    return Report(
        file="bench.csv",
        headers=header,
        results=Results(results),
        profile=profile,
        mapping="",
        dry_run=False,
        base_url="http://127.0.0.1:1/rest",
        cid=CID,
        started_at=now,
        finished_at=now,
        rows_read=count,
        today=TODAY.today,
    )


def workbook_ours(count: str, target: str) -> float:
    report = result_report(int(count))
    return timed(lambda: write_workbook(report, Path(target)))


def workbook_bare(count: str, target: str) -> float:
    """The same Results cells, dumped with openpyxl's write-only mode and nothing else."""
    from openpyxl import Workbook

    report = result_report(int(count))
    values = [_result_values(report, result) for result in report.results]

    def dump() -> None:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Results")
        sheet.append(results_header(report))
        for row in values:
            sheet.append(row)
        book.save(target)

    return timed(dump)


CHILDREN: dict[str, Callable[..., Any]] = {
    "serve_sandbox": lambda *args: serve_sandbox(*args),
    "preflight": preflight,
    "inspect": inspected,
    "bare_read": bare_read,
    "bare_xml": bare_xml,
    "excel_ours": excel_ours,
    "excel_pandas": excel_pandas,
    "workbook_ours": workbook_ours,
    "workbook_bare": workbook_bare,
    "web_review": lambda path: _web_review(path),
}


def _web_review(path: str) -> float:
    from benchmarks.web import review_time  # imports the web page: only this child needs it

    return review_time(path)


# --- posting: the importer in this process, the sandbox in a process of its own ------------


def serve_sandbox(ledger: str, latency: str, cap: str) -> None:
    """A child: a quiet sandbox (no access log) until its stdin closes; prints its URL, then,
    once stdin closes, when (wall clock) the first request and the first payment arrived and
    the last payment was answered."""
    from importer.sandbox import server as served

    faults = Faults(latency=float(latency), rate_cap=float(cap) if float(cap) else None)
    state = SandboxState(Ledger.load(Path(ledger)), apicode="sandbox", faults=faults)
    arrivals: dict[str, float] = {}
    app = served.create_app

    def stamped(state: SandboxState) -> Any:
        inner = app(state)

        async def stamp(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                arrivals.setdefault("first_request", time.time())
                if scope["path"].endswith("/jobs/payment"):
                    arrivals.setdefault("first_payment", time.time())
            await inner(scope, receive, send)
            if scope["type"] == "http" and scope["path"].endswith("/jobs/payment"):
                arrivals["last_answer"] = time.time()

        return stamp

    served.create_app = stamped  # type: ignore[assignment]
    served.steady()  # this process is the sandbox, as `ropo-import sandbox` serves it
    with SandboxServer(state) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()
    print(json.dumps(arrivals), flush=True)


@contextmanager
def sandbox_process(
    scratch: Path, latency: float, cap: float, arrivals: dict[str, float] | None = None
) -> Iterator[str]:
    """A sandbox in its own process, so it does not share a CPU's GIL with the importer;
    `arrivals` gets, once it stops, the wall-clock times its first request and first payment
    arrived."""
    ledger = ledger_for(scratch / "ledger.csv")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.measure",
            "serve_sandbox",
            str(ledger),
            str(latency),
            str(cap),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        told = child.stdout.read() if child.stdout else ""
        child.wait(timeout=30)
        if arrivals is not None and told.strip():
            arrivals.update(json.loads(told.strip().splitlines()[0]))  # then main()'s line


class NullJournal:
    """A journal that remembers nothing: only to measure what the real one costs."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


@dataclass(frozen=True)
class Posted:
    """What one posting run reached."""

    rate: float  # payments per second from the first answer to the last
    throttled: int  # requests the sandbox answered 429
    posted: int
    exit_code: int


def posting(
    source: Path,
    scratch: Path,
    *,
    latency: float,
    cap: float,
    rate: float | None,
    journal: bool = True,
) -> tuple[float, int]:
    """(payments per second from the first request to the last answer, 429s answered)."""
    run = posting_run(source, scratch, latency=latency, cap=cap, rate=rate, journal=journal)
    return run.rate, run.throttled


def posting_run(
    source: Path,
    scratch: Path,
    *,
    latency: float,
    cap: float,
    rate: float | None,
    journal: bool = True,
) -> Posted:
    """Post `source` to a sandbox with this latency and rate cap, as `run` would."""
    stamps: list[float] = []
    with sandbox_process(scratch, latency, cap) as url:
        settings = {"rate": rate} if rate else {}  # None: the defaults
        api = ApiSettings(url, Credentials(CID, "sandbox"), **settings)
        real = pipeline.Journal
        if not journal:
            pipeline.Journal = NullJournal  # type: ignore[misc,assignment]
        try:
            report = run_import(
                source,
                journal_path=scratch / f"journal-{time.monotonic_ns()}.sqlite",
                api=api,
                rules=TODAY,
                on_result=lambda r: (
                    stamps.append(time.perf_counter()) if r.outcome is Outcome.POSTED else None
                ),
            )
        finally:
            pipeline.Journal = real  # type: ignore[misc]
        counts = httpx.get(url.removesuffix("/rest") + "/sandbox/applied").json()
    posted = report.count(Outcome.POSTED)
    reached = (posted - 1) / (stamps[-1] - stamps[0]) if posted > 1 else 0.0
    return Posted(reached, int(counts["throttled"]), posted, exit_code(report))


@dataclass(frozen=True)
class WholeRun:
    """One `ropo-import run` in a process of its own, timed from the outside."""

    rate: float  # payments posted per second of the whole process: start-up to exit
    before_first: float  # seconds from the process start to the sandbox's first request
    before_payment: float  # ... to its first payment request
    after_last: float  # seconds from the sandbox's last payment answer to the process's exit
    seconds: float
    posted: int
    throttled: int
    exit_code: int


def whole_run(source: Path, scratch: Path, *, latency: float, cap: float, rate: float) -> WholeRun:
    """`ropo-import run SOURCE --rate RATE` with its workbook, as a user runs it, against a
    sandbox in its own process; the first request's arrival is taken on the sandbox's side."""
    script = Path(sys.executable).with_name("ropo-import")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "importer"]
    arrivals: dict[str, float] = {}
    with sandbox_process(scratch, latency, cap, arrivals) as url:
        argv = [
            *command,
            "run",
            str(source),
            "--base-url",
            url,
            "--rate",
            f"{rate:g}",
            "--today",
            TODAY.today.isoformat(),
            "--journal",
            str(scratch / f"journal-{time.monotonic_ns()}.sqlite"),
            "--output",
            str(scratch / f"run-{time.monotonic_ns()}.xlsx"),
            "--quiet",
        ]
        environment = {**os.environ, "ROPO_CID": CID, "ROPO_APICODE": "sandbox"}
        started = time.time()
        done = subprocess.run(argv, capture_output=True, text=True, env=environment, check=False)
        seconds = time.time() - started
        counts = httpx.get(url.removesuffix("/rest") + "/sandbox/applied").json()
    posted = sum(int(row["times"]) for row in counts["applied"])
    return WholeRun(
        rate=posted / seconds,
        before_first=arrivals.get("first_request", float("nan")) - started,
        before_payment=arrivals.get("first_payment", float("nan")) - started,
        after_last=started + seconds - arrivals.get("last_answer", float("nan")),
        seconds=seconds,
        posted=posted,
        throttled=int(counts["throttled"]),
        exit_code=done.returncode,
    )


def incoming_csv(path: Path, count: int) -> Path:
    """`count` incoming payments with correct references only (bank_csv's rows without its
    outgoing rows and typos): a run of them that does its job ends with exit 0."""
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(";".join(f'"{h}"' for h in OP_HEADER) + "\n")
        kept = 0
        for cells in rows(count * 2):
            reference = cells[8].removeprefix("ref=")
            if cells[2].startswith("-") or finnish_reference(int(reference[:-1])) != reference:
                continue
            file.write(";".join(f'"{c}"' if i != 2 else c for i, c in enumerate(cells)) + "\n")
            kept += 1
            if kept == count:
                break
    return path


def sequential(scratch: Path, *, latency: float, count: int) -> float:
    """A plain loop: log in, then POST each payment and wait for its answer."""
    bodies = [
        f'{{"billcode":"{cells[8][4:]}","paydate":"{cells[0]}",'
        f'"amount":{cells[2].replace(",", ".")}}}'
        for cells in rows(count)
    ]
    with sandbox_process(scratch, latency, 0) as url, httpx.Client(base_url=url) as http:
        token = http.post("/token", json={"cid": CID, "apicode": "sandbox"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        for body in bodies:
            http.post("/jobs/payment", content=body, headers=headers)
        return len(bodies) / (time.perf_counter() - started)


def startup(runs: int) -> tuple[float, float]:
    """(`ropo-import --help`, `python -c pass`): the fastest wall time of `runs` fresh starts
    each, the interpreter's own start being the floor no command line can go under."""
    script = Path(sys.executable).with_name("ropo-import")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "importer"]

    def fastest(argv: list[str]) -> float:
        return min(
            timed(lambda: subprocess.run(argv, capture_output=True, check=True))
            for _ in range(runs)
        )

    return fastest([*command, "--help"]), fastest([sys.executable, "-c", "pass"])


def main() -> None:
    name, *args = sys.argv[1:]
    started = time.perf_counter()
    inner = CHILDREN[name](*args)
    seconds = inner if isinstance(inner, float) else time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb()}))


if __name__ == "__main__":
    main()
