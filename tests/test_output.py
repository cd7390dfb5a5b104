"""Never lose the record: the workbook's place is checked before anything is sent, written under
a random name and renamed into place, and sent to a fallback when its place fails after posting."""

from __future__ import annotations

import errno
import gc
import io
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import importer.pipeline
from importer.errors import ConfigError
from importer.models import Outcome, RowResult, SourceRow
from importer.report import Report
from importer.workbook import check_output, save_workbook, stream_workbook, write_workbook
from importer.workbook.target import STALE_AFTER, write_into_place
from tests.conftest import DEMO_EXPORT, Sandbox, is_result_workbook
from tests.test_end_to_end import invoke, results
from tests.test_workbook import report_of

BALANCE = "rows read 15 = posted 6 + rejected 5 + invalid 2 + skipped 2 + unknown 0 (balances)"
PROBLEM_LINES = [6, 7, 8, 12, 14, 15, 16]  # the demo export's rows that need attention
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def a_report() -> Report:
    row = SourceRow("x.csv", 2, ("Maija", "12,50"))
    return report_of([RowResult(row, Outcome.INVALID, "bad-amount", "12,50")], ("payer", "amount"))


def bad_outputs(tmp: Path) -> Iterator[tuple[str, list[str], str]]:
    """(case, options, words the message must hold) for every kind of bad place."""
    (tmp / "a-file").write_text("in the way")
    yield "under a file", ["--output", str(tmp / "a-file" / "out.xlsx")], "is a file, not a folder"
    yield "a folder", ["--output", str(tmp)], "it is a folder"
    yield "a device", ["--output", "/dev/null"], "not a regular file"
    os.mkfifo(tmp / "pipe")  # not *.xlsx: the session's formula scan would wait on it forever
    yield "a pipe", ["--output", str(tmp / "pipe")], "not a regular file"
    yield "not .xlsx", ["--output", str(tmp / "out.csv")], "must end in .xlsx"
    yield "the journal", ["--output", str(tmp / "j.sqlite")], "it is the journal"
    os.link(tmp / "export.csv", tmp / "export-too.xlsx")
    yield "the input", ["--output", str(tmp / "export-too.xlsx")], "it is the input file"
    os.symlink(tmp / "j.sqlite", tmp / "journal-link")
    yield "the journal by a link", ["--output", str(tmp / "journal-link")], "it is the journal"
    yield "--reports a file", ["--reports", str(tmp / "a-file")], "choose another --reports"
    if not AS_ROOT:  # root writes into a read-only folder anyway
        (tmp / "read-only").mkdir(mode=0o555)
        yield "read-only", ["--output", str(tmp / "read-only" / "o.xlsx")], "cannot be created"


def test_a_bad_place_for_the_workbook_stops_the_run_before_any_request(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    shutil.copyfile(DEMO_EXPORT, export)
    journal = tmp_path / "j.sqlite"
    checked = []
    for case, options, words in bad_outputs(tmp_path):
        code, out, err = invoke("run", str(export), "--journal", str(journal), *options)
        assert (code, out) == (1, ""), case
        assert err.startswith("ropo-import: error: cannot write the workbook "), case
        assert err.count("\n") == 1, case
        assert words in err, (case, err)
        assert options[1] in err, case  # the place is named
        assert ropo_env.state.requests == 0, case
        checked.append(case)
    assert export.read_bytes() == DEMO_EXPORT.read_bytes()
    assert not journal.exists()  # the run stopped before it even opened the journal
    assert len(checked) >= 9


def test_the_check_leaves_no_trace_and_creates_no_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "out.xlsx"
    assert check_output(target, input_path=tmp_path / "in.csv", journal_path=None) == target
    assert list(tmp_path.iterdir()) == []


def test_the_journal_is_refused_even_where_it_does_not_exist_yet(tmp_path: Path) -> None:
    journal = tmp_path / "journal.xlsx"
    with pytest.raises(ConfigError, match="it is the journal"):
        check_output(
            tmp_path / "sub" / ".." / "journal.xlsx",
            input_path=tmp_path / "in.csv",
            journal_path=journal,
        )


def plant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> Path:
    """A symlink at `.{name}.{random}.partial` for the next random part the writer draws, to a
    file that must stay as it is; the writer's next draw after that is a fresh one."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    draws = iter(["0123456789abcdef", "fedcba9876543210"])
    monkeypatch.setattr("secrets.token_hex", lambda _n: next(draws))
    os.symlink(victim, tmp_path / f".{name}.0123456789abcdef.partial")
    return victim


def test_a_symlink_planted_at_the_partial_name_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The name of old (the process id), and a name the writer is made to draw.
    os.symlink(tmp_path / "victim.txt", tmp_path / f".out.xlsx.{os.getpid()}.partial")
    victim = plant(monkeypatch, tmp_path, "out.xlsx")
    path = write_workbook(a_report(), tmp_path / "out.xlsx")
    assert victim.read_text() == "precious"
    assert is_result_workbook(path)
    assert not path.is_symlink()


def test_the_check_does_not_follow_a_planted_symlink_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = plant(monkeypatch, tmp_path, "out.xlsx")
    check_output(tmp_path / "out.xlsx", input_path=tmp_path / "in.csv", journal_path=None)
    assert victim.read_text() == "precious"
    assert not (tmp_path / "out.xlsx").exists()


def test_a_symlink_at_the_workbook_name_is_replaced_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.symlink(victim, tmp_path / "out.xlsx")
    write_workbook(a_report(), tmp_path / "out.xlsx")
    assert victim.read_text() == "precious"
    assert is_result_workbook(tmp_path / "out.xlsx")


def test_a_failed_write_keeps_the_old_workbook_and_leaves_no_partial(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"the old one")

    def half(stream: Any) -> None:
        stream.write(b"half a work")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_into_place(path, half)
    assert path.read_bytes() == b"the old one"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


class FullDisk(io.RawIOBase):
    """A file on a disk that fills up after `room` bytes."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.written = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.written

    def write(self, data: Any) -> int:
        if self.written + len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written += len(data)
        return len(data)


@pytest.mark.parametrize("room", [0, 2_000, 20_000, 60_000])
def test_a_full_disk_fails_once_and_leaves_nothing_to_complain_later(room: int) -> None:
    rows = [
        RowResult(SourceRow("x.csv", n, ("Maija", "1,00")), Outcome.INVALID, "bad-amount", "1,00")
        for n in range(2, 3000)
    ]
    with pytest.raises(OSError, match="No space"):
        stream_workbook(report_of(rows, ("payer", "amount")), FullDisk(room))
    # Whatever the writer left open complains when collected: pytest turns that into a failure.
    gc.collect()


def test_stale_partials_of_earlier_runs_are_removed_and_nothing_else(tmp_path: Path) -> None:
    old = time.time() - STALE_AFTER - 60
    names = {
        "stale": ".out.xlsx.0123456789abcdef.partial",
        "stale, old style": ".nov.xlsx.4242.partial",
        "fresh": ".out.xlsx.fedcba9876543210.partial",
        "not a partial": "notes.partial",
        "not a workbook's": ".notes.cafe.partial",
    }
    for case, name in names.items():
        (tmp_path / name).write_text(case)
        if case != "fresh":
            os.utime(tmp_path / name, (old, old))
    (tmp_path / "elsewhere").write_text("kept")
    os.utime(tmp_path / "elsewhere", (old, old))
    os.symlink(tmp_path / "elsewhere", tmp_path / ".link.xlsx.00ff.partial")
    write_workbook(a_report(), tmp_path / "out.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            names["fresh"],
            names["not a partial"],
            names["not a workbook's"],
            "elsewhere",
            ".link.xlsx.00ff.partial",
            "out.xlsx",
        ]
    )


