"""One rule per kind of money, in every format (issue 15 item 2).

A direct debit is skipped as `direct-debit` in KTL, camt.054 and the CSVs; a return as
`returned` and a reversal as `reversal`, with the bank's reason code in the message, and a
reversal is never posted whichever its sign. Through `run_import` against the sandbox, and
through `ropo-import run --dry-run` where the quick reader settles plain rows in bulk.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from importer.cli import cli
from importer.engine.fields import transactions
from importer.export import open_export
from importer.models import Outcome
from importer.pipeline import run_import
from importer.profiles import Profile
from importer.readers import frame
from importer.report import Report
from tests.conftest import RULES, Sandbox
from tests.sheets import keyed
from tests.test_outcomes import as_sent, ends_of, golden_ends

SAMPLES = Path(__file__).parent / "samples"
CAMT = SAMPLES / "camt054" / "camt054-kinds-of-money.xml"
KTL = SAMPLES / "ktl" / "ktl-direct-debit.txt"
OP = SAMPLES / "op" / "op-direct-debit.csv"
DIRECT_DEBIT_REFERENCE = "410027"  # open in the sandbox's ledger: posting it would succeed
DIRECT_DEBIT_JOB = 500002  # that invoice's jobid


def _run(path: Path, tmp_path: Path, sandbox: Sandbox) -> Report:
    return run_import(
        path, journal_path=tmp_path / f"{path.stem}.sqlite", api=sandbox.api(), rules=RULES
    )


def _ends(report: Report) -> dict[str, tuple[Outcome, str, Decimal | None]]:
    """Each row's end by its reference: outcome, code and the amount read."""
    export = open_export(Path(report.file))
    return {
        txn.reference.lstrip("0"): (result.outcome, result.code, result.amount)
        for txn, result in zip(transactions(export), report.results, strict=True)
    }


