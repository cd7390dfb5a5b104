"""The generic profile, more forgiving where it is safe (issue 15 item 5), through run_import.

Placeholders ("-", "—", "n/a", empty quotes) are empty cells; the payer is read from a name
column before one that may hold an account number; English, Finnish and Swedish date headers
are dates; lines above the header are found as a bank profile's declared preamble is skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from importer.cli import cli
from importer.engine.fields import transactions
from importer.errors import ProfileError
from importer.export import open_export
from importer.mapping import guess_columns
from importer.pipeline import run_import
from importer.report import Report
from tests.conftest import RULES
from tests.test_engine import _import, _same
from tests.test_outcomes import ends_of, golden_ends

SAMPLES = Path(__file__).parent / "samples" / "generic"
PREAMBLE = SAMPLES / "preamble-placeholders.csv"


def _ends(report: Report) -> dict[int, tuple[str, str]]:
    """line -> (identifier sent, paydate), or (column, "") when refused; each line's outcome
    and code are in the sample's outcome golden."""
    ends: dict[int, tuple[str, str]] = {}
    for result in report.results:
        payment = result.payment
        if payment is None:
            ends[result.row.line] = (result.message.split(",")[0], "")
            continue
        sent = payment.model_dump(exclude_none=True)
        key = next(k for k in ("billcode", "jobid", "billnum") if k in sent)
        ends[result.row.line] = (f"{key}={sent[key]}", str(payment.paydate))
    return ends


def _dry_run(path: Path, tmp_path: Path) -> Report:
    journal = tmp_path / f"{path.stem}.sqlite"
    return run_import(path, journal_path=journal, rules=RULES, dry_run=True, profile="generic")


def test_placeholders_are_empty_and_the_header_is_found_below_a_preamble(tmp_path: Path) -> None:
    report = _dry_run(PREAMBLE, tmp_path)
    assert ends_of(report) == golden_ends(PREAMBLE)
    assert _ends(report) == {
        6: ("billcode=410014", "2026-11-02"),
        # ValueDate "-": the booking date is sent; the reference "n/a" is none, so the
        # message's reference is taken.
        7: ("billcode=9597349", "2026-11-03"),
        8: ("column 'Amount'", ""),  # "-" is no amount, not a zero
        # Reference "" and archive id "-" are empty: the invoice number in the message is used.
        9: ("billnum=41004", "2026-11-05"),
    }
    assert report.balanced


def _payers(report: Report) -> dict[int, str]:
    """line -> the payer the payment's description names ("" for none)."""
    return {
        r.row.line: (r.payment.description or "").partition("; payer ")[2].partition("; ")[0]
        for r in report.results
        if r.payment
    }


def test_payer_is_read_from_the_name_and_not_the_account_column(tmp_path: Path) -> None:
    assert _payers(_dry_run(PREAMBLE, tmp_path)) == {6: "Virtanen Matti", 7: "Heikkinen Tmi", 9: ""}
    swedish = _dry_run(SAMPLES / "swedish-dates.csv", tmp_path)
    assert _payers(swedish) == {2: "Virtanen Matti", 3: "Laine Pekka"}
    found = guess_columns(("Kirjauspäivä", "Määrä", "Maksaja", "Nimi", "Viitenumero"), "f.csv")
    assert found["payer"] == "Nimi"  # Nordea's "Maksaja" is the payer's account number
    assert guess_columns(("Pvm", "Summa", "Maksaja", "Viite"), "f.csv")["payer"] == "Maksaja"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (("TransactionDate", "Amount", "Reference"), {"booking_date": "TransactionDate"}),
        (("BookDate", "ValueDate", "Amount", "Reference"), {"value_date": "ValueDate"}),
        (("Booking date", "Value date", "Amount", "Ref"), {"booking_date": "Booking date"}),
        (("Kirjauspäivä", "Arvopäivä", "Maksupäivä", "Määrä", "Viite"),
         {"payment_date": "Maksupäivä", "value_date": "Arvopäivä"}),
        (("Bokföringsdag", "Valutadag", "Betalningsdag", "Belopp", "Referensnummer"),
         {"payment_date": "Betalningsdag", "value_date": "Valutadag",
          "booking_date": "Bokföringsdag"}),
    ],
)  # fmt: skip
def test_english_finnish_and_swedish_date_headers_are_dates(
    headers: tuple[str, ...], expected: dict[str, str]
) -> None:
    found = guess_columns(headers, "f.csv")
    assert {field: found[field] for field in expected} == expected  # type: ignore[index]


