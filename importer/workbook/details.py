"""The Summary's last section, the run's details: which file, how it was read, where it went,
what the journal said, when; every word in the workbook's language.

How the file was read and the journal's notes are templates (said.py), worded here in the
reader's language; an error's own message is shown as it came. The environment is said from
the base URL itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from importer.defaults import ENVIRONMENTS
from importer.i18n import Words
from importer.report import Report
from importer.said import in_words
from importer.settings import is_loopback


def run_details(report: Report, w: Words) -> list[tuple[str, Any]]:
    """The run's details as (label, value), both in `w`'s language; the empty ones left out."""
    profile = report.profile
    where = "" if profile.source == "built-in" else f" ({profile.source})"
    rows: list[tuple[str, Any]] = [
        ("input file", report.file),
        ("input SHA-256", report.input_sha256),
        ("read as", read_as(report.read_as, w)),
        ("profile", f"{profile.name}: {w(profile.title)}{where}"),
        ("column mapping", report.mapping),
        ("Ropo One environment", endpoint(report.base_url, w) if report.base_url else w("none")),
        ("customer id", report.cid or ""),
        ("journal", journal(report, w)),
        ("dry run", w("yes: nothing was sent") if report.dry_run else w("no")),
        ("computer", report.run_on),
        ("tool version", f"ropo-import {report.tool_version}"),
        ("dates judged as of", report.today),
        ("started", report.started_at),
        ("finished", report.finished_at),
    ]
    if report.stopped:
        rows.append(("stopped early", stopped(report, w)))
    return [(w(label), value) for label, value in rows if value not in (None, "")]


def read_as(form: str, w: Words) -> str:
    """How the file was read (`text, utf-8-sig, delimited by ';'`) in `w`'s language: the
    readers say it as a template (said.py); KTL's and camt's are the formats' own names."""
    return in_words(form, w)


def stopped(report: Report, w: Words) -> str:
    """Why the run stopped early in `w`'s language: an interruption (`interrupted by
    Ctrl-C`), a reason of ours (the web page's stop, a template), or an error's own message as
    it came."""
    why = report.stopped or ""
    if report.interrupted:
        return w("interrupted by {signal}", signal=why.removeprefix("interrupted by "))
    return in_words(why, w)


def endpoint(base_url: str, w: Words) -> str:
    """The environment's name and URL (`fi-test (https://rc.ropo24.fi/rest)`), or what else
    the URL is."""
    for name, url in ENVIRONMENTS.items():
        if url == base_url:
            return f"{name} ({url})"
    if is_loopback(urlsplit(base_url).hostname or ""):
        return w("a sandbox on this machine ({url})", url=base_url)
    return w("another endpoint ({url})", url=base_url)


def journal(report: Report, w: Words) -> str:
    """The journal's path (or what stands in for one) and what it said of this run."""
    if report.journal is None:
        return w("none: nothing was looked up or recorded")
    return "; ".join((w(report.journal), *(in_words(note, w) for note in report.journal_notes)))
