"""Refusals name the format and the way out (issue 15, item 4): a TITO statement, a header
close to a profile's, a header whose letters were lost to a wrong character set; and the older
OP header versions are recognised rather than refused."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from importer.cli import cli
from importer.engine.fields import transactions
from importer.errors import ImporterError
from importer.export import Export, open_export
from importer.profiles.likeness import normalise_header, same
from tests.conftest import Sandbox
from tests.sheets import keyed

SAMPLES = Path(__file__).parent / "samples"
REFUSED = SAMPLES / "refused"
OP_LEGACY = SAMPLES / "op-legacy"
NEW_REFUSALS = ("tito.txt", "wrong-charset.csv", "nordea-close.csv", "s-pankki-close.csv")
OLD_OP_ROWS = (
    "02.11.2026;02.11.2026;125,00;106;VIITESIIRTO;VIRTANEN MATTI;FI4950000120000012;410014;;A1;\r\n"
    "03.11.2026;03.11.2026;-45,60;162;TILISIIRTO;SÄHKÖ OY;FI7944052020036082;;Lasku 7;A2;\r\n"
)


def refusal(path: Path) -> str:
    """The one line both commands print, from the golden beside the file."""
    golden = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return "ropo-import: error: " + str(golden["error"]).replace("{file}", str(path)) + "\n"


@pytest.mark.parametrize("name", NEW_REFUSALS)
def test_inspect_refuses_with_its_one_line_and_exit_1(name: str) -> None:
    path = REFUSED / name
    outcome = CliRunner().invoke(cli, ["inspect", str(path)])
    assert (outcome.exit_code, outcome.stdout) == (1, "")
    assert outcome.stderr == refusal(path)


@pytest.mark.parametrize("name", NEW_REFUSALS)
def test_run_refuses_with_the_same_line_before_posting_anything(
    name: str, ropo_env: Sandbox, tmp_path: Path
) -> None:
    path = REFUSED / name
    outcome = CliRunner().invoke(cli, ["run", str(path), "--output", str(tmp_path / "out.xlsx")])
    assert outcome.exit_code == 1
    assert outcome.stderr == refusal(path)
    assert ropo_env.state.requests == 0
    assert not (tmp_path / "out.xlsx").exists()


def test_tito_is_named_with_what_to_download_whatever_the_file_is_called(
    tmp_path: Path,
) -> None:
    renamed = tmp_path / "tiliote.csv"
    shutil.copy(REFUSED / "tito.txt", renamed)
    with pytest.raises(ImporterError) as refused:
        open_export(renamed)
    message = str(refused.value)
    assert "TITO, account statement (konekielinen tiliote)" in message
    assert "only as a daily total" in message
    assert (
        "download the incoming reference payments as KTL ('saapuvat viitemaksut') or camt.054"
        in (message)
    )
    assert "--profile generic" not in message


def test_a_header_close_to_a_profile_that_reads_it_names_the_profile_to_choose() -> None:
    path = REFUSED / "nordea-close.csv"
    with pytest.raises(ImporterError, match="close to the profile nordea") as refused:
        open_export(path)
    assert "expected 'Otsikko', not in the file" in str(refused.value)
    assert "--profile nordea reads this file" in str(refused.value)
    export = open_export(path, "nordea")  # and the advice holds
    (row,) = list(transactions(export))
    assert (row.reference, row.amount) == ("410111", Decimal("39.00"))


def test_a_header_close_to_a_profile_that_cannot_read_it_lists_what_differs() -> None:
    path = REFUSED / "s-pankki-close.csv"
    with pytest.raises(ImporterError) as refused:
        open_export(path)
    message = str(refused.value)
    assert "close to the profile s-pankki" in message
    assert "expected 'Viitenumero', found 'Viite'" in message
    assert "--profile s-pankki reads" not in message
    assert "--profile PATH" in message
    with pytest.raises(ImporterError, match="'Viitenumero' for reference is not in the file"):
        open_export(path, "s-pankki")  # and the advice holds: the profile cannot read it


def test_a_header_close_to_nothing_keeps_the_general_refusal() -> None:
    with pytest.raises(ImporterError) as refused:
        open_export(REFUSED / "unknown.csv")
    message = str(refused.value)
    assert "not a bank export ropo-import knows (tried " in message
    assert "close to" not in message
    assert message.endswith("or use --profile generic to recognise common header names")


@pytest.mark.parametrize(
    ("amount", "kind", "account", "archive", "end", "encoding"),
    [
        (
            "Määrä\u00a0EUROA",
            "Tapahtumalajikoodi",
            "Saajan tilinumero",
            "Arkistotunnus",
            ";",
            "iso-8859-1",
        ),
        (
            "Määrä \u00a0EUROA",
            "Laji",
            "Saajan tilinumero ja pankin BIC",
            "Arkistotunnus",
            "",
            "utf-8",
        ),
        (
            "Määrä  EUROA",
            '"Laji"',
            "Saajan tilinumero ja pankin BIC",
            "Arkistointitunnus",
            ";",
            "utf-8",
        ),
        (
            "Määrä  ",
            "Tapahtumalajikoodi",
            "Saajan tilinumero",
            "Arkistointitunnus",
            ";",
            "utf-8-sig",
        ),
        ("Määrä  MF NR", "Laji", "Saajan tilinumero", "Arkistotunnus", ";", "iso-8859-1"),
    ],
)
def test_older_op_headers_are_recognised_and_read_without_a_profile(
    tmp_path: Path, amount: str, kind: str, account: str, archive: str, end: str, encoding: str
) -> None:
    header = f"Kirjauspäivä;Arvopäivä;{amount};{kind};Selitys;Saaja/Maksaja;{account};Viite;"
    rows = OLD_OP_ROWS if end else OLD_OP_ROWS.replace(";\r\n", "\r\n")
    path = tmp_path / "export.csv"
    path.write_bytes(f"{header}Viesti;{archive}{end}\r\n{rows}".encode(encoding))
    export = open_export(path)
    assert export.profile.name == "op-legacy"
    assert normalise_header(export.columns.names["amount"]) == normalise_header(amount)
    first, second = transactions(export)
    assert (first.amount, first.reference, first.archive_id) == (Decimal("125.00"), "410014", "A1")
    assert (second.amount, second.payer) == (Decimal("-45.60"), "SÄHKÖ OY")


def test_the_current_op_header_is_still_op_and_not_also_op_legacy(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Kirjauspäivä;Arvopäivä;Määrä EUROA;Laji;Selitys;Saaja/Maksaja;Saajan tilinumero;"
        "Saajan pankin BIC;Viite;Viesti;Arkistointitunnus\n"
        "2026-11-02;2026-11-02;125,00;106;VIITESIIRTO;VIRTANEN MATTI;FI49;OKOYFIHH;410014;;A1\n",
        encoding="utf-8",
    )
    assert open_export(path).profile.name == "op"


def test_lost_letters_are_noted_and_the_rows_read_as_from_the_undamaged_file() -> None:
    damaged = open_export(OP_LEGACY / "op-legacy-damaged.csv")
    sound = open_export(OP_LEGACY / "op-legacy-2012.csv")
    assert damaged.profile.name == "op-legacy"
    assert "note: the file was saved in the wrong character set" in damaged.table.form
    assert "download it again from the bank" in damaged.table.form
    assert "wrong character set" not in sound.table.form

    def key(export: Export) -> list[tuple[object, ...]]:
        return [
            (t.amount, t.reference, t.archive_id, t.paydate, t.verdict)
            for t in transactions(export)
        ]

    assert key(damaged) == key(sound)


def test_inspect_shows_the_note_and_reads_the_damaged_file() -> None:
    outcome = CliRunner().invoke(cli, ["inspect", str(OP_LEGACY / "op-legacy-damaged.csv")])
    assert outcome.exit_code == 0, outcome.stderr
    assert "wrong character set" in outcome.stdout
    assert "profile:  op-legacy (" in outcome.stdout


def test_a_chosen_profile_that_cannot_find_its_columns_in_a_damaged_header_says_why() -> None:
    with pytest.raises(ImporterError) as refused:
        open_export(REFUSED / "wrong-charset.csv", "s-pankki")
    assert "saved in the wrong character set" in str(refused.value)
    assert "download it again from the bank" in str(refused.value)


def test_a_lost_letter_stands_only_for_a_letter_outside_ascii() -> None:
    assert same("kirjauspäivä", "kirjausp\ufffdiv\ufffd")
    assert not same("viite", "v\ufffdite")  # 'i' is never lost to a character set
    assert not same("kirjauspäivä", "kirjausp\ufffd\ufffdiv\ufffd\ufffd")  # two for one: not it


def test_run_posts_the_older_op_export_without_a_profile(ropo_env: Sandbox, tmp_path: Path) -> None:
    workbook = tmp_path / "out.xlsx"
    outcome = CliRunner().invoke(
        cli,
        ["run", str(OP_LEGACY / "op-legacy-2012.csv"), "--output", str(workbook)],
    )
    assert outcome.exit_code in (0, 2), outcome.stderr
    book = load_workbook(workbook, read_only=True)
    rows = list(book["Results"].iter_rows(values_only=True))
    book.close()
    header = keyed(rows[0], "Results")
    found = {
        row[header.index("source_row")]: (row[header.index("outcome")], row[header.index("code")])
        for row in rows[1:]
    }
    assert found[2] == ("posted", "registered")
    assert found[3] == ("posted", "registered")
    assert found[5] == ("skipped", "direct-debit")
