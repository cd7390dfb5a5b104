"""Validation and duplicates, through run_import against the sandbox over real HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from importer.cli import cli
from importer.models import Outcome
from importer.pipeline import run_import
from importer.report import Report
from importer.validation import Rules
from tests.conftest import OP_HEADER, RULES, SAMPLES, Sandbox
from tests.sheets import keyed
from tests.test_outcomes import as_sent, ends_of, golden_ends

MESSY = SAMPLES / "messy-op-export.csv"
NORDEA_HEADER = "Kirjauspäivä;Määrä;Maksaja;Maksunsaaja;Nimi;Otsikko;Viitenumero;Valuutta"


def outcomes(report: Report) -> dict[int, tuple[str, str]]:
    return {r.row.line: (r.outcome.value, r.code) for r in report.results}


def run(path: Path, sandbox: Sandbox, journal: Path, rules: Rules = RULES) -> Report:
    return run_import(path, journal_path=journal, api=sandbox.api(), rules=rules)


def applied(sandbox: Sandbox) -> int:
    return sum(sandbox.state.ledger.applied.values())


def test_messy_sample_gives_the_expected_outcome_and_code_per_row(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    report = run(MESSY, sandbox, tmp_path / "j.sqlite")
    # Its outcome golden says why each line ends so; the sandbox has no invoice for line 23.
    expected = as_sent(golden_ends(MESSY), {23: ("rejected", "status-10")})
    assert ends_of(report) == expected
    assert report.balanced
    assert report.rows_read == len(expected)
    by_line = {r.row.line: r for r in report.results}
    assert by_line[3].payment
    assert by_line[3].payment.amount == Decimal("1234.56")
    assert by_line[16].payment
    assert by_line[16].payment.billnum == "R41002"
    assert by_line[18].payment
    assert by_line[18].payment.billcode == "RF28410072"
    assert by_line[22].response["unfocused"] == Decimal("977.66")
    assert "did you mean 410027" in by_line[6].message
    assert "410108 (digits swapped)" in by_line[7].message
    assert "--allow-future" in by_line[8].message
    assert "--max-age 674" in by_line[9].message
    assert "line 11" in by_line[12].message
    assert "--allow-identical" in by_line[12].message
    assert "same archive id 20261102/5UGC/000101 as line 2" in by_line[10].message
    for result in report.results:
        if result.outcome is Outcome.INVALID and result.code != "possible-duplicate":
            assert result.message.startswith("column '"), result.message


def test_the_same_file_twice_posts_nothing_the_second_time(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = tmp_path / "j.sqlite"
    first = run(MESSY, sandbox, journal)
    sent = sandbox.state.requests
    second = run(MESSY, sandbox, journal)
    assert sandbox.state.requests == sent
    assert second.count(Outcome.POSTED) == 0
    again = outcomes(second)
    for line, (outcome, _code) in outcomes(first).items():
        if outcome == "posted":
            assert again[line] == ("skipped", "already-registered")
    registered = next(r for r in second.results if r.code == "already-registered")
    assert "already registered on " in registered.message
    assert "messy-op-export.csv line 2" in registered.message
    assert max(sandbox.state.ledger.applied.values()) == 1


def test_an_overlapping_export_posts_only_the_new_rows(sandbox: Sandbox, tmp_path: Path) -> None:
    rows = (SAMPLES / "demo-bank-export.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    early, late = tmp_path / "1-10.csv", tmp_path / "6-15.csv"
    early.write_text("\n".join([OP_HEADER, *rows[:9]]) + "\n", encoding="utf-8")
    late.write_text("\n".join([OP_HEADER, *rows[4:]]) + "\n", encoding="utf-8")
    journal = tmp_path / "j.sqlite"
    first = run(early, sandbox, journal)
    before = applied(sandbox)
    second = run(late, sandbox, journal)
    posted_late = {r.row.cells[-1] for r in second.results if r.outcome is Outcome.POSTED}
    posted_early = {r.row.cells[-1] for r in first.results if r.outcome is Outcome.POSTED}
    assert posted_late
    assert not posted_late & posted_early
    assert applied(sandbox) == before + len(posted_late)
    overlap = [r for r in second.results if r.row.cells[-1] in posted_early]
    assert overlap
    assert all(r.code == "already-registered" for r in overlap)
    assert max(sandbox.state.ledger.applied.values()) == 1


def nordea(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([NORDEA_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_without_archive_ids_identical_rows_are_counted_by_occurrence(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    same = "2026/11/13;19,50;Salonen Mika;;Salonen Mika;Viitemaksu;410111;EUR"
    other = "2026/11/12;5,00;Aalto Ville;;Aalto Ville;Viitemaksu;410014;EUR"
    journal = tmp_path / "j.sqlite"
    allow = replace(RULES, allow_identical=True)
    first = run(nordea(tmp_path / "a.csv", same, same), sandbox, journal, allow)
    assert [r.outcome for r in first.results] == [Outcome.POSTED, Outcome.POSTED]
    # A later export repeats both identical rows and adds one: only the new row is sent.
    second = run(nordea(tmp_path / "b.csv", same, other, same), sandbox, journal)
    assert outcomes(second) == {
        2: ("skipped", "already-registered"),
        3: ("posted", "registered"),
        4: ("skipped", "already-registered"),
    }
    # A third identical payment arrives: it is held, not guessed either way.
    third = run(nordea(tmp_path / "c.csv", same, same, same), sandbox, journal)
    assert outcomes(third)[4] == ("invalid", "possible-duplicate")


def test_identical_rows_are_sent_only_with_allow_identical(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    same = "2026/11/13;10,00;Salonen Mika;;Salonen Mika;Viitemaksu;410111;EUR"
    export = nordea(tmp_path / "a.csv", same, same)
    held = run(export, sandbox, tmp_path / "1.sqlite")
    assert outcomes(held)[3] == ("invalid", "possible-duplicate")
    sent = run(export, sandbox, tmp_path / "2.sqlite", replace(RULES, allow_identical=True))
    assert outcomes(sent)[3] == ("posted", "registered")


def test_a_payment_seen_in_an_export_of_the_other_kind_is_held(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = tmp_path / "j.sqlite"
    op = tmp_path / "op.csv"
    op.write_text(
        OP_HEADER + "\n"
        '"2026-11-13";"2026-11-13";19,50;"106";"VIITESIIRTO";"Salonen Mika";"";"";'
        '"ref=410111";"";"20261113/5UGC/001001"\n',
        encoding="utf-8",
    )
    assert outcomes(run(op, sandbox, journal))[2] == ("posted", "registered")
    same = "2026/11/13;19,50;Salonen Mika;;Salonen Mika;Viitemaksu;410111;EUR"
    report = run(nordea(tmp_path / "n.csv", same), sandbox, journal)
    result = report.results[0]
    assert (result.outcome, result.code) == (Outcome.INVALID, "possible-duplicate")
    assert "op.csv line 2" in result.message
    assert "with archive ids" in result.message
    assert max(sandbox.state.ledger.applied.values()) == 1


@pytest.mark.parametrize(
    ("rules", "line", "expected"),
    [
        (replace(RULES, allow_future=True), 8, ("posted", "registered")),
        (replace(RULES, max_age_days=700), 9, ("posted", "registered")),
        (replace(RULES, today=date(2027, 1, 1)), 8, ("posted", "registered")),
        (replace(RULES, today=date(2027, 12, 31)), 2, ("invalid", "old-date")),
    ],
)
def test_date_limits_move_with_the_options(
    sandbox: Sandbox, tmp_path: Path, rules: Rules, line: int, expected: tuple[str, str]
) -> None:
    assert outcomes(run(MESSY, sandbox, tmp_path / "j.sqlite", rules))[line] == expected


def test_domestic_references_sends_the_finnish_form_of_an_rf_reference(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    rules = replace(RULES, domestic_references=True)
    report = run(MESSY, sandbox, tmp_path / "j.sqlite", rules)
    row = next(r for r in report.results if r.row.line == 18)
    assert row.payment
    assert row.payment.billcode == "410072"
    # The sandbox holds this invoice under its RF form, as Ropo One would for an RF invoice.
    assert (row.outcome, row.code) == (Outcome.REJECTED, "status-10")


def test_the_command_line_options_relax_exactly_their_rule(tmp_path: Path) -> None:
    def codes(*options: str) -> dict[int, str]:
        workbook = tmp_path / "out.xlsx"
        args = ["run", str(MESSY), "--dry-run", "--output", str(workbook), *options]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        book = load_workbook(workbook, read_only=True)
        try:
            first, *rows = book["Results"].iter_rows(values_only=True)
            header = keyed(first, "Results")
        finally:
            book.close()
        return {row[0]: row[header.index("code")] for row in rows}

    strict = codes()
    assert {strict[8], strict[9], strict[12]} == {"future-date", "old-date", "possible-duplicate"}
    relaxed = codes("--allow-future", "--max-age", "700", "--allow-identical")
    assert relaxed[8] == relaxed[9] == relaxed[12] == "dry-run"
    assert codes("--today", "2026-12-31")[8] == "dry-run"
    changed = {line for line in strict if strict[line] != relaxed[line]}
    assert changed == {8, 9, 12}
