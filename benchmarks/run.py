"""The benchmarks: every figure as a ratio against a baseline measured in the same run.

    python benchmarks/run.py            # about 7 minutes on 2 cores; writes benchmarks/results.md
    python benchmarks/run.py --smoke    # tiny inputs, a few seconds: proves the script still runs

Inputs are generated from a fixed seed, so every run measures the same bytes. See
benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.inputs import bank_csv, camt054, ktl_file, xlsx_export  # noqa: E402
from benchmarks.measure import (  # noqa: E402
    alternating,
    best_of,
    in_child,
    incoming_csv,
    posting,
    posting_run,
    sequential,
    startup,
    whole_run,
)

# A KTL record, per row, against the CSV's: it is sliced in Python where pandas' C parser
# splits the CSV, so its reading may cost what the CSV's judging does: 3x. camt, against a
# bare ElementTree parse of the same file, as the CSV's judging is held to 3x a bare
# read_csv: an entry is some 30 XML elements, and a bare parse of them alone takes 8x the
# CSV's judging per row, so a limit per CSV row only measured the CSV. See results.md.
KTL_LIMIT = 3.0
CAMT_LIMIT = 3.0


@dataclass(frozen=True)
class Sizes:
    preflight: int = 1_000_000
    excel: int = 100_000
    posting: int = 3_000
    sequential: int = 150
    workbook: int = 100_000
    latency: float = 0.1
    cap: float = 100.0
    # Issue 5's case: a slower server with a low cap, and the defaults against it.
    small_cap_rows: int = 1_000
    default_rows: int = 200
    # Issue 14's case: --rate 50 against a server that takes 5 a second.
    too_fast_rows: int = 300
    repeats: int = 5  # timings in a child process: the fastest of this many runs
    # Issue 16: the other formats through the same engine, and a whole run as a user runs it.
    ktl: int = 100_000
    camt: int = 20_000
    whole_rows: int = 800
    whole_latency: float = 0.1
    web_rows: int = 10_000  # issue 18: an export uploaded through the page, to its review


SMOKE = Sizes(
    preflight=2_000,
    excel=200,
    posting=60,
    sequential=10,
    workbook=500,
    latency=0.02,
    cap=100.0,
    small_cap_rows=30,
    default_rows=10,
    too_fast_rows=8,
    repeats=1,
    ktl=300,
    camt=100,
    whole_rows=20,
    whole_latency=0.02,
    web_rows=200,
)


@dataclass(frozen=True)
class Figure:
    name: str
    ours: str
    baseline: str
    ratio: float
    target: str
    met: bool


def at_most(ratio: float, limit: float) -> tuple[str, bool]:
    return f"≤ {limit:g}", ratio <= limit


def at_least(ratio: float, floor: float) -> tuple[str, bool]:
    return f"≥ {floor:g}", ratio >= floor


def measure(sizes: Sizes, scratch: Path) -> list[Figure]:
    figures: list[Figure] = []

    def add(name: str, ours: str, baseline: str, ratio: float, target: tuple[str, bool]) -> None:
        figures.append(Figure(name, ours, baseline, ratio, *target))
        print(f"  {name}: {ours} against {baseline}: {ratio:.2f} ({target[0]})", flush=True)

    helped, bare = startup(sizes.repeats)
    add(
        f"start-up: ropo-import --help wall time, best of {sizes.repeats} (seconds)",
        f"{helped:.2f} s",
        f"python -c pass {bare:.2f} s",
        helped,
        at_most(helped, 0.5),
    )

    print(
        f"generating {sizes.preflight:,} CSV rows and {sizes.excel:,} spreadsheet rows", flush=True
    )
    csv_path = str(bank_csv(scratch / "bank.csv", sizes.preflight, own_invoices=True))
    latin_path = str(
        bank_csv(
            scratch / "bank-latin1.csv", sizes.preflight, own_invoices=True, encoding="iso-8859-1"
        )
    )
    xlsx_path = str(xlsx_export(scratch / "bank.xlsx", sizes.excel, own_invoices=True))

    # Taken in turn, round after round: each ratio's two sides see the same load.
    bare, ours, latin, seen = alternating(
        sizes.repeats,
        ("bare_read", csv_path),
        ("preflight", csv_path),
        ("preflight", latin_path),
        ("inspect", csv_path),
    )
    ratio = ours["seconds"] / bare["seconds"]
    add(
        f"preflight: read, map, validate {sizes.preflight:,} CSV rows",
        f"{ours['seconds']:.2f} s",
        f"pandas.read_csv {bare['seconds']:.2f} s",
        ratio,
        at_most(ratio, 3),
    )
    add(
        f"preflight peak memory ({sizes.preflight:,} rows)",
        f"{ours['peak_mb']:.0f} MB",
        f"pandas.read_csv {bare['peak_mb']:.0f} MB",
        ours["peak_mb"] / 1024,
        at_most(ours["peak_mb"] / 1024, 1),
    )

    # Issue 16: one engine for every file, so a bank's ISO-8859-1 export is judged as fast.
    ratio = latin["seconds"] / ours["seconds"]
    add(
        f"preflight, the same {sizes.preflight:,} rows in ISO-8859-1",
        f"{latin['seconds']:.2f} s",
        f"UTF-8 {ours['seconds']:.2f} s",
        ratio,
        at_most(ratio, 1.2),
    )
    # Issue 16: inspect renders the dry run's plan, so it takes no longer than the dry run.
    ratio = seen["seconds"] / ours["seconds"]
    add(
        f"inspect {sizes.preflight:,} CSV rows",
        f"{seen['seconds']:.2f} s",
        f"the dry run {ours['seconds']:.2f} s",
        ratio,
        at_most(ratio, 1.0),
    )
    # Issue 18: the page's review of an export against `inspect` of the same file.
    web_path = str(bank_csv(scratch / "web.csv", sizes.web_rows, own_invoices=True))
    looked = best_of(sizes.repeats, "inspect", web_path)
    reviewed = best_of(sizes.repeats, "web_review", web_path)
    ratio = reviewed["seconds"] / looked["seconds"]
    add(
        f"web page: upload {sizes.web_rows:,} CSV rows to the review page",
        f"{reviewed['seconds']:.2f} s",
        f"inspect {looked['seconds']:.2f} s",
        ratio,
        at_most(ratio, 2.0),
    )
    per_csv = ours["seconds"] / sizes.preflight * 100_000
    add_formats(add, sizes, scratch, per_csv)

    pandas_xlsx = in_child("excel_pandas", xlsx_path)
    ours = in_child("excel_ours", xlsx_path)
    ratio = pandas_xlsx["seconds"] / ours["seconds"]
    add(
        f"Excel: read {sizes.excel:,} rows (times faster)",
        f"{ours['seconds']:.2f} s",
        f"pandas+openpyxl {pandas_xlsx['seconds']:.2f} s",
        ratio,
        at_least(ratio, 5),
    )

    source = bank_csv(scratch / "posting.csv", sizes.posting)
    rate, throttled = posting(source, scratch, latency=sizes.latency, cap=sizes.cap, rate=sizes.cap)
    add(
        f"posting {sizes.posting:,} rows, --rate {sizes.cap:g}, cap {sizes.cap:g}/s, "
        f"{sizes.latency * 1000:.0f} ms ({throttled} answered 429)",
        f"{rate:.1f}/s",
        f"cap {sizes.cap:g}/s",
        rate / sizes.cap,
        at_least(rate / sizes.cap, 0.95),
    )
    loop = sequential(scratch, latency=sizes.latency, count=sizes.sequential)
    add(
        "posting against a sequential httpx loop",
        f"{rate:.1f}/s",
        f"{loop:.1f}/s",
        rate / loop,
        at_least(rate / loop, 9),
    )
    bare_rate, _ = posting(
        source, scratch, latency=sizes.latency, cap=sizes.cap, rate=sizes.cap, journal=False
    )
    add(
        "journal overhead (time with / without)",
        f"{rate:.1f}/s with",
        f"{bare_rate:.1f}/s without",
        bare_rate / rate,
        at_most(bare_rate / rate, 1.05),
    )

    small = bank_csv(scratch / "small-cap.csv", sizes.small_cap_rows)
    rate, throttled = posting(small, scratch, latency=0.05, cap=20, rate=20)
    add(
        f"posting {sizes.small_cap_rows:,} rows, --rate 20, cap 20/s, 50 ms "
        f"({throttled} answered 429)",
        f"{rate:.1f}/s",
        "cap 20/s",
        rate / 20,
        at_least(rate / 20, 0.9),
    )
    few = bank_csv(scratch / "defaults.csv", sizes.default_rows)
    rate, throttled = posting(few, scratch, latency=0.05, cap=20, rate=None)
    add(
        f"posting {sizes.default_rows:,} rows with the default settings, cap 20/s, 50 ms: "
        f"answers of 429 ({rate:.1f}/s)",
        str(throttled),
        "none",
        throttled,
        at_most(throttled, 0),
    )

    fast = incoming_csv(scratch / "too-fast.csv", sizes.too_fast_rows)
    run = posting_run(fast, scratch, latency=0.05, cap=5, rate=50)
    add(
        f"posting {sizes.too_fast_rows:,} rows from too high a rate: --rate 50, cap 5/s, 50 ms "
        f"({run.rate:.1f}/s reached, {run.throttled} answered 429, exit {run.exit_code})",
        f"{run.posted:,} posted",
        f"{sizes.too_fast_rows:,} rows",
        run.posted / sizes.too_fast_rows,
        ("all posted, exit 0", run.posted == sizes.too_fast_rows and run.exit_code == 0),
    )

    whole = incoming_csv(scratch / "whole.csv", sizes.whole_rows)
    run = whole_run(whole, scratch, latency=sizes.whole_latency, cap=50, rate=50)
    add(
        f"a whole ropo-import run of {sizes.whole_rows:,} rows, --rate 50, cap 50/s, "
        f"{sizes.whole_latency * 1000:.0f} ms, start-up and workbook included "
        f"({run.before_first:.2f} s before the first request, {run.before_payment:.2f} s "
        f"before the first payment, {run.after_last:.2f} s after the last answer, "
        f"{run.seconds:.1f} s in all, {run.throttled} answered 429, "
        f"exit {run.exit_code})",
        f"{run.rate:.1f}/s",
        "cap 50/s",
        run.rate / 50,
        at_least(run.rate / 50, 0.95),
    )

    runs = min(sizes.repeats, 2)  # half a minute a run: two are enough to see the noise
    bare = best_of(runs, "workbook_bare", str(sizes.workbook), str(scratch / "bare.xlsx"))
    ours = best_of(runs, "workbook_ours", str(sizes.workbook), str(scratch / "ours.xlsx"))
    ratio = ours["seconds"] / bare["seconds"]
    add(
        f"result workbook, {sizes.workbook:,} rows",
        f"{ours['seconds']:.2f} s",
        f"openpyxl write-only dump {bare['seconds']:.2f} s",
        ratio,
        at_most(ratio, 1.0),
    )
    # Issue 16: no more than the openpyxl writer it replaced took (319 MB against the dump's
    # 354 MB in the last run with it), so no more than the dump's.
    memory = ours["peak_mb"] / bare["peak_mb"]
    add(
        f"result workbook peak memory ({sizes.workbook:,} rows)",
        f"{ours['peak_mb']:.0f} MB",
        f"dump {bare['peak_mb']:.0f} MB",
        memory,
        at_most(memory, 1.0),
    )
    return figures


def add_formats(
    add: Callable[[str, str, str, float, tuple[str, bool]], None],
    sizes: Sizes,
    scratch: Path,
    per_csv: float,
) -> None:
    """KTL and camt.054 judged by the same engine: seconds per 100,000 rows beside the CSV's."""
    runs = min(sizes.repeats, 3)
    ktl = ktl_file(scratch / "bank.ktl", sizes.ktl)
    judged = best_of(runs, "preflight", str(ktl))
    per = judged["seconds"] / sizes.ktl * 100_000
    add(
        f"preflight: judge {sizes.ktl:,} KTL payments (seconds per 100,000 rows)",
        f"{per:.2f} s",
        f"the CSV's {per_csv:.2f} s",
        per / per_csv,
        at_most(per / per_csv, KTL_LIMIT),
    )
    camt = camt054(scratch / "bank.xml", sizes.camt)
    judged, parsed = alternating(runs, ("preflight", str(camt)), ("bare_xml", str(camt)))
    per = judged["seconds"] / sizes.camt * 100_000
    per_parse = parsed["seconds"] / sizes.camt * 100_000
    add(
        f"preflight: judge {sizes.camt:,} camt.054 entries (seconds per 100,000 rows; "
        f"the CSV's {per_csv:.2f} s)",
        f"{per:.2f} s",
        f"a bare ElementTree parse {per_parse:.2f} s",
        per / per_parse,
        at_most(per / per_parse, CAMT_LIMIT),
    )


