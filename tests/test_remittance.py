"""camt structured remittance read whole (issue 15 item 1), through `ropo-import run`.

The sample (tests/samples/camt054/camt054-remittance.xml) has six payments: one invoice less a
credit note, two invoices, two whose sums disagree, one without an amount, a credit note beside
two invoices, and an invoice by its number less two credit notes. The sandbox's ledger holds
the invoices, so what Ropo One would say after each payment is real.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook

from importer.cli import cli
from importer.models import Outcome
from importer.readers import remittance
from importer.readers.remittance import Document
from tests.conftest import Sandbox
from tests.sheets import keyed

SAMPLE = Path(__file__).parent / "samples" / "camt054" / "camt054-remittance.xml"
CASH_IN = Decimal("1994.90")  # the six payments' cash, as the bank booked them


def _run(tmp_path: Path, *options: str, source: Path = SAMPLE) -> tuple[int, str, Path]:
    output = tmp_path / f"result-{len(list(tmp_path.glob('*.xlsx')))}.xlsx"
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(source),
            "--output",
            str(output),
            "--journal",
            str(tmp_path / "j.sqlite"),
            *list(options),
        ],
    )
    return result.exit_code, result.output, output


def _rows(path: Path, sheet: str = "Results") -> list[dict[str, Any]]:
    book = load_workbook(path, read_only=True)
    values = list(book[sheet].iter_rows(values_only=True))
    book.close()
    header = keyed(values[0], sheet)
    return [dict(zip(header, row, strict=False)) for row in values[1:]]


def _ends(path: Path) -> list[tuple[Any, ...]]:
    return [
        (r["source_row"], r["AcctSvcrRef"], r["outcome"], r["code"], Decimal(str(r["amount"])))
        for r in _rows(path)
    ]


def test_by_default_credit_notes_ride_on_the_payment_and_an_open_invoice_needs_attention(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    code, out, path = _run(tmp_path)
    assert code == 2, out
    ends = _ends(path)
    assert ends == [
        (41, "20261104HANDA0001", "posted", "credit-note-open", Decimal("1000")),
        (41, "20261104HANDA0001/credit note 7001", "skipped", "credit-note", Decimal("0")),
        (107, "20261104HANDA0002/1", "posted", "registered", Decimal("125")),
        (107, "20261104HANDA0002/2", "posted", "registered", Decimal("89.9")),
        (187, "20261104HANDA0003", "invalid", "remittance-sums-disagree", Decimal("500")),
        (253, "20261104HANDA0004", "invalid", "remittance-amount-missing", Decimal("100")),
        (316, "20261104HANDA0005", "invalid", "credit-note-which-invoice", Decimal("150")),
        (395, "20261104HANDA0006", "posted", "credit-note-open", Decimal("30")),
        (
            395,
            "20261104HANDA0006/credit note 00000000000000007003",
            "skipped",
            "credit-note",
            Decimal(0),
        ),
        (395, "20261104HANDA0006/credit note 7004", "skipped", "credit-note", Decimal("0")),
    ]
    assert sum(e[4] for e in ends) == CASH_IN  # sums in = out, to the cent
    first = _rows(path)[0]
    assert first["CreditNotes"] == "7001 234.56"
    assert "credit note 7001 234.56" in first["description"]
    assert "still shows 234.56 open" in first["message"]
    assert "--credit-notes send" in first["message"]
    disagree = _rows(path)[4]["message"]
    assert "500.00" in disagree
    assert "561.34" in disagree
    assert "39.00" in disagree
    attention = {(r["source_row"], r["code"]) for r in _rows(path, "Needs attention")}
    assert {(41, "credit-note-open"), (395, "credit-note-open")} <= attention
    assert (41, "credit-note") not in attention
    assert "credit-note-open" in out  # the terminal lists it with the other rows to act on
    assert ropo_env.state.ledger.credit_notes == {}


def test_credit_notes_send_registers_each_one_once_and_the_invoice_ends_closed(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    code, out, path = _run(tmp_path, "--credit-notes", "send")
    assert code == 2, out  # the three remittances that do not add up still need a person
    ends = _ends(path)
    assert [e[2:4] for e in ends if e[0] in (41, 395)] == [
        ("posted", "registered"),
        ("posted", "registered"),
        ("posted", "registered"),
        ("posted", "registered"),
        ("posted", "registered"),
    ]
    ledger = ropo_env.state.ledger
    assert dict(ledger.credit_notes) == {
        (500008, "7001", "234.56"): 1,
        (500011, "00000000000000007003", "5.00"): 1,
        (500011, "7004", "4.00"): 1,
    }
    closed = {i.billcode: (i.state, i.open_total) for i in ledger.invoices}
    assert closed["410085"] == ("paid", Decimal("0.00"))
    assert closed["410111"] == ("paid", Decimal("0.00"))
    assert sum(e[4] for e in ends) == CASH_IN  # a credit note moves no money
    registration = _rows(path)[1]
    assert registration["creditnotebillnum"] == "7001"
    assert registration["amount"] == 0  # no money moved: the Results sums stay the cash
    assert registration["Amt"] == "0.00"  # a copy saved as CSV can never send it as money
    assert "credit note 7001 234.56" in registration["description"]

    assert "credit notes registered on their invoices: 3, 243.56" in out
    assert "unfocused" not in out  # a credit note is no overpayment

    again, _, second = _run(tmp_path, "--credit-notes", "send")
    assert again == 2
    assert {e[3] for e in _ends(second) if e[2] == "skipped"} == {"already-registered"}
    assert set(ledger.credit_notes.values()) == {1}  # never twice


def test_credit_notes_sent_in_a_later_run_go_once_after_the_payment_went_alone(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    _run(tmp_path)
    code, _, path = _run(tmp_path, "--credit-notes", "send")
    assert code == 2
    ends = {e[1]: e[2:4] for e in _ends(path)}
    assert ends["20261104HANDA0001"] == ("skipped", "already-registered")
    assert ends["20261104HANDA0001/credit note 7001"] == ("posted", "registered")
    assert ropo_env.state.ledger.credit_notes[(500008, "7001", "234.56")] == 1
    assert sum(ropo_env.state.ledger.applied.values()) == 4  # the payments, once each


def test_a_payment_sent_whole_by_an_earlier_version_is_not_split_and_sent_again(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    code, out, _ = _run(tmp_path, "--credit-notes", "note")
    assert code == 2, out
    # What an earlier version did with payment 2: the whole 214.90 to its first invoice.
    with sqlite3.connect(tmp_path / "j.sqlite") as db:
        db.execute("DELETE FROM payments WHERE row_key LIKE 'archive:20261104HANDA0002/%'")
        names = [row[1] for row in db.execute("PRAGMA table_info(payments)")]
        copied = ", ".join("'archive:20261104HANDA0002'" if n == "row_key" else n for n in names)
        db.execute(
            f"INSERT INTO payments ({', '.join(names)}) SELECT {copied} FROM payments "
            "WHERE row_key = 'archive:20261104HANDA0001'"
        )
    code, _, path = _run(tmp_path)
    ends = {e[1]: e[2:4] for e in _ends(path)}
    assert ends["20261104HANDA0002/1"] == ("invalid", "sent-whole-earlier")
    assert ends["20261104HANDA0002/2"] == ("invalid", "sent-whole-earlier")
    assert sum(ropo_env.state.ledger.applied.values()) == 4  # nothing more was sent


def test_a_dry_run_shows_the_credit_notes_it_would_register(tmp_path: Path) -> None:
    code, out, path = _run(tmp_path, "--dry-run", "--credit-notes", "send")
    assert code == 2, out
    would = [r for r in _rows(path) if r["code"] == "dry-run" and r["creditnotebillnum"]]
    assert [r["creditnotebillnum"] for r in would] == ["7001", "00000000000000007003", "7004"]


def _doc(**fields: Any) -> Document:
    return Document(credit_note=fields.pop("credit_note", False), **fields)


def test_an_invoice_with_a_due_amount_and_its_own_credit_note_settles_the_difference() -> None:
    parts = remittance.split(
        "150.00",
        [
            _doc(reference="410014", due="100.00", deducted="10.00"),
            _doc(reference="410030", remitted="60.00"),
        ],
        "A1",
    )
    assert isinstance(parts, list)
    assert [(p.amount, p.reference, p.archive) for p in parts] == [
        ("90.00", "410014", "A1/1"),
        ("60.00", "410030", "A1/2"),
    ]


def test_a_plain_payment_and_free_text_blocks_change_nothing() -> None:
    assert remittance.split("10.00", [_doc(reference="410014")], "A") is None
    assert remittance.split("10.00", [], "A") is None
    assert remittance.split("10.00", [_doc(), _doc(reference="410014")], "A") is None


def test_credit_notes_without_an_invoice_or_an_amount_are_never_guessed() -> None:
    alone = remittance.split("10.00", [_doc(credit_note=True, number="9", deducted="1")], "A")
    assert not isinstance(alone, list)
    assert alone is not None
    assert alone.outcome is Outcome.INVALID
    assert alone.code == remittance.WHICH_INVOICE
    unknown = remittance.split(
        "10.00",
        [_doc(reference="410014", remitted="11.00"), _doc(credit_note=True, number="9")],
        "A",
    )
    assert not isinstance(unknown, list)
    assert unknown is not None
    assert unknown.code == remittance.AMOUNT_MISSING
    assert "credit note 9" in unknown.message


def test_without_an_archive_id_the_parts_still_have_keys_of_their_own() -> None:
    parts = remittance.split(
        "30.00",
        [_doc(number="R1", remitted="39.00"), _doc(credit_note=True, number="C", deducted="9")],
        "",
    )
    assert isinstance(parts, list)
    assert [p.archive for p in parts] == ["", ""]
    assert parts[1].remittance is not None
    assert parts[1].remittance.registers is not None
