"""Rows in another currency are counted with every row but never summed into the euros
(issue 15 item 4): the euro balance holds euro rows only, and each other currency gets a
line of its own, in the terminal and in the Summary sheet.

The sample is a Nordea export (English headers) with euro rows, a CHF payment, a CHF outgoing
payment and a SEK payment: the euros read are 125.00 - 9.90 + 45.50 = 160.60.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from importer.cli import cli
from importer.engine import fields
from importer.engine.settled import NONE, OUTGOING_KIND
from importer.export import open_export
from importer.models import Outcome
from importer.pipeline import run_import
from importer.plan import read_rows
from importer.readers import frame
from importer.report import Report
from tests.conftest import RULES, Sandbox
from tests.test_end_to_end import invoke
from tests.test_ktl import lines, write
from tests.test_outcomes import ends_of, golden_ends

SAMPLE = Path(__file__).parent / "samples" / "currencies" / "mixed-eur-chf.csv"
CHF_LINE = (
    "CHF: 2 rows, 1\u202f134.50 CHF = invalid 1 (1\u202f234.50 CHF, not-euro) + skipped 1 "
    "(-100.00 CHF, outgoing) (not in the euro sums)"
)
SEK_LINE = "SEK: 1 row, 500.00 SEK, all invalid: not-euro (not in the euro sums)"
HEADER = (
    "Booking date;Amount;Sender;Recipient;Name;Title;Message;Reference number;Balance;Currency;"
)


def _dry(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, quick: bool) -> Report:
    with monkeypatch.context() as patch:
        if not quick:  # the csv module reads the file: every value through its scalar parser
            patch.setattr(frame, "read_columns", lambda *args: None)
            patch.setattr(fields, "KERNELS", False)
        journal = tmp_path / f"{path.stem}-{quick}.sqlite"
        return run_import(path, journal_path=journal, rules=RULES, dry_run=True)


@pytest.mark.parametrize("quick", [True, False], ids=["columns", "row-by-row"])
def test_the_euro_sums_hold_euro_rows_only_and_each_currency_has_its_line(
    quick: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _dry(SAMPLE, tmp_path, monkeypatch, quick=quick)
    assert report.rows_read == 6  # every row, whatever its currency
    assert report.sum_read == Decimal("160.60")
    assert (report.count(Outcome.INVALID), report.total(Outcome.INVALID)) == (2, Decimal("0"))
    assert (report.count(Outcome.SKIPPED), report.total(Outcome.SKIPPED)) == (
        4,
        Decimal("160.60"),
    )
    assert report.foreign_read == {
        "CHF": (2, Decimal("1134.50")),
        "SEK": (1, Decimal("500.00")),
    }
    assert report.currency_lines() == [CHF_LINE, SEK_LINE]
    assert report.balanced
    rows, sums = report.conservation()
    assert rows.startswith("rows read 6 = posted 0 + rejected 0 + invalid 2 + skipped 4")
    assert sums.startswith("sum read 160.60 = ")
    assert sums.endswith("(balances; euro rows only, 3 rows in other currencies apart)")
    assert ends_of(report) == golden_ends(SAMPLE)
    assert [r.currency for r in report.results] == ["", "CHF", "CHF", "SEK", "", ""]


def test_the_columns_settle_euro_rows_only() -> None:
    """A CHF outgoing payment is as plain as a euro one, but is summed apart: row by row."""
    settled = read_rows(open_export(SAMPLE), RULES, lambda result: None).settled
    assert settled.kinds[2] == NONE  # line 4: -100,00 CHF
    assert settled.kinds[4] == OUTGOING_KIND  # line 6: -9,90 EUR, settled as outgoing
    # every euro row, no franc or krona
    assert settled.total(None)[1] == Decimal(12500 - 990 + 4550).scaleb(-2)


def test_many_mixed_rows_end_the_same_in_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pick = random.Random(15)
    rows = [HEADER]
    for n in range(400):
        cents = pick.choice((-1, 1)) * pick.randrange(1, 100_000)
        amount = f"{cents // 100 if cents > 0 else -(-cents // 100)},{abs(cents) % 100:02d}"
        currency = pick.choice(("EUR", "EUR", "EUR", "", "eur", "CHF", "SEK", " USD "))
        reference = pick.choice(("410014", "410027", "RF28410072", ""))
        rows.append(
            f"2026/11/{pick.randrange(10, 20)};{amount};S;R;P{n};P{n};;{reference};0;{currency};"
        )
    path = tmp_path / "nordea-en.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    quick = _dry(path, tmp_path, monkeypatch, quick=True)
    slow = _dry(path, tmp_path, monkeypatch, quick=False)
    assert [(r.row.line, r.outcome, r.code, r.amount, r.currency) for r in quick.results] == [
        (r.row.line, r.outcome, r.code, r.amount, r.currency) for r in slow.results
    ]
    assert (quick.sum_read, quick.foreign_read) == (slow.sum_read, slow.foreign_read)
    assert quick.conservation() == slow.conservation()
    assert quick.currency_lines() == slow.currency_lines()
    assert quick.balanced
    assert slow.balanced
    assert set(quick.foreign_read) == {"CHF", "SEK", "USD"}
    euros = sum(
        (r.amount for r in slow.results if r.currency == "" and r.amount is not None),
        Decimal("0.00"),
    )
    assert quick.sum_read == euros


def test_a_ktl_payment_not_in_euros_is_summed_apart_without_a_currency(tmp_path: Path) -> None:
    records = lines()
    records[1] = records[1][:75] + "2" + records[1][76:]  # currency code 2: not euro
    report = run_import(
        write(tmp_path, records), journal_path=tmp_path / "j.sqlite", rules=RULES, dry_run=True
    )
    (apart,) = [r for r in report.results if r.currency]
    assert (apart.code, apart.currency) == ("not-euro", "?")
    assert report.foreign_read == {"?": (1, apart.amount)}
    assert report.currency_lines() == [
        f"currency not given: 1 row, {apart.amount}, all invalid: not-euro (not in the euro sums)"
    ]
    assert report.balanced


def test_a_currency_that_does_not_balance_is_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _dry(SAMPLE, tmp_path, monkeypatch, quick=True)
    wrong = replace(report, foreign_read={**report.foreign_read, "SEK": (1, Decimal("499.00"))})
    assert not wrong.balanced
    assert wrong.currency_lines()[1] == (
        "SEK: 1 row, 500.00 SEK, all invalid: not-euro (DOES NOT BALANCE: read 1 row, "
        "499.00 SEK) (not in the euro sums)"
    )


def test_run_against_the_sandbox_keeps_the_chf_row_out_of_the_euro_totals(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    book = tmp_path / "result.xlsx"
    code, out, err = invoke(
        "run", str(SAMPLE), "--output", str(book), "--journal", str(tmp_path / "j.sqlite")
    )
    assert code == 2, err  # two rows need attention: the CHF and SEK payments
    assert "sum read 160.60 = posted 170.50 + rejected 0.00 + invalid 0.00 + skipped -9.90" in out
    assert CHF_LINE in out
    assert SEK_LINE in out
    assert "(balances; euro rows only, 3 rows in other currencies apart)" in out
    applied = ropo_env.state.ledger.applied
    assert sorted(jobid for jobid, *_ in applied) == [
        500001,
        500007,
    ]  # 410014 and RF28410072; never 410027 (CHF)
    sheet = load_workbook(book)["Summary"]
    found = {row[0].value: row for row in sheet.iter_rows() if row[0].value}
    assert found["read from the file"][1].value == 6
    assert found["read from the file"][2].value == 160.6  # the euros only: no franc or krona
    assert found["posted"][2].value == 170.5
    assert found["invalid"][2].value == 0
    chf = found["CHF"]
    assert (chf[1].value, chf[2].value) == (2, 1134.5)
    assert chf[3].value == "invalid 1 (not-euro), skipped 1 (outgoing)"
    assert chf[2].number_format == '#,##0.00\\ "CHF"'
    assert (found["SEK"][1].value, found["SEK"][3].value) == (1, "invalid 1 (not-euro)")
    assert found["Other currencies"][3].value == "not in the euro sums: what happened"


def test_the_results_sheet_never_shows_another_currency_with_the_euro_sign(
    tmp_path: Path,
) -> None:
    output = tmp_path / "result.xlsx"
    outcome = CliRunner().invoke(
        cli, ["run", str(SAMPLE), "--dry-run", "--output", str(output), "--today", "2026-11-20"]
    )
    assert outcome.exit_code == 2, outcome.output
    book = load_workbook(output)
    sheet = book["Results"]
    header = [c.value for c in sheet[1]]
    amount, currency = header.index("amount") + 1, header.index("Currency") + 1
    formats = {
        (sheet.cell(row, currency).value, "€" in sheet.cell(row, amount).number_format)
        for row in range(2, sheet.max_row + 1)
        if sheet.cell(row, amount).value is not None
    }
    book.close()
    assert ("CHF", True) not in formats
    assert ("SEK", True) not in formats
    assert ("EUR", True) in formats
