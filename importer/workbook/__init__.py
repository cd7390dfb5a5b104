"""The result workbook: Summary, Results and Needs attention, streamed (write-only) with openpyxl.

Summary comes first: the run, the outcomes with their sums, where the money went, the answers
by statusid, and a link to the rows that need attention. Results has one row per source row,
in source order. Needs attention holds the rows to act on, re-importable once corrected.
The file is written beside its final name and renamed into place, so a crash mid-write never
leaves a half-written workbook under that name.
"""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook

from importer.report import Report
from importer.workbook.results import (
    needs_attention,
    results_header,
    write_attention,
    write_results,
)
from importer.workbook.summary import write_summary

ATTENTION_SHEET = "Needs attention"
__all__ = ["ATTENTION_SHEET", "needs_attention", "results_header", "write_workbook"]


def write_workbook(report: Report, path: Path) -> Path:
    """Write the workbook for `report` to `path` (its folder is created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("Summary")
    write_results(workbook.create_sheet("Results"), report)
    attention = write_attention(workbook.create_sheet(ATTENTION_SHEET), report)
    write_summary(summary, report, attention, ATTENTION_SHEET)
    # Beside the final name, created as any file is (the umask decides who may read it).
    scratch = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        workbook.save(scratch)
        os.replace(scratch, path)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return path
