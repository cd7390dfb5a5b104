"""The demo workbook as a real spreadsheet program shows and prints it: LibreOffice, headless,
in Finnish, Swedish and English.

LibreOffice prints each language's workbook to PDF, and pdftoppm turns every page into a
picture, to look at (ROPO_RENDERS=<folder> keeps them there; otherwise they go with the test's
temporary folder, never into git). The printed text says which sheet a page is and what it
shows (no '###' where a figure did not fit). LibreOffice's "save as CSV", a file per sheet with
cells as shown, names the sheets and shows dates and amounts as the language writes them; its
CSV of Needs attention is read again by ropo-import. Skipped, saying so, where LibreOffice or
poppler is not installed (Debian: apt-get install libreoffice-calc poppler-utils).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from importer.clock import Clock
from importer.demo import run_demo
from importer.i18n import LANGS, Lang, words
from importer.workbook import write_workbook
from tests.test_end_to_end import invoke

INSTALL = "apt-get install libreoffice-calc poppler-utils"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = all(shutil.which(tool) for tool in ("pdftoppm", "pdftotext"))
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason=f"LibreOffice is not installed ({INSTALL}), so the demo workbook was not opened "
    "in a real spreadsheet program",
)
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason=f"pdftoppm and pdftotext are not installed ({INSTALL}): nothing printed"
)
# LibreOffice's CSV filter: ';' separated, '"' quoted, UTF-8, from line 1, cells as shown, each
# sheet to a file of its own, <workbook>-<sheet>.csv (-1) (https://help.libreoffice.org/latest/
# en-US/text/shared/guide/csv_params.html).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true,false,false,-1"
AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
# The sheets' names each language gives them (issue 17), in the workbook's order.
NAMES: dict[Lang, tuple[str, str, str]] = {
    "fi": ("Yhteenveto", "Tulokset", "Vaatii huomiota"),
    "sv": ("Sammanfattning", "Resultat", "Kräver åtgärd"),
    "en": ("Summary", "Results", "Needs attention"),
}
SENTENCE = {  # the Summary's first row, repeated on each of its printed pages
    "fi": "6 maksua kirjattu; 8 vaatii huomiotasi",
    "sv": "6 betalningar registrerade; 8 kräver din åtgärd",
    "en": "6 payments registered; 8 need your attention",
}
LOCAL_DAY = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")  # 2.11.2026
LOCAL_AMOUNT = re.compile(r"-?\d{1,3}( \d{3})*,\d\d €")  # 1 234,56 €


def libreoffice(tmp_path: Path, target: str, workbook: Path | Sequence[Path], out: Path) -> None:
    """Convert `workbook` (or several, in one start of LibreOffice) to `target` into `out`."""
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: no clash with another one
    books = [workbook] if isinstance(workbook, Path) else list(workbook)
    assert SOFFICE is not None
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *map(str, books),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[Lang, Path]:
    """The demo's workbook in each language, from one run of the demo."""
    folder = tmp_path_factory.mktemp("books")
    report, _saved = run_demo(tmp_path_factory.mktemp("demo"), Clock(at=AT))
    return {lang: write_workbook(report, folder / f"{lang}.xlsx", lang) for lang in LANGS}


