"""A run's record on disk, so the history survives a restart of the server.

Each run's folder holds `run.json`: what the history and the run's page show (its file, client,
who, when, state, note, and per fate or outcome the rows and euro sums), written whole on
upload and on every change of state, atomically (a temporary file in the same folder, then
os.replace) and readable by this user only. The Report's rows are not kept: a loaded run shows
its counts and offers its workbook. Nothing secret is written: a client is named, its apicode
and the Ropo token never.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from importer.report import Report
from importer.web.targets import Target, gone_target
from importer.web.view import Line, fates, outcomes

if TYPE_CHECKING:
    from importer.web.runs import Run

RECORD = "run.json"
VERSION = 1
PRIVATE_FILE = 0o600


@dataclass(frozen=True)
class Tally:
    """What the pages show of a report: its fates (a plan) or outcomes (a send) with rows and
    euro sums, and the balance's figures."""

    lines: tuple[Line, ...]
    rows_read: int
    sum_read: Decimal
    balanced: bool
    stopped: str | None = None  # why a send stopped before every row was handled (English)


def tally_of(report: Report) -> Tally:
    lines = fates(report) if report.dry_run else outcomes(report)
    return Tally(
        tuple(lines),
        report.rows_read,
        report.sum_read,
        report.balanced,
        report.stopped,
    )


def tally_json(tally: Tally) -> dict[str, Any]:
    return {
        "lines": [{"name": x.name, "rows": x.rows, "sum": str(x.total)} for x in tally.lines],
        "rows_read": tally.rows_read,
        "sum_read": str(tally.sum_read),
        "balanced": tally.balanced,
        "stopped": tally.stopped,
    }


def tally_from(data: dict[str, Any]) -> Tally:
    return Tally(
        tuple(Line(str(x["name"]), int(x["rows"]), Decimal(x["sum"])) for x in data["lines"]),
        int(data["rows_read"]),
        Decimal(data["sum_read"]),
        bool(data["balanced"]),
        data.get("stopped"),
    )


def record_of(run: Run) -> dict[str, Any]:
    """What record.py writes: never the apicode, the token or the rows."""
    at = run.finished_at.isoformat() if run.finished_at else None
    return {
        "id": run.id,
        "file": run.file_name,
        "sha256": run.sha256,
        "client": run.target.name,
        "environment": run.target.environment,
        "cid": run.target.cid,
        "production": run.target.production,
        "profile": run.profile,
        "who": run.who,
        "order": run.order,
        "uploaded_at": run.uploaded_at.isoformat(),
        "finished_at": at,
        "state": run.state,
        "note": run.note,
        "refused": run.refused,
        "tally": tally_json(run.kept) if run.kept else None,
        "workbook": run.workbook.name if run.workbook else None,
    }


def run_of(data: dict[str, Any], folder: Path, targets: Mapping[str, Target]) -> Run:
    """A run from its record; its client as the settings name it now, when they still name
    the same customer at the same environment (else one that cannot send, named as recorded:
    a name moved to another customer must not take that customer's runs along)."""
    name, environment, cid = str(data["client"]), str(data["environment"]), data["cid"]
    target = targets.get(name)
    if target is None or (target.environment, target.cid) != (environment, cid):
        target = gone_target(name, environment, cid, bool(data["production"]), folder)
    from importer.web.runs import STATES, Run, safe_name

    finished, state = data["finished_at"], data["state"]
    if state not in STATES:
        raise ValueError(f"no state {state!r}")
    return Run(
        str(data["id"]),
        safe_name(str(data["file"])),
        folder,
        str(data["sha256"]),
        target,
        _profile(data["profile"], target),
        datetime.fromisoformat(data["uploaded_at"]),
        state=state,
        who=str(data["who"]),
        order=int(data["order"]),
        refused=data["refused"],
        workbook=_inside(folder, data["workbook"]),
        note=data["note"],
        finished_at=datetime.fromisoformat(finished) if finished else None,
        kept=tally_from(data["tally"]) if data["tally"] else None,
    )


def _inside(folder: Path, name: object) -> Path | None:
    """The run's workbook, by its name in the run's own folder: a record naming a file
    elsewhere ("../..", an absolute path) names none."""
    if not isinstance(name, str) or not name or Path(name).name != name:
        return None
    book = folder / name
    return book if book.is_file() and book.resolve().parent == folder.resolve() else None


def _profile(name: object, target: Target) -> str | None:
    """The recorded profile when it is one a run may be read with here: a built-in one, or
    the client's own; else recognised again from the file."""
    from importer.profiles import builtin_names

    if isinstance(name, str) and (name == target.profile or name in builtin_names()):
        return name
    return None


def write_record(folder: Path, data: dict[str, Any]) -> None:
    """Write `folder`/run.json whole or not at all: a reader (or a crash) never sees half."""
    text = json.dumps({"version": VERSION, **data}, ensure_ascii=False, indent=1)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".run-", suffix=".tmp")  # 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, PRIVATE_FILE)
        os.replace(temporary, folder / RECORD)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_record(folder: Path) -> dict[str, Any] | None:
    """The record in `folder`, or None when there is none or it is not ours to read."""
    try:
        data = json.loads((folder / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    return data