def test_save_falls_back_to_the_next_folder_and_replaces_no_earlier_workbook(
    tmp_path: Path,
) -> None:
    (tmp_path / "a-file").write_text("in the way")
    rescue = tmp_path / "rescue"
    rescue.mkdir()
    (rescue / "ropo-import-out.xlsx").write_text("an earlier rescue")
    saved = save_workbook(
        a_report(), tmp_path / "a-file" / "out.xlsx", fallbacks=[tmp_path / "a-file", rescue]
    )
    assert saved.path == rescue / "ropo-import-out-2.xlsx"
    assert is_result_workbook(saved.path)
    assert (rescue / "ropo-import-out.xlsx").read_text() == "an earlier rescue"
    assert len(saved.refusals) == 2
    assert saved.refusals[0].startswith(f"{tmp_path / 'a-file' / 'out.xlsx'}: ")


def sabotage_during_the_run(monkeypatch: pytest.MonkeyPatch, harm: Callable[[], None]) -> list[int]:
    """Run `harm` once, at the first row's result, as a user or a full disk would mid-run."""
    real = importer.pipeline.run_import
    harmed: list[int] = []

    def run_import(*args: Any, on_result: Any, **kwargs: Any) -> Report:
        def watched(result: Any) -> None:
            if not harmed:
                harm()
                harmed.append(1)
            on_result(result)

        return real(*args, on_result=watched, **kwargs)

    monkeypatch.setattr(importer.pipeline, "run_import", run_import)
    return harmed


def folder_becomes_a_file(folder: Path) -> Callable[[], None]:
    def harm() -> None:
        shutil.rmtree(folder)
        folder.write_text("the folder is gone")

    return harm


def test_a_workbook_that_fails_after_posting_goes_to_the_fallback(
    ropo_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    out = tmp_path / "out"
    out.mkdir()
    harmed = sabotage_during_the_run(monkeypatch, folder_becomes_a_file(out))
    code, stdout, err = invoke(
        "run", str(DEMO_EXPORT), "--output", str(out / "r.xlsx"), "--journal", str(tmp_path / "j")
    )
    rescued = home / "ropo-import-r.xlsx"
    assert harmed
    assert ropo_env.state.requests > 0
    assert code == 2  # as the report says: rows need attention
    assert BALANCE in stdout
    assert f"Workbook: {rescued}" in stdout
    assert err.count("\n") == 1
    assert f"{out / 'r.xlsx'}: {out}: Not a directory" in err
    assert err.endswith(f"it was written to {rescued} instead\n")
    assert len(results(rescued)) == 15


def test_when_no_workbook_can_be_written_the_terminal_keeps_the_record(
    ropo_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "home").write_text("not a folder")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    out = tmp_path / "out"
    out.mkdir()

    def harm() -> None:
        folder_becomes_a_file(out)()
        # The temporary folder too: XlsxWriter builds its sheets there, so nothing can be written.
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "home"))

    sabotage_during_the_run(monkeypatch, harm)
    code, stdout, err = invoke(
        "run",
        str(DEMO_EXPORT),
        "-q",
        "--output",
        str(out / "r.xlsx"),
        "--journal",
        str(tmp_path) + "/j",
    )
    assert code == 1
    lines = stdout.splitlines()
    assert lines[0] == BALANCE
    assert lines[1].startswith("sum read ")
    assert [int(line.split()[1].rstrip(":")) for line in lines[2:]] == PROBLEM_LINES
    assert err.count("\n") == 1
    assert err.startswith("ropo-import: error: no workbook could be written (")
    assert "Traceback" not in stdout + err
