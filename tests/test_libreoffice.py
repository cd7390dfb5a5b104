"""The demo workbook opens in a real spreadsheet program: LibreOffice, headless.

LibreOffice turns it into a PDF, pdftoppm turns the PDF into pictures, and LibreOffice's own
"save as CSV" of the Needs attention sheet is read again by ropo-import. Skipped, saying so,
where LibreOffice is not installed (Debian: apt-get install libreoffice-calc poppler-utils).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_end_to_end import invoke

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-calc poppler-utils), so "
    "the demo workbook was not opened in a real spreadsheet program",
)
NEEDS_ATTENTION = 3  # the sheet's number, for LibreOffice's CSV export
# LibreOffice's CSV filter: ';' separated, '"' quoted, UTF-8, from line 1, cells as shown,
# only sheet 3 (https://help.libreoffice.org/latest/en-US/text/shared/guide/csv_params.html).
CSV_FILTER = (
    f"csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true,false,false,{NEEDS_ATTENTION}"
)


def libreoffice(tmp_path: Path, target: str, workbook: Path, out: Path) -> None:
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: no clash with another one
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
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def demo_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    code, _out, err = invoke("demo", "--reports", str(folder))
    assert code == 0, err
    [workbook] = folder.glob("*.xlsx")
    return workbook


def test_the_demo_workbook_renders_as_pdf_and_pictures(demo_workbook: Path, tmp_path: Path) -> None:
    libreoffice(tmp_path, "pdf", demo_workbook, tmp_path)
    [pdf] = tmp_path.glob("*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF was not turned into PNG")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3  # Summary, Results and Needs attention each print
    assert all(page.read_bytes().startswith(b"\x89PNG") for page in pages)
    assert pages[0].stat().st_size > 10_000  # the Summary page has text on it, not a blank


def test_libreoffice_s_csv_of_needs_attention_imports_again(
    demo_workbook: Path, tmp_path: Path
) -> None:
    libreoffice(tmp_path, CSV_FILTER, demo_workbook, tmp_path)
    [todo] = tmp_path.glob("*.csv")
    code, out, err = invoke("inspect", str(todo))
    assert code == 0, err
    assert "profile:  op (OP, account transactions CSV (2021 format))" in out
    assert "rows 8: incoming 7 (621.90)" in out