@pytest.fixture(scope="module")
def pdfs(books: dict[Lang, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[Lang, Path]:
    folder = tmp_path_factory.mktemp("pdf")
    libreoffice(folder, "pdf", list(books.values()), folder)
    return {lang: folder / f"{lang}.pdf" for lang in books}


@pytest.fixture(scope="module")
def shown(
    books: dict[Lang, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[Lang, dict[str, Path]]:
    """Each sheet as LibreOffice shows it, saved as CSV: language -> sheet's name -> file."""
    folder = tmp_path_factory.mktemp("csv")
    libreoffice(folder, CSV_FILTER, list(books.values()), folder)
    return {
        lang: {path.stem.removeprefix(f"{lang}-"): path for path in folder.glob(f"{lang}-*.csv")}
        for lang in books
    }


def pages(pdf: Path) -> list[str]:
    """The printed text of each page, spaces as plain spaces."""
    done = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    text = done.stdout.replace("\u00a0", " ").replace("\u202f", " ")
    return [page.strip() for page in text.split("\f") if page.strip()]


def sheet_of(page: str, lang: Lang) -> int:
    """Which sheet a printed page is (0 Summary, 1 Results, 2 Needs attention), by the row
    each repeats at its top: the Summary's sentence, Needs attention's header beginning with
    what is wrong; Results is the other one."""
    if page.startswith(SENTENCE[lang]):
        return 0
    return 2 if page.startswith(words(lang)("What is wrong")) else 1


def rows_of(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8").replace("\u00a0", " ").replace("\u202f", " ")
    return list(csv.reader(text.splitlines(), delimiter=";"))


@needs_poppler
@pytest.mark.parametrize("lang", LANGS)
def test_each_sheet_prints_and_the_summary_is_one_page(
    pdfs: dict[Lang, Path], lang: Lang, tmp_path: Path
) -> None:
    printed = pages(pdfs[lang])
    sheets = [sheet_of(page, lang) for page in printed]
    # Summary on one page; Results of the 15 rows one page wide (and so one page); Needs
    # attention's 8 rows one page.
    assert sheets == [0, 1, 2], sheets
    summary, results, attention = printed
    w = words(lang)
    assert w("The run") in summary  # the details at the bottom made it onto the page
    assert w("What is wrong") in results  # the last column printed, on the first page wide
    assert re.search(r"^\s*16\s", results, re.M)  # and the last row
    assert w("What to do") in attention
    assert "3O,00" in attention  # the value to correct
    for page in printed:
        assert "###" not in page  # a figure too wide for its column
    folder = Path(os.environ.get("ROPO_RENDERS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdfs[lang]), str(folder / lang)], check=True
    )
    pictures = sorted(folder.glob(f"{lang}-*.png"))
    assert len(pictures) == len(printed)
    for picture, sheet in zip(pictures, sheets, strict=True):
        assert picture.read_bytes().startswith(b"\x89PNG")
        assert picture.stat().st_size > 10_000, (picture, NAMES[lang][sheet])  # not blank
        picture.rename(folder / f"{lang}-{NAMES[lang][sheet]}.png")


@pytest.mark.parametrize("lang", LANGS)
def test_the_sheets_are_named_in_the_workbook_s_language(
    shown: dict[Lang, dict[str, Path]], lang: Lang
) -> None:
    assert sorted(shown[lang]) == sorted(NAMES[lang])


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_dates_and_amounts_show_as_the_language_writes_them(
    shown: dict[Lang, dict[str, Path]], lang: Lang
) -> None:
    w = words(lang)
    header, *rows = rows_of(shown[lang][NAMES[lang][1]])
    day, amount = header.index(w("Payment date")), header.index(w("Amount"))
    registered = next(row for row in rows if row[0] == "10")  # 1 234,56 on 10.11.2026
    assert (registered[day], registered[amount]) == ("10.11.2026", "1 234,56 €")
    for row in rows:
        assert row[day] == "" or LOCAL_DAY.fullmatch(row[day]), row
        assert row[amount] == "" or LOCAL_AMOUNT.fullmatch(row[amount]), row  # 3O,00: none
    # The reference as the payment carries it; the bank's text (ref=410014) stays its own.
    reference = header.index(w("Reference or invoice number"))
    assert [row[reference] for row in rows][:4] == ["410014", "410027", "", "410030"]
    assert rows[0][header.index("Viite")] == "ref=410014"
    summary = rows_of(shown[lang][NAMES[lang][0]])
    assert summary[4][1:3] == ["6", "1 627,40 €"]  # the posted row of the outcome table
    started = next(row for row in summary if row[0] == w("started"))
    assert started[1] == "20.11.2026 09:30"


@pytest.mark.parametrize("lang", LANGS)
def test_libreoffice_s_csv_of_needs_attention_imports_again(
    shown: dict[Lang, dict[str, Path]], lang: Lang
) -> None:
    code, out, err = invoke("inspect", str(shown[lang][NAMES[lang][2]]))
    assert code == 0, err
    assert "profile:  op (OP, account transactions CSV (2021 format))" in out
    assert "rows 8: incoming 7 (621.90)" in out
