"""Attacks on camt structured remittance (issue 15 item 1): shapes real payers send, reruns,
and the sums. A test marked xfail(strict) shows a bug that is still there; when it is fixed the
test passes and strict xfail turns the suite red, so the mark is removed with the fix.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from importer.cli import cli
from importer.models import Verdict
from importer.readers import remittance
from importer.sandbox.faults import Faults
from tests.conftest import Sandbox
from tests.test_remittance import _rows
from tests.test_remittance import _run as run_sample

DAY = "2026-11-04"


def _strd(
    *,
    ref: str = "",
    nb: str = "",
    kind: str = "",
    rmtd: str = "",
    due: str = "",
    cdtnote: str = "",
    discount: str = "",
    ccy: str = "EUR",
) -> str:
    """One `Strd` block; empty arguments leave their element out."""
    doc = ""
    if kind or nb:
        code = f"<Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp>" if kind else ""
        doc = f"<RfrdDocInf>{code}{f'<Nb>{nb}</Nb>' if nb else ''}</RfrdDocInf>"
    amounts = "".join(
        f'<{name} Ccy="{ccy}">{value}</{name}>'
        for name, value in (
            ("DuePyblAmt", due),
            ("DscntApldAmt", discount),
            ("CdtNoteAmt", cdtnote),
            ("RmtdAmt", rmtd),
        )
        if value
    )
    creditor = f"<CdtrRefInf><Ref>{ref}</Ref></CdtrRefInf>" if ref else ""
    return f"<Strd>{doc}{f'<RfrdDocAmt>{amounts}</RfrdDocAmt>' if amounts else ''}{creditor}</Strd>"


def _entry(
    amount: str,
    archive: str,
    blocks: list[str],
    *,
    direction: str = "CRDT",
    payer: str = "Rakennus Oy",
    reversal: bool = False,
    day: str = DAY,
) -> str:
    ref = f"<AcctSvcrRef>{archive}</AcctSvcrRef>" if archive else ""
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
        + ("<RvslInd>true</RvslInd>" if reversal else "")
        + f"<Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>{ref}"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>'
        f"<RltdPties><Dbtr><Nm>{payer}</Nm></Dbtr></RltdPties>"
        f"<RmtInf>{''.join(blocks)}</RmtInf></TxDtls></NtryDtls></Ntry>\n"
    )


def _camt(tmp_path: Path, *entries: str, name: str = "in.xml", statement: bool = False) -> Path:
    root, section, schema = (
        ("BkToCstmrStmt", "Stmt", "camt.053.001.02")
        if statement
        else ("BkToCstmrDbtCdtNtfctn", "Ntfctn", "camt.054.001.02")
    )
    path = tmp_path / name
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{schema}"><{root}>'
        "<GrpHdr><MsgId>ATTACK</MsgId><CreDtTm>2026-11-05T18:00:02+02:00</CreDtTm></GrpHdr>"
        f"<{section}><Id>1</Id><Acct><Id><IBAN>FI2180001234567891</IBAN></Id><Ccy>EUR</Ccy>"
        f"</Acct>\n{''.join(entries)}</{section}></{root}></Document>\n",
        encoding="utf-8",
    )
    return path


def _run(tmp_path: Path, source: Path, *options: str) -> tuple[int, str, Path]:
    return run_sample(tmp_path, *options, source=source)


def _ends(path: Path) -> list[tuple[str, str, Decimal]]:
    return [(r["outcome"], r["code"], Decimal(str(r["amount"]))) for r in _rows(path)]


def _applied(sandbox: Sandbox) -> Decimal:
    """The money the sandbox registered as payments (credit notes are not money)."""
    return sum(
        (Decimal(amount) * n for (_, _, amount), n in sandbox.state.ledger.applied.items()),
        Decimal("0"),
    )


INVOICE = _strd(ref="410085", rmtd="1234.56")  # the sandbox's invoice 500008, 1234.56 open
CREDIT = _strd(kind="CREN", nb="7001", cdtnote="234.56")


# --- bugs: each test fails now -------------------------------------------------------------


def test_a_credit_note_without_a_number_is_never_sent_as_money(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    source = _camt(
        tmp_path, _entry("1000.00", "A1", [INVOICE, _strd(kind="CREN", cdtnote="234.56")])
    )
    _, _, path = _run(tmp_path, source, "--credit-notes", "send")
    assert _applied(ropo_env) == Decimal("1000.00")  # the cash, and nothing more
    assert ropo_env.state.ledger.credit_notes == {}
    # Named on the payment, which needs a person: Ropo One still shows 234.56 open.
    assert [e[:2] for e in _ends(path)] == [("posted", "credit-note-open")]
    assert "(no number) 234.56" in _rows(path)[0]["message"]


def test_an_invoice_share_below_zero_never_registers_more_than_the_cash(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    blocks = [
        _strd(kind="CINV", ref="410027", rmtd="100.00"),
        _strd(kind="CINV", ref="410030", rmtd="-10.00"),
    ]
    code, _, path = _run(tmp_path, _camt(tmp_path, _entry("90.00", "A2", blocks)))
    assert _applied(ropo_env) <= Decimal("90.00"), _ends(path)
    assert code == 2  # and the payment waits for a person


def test_an_outgoing_payment_with_supplier_remittance_is_skipped_not_invalid(
    tmp_path: Path,
) -> None:
    blocks = [
        _strd(kind="CINV", nb="S-1", rmtd="100.00"),
        _strd(kind="CINV", nb="S-2", rmtd="50.00"),
        _strd(kind="CREN", nb="S-C", cdtnote="20.00"),
    ]
    source = _camt(tmp_path, _entry("130.00", "D1", blocks, direction="DBIT"))
    code, _, path = _run(tmp_path, source, "--dry-run")
    assert [e[:2] for e in _ends(path)] == [("skipped", "outgoing")]
    assert code == 0


def test_a_credit_note_in_another_currency_is_not_registered_as_euros(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    blocks = [_strd(ref="410085"), _strd(kind="CREN", nb="7001", cdtnote="234.56", ccy="USD")]
    _run(tmp_path, _camt(tmp_path, _entry("1000.00", "A3", blocks)), "--credit-notes", "send")
    assert ropo_env.state.ledger.credit_notes == {}


def test_two_credit_notes_with_one_number_leave_nothing_open_unflagged(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    twice = _strd(kind="CREN", nb="7001", cdtnote="117.28")
    source = _camt(tmp_path, _entry("1000.00", "A4", [INVOICE, twice, twice]))
    _, _, path = _run(tmp_path, source, "--credit-notes", "send")
    open_total = {i.billcode: i.open_total for i in ropo_env.state.ledger.invoices}["410085"]
    assert open_total == 0 or _rows(path, "Needs attention"), _ends(path)


def test_an_unreadable_remittance_amount_is_named_not_ignored(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    blocks = [_strd(ref="410085", rmtd="1234,56"), CREDIT]
    _, _, path = _run(tmp_path, _camt(tmp_path, _entry("1000.00", "A5", blocks)))
    first = _rows(path)[0]
    assert first["outcome"] == "invalid"
    assert "1234,56" in first["message"]


def test_an_unreadable_credit_note_amount_is_quoted() -> None:
    verdict = remittance.split(
        "1000.00",
        [
            remittance.Document(False, reference="410085"),
            remittance.Document(True, number="7001", deducted="234,56"),
        ],
        "A",
    )
    assert isinstance(verdict, Verdict)
    assert "234,56" in verdict.message


def test_the_archive_id_survives_in_the_description_beside_many_credit_notes(
    tmp_path: Path,
) -> None:
    notes = [_strd(kind="CREN", nb=f"9000000{n}", cdtnote="1.00") for n in range(8)]
    blocks = [_strd(ref="410085", rmtd="1008.00"), *notes]
    source = _camt(tmp_path, _entry("1000.00", "20261104HANDA9999", blocks))
    _, _, path = _run(tmp_path, source, "--dry-run")
    assert "archive id 20261104HANDA9999" in _rows(path)[0]["description"]


def test_a_payment_sent_whole_without_an_archive_id_is_not_split_and_sent_again(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    def batch(blocks: list[str]) -> str:
        # Two payments in one entry, neither with an archive id of its own.
        one = _entry("214.90", "", blocks)
        other = _entry("75.00", "", [_strd(ref="410027")])
        inner = one.split("<NtryDtls>")[1].split("</NtryDtls>")[0]
        inner += other.split("<NtryDtls>")[1].split("</NtryDtls>")[0]
        head = one.split("<NtryDtls>")[0].replace("214.90", "289.90")
        return f"{head}<NtryDtls>{inner}</NtryDtls></Ntry>"

    # What an earlier version read: the whole 214.90 for the first reference.
    _, _, old = _run(tmp_path, _camt(tmp_path, batch([_strd(ref="410014")]), name="old.xml"))
    assert _applied(ropo_env) == Decimal("289.90"), _ends(old)
    split = [_strd(ref="410014", rmtd="125.00"), _strd(ref="410030", rmtd="89.90")]
    _run(tmp_path, _camt(tmp_path, batch(split), name="new.xml"))
    assert _applied(ropo_env) == Decimal("289.90")  # nothing registered twice


# What a user writes to run a camt run's Needs attention CSV again (no built-in profile reads it).
CAMT_CSV_PROFILE = """
title = "camt rows saved from Needs attention"
reader = "table"
[read]
delimiter = ";"
[columns]
booking_date = "BookgDt"
archive_id = "AcctSvcrRef"
amount = "Amt"
currency = "Ccy"
payer = "Dbtr"
reference = "Ref"
message = "Ustrd"
[format]
date_format = "%Y-%m-%d"
decimal_mark = "."
"""


def _attention_csv(workbook: Path, target: Path, old: str, new: str) -> Path:
    """Needs attention saved as CSV by a spreadsheet, with one correction made in it."""
    book = load_workbook(workbook, read_only=True)
    rows = [["" if v is None else str(v) for v in r] for r in book["Needs attention"].values]
    book.close()
    with target.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file, delimiter=";").writerows([[c.replace(old, new) for c in r] for r in rows])
    profile = target.with_suffix(".toml")
    profile.write_text(CAMT_CSV_PROFILE, encoding="utf-8")
    return target


def test_a_corrected_needs_attention_csv_never_sends_a_credit_note_as_money(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    blocks = [_strd(ref="770013", rmtd="1234.56"), CREDIT]  # no such invoice: rejected
    _, _, first = _run(
        tmp_path, _camt(tmp_path, _entry("1000.00", "A6", blocks)), "--credit-notes", "send"
    )
    assert {r["code"] for r in _rows(first, "Needs attention")} == {"status-10"}
    todo = _attention_csv(first, tmp_path / "todo.csv", "770013", "410085")
    _, out, again = _run(
        tmp_path, todo, "--credit-notes", "send", "--profile", str(todo.with_suffix(".toml"))
    )
    assert again.exists(), out
    assert _applied(ropo_env) == Decimal("1000.00"), _ends(again)


def test_an_old_payment_s_credit_note_never_comes_back_as_money(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    source = _camt(tmp_path, _entry("1000.00", "A7", [INVOICE, CREDIT], day="2024-01-02"))
    _, _, first = _run(tmp_path, source)
    assert [e[1] for e in _ends(first)] == ["old-date", "credit-note"]
    todo = _attention_csv(first, tmp_path / "todo.csv", "", "")
    _, out, again = _run(
        tmp_path, todo, "--max-age", "5000", "--profile", str(todo.with_suffix(".toml"))
    )
    assert again.exists(), out
    assert _applied(ropo_env) == Decimal("1000.00"), _ends(again)


def test_an_unanswered_credit_note_is_described_as_a_credit_note(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    ropo_env.state.faults = Faults(drop_rate=1.0)  # applied, then the answer is cut
    source = _camt(tmp_path, _entry("1000.00", "A8", [INVOICE, CREDIT]))
    _, _, path = _run(tmp_path, source, "--credit-notes", "send")
    assert [e[:2] for e in _ends(path)] == [("unknown", "answer-unread")] * 2
    listed = CliRunner().invoke(cli, ["resolve", "--journal", str(tmp_path / "j.sqlite")])
    assert "credit note 7001" in _rows(path)[1]["message"]
    assert "7001" in listed.output, listed.output


# --- what holds: these pass and keep it so -----------------------------------------------


def test_an_unanswered_group_is_never_sent_again_and_money_stays_once(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    ropo_env.state.faults = Faults(drop_rate=1.0)
    source = _camt(tmp_path, _entry("1000.00", "A9", [INVOICE, CREDIT]))
    _run(tmp_path, source, "--credit-notes", "send")
    ropo_env.state.faults = Faults()
    requests = ropo_env.state.requests
    _, _, again = _run(tmp_path, source, "--credit-notes", "send")
    assert [e[:2] for e in _ends(again)] == [("unknown", "unanswered-earlier")] * 2
    assert ropo_env.state.requests == requests
    assert ropo_env.state.ledger.applied[(500008, DAY, "1000.00")] == 1
    assert ropo_env.state.ledger.credit_notes[(500008, "7001", "234.56")] == 1


def test_credit_notes_in_another_order_on_a_rerun_are_not_sent_again(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    notes = [
        _strd(kind="CREN", nb="7001", cdtnote="200.00"),
        _strd(kind="CREN", nb="7002", cdtnote="34.56"),
    ]
    first = _camt(tmp_path, _entry("1000.00", "B1", [INVOICE, *notes]), name="a.xml")
    second = _camt(tmp_path, _entry("1000.00", "B1", [INVOICE, *notes[::-1]]), name="b.xml")
    _run(tmp_path, first, "--credit-notes", "send")
    requests = ropo_env.state.requests
    code, _, path = _run(tmp_path, second, "--credit-notes", "send")
    assert code == 0
    assert {e[1] for e in _ends(path)} == {"already-registered"}
    assert ropo_env.state.requests == requests
    invoice = {i.billcode: i for i in ropo_env.state.ledger.invoices}["410085"]
    assert invoice.open_total == 0


def test_invoices_in_another_order_on_a_rerun_are_held_not_sent_twice(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    invoices = [_strd(ref="410014", rmtd="125.00"), _strd(ref="410030", rmtd="89.90")]
    _run(tmp_path, _camt(tmp_path, _entry("214.90", "B2", invoices), name="a.xml"))
    swapped = _camt(tmp_path, _entry("214.90", "B2", invoices[::-1]), name="b.xml")
    _, _, path = _run(tmp_path, swapped)
    assert {e[0] for e in _ends(path)} <= {"skipped", "invalid"}  # never sent again
    assert _applied(ropo_env) == Decimal("214.90")


def test_a_reversal_with_a_remittance_stays_one_skipped_reversal(tmp_path: Path) -> None:
    source = _camt(tmp_path, _entry("1000.00", "B3", [INVOICE, CREDIT], reversal=True))
    code, _, path = _run(tmp_path, source, "--dry-run", "--credit-notes", "send")
    assert [e[:2] for e in _ends(path)] == [("skipped", "reversal")]
    assert code == 0


def test_a_statement_camt053_splits_as_the_notification_does(tmp_path: Path) -> None:
    entry = _entry("1000.00", "B4", [INVOICE, CREDIT])
    notes = _run(tmp_path, _camt(tmp_path, entry, name="n.xml"), "--dry-run")[2]
    statement = _camt(tmp_path, entry, name="s.xml", statement=True)
    assert _ends(_run(tmp_path, statement, "--dry-run")[2]) == _ends(notes)


def test_fifty_invoices_become_fifty_rows_that_add_up_to_the_cash(tmp_path: Path) -> None:
    blocks = [_strd(kind="CINV", nb=f"R{n:05}", rmtd=f"{n}.01") for n in range(1, 51)]
    cash = sum((Decimal(f"{n}.01") for n in range(1, 51)), Decimal("0"))
    code, _, path = _run(tmp_path, _camt(tmp_path, _entry(f"{cash}", "B5", blocks)), "--dry-run")
    rows = _rows(path)
    assert [r["AcctSvcrRef"] for r in rows] == [f"B5/{n}" for n in range(1, 51)]
    assert [r["billnum"] for r in rows] == [f"R{n:05}" for n in range(1, 51)]
    assert sum(Decimal(str(r["amount"])) for r in rows) == cash
    assert code == 0


def test_an_invoice_number_with_spaces_and_both_identifiers_pick_the_reference(
    tmp_path: Path,
) -> None:
    blocks = [
        _strd(kind="CINV", nb="  R41011 ", rmtd="39.00"),
        _strd(kind="CINV", nb="R41003", ref="410030", rmtd="89.90"),
    ]
    _, _, path = _run(tmp_path, _camt(tmp_path, _entry("128.90", "B6", blocks)), "--dry-run")
    sent = [(r["billnum"], r["billcode"]) for r in _rows(path)]
    assert sent == [("R41011", None), (None, "410030")]


@pytest.mark.parametrize("bad", ["0.00", "-5.00", "abc", "1e3", "NaN"])
def test_odd_credit_note_amounts_never_move_money(
    ropo_env: Sandbox, tmp_path: Path, bad: str
) -> None:
    blocks = [_strd(ref="410085"), _strd(kind="CREN", nb="7001", cdtnote=bad)]
    _run(tmp_path, _camt(tmp_path, _entry("1000.00", "B7", blocks)), "--credit-notes", "send")
    assert _applied(ropo_env) == Decimal("1000.00") or _applied(ropo_env) == 0


def test_the_summary_counts_credit_notes_apart_from_the_money_posted(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    source = _camt(tmp_path, _entry("1000.00", "B8", [INVOICE, CREDIT]))
    _, _, path = _run(tmp_path, source, "--credit-notes", "send")
    book = load_workbook(path, read_only=True)
    cells = [[c for c in r if c is not None] for r in book["Summary"].values]
    book.close()
    capital = next(r for r in cells if r and r[0] == "to capital")  # label, amount, API name
    assert Decimal(str(capital[1])) == Decimal("1000.00")
    noted = next(r for r in cells if r and str(r[0]).startswith("credit notes registered"))
    assert (noted[1], Decimal(str(noted[2]))) == (1, Decimal("234.56"))  # label, count, sum


def test_a_cash_discount_is_part_of_the_invoice_s_share(tmp_path: Path) -> None:
    blocks = [
        _strd(kind="CINV", nb="R41011", due="40.00", discount="1.00"),
        _strd(kind="CINV", nb="R41003", rmtd="89.90"),
    ]
    _, _, path = _run(tmp_path, _camt(tmp_path, _entry("128.90", "C1", blocks)), "--dry-run")
    assert [e[2] for e in _ends(path)] == [Decimal("39.00"), Decimal("89.90")], _ends(path)


def test_a_one_line_file_listing_a_split_payment_twice_sends_it_once(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    entry = _entry(
        "214.90", "C2", [_strd(ref="410014", rmtd="125.00"), _strd(ref="410030", rmtd="89.90")]
    )
    source = _camt(tmp_path, entry, entry)
    source.write_text(source.read_text(encoding="utf-8").replace("\n", ""), encoding="utf-8")
    _, _, path = _run(tmp_path, source)
    assert _applied(ropo_env) == Decimal("214.90"), _ends(path)


def test_an_amount_in_exponent_form_is_refused_not_written_out() -> None:
    shown = remittance.describe([remittance.Document(True, number="7001", deducted="1e5000")])
    assert len(shown) < 100
