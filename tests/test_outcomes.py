"""Every accepted sample's rows end as its outcome golden: each row's outcome and code.

The parse goldens (tests/test_samples.py) say what a file is read as; these say what a dry run
decides for every row of it, read through the public Report only (`report.results`). The golden
of tests/samples/<folder>/<name>.json's input is tests/samples/outcomes/<folder>--<name>.txt: a
first line naming the day and the date window it was judged with, then one line per result in
the Report's order, `<source line> <outcome> <code>`, optionally followed by `  # why`. The notes
are kept when `ROPO_UPDATE_GOLDEN=1` rewrites the goldens (read every diff it makes).

The goldens have a folder of their own because the other sample tests take any file beside a
parse golden (or under samples/real/) for an input. The samples are judged on the day the rest
of the tests use; the published files under samples/real/ (2006-2018) with a date window that
lets every date through, as tests/test_real_files.py does, so that their goldens say more than
"old-date" on every row. Other tests compare `ends_of(report)` with `golden_ends(sample)` (and
`as_sent` for a run against the sandbox) instead of writing each line's outcome again.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from importer import Report, Rules, run_import
from tests.conftest import RULES
from tests.test_samples import GOLDEN, REFUSED, SAMPLES, input_of

OUTCOMES = SAMPLES / "outcomes"
EVERY_DATE = replace(RULES, max_age_days=20000)

# One result: its source line, outcome and code.
End = tuple[int, str, str]


def _key(golden: Path) -> str:
    return f"{golden.parent.relative_to(SAMPLES).as_posix()}/{golden.stem}"


def _chosen(golden: Path) -> str | None:
    chosen: str | None = json.loads(golden.read_text(encoding="utf-8")).get("chosen")
    return chosen


# key -> (the sample's input, the profile it is read with when not recognised on its own)
ACCEPTED = {_key(g): (input_of(g), _chosen(g)) for g in GOLDEN if g not in REFUSED}
_KEY_OF = {source.resolve(): key for key, (source, _chosen) in ACCEPTED.items()}


def _rules(key: str) -> Rules:
    return EVERY_DATE if key.startswith("real/") else RULES


def _golden_path(key: str) -> Path:
    return OUTCOMES / f"{key.replace('/', '--')}.txt"


def ends_of(report: Report) -> list[End]:
    """Each result of a run, in the Report's order, as its golden line says it."""
    return [(r.row.line, r.outcome.value, r.code) for r in report.results]


def _header(rules: Rules) -> str:
    return f"# dry run on {rules.today.isoformat()}, max-age {rules.max_age_days}"


def _read(golden: Path) -> tuple[str, list[End], dict[tuple[int, int], str]]:
    """The header, the results and the notes (by line and which result of that line)."""
    header, *lines = golden.read_text(encoding="utf-8").splitlines()
    found: list[End] = []
    notes: dict[tuple[int, int], str] = {}
    seen: Counter[int] = Counter()
    for text in lines:
        said, _hash, note = text.partition("  # ")
        line, outcome, code = said.split()
        found.append((int(line), outcome, code))
        if note:
            notes[int(line), seen[int(line)]] = note
        seen[int(line)] += 1
    return header, found, notes


def _write(golden: Path, header: str, found: list[End], notes: dict[tuple[int, int], str]) -> None:
    lines = [header]
    seen: Counter[int] = Counter()
    for line, outcome, code in found:
        note = notes.get((line, seen[line]))
        seen[line] += 1
        lines.append(f"{line} {outcome} {code}" + (f"  # {note}" if note else ""))
    golden.parent.mkdir(exist_ok=True)
    golden.write_text("\n".join(lines) + "\n", encoding="utf-8")


def golden_ends(source: Path) -> list[End]:
    """What the outcome golden of a sample (by its input's path) says a dry run ends as.

    The sample files are judged as of tests.conftest.RULES: a run with those rules ends so.
    """
    return _read(_golden_path(_KEY_OF[source.resolve()]))[1]


def as_sent(found: list[End], answers: Mapping[int, tuple[str, str]] | None = None) -> list[End]:
    """The same rows after a real run on a new journal: each row a dry run would send is
    registered, unless `answers` gives what Ropo One answered for its line instead."""
    answered = answers or {}
    return [
        (line, *answered.get(line, ("posted", "registered")))
        if (outcome, code) == ("skipped", "dry-run")
        else (line, outcome, code)
        for line, outcome, code in found
    ]


@pytest.mark.parametrize("key", sorted(ACCEPTED))
def test_a_dry_run_of_every_sample_ends_as_its_outcome_golden(key: str, tmp_path: Path) -> None:
    source, chosen = ACCEPTED[key]
    rules = _rules(key)
    report = run_import(
        source, journal_path=tmp_path / "j.sqlite", profile=chosen, rules=rules, dry_run=True
    )
    actual = ends_of(report)
    assert len(actual) == report.rows_read  # one result per row read, none lost or made up
    golden = _golden_path(key)
    if os.environ.get("ROPO_UPDATE_GOLDEN"):
        notes = _read(golden)[2] if golden.exists() else {}
        _write(golden, _header(rules), actual, notes)
        return
    assert golden.exists(), f"{golden} is missing: ROPO_UPDATE_GOLDEN=1 writes it"
    header, found, _notes = _read(golden)
    assert header == _header(rules)
    assert [f"{line} {o} {c}" for line, o, c in actual] == [f"{n} {o} {c}" for n, o, c in found]


def test_every_outcome_golden_belongs_to_an_accepted_sample() -> None:
    expected = {_golden_path(key).name for key in ACCEPTED}
    assert sorted(p.name for p in OUTCOMES.iterdir() if p.name not in expected) == []


def test_a_golden_keeps_its_notes_when_it_is_rewritten(tmp_path: Path) -> None:
    golden = tmp_path / "g.txt"
    text = "# h\n41 posted x  # the first of line 41\n41 skipped y\n7 a b  # gone\n"
    golden.write_text(text, encoding="utf-8")
    header, found, notes = _read(golden)
    assert found == [(41, "posted", "x"), (41, "skipped", "y"), (7, "a", "b")]
    _write(golden, header, [(41, "posted", "z"), (41, "skipped", "y")], notes)
    rewritten = golden.read_text(encoding="utf-8")
    assert rewritten == "# h\n41 posted z  # the first of line 41\n41 skipped y\n"


def test_as_sent_registers_what_a_dry_run_would_send_unless_answered_otherwise() -> None:
    found = [(2, "skipped", "dry-run"), (3, "skipped", "dry-run"), (4, "skipped", "outgoing")]
    assert as_sent(found, {3: ("rejected", "status-10")}) == [
        (2, "posted", "registered"),
        (3, "rejected", "status-10"),
        (4, "skipped", "outgoing"),
    ]
