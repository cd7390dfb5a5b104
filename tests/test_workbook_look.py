"""What rendering the workbook in LibreOffice showed, kept from coming back (issue 17, item 5):
cells read from the top beside a wrapped neighbour, the reference as the payment carries it,
the Summary's chart beside the outcomes rather than under them (one printed page), and the
run's details in the workbook's language, not the log's English."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from importer.clock import Clock
from importer.defaults import ENVIRONMENTS
from importer.demo import run_demo
from importer.export import open_export
from importer.i18n import Lang, words
from importer.journal import Journal
from importer.models import Outcome, RowResult, SourceRow
from importer.pipeline import NEW_JOURNAL
from importer.posting import STOPPED_ON_REQUEST
from importer.report import Report
from importer.workbook import sheet_names, write_workbook
from importer.workbook.details import endpoint, journal, read_as, stopped
from tests.test_results_sheet import _report, write_sheets
from tests.test_samples import input_of
from tests.test_workbook import report_of

SAMPLES = Path(__file__).parent / "samples"
AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
# Words of the log's English that must not be left in a Finnish or Swedish detail.
ENGLISH = re.compile(
    r"\b(delimited|spreadsheet|sheet|note|wrong|sandbox|machine|endpoint|journal|imported"
    r"|customer|interrupted|before)\b"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Report:
    report, _saved = run_demo(tmp_path_factory.mktemp("demo"), Clock(at=AT))
    return report


def test_every_cell_of_results_and_needs_attention_reads_from_the_top(tmp_path: Path) -> None:
    book = load_workbook(write_sheets(_report("a long message " * 12), "fi", tmp_path / "r.xlsx"))
    for name in ("Tulokset", "Vaatii huomiota"):
        cells = [c for row in book[name].iter_rows(min_row=2) for c in row if c.value is not None]
        assert cells, name
        assert {
            (c.coordinate, c.alignment.vertical) for c in cells if c.alignment.vertical != "top"
        } == set()
    book.close()


def test_the_reference_is_the_one_the_payment_carries(tmp_path: Path) -> None:
    report = _report()
    lines = (SourceRow("x.csv", 3, ("3.11.2026", "3O,00", "ref=410027", "Korhonen Anna", None)),)
    report.results = type(report.results)(
        [report.results[0], RowResult(lines[0], Outcome.INVALID, "bad-amount", "not a number")]
    )
    book = load_workbook(write_sheets(report, "en", tmp_path / "r.xlsx"))
    sheet = book["Results"]
    header = [cell.value for cell in sheet[1]]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    sent, bank = header.index("Reference or invoice number"), header.index("Viite")
    assert [row[sent] for row in rows] == ["410014", None]  # never a payment: none sent
    assert [row[bank] for row in rows] == ["410014", "ref=410027"]  # the bank's, as read
    book.close()


def test_the_chart_stands_beside_the_outcomes_and_the_money(demo: Report, tmp_path: Path) -> None:
    path = write_workbook(demo, tmp_path / "fi.xlsx", "fi")
    with zipfile.ZipFile(path) as archive:
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
    (start_column, start_row), (_end, end_row) = [
        (int(column), int(row))
        for column, row in re.findall(
            r"<xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)</xdr:row>", drawing
        )
    ][:2]
    sheet = load_workbook(path)[sheet_names("fi")[0]]
    answers = next(r for r in range(1, 60) if sheet.cell(r, 1).value == "Ropo Onen vastaukset")
    assert start_column == 4  # column E: right of the outcome table's four columns
    assert start_row == 3  # level with the outcome table's heading (row 4)
    assert end_row < answers - 1  # clear of Ropo One's answers below
    assert sheet.cell(answers - 2, 1).value == "liikasuoritus: palauta tai kohdista käsin"


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_how_each_sample_was_read_is_said_in_the_workbook_s_language(lang: Lang) -> None:
    w = words(lang)
    forms = {}  # how each sample the readers take was read, by its English text
    for golden in SAMPLES.rglob("*.json"):
        expected = json.loads(golden.read_text(encoding="utf-8"))
        if expected.get("read_as") is None:
            continue
        form = open_export(input_of(golden), expected.get("chosen")).table.form
        forms[str(form)] = form
    assert len(forms) >= 8  # text, TAB, spreadsheets, the damaged header, KTL, camt
    for form in forms.values():
        said = read_as(form, w)
        if form.startswith(("KTL", "camt")):
            assert said == form  # the format's own name
        else:
            assert ENGLISH.search(said) is None, said
    assert forms["text, utf-8-sig, delimited by ';'"] is not None
    assert read_as(forms["text, utf-8-sig, delimited by ';'"], w) == w(
        "text, {encoding}, delimited by {delimiter}", encoding="utf-8-sig", delimiter="';'"
    )
    tab = next(form for text, form in forms.items() if text.endswith("delimited by TAB"))
    assert "TAB" not in read_as(tab, w)


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_the_environment_and_the_journal_s_notes_are_in_the_workbook_s_language(
    lang: Lang, tmp_path: Path
) -> None:
    w = words(lang)
    local = "http://127.0.0.1:8080/rest"
    assert endpoint(local, w) == w("a sandbox on this machine ({url})", url=local)
    assert ENGLISH.search(endpoint("https://ropo.example/rest", w)) is None
    name, url = next(iter(ENVIRONMENTS.items()))
    assert endpoint(url, w) == f"{name} ({url})"  # an environment's name is a name
    # The journal's own sentence of a file seen before, as a second run of it gets it.
    path = tmp_path / "journal.sqlite"
    first = Journal(path, local, "1000011")
    assert first.begin_run("ab" * 32, "x.csv") is None
    first.close()
    again = Journal(path, local, "1000011")
    seen = again.begin_run("ab" * 32, "x.csv")
    again.close()
    assert seen is not None
    report = report_of([], ("payer",))
    report.journal, report.journal_notes = str(path), (NEW_JOURNAL, seen)
    said = journal(report, w)
    assert said.startswith(f"{path}; ")
    assert ENGLISH.search(said.removeprefix(str(path)).replace("--journal", "")) is None, said
    assert "1000011" in said
    assert re.search(
        r"\d{1,2}\.\d{1,2}\.\d{4} \d\d:\d\d", said
    )  # the day as the language writes it


def test_an_interruption_is_said_in_the_workbook_s_language() -> None:
    report = report_of([], ("payer",))
    report.stopped, report.interrupted = "interrupted by Ctrl-C", True
    assert stopped(report, words("fi")) == "keskeytetty (Ctrl-C)"
    assert stopped(report, words("en")) == "interrupted by Ctrl-C"
    report.stopped, report.interrupted = "Ropo One refused the token", False
    assert stopped(report, words("sv")) == "Ropo One refused the token"  # an error's own text
    report.stopped = STOPPED_ON_REQUEST  # the web page's stop button: a sentence of ours
    assert stopped(report, words("fi")) == words("fi")(STOPPED_ON_REQUEST) != STOPPED_ON_REQUEST


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_the_demo_s_details_have_no_english_left(demo: Report, lang: Lang, tmp_path: Path) -> None:
    path = write_workbook(demo, tmp_path / f"{lang}.xlsx", lang)
    sheet = load_workbook(path)[sheet_names(lang)[0]]
    w = words(lang)
    start = next(r for r in range(1, 80) if sheet.cell(r, 1).value == w("The run"))
    details = {
        sheet.cell(r, 1).value: sheet.cell(r, 2).value
        for r in range(start + 1, sheet.max_row + 1)
        if sheet.cell(r, 1).value
    }
    for label in ("read as", "Ropo One environment", "journal"):
        assert ENGLISH.search(str(details[w(label)])) is None, (label, details[w(label)])
    assert details[w("read as")] == read_as(demo.read_as, w)


def test_a_column_of_whole_numbers_is_as_narrow_as_its_header(tmp_path: Path) -> None:
    """The line and the statusid are whole numbers: no room for decimals they never show."""
    book = load_workbook(write_sheets(_report(), "en", tmp_path / "r.xlsx"))
    for name in ("Results", "Needs attention"):
        sheet = book[name]
        header = [cell.value for cell in sheet[1]]
        for title in ("Line in file", "Ropo One status"):
            if title in header:
                letter = sheet.cell(1, header.index(title) + 1).column_letter
                assert sheet.column_dimensions[letter].width < 12, (name, title)
    book.close()


def test_every_sheet_prints_with_narrow_margins(demo: Report, tmp_path: Path) -> None:
    """Fitted to the page's width, a sheet prints larger the less of the page is margin."""
    book = load_workbook(write_workbook(demo, tmp_path / "fi.xlsx", "fi"))
    for sheet in book.worksheets:
        assert (sheet.page_margins.left, sheet.page_margins.right) == (0.25, 0.25), sheet.title
    book.close()
