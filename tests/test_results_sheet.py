"""Results and Needs attention in each language (issue 17 items 2 and 3): the columns a person
reads first, real dates and numbers, headers in words with the API field in a note, no column
of ours empty in every row, and a corrected Needs attention that imports again whatever the
language it was written in."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from xlsxwriter import Workbook

from importer.i18n import LANGS, Lang, words
from importer.mapping import KNOWN_HEADERS, normalise_header
from importer.models import (
    REQUEST_FIELDS,
    RESPONSE_FIELDS,
    Outcome,
    Payment,
    Problem,
    RowResult,
    SourceRow,
    status_meaning,
)
from importer.pipeline import run_import
from importer.problems import OVERPAID_TODO, todo_in
from importer.report import Report, Results
from importer.workbook.cells import OPTIONS, Book
from importer.workbook.headings import ANSWER, ATTENTION, READ_FIRST, TITLES, kept, titles
from importer.workbook.results import write_attention, write_results
from tests.conftest import RULES, formulas_in
from tests.sheets import as_records
from tests.test_workbook import report_of, save_as_csv, sheet_rows
from tests.test_workbook_problems import LINES, write_export

# OP's names; the last column is empty in every row.
HEADERS = ("Kirjauspäivä", "Määrä EUROA", "Viite", "Saaja/Maksaja", "Tyhjä")
MAPPING = (
    "booking_date='Kirjauspäivä', amount='Määrä EUROA', reference='Viite', payer='Saaja/Maksaja'"
)
ANSWERED = {
    "statusid": 6,
    "statustext": "OHISPAY",
    "capitalbefore": Decimal("120.00"),
    "capitalafter": Decimal("0.00"),
    "focusedtocapital": Decimal("120.00"),
    "interestbefore": Decimal("0.00"),
    "interestafter": Decimal("0.00"),
    "focusedtointerest": Decimal("0.00"),
    "noticefeebefore": Decimal("5.00"),
    "noticefeeafter": Decimal("0.00"),
    "focusedtonoticefee": Decimal("5.00"),
    "unfocused": Decimal("10.00"),
}


def _report(message: str = "") -> Report:
    """A posted row with an overpayment, an invalid amount (with `message`, if given) and an
    outgoing payment."""
    posted = Payment(amount=Decimal("135.00"), paydate=date(2026, 11, 2), billcode="410014")
    bad = Problem("amount", "Määrä EUROA", "3O,00", "bad-amount", "not a number")
    rows = [
        RowResult(
            SourceRow("x.csv", 2, ("2.11.2026", "135,00", "410014", "Virtanen  Matti", None)),
            Outcome.POSTED,
            "registered",
            "registered: capital 120.00",
            payment=posted,
            amount=Decimal("135.00"),
            response=ANSWERED,
        ),
        RowResult(
            SourceRow("x.csv", 3, ("3.11.2026", "3O,00", "410027", "Korhonen Anna", None)),
            Outcome.INVALID,
            "bad-amount",
            message or bad.text(),
            problem=bad,
        ),
        RowResult(
            SourceRow("x.csv", 4, ("3.11.2026", "-45,00", "", "Kiinteistö Oy", None)),
            Outcome.SKIPPED,
            "outgoing",
            "outgoing payment: not a payment to register",
            amount=Decimal("-45.00"),
        ),
    ]
    report = report_of(rows, HEADERS)
    report.mapping = MAPPING
    return report


def write_sheets(report: Report, lang: Lang, path: Path) -> Path:
    """Results and Needs attention in `lang`, as the workbook writes them."""
    w = words(lang)
    workbook = Workbook(str(path), {"constant_memory": True, **OPTIONS})
    book = Book(workbook)
    write_results(book.sheet(w("Results")), report, w)
    write_attention(book.sheet(w("Needs attention")), report, w)
    workbook.close()
    return path


@pytest.fixture(params=LANGS)
def lang(request: pytest.FixtureRequest) -> Lang:
    return request.param  # type: ignore[no-any-return]


def _results(path: Path, lang: Lang) -> tuple[list[Any], list[list[Any]]]:
    book = load_workbook(path)
    sheet = book[words(lang)("Results")]
    header = [cell.value for cell in sheet[1]]
    rows = [list(row) for row in sheet.iter_rows(min_row=2)]
    book.close()
    return header, rows


def test_the_columns_read_first_come_first_then_ropo_ones_answer(
    lang: Lang, tmp_path: Path
) -> None:
    w = words(lang)
    header, _ = _results(write_sheets(_report(), lang, tmp_path / "r.xlsx"), lang)
    assert header[:7] == titles(READ_FIRST, w)
    assert header[7:12] == titles(ANSWER, w)
    assert header[12] == w("Code")
    bank = header.index("Kirjauspäivä")
    assert header[bank : bank + 5] == list(HEADERS)  # the bank's own, as read, after ours
    assert header[bank + 5] == "billcode"  # then the raw request and answer


def test_payment_dates_are_dates_and_amounts_numbers(lang: Lang, tmp_path: Path) -> None:
    w = words(lang)
    header, rows = _results(write_sheets(_report(), lang, tmp_path / "r.xlsx"), lang)
    day, amount = header.index(w("Payment date")), header.index(w("Amount"))
    assert rows[0][day].value == datetime(2026, 11, 2)
    assert rows[0][day].is_date
    assert [row[amount].value for row in rows] == [135, None, -45]
    assert rows[0][amount].data_type == "n"
    assert "€" in rows[0][amount].number_format
    bank = header.index("Määrä EUROA")  # the bank's own text stays as evidence
    assert [row[bank].value for row in rows] == ["135,00", "3O,00", "-45,00"]
    payer = header.index(w("Payer"))
    assert rows[0][payer].value == "Virtanen Matti"


def test_no_column_of_ours_is_empty_in_every_row(lang: Lang, tmp_path: Path) -> None:
    header, rows = _results(write_sheets(_report(), lang, tmp_path / "r.xlsx"), lang)
    empty = [name for n, name in enumerate(header) if all(row[n].value is None for row in rows)]
    assert empty == ["Tyhjä"]  # the bank's own column stays, empty or not
    assert {"type", "identifier", "creditnotebillnum"}.isdisjoint(header)  # sent by no row


def test_the_header_notes_name_the_api_field(lang: Lang, tmp_path: Path) -> None:
    w = words(lang)
    book = load_workbook(write_sheets(_report(), lang, tmp_path / "r.xlsx"))
    sheet = book[w("Results")]
    notes = {cell.value: cell.comment.text if cell.comment else None for cell in sheet[1]}
    assert "paydate" in notes[w("Payment date")]
    assert "billcode" in notes[w("Reference or invoice number")]
    assert "focusedtonoticefee" in notes[w("To notice fees")]
    assert "unfocused" in notes[w("Overpaid, not allocated")]
    assert notes[w("Payer")] is None  # not an API field
    book.close()


def test_the_raw_request_and_answer_are_folded_away(lang: Lang, tmp_path: Path) -> None:
    book = load_workbook(write_sheets(_report(), lang, tmp_path / "r.xlsx"))
    sheet = book[words(lang)("Results")]
    folded = {
        n
        for found in sheet.column_dimensions.values()
        if found.hidden and found.outline_level == 1
        for n in range(found.min, found.max + 1)
    }
    raw = {*REQUEST_FIELDS, *RESPONSE_FIELDS}
    assert folded == {cell.column for cell in sheet[1] if cell.value in raw}
    assert max(folded) == sheet.max_column  # at the far right
    book.close()


def test_a_banks_column_named_like_ours_is_marked_as_the_files(tmp_path: Path) -> None:
    report = _report()
    report.headers = ("Maksupäivä", "Summa", "Viite", "Maksaja", "Tyhjä")
    report.mapping = "payment_date='Maksupäivä', amount='Summa', payer='Maksaja'"
    header, _rows = _results(write_sheets(report, "fi", tmp_path / "r.xlsx"), "fi")
    assert header[:7] == titles(READ_FIRST, words("fi"))
    bank = header.index("Maksupäivä (tiedostossa)")
    assert header[bank : bank + 5] == [
        "Maksupäivä (tiedostossa)",
        "Summa (tiedostossa)",
        "Viite",
        "Maksaja (tiedostossa)",
        "Tyhjä",
    ]


def test_outcomes_are_words_and_codes_stay_codes(tmp_path: Path) -> None:
    found = {}
    for lang in LANGS:
        path = write_sheets(_report(), lang, tmp_path / f"{lang}.xlsx")
        rows = as_records(sheet_rows(path, words(lang)("Results")), "Results", lang)
        found[lang] = [(row["outcome"], row["code"]) for row in rows]
        assert formulas_in(path) == []
    assert found["en"] == [
        ("posted", "registered"),
        ("invalid", "bad-amount"),
        ("skipped", "outgoing"),
    ]
    assert found["fi"] == [
        ("kirjattu", "registered"),
        ("virheellinen", "bad-amount"),
        ("ohitettu", "outgoing"),
    ]
    assert found["sv"][0] == ("registrerad", "registered")


def test_needs_attention_says_what_is_wrong_and_what_to_do_first(
    lang: Lang, tmp_path: Path
) -> None:
    w = words(lang)
    path = write_sheets(_report(), lang, tmp_path / "r.xlsx")
    header, *rows = sheet_rows(path, w("Needs attention"))
    assert list(header) == [*titles(ATTENTION, w), *HEADERS]
    lines = {row[2]: row for row in rows}
    assert set(lines) == {2, 3}  # the overpayment and the invalid amount
    # the message in the workbook's language, the file's column and value as read
    column = {"en": "column 'Määrä EUROA', value", "fi": "sarake 'Määrä EUROA', arvo"}
    column["sv"] = "kolumn 'Määrä EUROA', värde"
    assert lines[3][0] == f"{column[lang]} '3O,00': not a number"
    assert lines[3][1] == w("fix the amount or declare the profile's marks")
    assert lines[2][8] == 10  # overpaid, to refund or allocate


def test_a_corrected_needs_attention_csv_sends_only_the_corrected_row_in_every_language(
    lang: Lang, tmp_path: Path
) -> None:
    w = words(lang)
    distinct = {line: text for line, text in LINES.items() if line != 6}
    export = write_export(tmp_path / "e.csv", distinct)
    first = run_import(export, journal_path=tmp_path / "j1.sqlite", rules=RULES, dry_run=True)
    workbook = write_sheets(first, lang, tmp_path / "first.xlsx")
    todo = save_as_csv(workbook, w("Needs attention"), tmp_path / "todo.csv")
    rows = list(csv.reader(todo.read_text("utf-8-sig").splitlines(), delimiter=";"))
    amount, value = rows[0].index("Amount"), rows[0].index(w("Value read"))
    fixed = next(row for row in rows if row[amount] == "3O,00")
    fixed[amount] = "30,00"  # the fix, in the file's own column; ours still say 3O,00
    assert fixed[value] == "3O,00"
    with todo.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file, delimiter=";").writerows(rows)
    again = run_import(todo, journal_path=tmp_path / "j2.sqlite", rules=RULES, dry_run=True)
    assert again.headers[: len(ATTENTION)] == tuple(titles(ATTENTION, w))
    assert {r.row.line: r.code for r in again.results} == {
        2: "dry-run",  # the corrected row, and only it, would be sent
        3: "bad-reference",
        4: "not-euro",
    }
    # The to-do list keeps its shape: ours come back once, not twice.
    second = write_sheets(again, lang, tmp_path / "second.xlsx")
    assert sheet_rows(second, w("Needs attention"))[0] == tuple(rows[0])


def test_our_needs_attention_headers_are_never_taken_for_a_banks_column() -> None:
    known = {name for names in KNOWN_HEADERS.values() for name in names}
    for lang in LANGS:
        for title in titles(ATTENTION, words(lang)):
            assert normalise_header(title) not in known, (lang, title)


def test_a_needs_attention_sheet_is_known_again_in_any_language() -> None:
    fi = titles(ATTENTION, words("fi"))
    # A bank's own columns named like ours, after ours, are the bank's.
    assert kept([*fi, "Koodi", "Määrä"]) == [len(fi), len(fi) + 1]
    # A column of ours the accountant deleted: the rest are still ours.
    assert kept([*fi[:4], *fi[5:], "Määrä"]) == [len(fi) - 1]
    sv = titles(ATTENTION, words("sv"))
    assert kept([*sv, "Belopp"]) == [len(sv)]
    # Without the line and the outcome, nothing is ours.
    assert kept(["Koodi", "Kenttä", "Määrä"]) == [0, 1, 2]


def test_every_header_and_outcome_has_its_words_in_each_catalogue() -> None:
    msgids = [*TITLES.values(), *(outcome.value for outcome in Outcome)]
    msgids += ["{name} (in file)", "Ropo One API field: {field}"]
    for lang in ("fi", "sv"):
        texts = words(lang).texts
        assert [m for m in msgids if not texts.get(m)] == [], lang


def test_long_messages_wrap_in_rows_tall_enough_and_the_header_stays(tmp_path: Path) -> None:
    long = "statusid 9 DIFFCID: the invoice belongs to another customer id " * 3
    book = load_workbook(write_sheets(_report(long), "fi", tmp_path / "r.xlsx"))
    for name, freeze in (("Tulokset", "C2"), ("Vaatii huomiota", "A2")):
        sheet = book[name]
        assert sheet.freeze_panes == freeze  # the header, and the line and outcome in Results
        header = [cell.value for cell in sheet[1]]
        column = sheet.cell(1, header.index("Ongelma") + 1).column_letter
        assert sheet.column_dimensions[column].width <= 60
        row = next(
            r for r in sheet.iter_rows(min_row=2) if r[header.index("Ongelma")].value == long
        )
        assert row[header.index("Ongelma")].alignment.wrap_text
        assert sheet.row_dimensions[row[0].row].height >= 45  # three lines at least
    book.close()


def test_what_to_do_is_the_rows_own_advice(lang: Lang, tmp_path: Path) -> None:
    """A registered payment with nothing left over needs nothing; with an overpayment, the
    overpayment's advice; a refused one, what its statusid means (not "see the message")."""
    w = words(lang)
    report = _report()
    posted = report.results[0]
    clean = replace(posted, response={**ANSWERED, "unfocused": Decimal("0.00")})
    closed = replace(
        posted,
        outcome=Outcome.REJECTED,
        code="status-5",
        response={"statusid": 5, "statustext": "CLOSE"},
    )
    report.results = Results([posted, clean, closed])
    path = write_sheets(report, lang, tmp_path / "r.xlsx")
    rows = as_records(sheet_rows(path, w("Results")), "Results", lang)
    assert [row["todo"] for row in rows] == [
        w(OVERPAID_TODO),
        w("nothing"),
        status_meaning(5, w),
    ]
    # Not the code's "nothing; ...": the row's advice says what to do with the money left over.
    assert not rows[0]["todo"].startswith(w("nothing"))
    assert status_meaning(5, w) != todo_in("status-5", w)
