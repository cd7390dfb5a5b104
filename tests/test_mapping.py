"""Which column is which: header names recognised, or a mapping file."""

from __future__ import annotations

from pathlib import Path

import pytest

from importer.errors import MappingError
from importer.mapping import column_indices, guess_mapping, load_mapping


def test_finnish_op_headers_are_recognised() -> None:
    headers = (
        "Kirjauspäivä",
        "Arvopäivä",
        "Määrä  EUROA",
        "Saaja/Maksaja",
        "Viite",
        "Viesti",
        "Arkistointitunnus",
    )
    columns = guess_mapping(headers, "op.csv").columns
    assert (columns.amount, columns.paydate, columns.reference) == (
        "Määrä  EUROA",
        "Arvopäivä",
        "Viite",
    )
    assert (columns.payer, columns.message, columns.archive_id) == (
        "Saaja/Maksaja",
        "Viesti",
        "Arkistointitunnus",
    )


def test_english_headers_prefer_the_payment_date() -> None:
    headers = ("Booking date", "Payment date", "Amount", "Reference number", "Payer")
    columns = guess_mapping(headers, "en.csv").columns
    assert columns.paydate == "Payment date"
    assert columns.reference == "Reference number"


def test_unrecognised_headers_name_what_was_found_and_how_to_fix() -> None:
    with pytest.raises(MappingError) as raised:
        guess_mapping(("Foo", "Bar"), "odd.csv")
    message = str(raised.value)
    assert "odd.csv" in message
    assert "amount, paydate, reference" in message
    assert "'Foo', 'Bar'" in message
    assert "--mapping" in message


def test_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(
        '[columns]\nreference = "Ref"\namount = "Sum"\npaydate = "Day"\n'
        '[format]\ndate_format = "%d/%m/%Y"\ndecimal_mark = ","\n',
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    assert mapping.format.date_format == "%d/%m/%Y"
    assert column_indices(mapping, ("Day", "Sum", "Ref"), "x.csv") == {
        "reference": 2,
        "amount": 1,
        "paydate": 0,
    }
    with pytest.raises(MappingError, match="column 'Ref' for reference is not in the file"):
        column_indices(mapping, ("Day", "Sum"), "x.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns]\namount = 'A'\n", "paydate"),
        ("[columns\n", "not valid TOML"),
        ("[columns]\namount='A'\npaydate='B'\ncolour='red'\n", "colour"),
    ],
)
def test_bad_mapping_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        load_mapping(path)
