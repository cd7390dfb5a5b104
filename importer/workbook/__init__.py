"""The result workbook: Summary, Results and Needs attention, streamed with XlsxWriter.

Summary comes first: how the run ended and what to do, the outcomes with their sums, where the
money went, the answers by statusid, and the run's details (summary.py). Results has one row
per source row, in source order. Needs attention holds the rows to act on, re-importable once
corrected. Every word is in the workbook's language (`lang`: fi, sv or en), the sheets' names
too. The file is written under a random name beside its final one and renamed into place
(target.py), so a crash mid-write never leaves a half-written workbook under that name.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from importer.i18n import Lang, words
from importer.report import Report
from importer.workbook.cells import OPTIONS, Book
from importer.workbook.results import (
    needs_attention,
    results_header,
    write_attention,
    write_results,
)
from importer.workbook.summary import write_summary
from importer.workbook.target import (
    check_output,
    default_output,
    describe,
    fallback_folders,
    fallback_path,
    write_into_place,
)

# The sheets' names in English: the msgids of their names in each language (sheet_names).
SHEETS = ("Summary", "Results", "Needs attention")
ATTENTION_SHEET = SHEETS[2]
__all__ = [
    "ATTENTION_SHEET",
    "SHEETS",
    "Saved",
    "check_output",
    "default_output",
    "needs_attention",
    "results_header",
    "save_workbook",
    "sheet_names",
    "stream_workbook",
    "warm_up",
    "write_workbook",
]


def sheet_names(lang: Lang = "en") -> tuple[str, str, str]:
    """Summary, Results and Needs attention, as a workbook in `lang` names them."""
    w = words(lang)
    summary, results, attention = SHEETS
    return w(summary), w(results), w(attention)


def warm_up(lang: Lang = "en") -> threading.Thread:
    """Import what writing a workbook needs (XlsxWriter and its chart, the language's number
    and date formats) in a thread of its own, and return the thread. A run starts it once its
    first answer is in: the requests then spend most of their time waiting their turn, so the
    quarter of a second the imports take is no longer added after the last answer (started
    before, it held up the login and the first request)."""

    def load() -> None:
        import xlsxwriter.chart_bar
        import xlsxwriter.workbook  # noqa: F401 - the import is the work

        said = words(lang)  # Babel and the language's data load on first use
        said.money(Decimal("1.00"))
        said.day(date(2026, 1, 1))

    thread = threading.Thread(target=load, name="workbook-warm-up", daemon=True)
    thread.start()
    return thread


def write_workbook(report: Report, path: Path, lang: Lang = "en") -> Path:
    """Write the workbook for `report` in `lang` to `path` (its folder is created) and return
    the path."""
    return write_into_place(path, functools.partial(stream_workbook, report, lang=lang))


def stream_workbook(report: Report, stream: BinaryIO, lang: Lang = "en") -> None:
    """Write the workbook for `report` in `lang` into `stream` (open for writing). Raises
    OSError when the stream or the temporary folder refuses it."""
    # Imported here: a command that writes no workbook never pays for it.
    from xlsxwriter import Workbook
    from xlsxwriter.exceptions import FileCreateError

    sink = _Sink(stream)
    # The sheets' rows wait in temporary files (constant_memory) until they are zipped. A
    # folder of our own is removed whole, whatever a failure leaves in it.
    with tempfile.TemporaryDirectory(prefix="ropo-import-", ignore_cleanup_errors=True) as tmp:
        workbook = Workbook(sink, {"constant_memory": True, "tmpdir": tmp, **OPTIONS})
        try:
            book, w = Book(workbook, lang), words(lang)
            summary_name, results_name, attention_name = sheet_names(lang)
            summary = book.sheet(summary_name)  # first, but written last: it counts the others
            write_results(book.sheet(results_name), report, w)
            attention = write_attention(book.sheet(attention_name), report, w)
            write_summary(summary, report, attention, attention_name, w)
        except BaseException:
            sink.discard()
            with contextlib.suppress(Exception):
                workbook.close()  # into nothing: it closes the sheets' temporary files
            raise
        try:
            workbook.close()
        except FileCreateError as error:  # XlsxWriter's wrapper of the OSError that stopped it
            sink.discard()
            cause = error.args[0] if error.args else None
            if isinstance(cause, OSError):
                raise cause from None
            raise
        except BaseException:
            sink.discard()
            raise


class _Sink:
    """The stream, as XlsxWriter's zip file sees it. Once a write has failed (or the workbook
    is given up) it takes nothing more: the zip file closes itself again when it is collected,
    which would otherwise fail a second time, printing a traceback nobody can catch, or write
    into a file that is about to be removed."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream: BinaryIO | None = stream
        self._position = 0  # where the discarded bytes would have gone

    def discard(self) -> None:
        self._stream = None

    def write(self, data: bytes) -> int:
        if self._stream is None:
            self._position += len(data)
            return len(data)
        try:
            written = self._stream.write(data)
        except BaseException:
            self._stream = None
            raise
        self._position += written
        return written

    def tell(self) -> int:
        return self._position if self._stream is None else self._stream.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        # A stream that cannot seek says so here, and the zip is written without seeking.
        if self._stream is None:
            return self._position
        self._position = self._stream.seek(offset, whence)
        return self._position

    def flush(self) -> None:
        if self._stream is not None:
            self._stream.flush()


@dataclass(frozen=True)
class Saved:
    """Where a run's workbook went: `path` (None when nowhere would take it) and, for each
    place that refused it, "<place>: <why>"."""

    path: Path | None
    refusals: tuple[str, ...] = ()


def save_workbook(
    report: Report, path: Path, fallbacks: Sequence[Path] | None = None, *, lang: Lang = "en"
) -> Saved:
    """Write the workbook in `lang` to `path`, else to the first of `fallbacks` (by default the
    home folder, then the temporary one) that takes it; never raises for a workbook not written.
    folder, then the temporary one) that takes it; never raises for a workbook not written.

    By now the payments are posted: the workbook is their record, so a full disk, a folder
    removed or made read-only during the run, or any other failure must not lose it.
    """
    refusals: list[str] = []
    for folder in (None, *(fallback_folders() if fallbacks is None else fallbacks)):
        target = path if folder is None else fallback_path(path, folder)
        try:
            return Saved(write_workbook(report, target, lang), tuple(refusals))
        except Exception as error:  # whatever it was, the record must go elsewhere
            refusals.append(f"{target}: {describe(error)}")
    return Saved(None, tuple(refusals))