def test_the_paydate_follows_the_usual_order_under_swedish_and_english_headers(
    tmp_path: Path,
) -> None:
    swedish, english = SAMPLES / "swedish-dates.csv", SAMPLES / "english-dates.csv"
    report = _dry_run(swedish, tmp_path)
    assert ends_of(report) == golden_ends(swedish)
    assert _ends(report) == {
        2: ("billcode=410014", "2026-11-01"),  # Betalningsdag first
        3: ("billcode=9597349", "2026-11-04"),  # "-": the value date
    }
    report = _dry_run(english, tmp_path)
    assert ends_of(report) == golden_ends(english)
    assert _ends(report) == {
        2: ("billcode=410014", "2026-11-03"),
        3: ("billcode=RF18539007547034", "2026-11-04"),  # "—" value date: BookDate
    }


def test_a_spreadsheet_s_preamble_is_found_too(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for values in (
        ["Account statement"],
        ["Account", "FI49 5000 0120 0000 12"],
        [],
        ["Booking date", "Amount", "Payer", "Reference"],
        ["2026-11-02", "125,00", "Virtanen Matti", "410014"],
    ):
        sheet.append(values)
    path = tmp_path / "statement.xlsx"
    book.save(path)
    export = open_export(path, "generic")
    assert export.profile.read.preamble == 3
    assert [txn.reference for txn in transactions(export)] == ["410014"]


def test_a_file_with_no_recognisable_header_is_refused_naming_its_first_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Tili;FI49\nPvm;Selite\n2026-11-02;x\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"found: 'Tili', 'FI49'\)"):
        open_export(path, "generic")


def test_a_header_on_the_first_line_is_read_as_before(tmp_path: Path) -> None:
    export = open_export(SAMPLES / "english-dates.csv", "generic")
    assert export.profile.read.preamble == 0
    assert [txn.row.line for txn in transactions(export)] == [2, 3]


def test_the_bulk_path_reads_placeholders_as_the_row_path_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        f"2026-11-{2 + n % 5:02d};{v};{a};{p};{r};{m};{x}"
        for n, (v, a, p, r, m, x) in enumerate(
            [
                ("-", "10,00", "Virtanen Matti", "410014", "-", f"A{k}")
                if k % 4 == 0
                else ("n/a", "-", "—", "410027", "", "-")
                if k % 4 == 1
                else ("2026-11-03", "5,00", "''", '""', "9597349", "N/A")
                if k % 4 == 2
                else ("—", "7,50", "Laine Pekka", "410030", "viite 9597340", f"B{k}")
                for k in range(40)
            ]
        )
    ]
    path = tmp_path / "generic.csv"
    header = "Booking date;Value date;Amount;Name;Reference;Message;Archive id"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    quick = _import(path, monkeypatch, quick=True, profile="generic")
    slow = _import(path, monkeypatch, quick=False, profile="generic")
    _same(quick, slow)
    assert {r.code for r in quick.results} >= {"dry-run", "missing-amount"}


def test_the_command_line_dry_run_reads_the_generic_preamble_file(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(
        cli,
        [
            "run", str(PREAMBLE), "--dry-run", "--profile", "generic",
            "--journal", str(tmp_path / "j.sqlite"), "--reports", str(tmp_path),
        ],
    )  # fmt: skip
    assert outcome.exit_code == 2, outcome.stdout + outcome.stderr  # line 8 needs attention
    assert "line 8: invalid [missing-amount] column 'Amount', value '-'" in outcome.stdout
    assert "line 6" not in outcome.stderr