def machine() -> str:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores, {memory} memory, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )


def table(figures: list[Figure], seconds: float, smoke: bool) -> str:
    lines = [
        "# Benchmark results"
        + (" (smoke run: tiny inputs, figures mean nothing)" if smoke else ""),
        "",
        f"Machine: {machine()}. Run on {time.strftime('%Y-%m-%d %H:%M')} in {seconds:.0f} s "
        "with `python benchmarks/run.py`.",
        "",
        "| figure | ours | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        lines.append(
            f"| {f.name} | {f.ours} | {f.baseline} | {f.ratio:.2f} | {f.target} | "
            f"{'yes' if f.met else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny inputs: checks the script runs")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results.md", help="results file"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ropo-bench-") as scratch:
        figures = measure(SMOKE if args.smoke else Sizes(), Path(scratch))
    text = table(figures, time.perf_counter() - started, args.smoke)
    previous = args.output.read_text("utf-8") if args.output.exists() else ""
    args.output.write_text(text + earlier(previous), encoding="utf-8")
    print()
    print(text)


EARLIER = "## Earlier runs"


def earlier(previous: str) -> str:
    """The results file's earlier runs, kept under the new one: a run adds its table, it does
    not wipe what was measured and written down before (a smoke run's table is not kept)."""
    title, _, body = previous.partition("\n")
    if not title.startswith("# Benchmark results"):
        return ""
    if "smoke run" in title:  # its own table is not kept; what it kept under it is
        body = body.partition(f"\n{EARLIER}\n")[2]
    body = "\n".join(line for line in body.splitlines() if line.strip() != EARLIER).strip()
    return f"\n{EARLIER}\n\n{body}\n" if body else ""


if __name__ == "__main__":
    main()
