"""The result workbook: Summary, Results and Needs attention, streamed (write-only) with openpyxl.

Summary comes first: the run, the outcomes with their sums, where the money went, the answers
by statusid, and a link to the rows that need attention. Results has one row per source row,
in source order. Needs attention holds the rows to act on, re-importable once corrected.
The file is written under a random name beside its final one and renamed into place
(target.py), so a crash mid-write never leaves a half-written workbook under that name.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from importer.report import Report
from importer.workbook.results import (
    needs_attention,
    results_header,
    write_attention,
    write_results,
)
from importer.workbook.summary import write_summary
from importer.workbook.target import (
    check_output,
    describe,
    fallback_folders,
    fallback_path,
    write_into_place,
)

ATTENTION_SHEET = "Needs attention"
__all__ = [
    "ATTENTION_SHEET",
    "Saved",
    "check_output",
    "needs_attention",
    "results_header",
    "save_workbook",
    "stream_workbook",
    "write_workbook",
]


def write_workbook(report: Report, path: Path) -> Path:
    """Write the workbook for `report` to `path` (its folder is created) and return the path."""
    return write_into_place(path, functools.partial(stream_workbook, report))


def stream_workbook(report: Report, stream: BinaryIO) -> None:
    """Write the workbook for `report` into `stream` (seekable, open for writing)."""
    # Built only once its file is open: a write-only workbook never saved leaks its sheets'
    # temporary files.
    workbook = Workbook(write_only=True)
    try:
        summary = workbook.create_sheet("Summary")
        write_results(workbook.create_sheet("Results"), report)
        attention = write_attention(workbook.create_sheet(ATTENTION_SHEET), report)
        write_summary(summary, report, attention, ATTENTION_SHEET)
        workbook.properties.modified = datetime.now(UTC).replace(tzinfo=None)
        # Workbook.save, given a full disk, leaves its zip open, and the zip's finaliser prints
        # a traceback when it tries again; a zip closed here fails once, inside this call.
        with ZipFile(stream, "w", ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(workbook, archive).write_data()
    except BaseException:
        # Sheets left open print tracebacks when collected; closed now, they stay quiet.
        for sheet in workbook.worksheets:
            if not sheet.closed:
                with contextlib.suppress(Exception):
                    sheet.close()
        raise


@dataclass(frozen=True)
class Saved:
    """Where a run's workbook went: `path` (None when nowhere would take it) and, for each
    place that refused it, "<place>: <why>"."""

    path: Path | None
    refusals: tuple[str, ...] = ()


def save_workbook(report: Report, path: Path, fallbacks: Sequence[Path] | None = None) -> Saved:
    """Write the workbook to `path`, else to the first of `fallbacks` (by default the home
    folder, then the temporary one) that takes it; never raises for a workbook not written.

    By now the payments are posted: the workbook is their record, so a full disk, a folder
    removed or made read-only during the run, or any other failure must not lose it.
    """
    refusals: list[str] = []
    for folder in (None, *(fallback_folders() if fallbacks is None else fallbacks)):
        target = path if folder is None else fallback_path(path, folder)
        try:
            return Saved(write_workbook(report, target), tuple(refusals))
        except Exception as error:  # whatever it was, the record must go elsewhere
            refusals.append(f"{target}: {describe(error)}")
    return Saved(None, tuple(refusals))
