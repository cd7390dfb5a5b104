"""The command line speaks the accountant's language (issue 17 item 4): --lang, the settings
file's lang (a client's first), else the locale's, else English; the summary's words come from
the catalogues while codes and numbers of rows stay as they are, and amounts are written the
language's way (2 091,40 in Finnish and Swedish, 2 091.40 in English as before)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from click.testing import CliRunner

from importer import demo, i18n, pipeline
from importer.cli import cli
from importer.config import load_config
from importer.errors import ConfigError
from importer.i18n import words
from importer.models import Outcome
from importer.settings import Settings
from tests.conftest import DEMO_EXPORT, Sandbox
from tests.test_currencies import SAMPLE, _dry
from tests.test_end_to_end import invoke
from tests.test_terminal import run_demo_export

ROOT = Path(__file__).resolve().parent.parent
NBSP = "\u00a0"  # Babel's thousands separator in fi_FI and sv_FI
FINNISH_ROWS = (
    "luetut rivit 15 = kirjattu 6 + hylätty 5 + virheellinen 2 + ohitettu 2 + tuntematon 0 (täsmää)"
)
SWEDISH_ROWS = (
    "inlästa rader 15 = registrerad 6 + avvisad 5 + ogiltig 2 + överhoppad 2 + okänd 0 (stämmer)"
)
ENGLISH_ROWS = "rows read 15 = posted 6 + rejected 5 + invalid 2 + skipped 2 + unknown 0 (balances)"


def demo_in(tmp_path: Path, *options: str, env: dict[str, str] | None = None) -> str:
    outcome = CliRunner().invoke(cli, ["demo", "--reports", str(tmp_path), *options], env=env)
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.stdout


def test_the_demo_in_finnish_prints_its_summary_in_finnish(tmp_path: Path) -> None:
    out = demo_in(tmp_path, "--lang", "fi")
    lines = out.splitlines()
    assert FINNISH_ROWS in lines
    assert (
        f"luettu summa 2{NBSP}091,40 = kirjattu 1{NBSP}627,40 + hylätty 482,90 + "
        "virheellinen 39,00 + ohitettu -57,90 + tuntematon 0,00 (täsmää; 1 rivi ilman "
        "luettavaa summaa)"
    ) in lines
    assert "päivämäärät arvioitu päivän 20.11.2026 mukaan" in lines
    assert "Lähetysloki: väliaikainen loki, joka poistuu demon testipalvelun mukana" in lines
    assert any(line.startswith("kohdistamaton summa (unfocused") for line in lines)
    assert lines[-2].startswith("Työkirja: ")
    assert lines[-2].endswith(".xlsx")
    assert (
        lines[-1]
        == "Sama verkkosivulla: aja `ropo-import serve --demo` ja avaa osoite, jonka se tulostaa."
    )
    header = next(line for line in lines if "lopputulos" in line)
    assert header.split() == ["lopputulos", "┃", "rivit", "┃", "summa"]
    # The codes are the same in every language; the problem's own text is in Finnish, the
    # file's column name as the file has it.
    assert any(
        line.startswith("rivi 14: virheellinen [bad-reference] sarake 'Viite'") for line in lines
    )
    assert not any(word in out for word in ("rows read", "sum read", "Workbook", "balances"))


def test_the_demo_in_swedish_prints_its_summary_in_swedish(tmp_path: Path) -> None:
    lines = demo_in(tmp_path, "--lang", "sv").splitlines()
    assert SWEDISH_ROWS in lines
    assert any(line.startswith(f"inläst summa 2{NBSP}091,40 = registrerad") for line in lines)
    assert "datum bedömda per 20.11.2026" in lines
    assert any(
        line.startswith("rad 6: avvisad [status-5] Ropo Ones statusid 5 CLOSE") for line in lines
    )
    assert lines[-2].startswith("Arbetsbok: ")
    assert lines[-1].startswith("Samma sak på en webbsida: kör `ropo-import serve --demo`")


def test_the_locale_chooses_the_language_and_lang_overrides_it(tmp_path: Path) -> None:
    assert FINNISH_ROWS in demo_in(tmp_path, "-q", env={"LANG": "fi_FI.UTF-8"}).splitlines()
    assert SWEDISH_ROWS in demo_in(tmp_path, "-q", env={"LC_ALL": "sv_FI.UTF-8"}).splitlines()
    english = demo_in(tmp_path, "-q", "--lang", "en", env={"LANG": "fi_FI.UTF-8"})
    assert english.splitlines()[0] == ENGLISH_ROWS
    assert english.splitlines()[1].startswith("Workbook: ")


def test_an_unknown_language_is_a_usage_error_naming_the_choices(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(cli, ["demo", "--reports", str(tmp_path), "--lang", "de"])
    assert outcome.exit_code == 1
    assert "'--lang'" in outcome.stderr
    assert "'fi', 'sv', 'en'" in outcome.stderr


def test_run_in_swedish_against_the_sandbox(ropo_env: Sandbox, tmp_path: Path) -> None:
    code, out, err = run_demo_export(tmp_path, "--lang", "sv")
    assert code == 2, err
    lines = out.splitlines()
    assert SWEDISH_ROWS in lines
    assert lines[1].startswith("registrerat i http://127.0.0.1:")
    assert lines[1].endswith(" med kundnummer 1000011")
    assert lines[2].startswith(f"Sändningslogg: {tmp_path / 'j.sqlite'}; den är ny:")
    assert lines[-1] == f"Arbetsbok: {tmp_path / 'out.xlsx'}"


def test_inspect_in_finnish(tmp_path: Path) -> None:
    code, out, err = invoke("inspect", str(DEMO_EXPORT), "--rows", "2", "--lang", "fi")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].startswith("luettu:    ")
    assert lines[2].startswith("profiili:  op (")
    assert lines[4].startswith("rivejä 15: saapuvia ")
    assert "ensimmäiset 2 riviä sellaisina kuin ne kirjattaisiin:" in lines
    assert any(line.startswith("  rivi 2: POST /jobs/payment {") for line in lines)


def test_resolve_in_finnish_says_nothing_is_waiting(ropo_env: Sandbox, tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    code, _out, err = invoke(
        "run",
        str(DEMO_EXPORT),
        "--journal",
        str(journal),
        "-q",
        "--output",
        str(tmp_path / "out.xlsx"),
    )
    assert code == 2, err
    code, out, err = invoke("resolve", "--journal", str(journal), "--lang", "fi")
    assert (code, err) == (0, "")
    waiting = f"Yksikään maksu palveluun {ropo_env.url} asiakasnumerolla 1000011 ei odota"
    assert out == f"{waiting} selvitystä.\n"


def test_the_balance_lines_of_other_currencies_in_finnish_and_swedish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _dry(SAMPLE, tmp_path, monkeypatch, quick=True)
    assert report.currency_lines(words("fi"))[1] == (
        "SEK: 1 rivi, 500,00 SEK, kaikkien lopputulos virheellinen: not-euro "
        "(ei mukana eurosummissa)"
    )
    assert report.currency_lines(words("sv"))[0] == (
        f"CHF: 2 rader, 1{NBSP}134,50 CHF = ogiltig 1 (1{NBSP}234,50 CHF, not-euro) + "
        "överhoppad 1 (-100,00 CHF, outgoing) (ingår inte i eurosummorna)"
    )
    _rows, sums = report.conservation(words("sv"))
    assert sums.endswith("(stämmer; endast rader i euro, 3 rader i andra valutor för sig)")
    assert report.conservation(words("en")) == report.conservation()


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ropo-import.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_lang_comes_from_the_first_layer_that_gives_it(tmp_path: Path) -> None:
    finnish = {"LANG": "fi_FI.UTF-8"}
    assert Settings.resolve({}, {}).lang == "en"
    assert Settings.resolve({}, finnish).lang == "fi"
    assert Settings.resolve({}, {"LC_ALL": "sv_FI.UTF-8", "LANG": "fi_FI.UTF-8"}).lang == "sv"
    config = load_config(
        _config(
            tmp_path,
            'lang = "sv"\n[clients.acme]\ncid = "1000011"\napicode_env = "ACME"\nlang = "en"\n',
        ),
        tmp_path,
    )
    assert Settings.resolve({}, finnish, config).lang == "sv"  # the file, above the locale
    assert Settings.resolve({}, finnish, config, "acme").lang == "en"  # its client's, above it
    assert Settings.resolve({"lang": "fi"}, {}, config, "acme").lang == "fi"
    assert Settings.resolve({"lang": "sv"}, {}).words().lang == "sv"


def test_a_language_the_file_may_not_hold_is_blamed_on_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ropo-import.toml: .*lang.*'de'"):
        load_config(_config(tmp_path, 'lang = "de"\n'), tmp_path)


def test_the_settings_file_lang_reaches_the_run(
    ropo_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _config(tmp_path, 'lang = "fi"\n')
    code, out, err = invoke("run", str(DEMO_EXPORT), "-q", "--journal", str(tmp_path / "j"))
    assert code == 2, err
    assert out.splitlines()[0] == FINNISH_ROWS


def _said_by_the_command_line() -> set[str]:
    """Every msgid the command line's code passes to words, found as gettext tools find them,
    and the words it passes through words at run time (outcomes, the journal's notes)."""
    found = {
        str(message)
        for path in [*(ROOT / "importer" / "cli").glob("*.py"), ROOT / "importer" / "report.py"]
        for _line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"w": None, "words": None}
        )
    }
    return (
        found
        | {o.value for o in Outcome}
        | {
            pipeline.NEW_JOURNAL,
            "it does not exist yet: no payment sent before is known to it",
            demo.SCRATCH_JOURNAL,
            "read",
            "ready to post",
            "{n} row",
            "{n} rows",
            "; euro rows only, {rows} in another currency apart",
            "; euro rows only, {rows} in other currencies apart",
            "{id}: registered",
            "{id}: not registered: the next run sends it",
        }
    )


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_word_of_the_command_line_has_a_translation(lang: i18n.Lang) -> None:
    said = _said_by_the_command_line()
    assert len(said) > 50
    missing = sorted(msgid for msgid in said if msgid not in words(lang).texts)
    assert missing == []


def test_the_command_line_loads_no_catalogue_before_a_command_runs() -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['ropo-import', 'run', '--help']\n"
        "from importer.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('babel' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert "--lang [fi|sv|en]" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("fi", "riviltä 1 alkavalta erältä puuttuu summatietue 9; tiedosto on katkennut"),
        ("sv", "satsen som börjar på rad 1 saknar summapost 9; filen är avbruten"),
        ("en", "the batch starting on line 1 has no sum record 9; the file is cut off"),
    ],
)
def test_a_damaged_ktl_file_stops_in_the_language(lang: str, said: str, tmp_path: Path) -> None:
    """The KTL and camt readers' stops are the user's language too, as the CSV readers' are."""
    cut = tmp_path / "cut.ktl"
    record = "0" + "261110" + "0600470208406991"
    cut.write_text(record.ljust(90) + "\n", "iso-8859-1")  # a batch, and no sum record
    code, _out, err = invoke("run", str(cut), "--dry-run", "--lang", lang)
    assert code == 1
    assert said in err
    assert len(err.strip().splitlines()) == 1
