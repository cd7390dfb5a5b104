"""What no bank export holds is refused in one line, the row's or the file's, and quickly:
references longer than a billcode, amounts beyond the ceiling, too many columns, too many bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from stdnum import iso11649

from importer.amounts import MAX_AMOUNT, checked_size, parse_amount
from importer.cli import cli
from importer.errors import FieldError, ReadError
from importer.export import open_export
from importer.models import Outcome
from importer.pipeline import run_import
from importer.readers import delimited
from importer.readers.limits import MAX_COLUMNS, MAX_FILE_BYTES
from importer.references import MAX_REFERENCE, candidates, parse_reference
from importer.settings import SettingError, Settings
from tests.conftest import OP_HEADER, RULES, SAMPLE_DAY

DAY = SAMPLE_DAY.isoformat()
SHORTENED = "RF12" + "1" * 24 + "…" + "1" * 8  # "RF12" and 10,000 ones, as messages show it


def _refusal(parse: Callable[[], object]) -> FieldError:
    with pytest.raises(FieldError) as refused:
        parse()
    return refused.value


def _op_export(path: Path, cells: list[tuple[str, str]]) -> Path:
    rows = [
        f'{DAY};{DAY};{amount};106;VIITESIIRTO;"Virtanen";FI49;OKOYFIHH;"{reference}";"";A{n}'
        for n, (amount, reference) in enumerate(cells)
    ]
    path.write_text(OP_HEADER + "\n" + "\n".join(rows) + "\n", "utf-8")
    return path


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(cli, list(args), env=env)
    return outcome.exit_code, outcome.stdout, outcome.stderr


# References


@pytest.mark.parametrize(
    "text", ["RF12" + "1" * 10_000, "1" * 10_000, "ref=" + "4" * 36, "RF" + "0" * 34]
)
def test_a_reference_longer_than_a_billcode_is_refused_without_a_search(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    checked: list[str] = []
    real = iso11649.is_valid
    monkeypatch.setattr(iso11649, "is_valid", lambda value: checked.append(value) or real(value))
    refused = _refusal(lambda: parse_reference(text))
    length = len(text.removeprefix("ref="))
    assert refused.code == "reference-too-long"
    assert f"at most {MAX_REFERENCE} characters" in refused.message
    assert f"this one has {length:,}" in refused.message
    assert candidates(text.removeprefix("ref=")) == ([], [])
    assert checked == []  # no candidate was tried: before the bound, 87 s for 10,000 digits


def test_the_did_you_mean_search_is_bounded_for_any_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[str] = []
    real = iso11649.is_valid
    monkeypatch.setattr(iso11649, "is_valid", lambda value: checked.append(value) or real(value))
    candidates("RF" + "7" * (MAX_REFERENCE - 2))
    assert 0 < len(checked) <= 11 * MAX_REFERENCE  # a swap and ten digits a place, no more


def test_a_reference_up_to_the_bound_gets_the_usual_check() -> None:
    assert _refusal(lambda: parse_reference("4" * MAX_REFERENCE)).code == "bad-reference"
    rf = _refusal(lambda: parse_reference("RF18" + "1" * 22))  # 26: one more than RF allows
    assert (rf.code, "an RF reference has at most 25 characters" in rf.message) == (
        "bad-reference",
        True,
    )
    assert parse_reference("RF18539007547034").printed == "RF18539007547034"


# Amounts


@pytest.mark.parametrize(
    ("text", "value"),
    [("9999999999999,99", MAX_AMOUNT), ("-9 999 999 999 999,99", -MAX_AMOUNT), ("0,01", None)],
)
def test_amounts_up_to_the_ceiling_are_read(text: str, value: Decimal | None) -> None:
    assert parse_amount(text, ",") == (value if value is not None else Decimal("0.01"))


@pytest.mark.parametrize(
    "text",
    [
        "10000000000000,00",
        "-10000000000000,00",
        "92233720368547758,08",  # 2**63 cents
        "1" * 5_000 + ",00",
        "9999999999999,999",  # beyond the ceiling before it has too many decimals
    ],
)
def test_amounts_beyond_the_ceiling_are_refused(text: str) -> None:
    refused = _refusal(lambda: parse_amount(text, ","))
    assert refused.code == "amount-too-large"
    assert "9 999 999 999 999.99 euro" in refused.message


def test_a_spreadsheet_number_beyond_the_ceiling_is_refused() -> None:
    assert checked_size(Decimal("-9999999999999.99")) == -MAX_AMOUNT
    assert _refusal(lambda: checked_size(Decimal("1E+20"))).code == "amount-too-large"
    assert _refusal(lambda: checked_size(Decimal("NaN"))).code == "bad-amount"


def test_a_huge_number_in_an_xlsx_is_that_row_s_problem(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Kirjauspäivä", "Määrä", "Viite", "Maksaja", "Arkistointitunnus"])
    sheet.append([DAY, 1e20, "410014", "Virtanen", "A1"])
    sheet.append([DAY, 12.5, "410014", "Virtanen", "A2"])
    path = tmp_path / "huge.xlsx"
    book.save(path)
    report = run_import(
        path, journal_path=tmp_path / "j.sqlite", dry_run=True, rules=RULES, profile="generic"
    )
    huge, fine = report.results
    assert (huge.outcome, huge.code) == (Outcome.INVALID, "amount-too-large")
    assert huge.message.startswith("column 'Määrä', value '100000000000000000000': ")
    assert (fine.outcome, fine.code) == (Outcome.SKIPPED, "dry-run")


def test_a_long_value_is_shortened_in_the_row_s_message(tmp_path: Path) -> None:
    path = _op_export(tmp_path / "op.csv", [("12,00", "RF12" + "1" * 10_000)])
    report = run_import(path, journal_path=tmp_path / "j.sqlite", dry_run=True, rules=RULES)
    (result,) = report.results
    assert result.code == "reference-too-long"
    assert f"column 'Viite', value '{SHORTENED}': " in result.message
    assert len(result.message) < 200


# Files


def _wide(path: Path, columns: int, encoding: str = "utf-8") -> Path:
    header = OP_HEADER + "".join(f";extra {n}" for n in range(columns - 11))
    row = f'{DAY};{DAY};12,00;106;VIITESIIRTO;"Mäkinen";FI49;OKOYFIHH;"410014";"";A1'
    path.write_bytes(f"{header}\n{row}\n".encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-1"], ids=["quick", "csv-module"])
def test_a_file_wider_than_a_workbook_is_refused_in_one_line(tmp_path: Path, encoding: str) -> None:
    path = _wide(tmp_path / "wide.csv", 17_000, encoding)
    with pytest.raises(ReadError) as refused:
        open_export(path, "op")
    message = str(refused.value)
    assert message.startswith(f"{path}: the header has 17,000 columns; at most 16,320 are read")
    assert "\n" not in message


def test_a_file_as_wide_as_allowed_is_read(tmp_path: Path) -> None:
    path = _wide(tmp_path / "wide.csv", MAX_COLUMNS)
    assert len(open_export(path, "op").table.headers) == MAX_COLUMNS


def test_a_spreadsheet_wider_than_allowed_is_refused(tmp_path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([f"column {n}" for n in range(MAX_COLUMNS + 1)])
    path = tmp_path / "wide.xlsx"
    book.save(path)
    with pytest.raises(ReadError, match=r"the header has 16,321 columns"):
        open_export(path, "generic")


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)  # holes: no disk used, and zeros if it were ever read
    return path


def test_a_file_above_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = _sparse(tmp_path / "huge.csv", MAX_FILE_BYTES + 1)
    with pytest.raises(ReadError) as refused:
        open_export(path)
    # Read, its zeros would have made it "a binary file": the size stopped it first.
    assert str(refused.value) == (
        f"{path}: 1,073,741,825 bytes is more than the 1 GiB a bank export is read up to; "
        "check that this is the bank export (a month of payments is a few megabytes)"
    )


def test_the_size_limit_can_be_chosen_and_holds_for_a_file_that_grew(tmp_path: Path) -> None:
    path = _op_export(tmp_path / "op.csv", [("12,00", "410014")] * 20)
    with pytest.raises(ReadError, match=r"op.csv: 1,\d{3} bytes is more than the 1 KiB"):
        open_export(path, "op", max_bytes=1024)
    with pytest.raises(ReadError, match="is more than the 100 bytes"):
        delimited.read(path, max_bytes=100)  # past the first look, the file had grown
    assert len(open_export(path, "op", max_bytes=1 << 20).table.rows) == 20


# Through the command line


def test_the_command_line_refuses_a_wide_or_huge_file_with_one_line(tmp_path: Path) -> None:
    for path in (_wide(tmp_path / "wide.csv", 17_000), _sparse(tmp_path / "huge.csv", 2 << 30)):
        code, out, err = _invoke(
            "run", str(path), "--dry-run", "--profile", "op",
            "--journal", str(tmp_path / "j.sqlite"), "--reports", str(tmp_path),
        )  # fmt: skip
        assert (code, out) == (1, "")
        assert err.startswith(f"ropo-import: error: {path}: ")
        assert err.count("\n") == 1
        assert "columns" in err if path.name == "wide.csv" else "2,147,483,648 bytes" in err


def test_the_command_line_shows_an_out_of_bounds_row_as_that_row_s_problem(
    tmp_path: Path,
) -> None:
    path = _op_export(
        tmp_path / "op.csv",
        [("12,00", "RF12" + "1" * 10_000), ("92233720368547758,08", "410014"), ("5,00", "410014")],
    )
    code, out, err = _invoke(
        "run", str(path), "--dry-run", "--journal", str(tmp_path / "j.sqlite"),
        "--reports", str(tmp_path),
    )  # fmt: skip
    assert code == 2, err  # rows need attention: not a failed run
    assert (
        f"line 2: invalid [reference-too-long] column 'Viite', value '{SHORTENED}': "
        "a reference has at most 35 characters"
    ) in out
    assert (
        "line 3: invalid [amount-too-large] column 'Määrä EUROA', value '92233720368547758,08': "
        "it is more than 9 999 999 999 999.99 euro"
    ) in out
    assert "rows read 3 = posted 0 + rejected 0 + invalid 2 + skipped 1" in out


# Environment variables


def test_a_bad_value_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    path = _op_export(tmp_path / "op.csv", [("12,00", "410014")])
    dry = ("run", str(path), "--dry-run", "--output", str(tmp_path / "out.xlsx"))
    code, out, err = _invoke(*dry, env={"ROPO_RATE": "0"})
    assert (code, out) == (1, "")
    assert err == (
        "ropo-import: Invalid value for ROPO_RATE='0' in the environment (it sets --rate): "
        "Input should be greater than or equal to 0.1\n"
    )
    code, _out, err = _invoke(*dry, "--rate", "0", env={"ROPO_RATE": "5"})
    assert code == 1
    assert "Invalid value for '--rate': 0.0 is not in the range" in err
    assert Settings.resolve({}, {"ROPO_RATE": "5"}).rate == 5.0
    assert Settings.resolve({"rate": 7.0}, {"ROPO_RATE": "5"}).rate == 7.0  # typed wins


def test_a_bad_ropo_today_names_the_variable_and_a_typed_one_the_option(tmp_path: Path) -> None:
    path = _op_export(tmp_path / "op.csv", [("12,00", "410014")])
    code, out, err = _invoke("inspect", str(path), env={"ROPO_TODAY": "30.11.2026"})
    assert (code, out) == (1, "")
    assert err == (
        "ropo-import: Invalid value for ROPO_TODAY='30.11.2026' in the environment (it sets "
        "--today): '30.11.2026' is not a date like 2026-11-30\n"
    )
    code, _out, err = _invoke("inspect", str(path), "--today", "30.11.2026")
    assert (code, err) == (
        1,
        "ropo-import: Invalid value for '--today': '30.11.2026' is not a date like 2026-11-30\n",
    )


def test_a_bad_ropo_base_url_names_the_variable() -> None:
    with pytest.raises(SettingError) as refused:
        Settings.resolve({}, {"ROPO_BASE_URL": "http://ropo24.fi/rest"})
    assert str(refused.value).startswith(
        "ROPO_BASE_URL='http://ropo24.fi/rest' in the environment: base URL "
    )
    assert "uses plain http to another machine; use https" in str(refused.value)
    code, out, err = _invoke("resolve", env={"ROPO_BASE_URL": "http://ropo24.fi/rest"})
    assert (code, out) == (1, "")
    assert err.startswith(
        "ropo-import: Invalid value for ROPO_BASE_URL='http://ropo24.fi/rest' in the "
        "environment (it sets --base-url): base URL "
    )
    # Typed, the environment's URL is never looked at: where to post is one setting.
    typed = Settings.resolve({"env": "fi-test"}, {"ROPO_BASE_URL": "http://ropo24.fi/rest"})
    assert typed.endpoint() == "https://rc.ropo24.fi/rest"
    with pytest.raises(SettingError, match=r"^--env: 'fi-production' is not one of fi-prod"):
        Settings.resolve({"env": "fi-production"}, {})


def test_a_jobid_or_invoice_number_out_of_bounds_is_that_rows_problem(tmp_path: Path) -> None:
    source = tmp_path / "ids.csv"
    rows = ["date;amount;jobid;billnum", "2026-11-02;10,00;²;", f"2026-11-02;11,00;{'9' * 5000};"]
    rows += [f"2026-11-02;12,00;;{'R' * 50}", "2026-11-02;13,00;123;"]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = run_import(source, journal_path=tmp_path / "j.sqlite", profile="generic")
    assert [(r.outcome, r.code) for r in report.results] == [
        (Outcome.INVALID, "bad-jobid"),
        (Outcome.INVALID, "bad-jobid"),
        (Outcome.INVALID, "billnum-too-long"),
        (Outcome.SKIPPED, "dry-run"),
    ]
    assert "at most 18 digits" in report.results[1].message


def test_an_unknown_header_of_thousands_of_columns_is_quoted_by_its_start(tmp_path: Path) -> None:
    source = tmp_path / "wide.csv"
    source.write_text(";".join(f"column {n}" for n in range(5000)) + "\n1;2\n", encoding="utf-8")
    code, out, err = invoke_cli("run", str(source), "--dry-run")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert len(err) < 1000
    assert "(5000 columns)" in err


def invoke_cli(*args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(cli, list(args))
    return outcome.exit_code, outcome.stdout, outcome.stderr


def test_a_rate_of_zero_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ROPO_RATE", "0")
    code, out, err = invoke_cli("run", str(tmp_path / "x.csv"), "--dry-run")
    assert (code, out) == (1, "")
    assert "ROPO_RATE='0' in the environment" in err
    assert err.count("\n") == 1