def test_the_same_direct_debit_ends_the_same_way_in_ktl_and_camt054(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    ktl, camt = _run(KTL, tmp_path, sandbox), _run(CAMT, tmp_path, sandbox)
    expected = (Outcome.SKIPPED, "direct-debit", Decimal("100.00"))
    assert _ends(ktl)[DIRECT_DEBIT_REFERENCE] == expected
    assert _ends(camt)[DIRECT_DEBIT_REFERENCE] == expected
    assert [key for key in sandbox.state.ledger.applied if key[0] == DIRECT_DEBIT_JOB] == []
    assert sum(sandbox.state.ledger.applied.values()) == 1  # 410014 once: KTL then camt.054
    assert ktl.balanced
    assert camt.balanced


def test_camt054_returns_and_reversals_are_skipped_with_their_codes_and_reasons(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    report = _run(CAMT, tmp_path, sandbox)
    ends = {result.code: result for result in report.results}
    assert ends_of(report) == as_sent(golden_ends(CAMT))
    assert "reason AC06: blocked account" in ends["returned"].message
    assert "RvslInd" in ends["reversal"].message
    assert "704 SUORAVELOITUKSET" in ends["direct-debit"].message
    # rows and sums in = out: 125.00 posted, 264.90 skipped
    assert report.balanced
    assert (report.rows_read, report.sum_read) == (4, Decimal("389.90"))
    assert report.total(Outcome.POSTED) == Decimal("125.00")
    assert report.total(Outcome.SKIPPED) == Decimal("264.90")


def _camt(entry_extra: str = "", detail_extra: str = "", code: str = "") -> str:
    return f"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<Ntfctn><Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>{{direction}}</CdtDbtInd>{entry_extra}
<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-09</Dt></BookgDt><BkTxCd>{code}</BkTxCd>
<NtryDtls><TxDtls><Refs><AcctSvcrRef>A1</AcctSvcrRef></Refs>{detail_extra}
<RmtInf><Strd><CdtrRefInf><Ref>410014</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""


ISO = "<Domn><Cd>PMNT</Cd><Fmly><Cd>{}</Cd><SubFmlyCd>{}</SubFmlyCd></Fmly></Domn>"
CASES = {
    "reversal": ("<RvslInd>true</RvslInd>", "", "", "reversal"),
    "reversal with a reason": (
        "<RvslInd>true</RvslInd>",
        "<RtrInf><Rsn><Cd>MS03</Cd></Rsn></RtrInf>",
        "",
        "reversal",
    ),
    "return, proprietary reason": (
        "",
        "<RtrInf><Rsn><Prtry>X1</Prtry></Rsn></RtrInf>",
        "",
        "returned",
    ),
    "return by sub-family": ("", "", ISO.format("ICDT", "RRTN"), "returned"),
    "issued direct debit": ("", "", ISO.format("IDDT", "PMDD"), "direct-debit"),
    "received direct debit": ("", "", ISO.format("RDDT", "ESDD"), "direct-debit"),
    "704 only": ("", "", "<Prtry><Cd>704</Cd></Prtry>", "direct-debit"),
    "text only": ("<AddtlNtryInf>SUORAVELOITUS 12</AddtlNtryInf>", "", "", "direct-debit"),
    "plain payment": ("<RvslInd>false</RvslInd>", "", ISO.format("RCDT", "ESCT"), None),
}


@pytest.mark.parametrize("direction", ["CRDT", "DBIT"])
@pytest.mark.parametrize("case", list(CASES))
def test_camt_kinds_are_read_whichever_the_sign(tmp_path: Path, case: str, direction: str) -> None:
    entry, detail, code, expected = CASES[case]
    path = tmp_path / "kinds.xml"
    path.write_text(_camt(entry, detail, code).replace("{direction}", direction), "utf-8")
    (txn,) = transactions(open_export(path))
    assert (txn.verdict.code if txn.verdict else None) == expected
    if expected is None:
        return
    assert txn.verdict is not None
    assert txn.verdict.outcome is Outcome.SKIPPED
    reason = "MS03" if "MS03" in detail else "X1" if "X1" in detail else None
    if reason:
        assert f"reason {reason}" in txn.verdict.message


def _dry_run(monkeypatch: pytest.MonkeyPatch, path: Path, quick: bool) -> Report:
    with monkeypatch.context() as patch:
        if not quick:
            patch.setattr(frame, "read_columns", lambda *args: None)
        journal = path.with_suffix(f".{quick}.sqlite")
        return run_import(path, journal_path=journal, dry_run=True, rules=RULES)


def _another(line: str, n: int) -> str:
    """The row with its own archive id and amount, so no copy is a possible duplicate."""
    cells = line.replace("/000", f"/{n:03}").split(";")
    whole, cents = cells[2].split(",")
    cells[2] = f"{int(whole) + (n if int(whole) > 0 else -n)},{cents}"
    return ";".join(cells) + "\n"


def test_csv_direct_debits_are_skipped_the_same_with_and_without_the_bulk_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / OP.name
    # enough plain rows around them that the quick reader and the bulk path settle the rest
    header, *lines = OP.read_text(encoding="utf-8-sig").splitlines()
    copies = [_another(line, n) for n in range(201) for line in lines]
    path.write_text("\ufeff" + header + "\n" + "".join(copies), encoding="utf-8")
    quick, slow = _dry_run(monkeypatch, path, True), _dry_run(monkeypatch, path, False)
    settled = len(quick.results) - len(list(quick.results.itemised()))
    assert settled >= 2 * 201  # the plain rows went the bulk way; the direct debits did not

    def ends(report: Report) -> list[tuple[int, Outcome, str, Decimal | None]]:
        return [(r.row.line, r.outcome, r.code, r.amount) for r in report.results]

    assert ends(quick) == ends(slow)
    debits = [end for end in ends(quick) if end[2] == "direct-debit"]
    assert len(debits) == 2 * 201
    assert sum(end[3] or 0 for end in debits) == 201 * Decimal("55.00")  # 100.00 - 45.00
    assert all(end[1] is Outcome.SKIPPED for end in debits)
    assert quick.balanced
    assert slow.balanced


def test_dry_run_on_the_command_line_skips_csv_direct_debits(tmp_path: Path) -> None:
    workbook = tmp_path / "out.xlsx"
    outcome = CliRunner().invoke(
        cli, ["run", str(OP), "--dry-run", "--output", str(workbook)], catch_exceptions=False
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert "(balances)" in outcome.stdout
    book = load_workbook(workbook, read_only=True)
    rows = list(book["Results"].iter_rows(values_only=True))
    book.close()
    header = keyed(rows[0], "Results")
    names = ("source_row", "outcome", "code")
    ends = [tuple(row[header.index(name)] for name in names) for row in rows[1:]]
    assert ends == golden_ends(OP)  # lines 3 and 4 are direct debits, skipped


def test_a_profile_kind_rule_reads_returns_and_reversals_and_tolerates_a_missing_column(
    tmp_path: Path,
) -> None:
    profile = Profile.model_validate(
        {
            "name": "kinds",
            "title": "test",
            "read": {"delimiter": ";"},
            "columns": {"booking_date": "Pvm", "amount": "Summa", "reference": "Viite"},
            "format": {"date_format": "%d.%m.%Y", "decimal_mark": ","},
            "kind": {
                "column": ["Laji", "Tyyppi"],
                "returned": ["palautus"],
                "reversal": ["Peruutus"],
            },
        }
    )
    path = tmp_path / "kinds.csv"
    path.write_text(
        "Pvm;Summa;Viite;Tyyppi\n"
        "09.11.2026;10,00;410014;PALAUTUS\n"
        "09.11.2026;10,00;410014;peruutus\n"
        "09.11.2026;10,00;410014;viitesiirto\n",
        encoding="utf-8",
    )
    verdicts = [t.verdict for t in transactions(open_export(path, profile))]
    assert [v.code if v else None for v in verdicts] == ["returned", "reversal", None]
    assert verdicts[0] is not None
    assert "Tyyppi 'PALAUTUS'" in verdicts[0].message
    path.write_text("Pvm;Summa;Viite\n09.11.2026;10,00;410014\n", encoding="utf-8")
    (txn,) = transactions(open_export(path, profile))
    assert txn.verdict is None


def test_direct_debits_send_registers_them_like_any_payment_in_ktl_and_camt054(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    rules = replace(RULES, send_direct_debits=True)
    for path in (KTL, CAMT):
        report = run_import(
            path, journal_path=tmp_path / f"{path.stem}.sqlite", api=sandbox.api(), rules=rules
        )
        debit = next(
            r
            for r in report.results
            if r.payment is not None and r.payment.billcode == DIRECT_DEBIT_REFERENCE
        )
        assert (debit.outcome, debit.code) == (Outcome.POSTED, "registered")
        assert debit.payment is not None
        assert "direct debit" in (debit.payment.description or "")
        assert report.balanced
    assert (
        sum(n for key, n in sandbox.state.ledger.applied.items() if key[0] == DIRECT_DEBIT_JOB) == 2
    )


def test_direct_debits_setting_reaches_the_run_and_the_default_skips_them(
    tmp_path: Path,
) -> None:
    settings = tmp_path / "ropo-import.toml"
    settings.write_text('direct_debits = "send"\n', encoding="utf-8")
    for name, extra in (("sent", ["--config", str(settings)]), ("default", [])):
        output = tmp_path / f"{name}.xlsx"
        result = CliRunner().invoke(
            cli, ["run", str(KTL), "--dry-run", "--output", str(output), *extra]
        )
        assert result.exit_code == 0, result.output
        book = load_workbook(output, read_only=True)
        rows = list(book["Results"].iter_rows(values_only=True))
        book.close()
        codes = [
            dict(zip(keyed(rows[0], "Results"), row, strict=False))["code"] for row in rows[1:]
        ]
        expected = "dry-run" if name == "sent" else "direct-debit"
        assert codes == ["dry-run", expected]
