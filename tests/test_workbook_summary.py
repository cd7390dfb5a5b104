"""The Summary sheet read at a glance: the sentence, the outcomes beside their figures, the
balance, a chart, amounts as numbers, printable, in Finnish, Swedish and English."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from importer.clock import Clock
from importer.demo import run_demo
from importer.i18n import LANGS, Lang, words
from importer.models import Outcome, RowResult, SourceRow
from importer.report import Report
from importer.workbook import sheet_names, write_workbook
from tests.test_libreoffice import SOFFICE, libreoffice
from tests.test_workbook import report_of

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
OUTCOMES = [  # the demo's rows and euros per outcome, as the terminal prints them
    ("posted", 6, Decimal("1627.40")),
    ("rejected", 5, Decimal("482.90")),
    ("invalid", 2, Decimal("39.00")),
    ("skipped", 2, Decimal("-57.90")),
    ("unknown", 0, Decimal("0.00")),
]
AMOUNT = re.compile(r"\d[.,]\d\d(?!\d)")  # an amount written as text


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    report, _saved = run_demo(tmp_path_factory.mktemp("demo"), Clock(at=AT))
    return report


@pytest.fixture(scope="module")
def books(demo_report: Report, tmp_path_factory: pytest.TempPathFactory) -> dict[Lang, Path]:
    folder = tmp_path_factory.mktemp("books")
    return {lang: write_workbook(demo_report, folder / f"{lang}.xlsx", lang) for lang in LANGS}


def summary_of(path: Path) -> Any:
    return load_workbook(path)[sheet_names(_lang(path))[0]]


def _lang(path: Path) -> Lang:
    return next(lang for lang in LANGS if path.stem == lang)


def values(sheet: Any, row: int, last: str = "D") -> tuple[Any, ...]:
    return tuple(cell.value for cell in sheet[f"A{row}:{last}{row}"][0])


def test_the_first_rows_say_how_the_run_ended_then_the_outcomes_beside_their_figures(
    books: dict[Lang, Path],
) -> None:
    sheet = summary_of(books["en"])
    assert sheet["A1"].value == "6 payments registered; 8 need your attention"
    assert sheet["A2"].value == "8 rows need attention: see the sheet 'Needs attention'"
    assert sheet["A2"].hyperlink.location == "'Needs attention'!A1"
    assert values(sheet, 4) == ("Outcome", "Rows", "Amount", "What it means")
    for row, (outcome, rows, amount) in enumerate(OUTCOMES, start=5):
        assert values(sheet, row, "C") == (outcome, rows, pytest.approx(float(amount))), outcome
    assert values(sheet, 10, "C") == ("all outcomes", 15, pytest.approx(2091.40))
    assert values(sheet, 11, "C") == ("read from the file", 15, pytest.approx(2091.40))
    assert values(sheet, 12, "B") == ("in = out (rows and sums)", "yes")
    # The labels sit next to their figures: no column wider than its words need.
    assert sheet.column_dimensions["A"].width < 40
    assert sheet.column_dimensions["B"].width < 12


def test_amounts_are_number_cells_in_the_euro_format_never_text(books: dict[Lang, Path]) -> None:
    sheet = summary_of(books["en"])
    for row in range(5, 12):
        assert sheet.cell(row, 3).data_type == "n"
        assert sheet.cell(row, 3).number_format == '#,##0.00\\ "€"'
    money = {r[0].value: r[2] for r in sheet.iter_rows(min_row=13) if r[0].value}
    assert money["to capital"].value == pytest.approx(1580.76)
    assert money["overpaid: refund it or allocate it by hand"].value == pytest.approx(10.10)
    details = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "The run")
    texts = [
        str(cell.value)
        for row in sheet.iter_rows(max_row=details)
        for cell in row
        if cell.data_type == "s"
    ]
    assert [t for t in texts if AMOUNT.search(t)] == []
    started = next(r for r in sheet.iter_rows(min_row=details) if r[0].value == "started")
    assert started[1].is_date


def test_the_summary_has_a_native_chart_of_the_outcomes(books: dict[Lang, Path]) -> None:
    for lang, path in books.items():
        with zipfile.ZipFile(path) as archive:
            chart = archive.read("xl/charts/chart1.xml").decode()
        summary = sheet_names(lang)[0]
        # The rows per outcome, drawn from the outcome table's own cells.
        assert f"{summary}!$B$5:$B$9" in chart.replace("'", ""), lang
        assert f"{summary}!$A$5:$A$9" in chart.replace("'", ""), lang
        assert words(lang)("Rows per outcome") in chart


def test_the_summary_prints_landscape_one_page_wide_with_the_sentence_on_each_page(
    books: dict[Lang, Path],
) -> None:
    sheet = summary_of(books["fi"])
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows.replace("$", "") == "1:1"


@pytest.mark.parametrize(
    ("lang", "names", "sentence", "balance"),
    [
        (
            "fi",
            ["Yhteenveto", "Tulokset", "Vaatii huomiota"],
            "6 maksua kirjattu; 8 vaatii huomiotasi",
            ("luettu = käsitelty (rivit ja summat)", "kyllä"),
        ),
        (
            "sv",
            ["Sammanfattning", "Resultat", "Kräver åtgärd"],
            "6 betalningar registrerade; 8 kräver din åtgärd",
            ("in = ut (rader och summor)", "ja"),
        ),
        (
            "en",
            ["Summary", "Results", "Needs attention"],
            "6 payments registered; 8 need your attention",
            ("in = out (rows and sums)", "yes"),
        ),
    ],
)
def test_each_language_names_its_sheets_and_says_it_in_its_own_words(
    books: dict[Lang, Path], lang: Lang, names: list[str], sentence: str, balance: tuple[str, str]
) -> None:
    book = load_workbook(books[lang])
    assert book.sheetnames == names == list(sheet_names(lang))
    sheet = book[names[0]]
    assert sheet["A1"].value == sentence
    assert values(sheet, 12, "B") == balance
    assert values(sheet, 5, "C")[1:] == (6, pytest.approx(1627.40))  # same figures, same places


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_label_is_in_the_workbook_s_language(books: dict[Lang, Path], lang: Lang) -> None:
    english, local = summary_of(books["en"]), summary_of(books[lang])
    assert english.max_row == local.max_row
    for row in range(1, english.max_row + 1):
        for column in (1, 4):  # the labels, and the words beside the figures
            theirs, ours = english.cell(row, column), local.cell(row, column)
            api_name = "focused" in str(theirs.value)  # Ropo One's own names stay as they are
            if theirs.data_type == "s" and theirs.value and not api_name:
                assert ours.value != theirs.value, (row, theirs.value)


@pytest.mark.parametrize(("lang", "tag"), [("fi", "[$-40B]"), ("sv", "[$-81D]")])
def test_numbers_and_dates_follow_the_workbook_s_language(
    books: dict[Lang, Path], lang: Lang, tag: str
) -> None:
    sheet = summary_of(books[lang])
    assert sheet["C5"].number_format == tag + '#,##0.00\\ "€"'  # shown as 1 627,40 €
    judged = words(lang)("dates judged as of")
    row = next(r for r in sheet.iter_rows() if r[0].value == judged)
    assert row[1].value == datetime(2026, 11, 20)
    assert row[1].number_format == tag + "d.m.yyyy"


def test_a_dry_run_says_what_would_be_sent(tmp_path: Path) -> None:
    maija = SourceRow("x.csv", 2, ("Maija", "12,50"))
    sendable = RowResult(maija, Outcome.SKIPPED, "dry-run", amount=Decimal("12.50"))
    wrong = RowResult(SourceRow("x.csv", 3, ("Pekka", "x")), Outcome.INVALID, "bad-amount", "x")
    report = report_of([sendable, wrong], ("payer", "amount"))
    report.sum_read = Decimal("12.50")
    sheet = load_workbook(write_workbook(report, tmp_path / "dry.xlsx"))["Summary"]
    expected = "Dry run, nothing was sent; 1 payment would be sent; 1 needs your attention"
    assert sheet["A1"].value == expected


def test_unknown_rows_are_named_in_the_sentence(tmp_path: Path) -> None:
    lost = RowResult(SourceRow("x.csv", 2, ("Maija", "12,50")), Outcome.UNKNOWN, "no-answer", "")
    report = report_of([lost], ("payer", "amount"))
    report.dry_run = False
    sheet = load_workbook(write_workbook(report, tmp_path / "lost.xlsx", "fi"))["Yhteenveto"]
    said = "0 maksua kirjattu; 1 vaatii huomiotasi; 1 epäselvä: tarkista se Ropo Onesta"
    assert sheet["A1"].value == said


def test_a_report_that_does_not_balance_says_so_first(tmp_path: Path) -> None:
    row = RowResult(SourceRow("x.csv", 2, ("Maija", "12,50")), Outcome.INVALID, "bad-amount", "")
    report = report_of([row], ("payer", "amount"))
    report.rows_read = 2  # a row went missing: a bug, never to be hidden
    sheet = load_workbook(write_workbook(report, tmp_path / "bug.xlsx"))["Summary"]
    assert sheet["A1"].value.endswith("; the sums do not balance: report this as a bug")
    assert values(sheet, 12, "B") == ("in = out (rows and sums)", "NO")


def test_sheet_names_default_to_english() -> None:
    assert sheet_names() == ("Summary", "Results", "Needs attention")


@pytest.mark.skipif(
    SOFFICE is None or shutil.which("pdftotext") is None,
    reason="LibreOffice or pdftotext is not installed (apt-get install libreoffice-calc "
    "poppler-utils), so the Summary was not printed",
)
def test_the_demo_summary_prints_on_at_most_two_pages(
    books: dict[Lang, Path], tmp_path: Path
) -> None:
    libreoffice(tmp_path, "pdf", books["fi"], tmp_path)
    done = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "fi.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    # The sentence heads every page of the Summary (its repeated first row), and only those.
    pages = [page.strip() for page in done.stdout.split("\f")]
    summary = [page for page in pages if page.startswith("6 maksua kirjattu")]
    assert 1 <= len(summary) <= 2, len(summary)
    assert "1 627,40 €" in summary[0]  # the Finnish number format, as printed
