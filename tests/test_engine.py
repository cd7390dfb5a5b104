"""The engine's kernels (engine/cents.py, engine/references.py, the quick reader of
readers/frame.py) end every row exactly as the scalar parsers do: same outcome, code, message,
payment, amount and source cells.

Each messy export is imported twice in a dry run: as it is, and with the quick reader and the
kernels turned off (the csv module reads the file, every value goes through its scalar
parser, every sendable row through choose_identifier and pydantic).
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.inputs import finnish_reference
from importer.amounts import MAX_AMOUNT, parse_amount
from importer.engine import fields
from importer.engine.amounts import read_amounts
from importer.engine.cents import plain_cents
from importer.engine.references import plain_references, reference_number
from importer.engine.settled import NONE, OUTGOING_KIND, SENDABLE
from importer.errors import FieldError, ImporterError
from importer.export import open_export
from importer.models import Outcome
from importer.pipeline import run_import
from importer.plan import read_rows
from importer.readers import frame
from importer.readers.frame import FrameRows
from importer.references import candidates, is_finnish_reference, parse_reference
from importer.report import Report
from importer.validation import Rules

TODAY = date(2026, 11, 20)
RULES = Rules(today=TODAY)
OP_HEADER = (
    "Kirjauspäivä;Arvopäivä;Määrä EUROA;Laji;Selitys;Saaja/Maksaja;Saajan tilinumero;"
    "Saajan pankin BIC;Viite;Viesti;Arkistointitunnus"
)
GOOD_REFERENCES = ("410014", "410027", "41000 9", "RF28410072", "rf28 4100 72", "00410014")
BAD_REFERENCES = ("410015", "41", "RF00410072", "41OO14", "")
AMOUNTS = (
    "12,50", "-12,50", "+12,50", "1 234,50", "12.50", "12,5", "12,505", "0,00", "", "abc",
    " 12,50 ", "-0,01", "12,50-", "007,00", "999999999999999,99",
)  # fmt: skip
PAYERS = ("Virtanen Matti", "VIRTANEN  MATTI", "Korhonen Anna", "", "Mäkinen Pekka")


def _day(pick: random.Random) -> str:
    choice = pick.random()
    if choice < 0.05:
        return (TODAY + timedelta(days=3)).isoformat()  # in the future
    if choice < 0.08:
        return (TODAY - timedelta(days=500)).isoformat()  # too old
    if choice < 0.1:
        return pick.choice(("2026-13-01", "", "1.11.2026"))
    return (TODAY - timedelta(days=pick.randrange(5))).isoformat()


def _op_rows(pick: random.Random, count: int, *, distinct: bool = False) -> list[str]:
    """Rows of a messy OP export; `distinct`: each payment for an invoice of its own."""
    lines: list[str] = []
    for n in range(count):
        if lines and pick.random() < 0.08:
            lines.append(pick.choice(lines))  # the same transaction twice
            continue
        if pick.random() < 0.02:
            lines.append(pick.choice(("", ";;;;;;;;;;", "  ")))  # blank lines
            continue
        day = _day(pick)
        amount = pick.choice(AMOUNTS) if pick.random() < 0.3 else f"{pick.randrange(1, 60)},00"
        references = BAD_REFERENCES if pick.random() < 0.1 else GOOD_REFERENCES
        reference = "ref=" + pick.choice(references)
        if distinct and pick.random() < 0.8:
            own = finnish_reference(41000 + n)
            reference = pick.choice(("ref=", "REF=", "", "ref=00")) + own
            if pick.random() < 0.1:  # a typo in the check digit
                reference = reference[:-1] + str((int(reference[-1]) + 1) % 10)
        message = pick.choice(("", "", "Lasku 41004", "lasku 123 ja 456"))
        if pick.random() < 0.05:  # no reference: the message may name one (issue 15 item 3)
            reference = ""
            message = pick.choice(
                ("9597349", "Viite: RF18 5390 0754 7034", "viite 9597349, ref 41001", "9597340")
            )
        archive = pick.choice(("", f" A{n} ", f"A{n}", f"A{n}", f"A{n // 2}"))
        payer = pick.choice(PAYERS)
        lines.append(
            f'{day};{day};{amount};106;VIITESIIRTO;"{payer}";FI49;OKOYFIHH;'
            f'"{reference}";"{message}";{archive}'
        )
    return lines


def _import(
    path: Path, monkeypatch: pytest.MonkeyPatch, *, quick: bool, profile: str | None = None
) -> Report:
    with monkeypatch.context() as patch:
        if not quick:
            patch.setattr(frame, "read_columns", lambda *args: None)
            patch.setattr(fields, "KERNELS", False)
        journal = path.with_suffix(".sqlite")
        return run_import(path, journal_path=journal, dry_run=True, rules=RULES, profile=profile)


def _ends(report: Report) -> list[tuple[Any, ...]]:
    return [
        (
            r.row.line,
            r.row.cells,
            r.outcome,
            r.code,
            r.message,
            r.payment.body() if r.payment else None,
            r.amount,
        )
        for r in report.results
    ]


def _same(quick: Report, slow: Report) -> None:
    assert _ends(quick) == _ends(slow)
    _same_sums(quick, slow)


def _same_sums(quick: Report, slow: Report) -> None:
    assert quick.conservation() == slow.conservation()
    assert (quick.rows_read, quick.sum_read) == (slow.rows_read, slow.sum_read)
    for outcome in Outcome:
        assert quick.count(outcome) == slow.count(outcome)
        assert quick.total(outcome) == slow.total(outcome)
    assert quick.input_sha256 == slow.input_sha256
    assert quick.read_as == slow.read_as
    assert quick.headers == slow.headers
    assert quick.balanced


@pytest.mark.parametrize("distinct", [False, True], ids=["repeated-invoices", "an-invoice-each"])
@pytest.mark.parametrize("seed", range(4))
def test_a_messy_op_export_ends_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, distinct: bool
) -> None:
    pick = random.Random(seed)
    path = tmp_path / "op.csv"
    bom = "\ufeff" if seed % 2 else ""
    rows = _op_rows(pick, 400, distinct=distinct)
    path.write_text(bom + OP_HEADER + "\n" + "\n".join(rows) + "\n", "utf-8")
    export = open_export(path)
    assert isinstance(export.table.rows, FrameRows)  # the quick reader took it
    kinds = read_rows(export, RULES, lambda result: None).settled.kinds
    assert {NONE, SENDABLE, OUTGOING_KIND} <= set(kinds.tolist())  # each kind is exercised
    _same(_import(path, monkeypatch, quick=True), _import(path, monkeypatch, quick=False))


def test_an_export_read_by_the_generic_profile_ends_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "op.csv"
    rows = _op_rows(random.Random(7), 400, distinct=True)
    path.write_text(OP_HEADER + "\n" + "\n".join(rows) + "\n", "utf-8")
    quick = _import(path, monkeypatch, quick=True, profile="generic")
    assert quick.count(Outcome.SKIPPED) > 200
    _same(quick, _import(path, monkeypatch, quick=False, profile="generic"))


@pytest.mark.parametrize("sample", ["s-pankki.csv", "nordea.csv", "messy-op-export.csv"])
def test_shipped_exports_end_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: str
) -> None:
    source = Path(__file__).parent.parent / "sample_files" / sample
    path = tmp_path / sample
    path.write_bytes(source.read_bytes())
    _same(_import(path, monkeypatch, quick=True), _import(path, monkeypatch, quick=False))


def _every_sample() -> list[Path]:
    """Every export the project ships or keeps as a sample that is read (not refused)."""
    root = Path(__file__).parent
    found = [
        path
        for folder in (root.parent / "sample_files", root / "samples")
        for path in sorted(folder.rglob("*"))
        if path.suffix.lower() in (".csv", ".txt", ".xml", ".xlsx", ".xls", ".tsv")
        and "refused" not in path.parts
        and "run" not in path.parts
    ]
    return [path for path in found if _readable(path)]


def _readable(path: Path) -> bool:
    try:
        open_export(path)
    except ImporterError:
        return False
    return True


@pytest.mark.parametrize("sample", _every_sample(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_ends_the_same_with_the_kernels_and_with_the_parsers_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: Path
) -> None:
    """Every format (CSV read either way, spreadsheets, KTL, camt) goes through the engine;
    the kernels change no row's end anywhere."""
    path = tmp_path / sample.name
    path.write_bytes(sample.read_bytes())
    quick, slow = _import(path, monkeypatch, quick=True), _import(path, monkeypatch, quick=False)
    # The quick reader gives every row the width of the widest (empty cells past a short
    # row's end); the csv reader gives each row as long as it is. Only those cells differ.
    assert [_trimmed(end) for end in _ends(quick)] == [_trimmed(end) for end in _ends(slow)]
    _same_sums(quick, slow)


def _trimmed(end: tuple[Any, ...]) -> tuple[Any, ...]:
    cells = list(end[1])
    while cells and cells[-1] in ("", None):
        cells.pop()
    return (end[0], tuple(cells), *end[2:])


@pytest.mark.parametrize(
    "text",
    [
        OP_HEADER + '\n2026-11-19;2026-11-19;12,00;1;2;"a\nb";3;4;ref=410014;"";A1\n',  # quoted LF
        OP_HEADER + "\n2026-11-19;2026-11-19;12,00;1;2;3;4;5;ref=410014;;A1;extra\n",  # ragged
    ],
    ids=["quoted-line-break", "longer-than-header"],
)
def test_what_the_quick_reader_cannot_read_goes_to_the_csv_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(text, "utf-8")
    assert not isinstance(open_export(path).table.rows, FrameRows)
    _same(_import(path, monkeypatch, quick=True), _import(path, monkeypatch, quick=False))


@pytest.mark.parametrize(
    "text",
    [
        ";;;;;;;;;;\n\n" + OP_HEADER + "\n2026-11-19;2026-11-19;12,00;1;2;A;3;4;ref=410014;;A1\n",
        OP_HEADER + "\r\n2026-11-19;2026-11-19;12,00;1;2;A\x0cB;3;4;ref=410014;;A1\r\n",
        OP_HEADER + "\n2026-11-19;2026-11-19;12,00;1;2;A;3;4;ref=410014;;A1",  # no last LF
    ],
    ids=["delimiters-before-the-header", "form-feed-and-crlf", "no-final-line-break"],
)
def test_odd_but_plain_exports_end_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(text.encode("utf-8"))
    quick = _import(path, monkeypatch, quick=True, profile="op")
    assert quick.rows_read == 1
    _same(quick, _import(path, monkeypatch, quick=False, profile="op"))


def test_references_and_amounts_beyond_the_bounds_end_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = TODAY.isoformat()
    cells = [
        ("12,00", "RF12" + "1" * 10_000),  # 87 s of "did you mean" before the bound
        ("12,00", "ref=" + "1" * 40),
        ("12,00", finnish_reference(int("1" * 34))),  # 35 digits: too long for Finnish
        ("92233720368547758,08", "ref=410014"),  # 2**63 cents: once an int64 overflow
        ("1" * 5_000 + ",00", "ref=410014"),
        ("-99999999999999999,99", "ref=410014"),
        ("9999999999999,99", "ref=410014"),  # the largest amount: sent
        ("9 999 999 999 999,99", "ref=410014"),  # the same, read one row at a time
        ("10000000000000,00", "ref=410027"),
    ]
    rows = [
        f"{day};{day};{amount};1;2;Virtanen;3;4;{reference};;A{n}"
        for n, (amount, reference) in enumerate(cells)
    ]
    path = tmp_path / "op.csv"
    path.write_text(OP_HEADER + "\n" + "\n".join(rows) + "\n", "utf-8")
    quick = _import(path, monkeypatch, quick=True, profile="op")
    _same(quick, _import(path, monkeypatch, quick=False, profile="op"))
    codes = [r.code for r in quick.results]
    assert codes == [
        "reference-too-long",
        "reference-too-long",
        "bad-reference",
        *["amount-too-large"] * 3,
        "dry-run",
        "dry-run",
        "amount-too-large",
    ]


def test_a_latin1_export_is_read_by_the_quick_reader_as_the_csv_reader_reads_it(
    tmp_path: Path,
) -> None:
    """Finnish banks export ISO-8859-1: it takes the quick way in (issue 16: the same rows
    took 35 times longer than in UTF-8), with the cells and encoding the csv reader gives."""
    path = tmp_path / "latin1.csv"
    text = OP_HEADER + "\n2026-11-19;2026-11-19;12,00;1;2;Mäkinen;3;4;ref=410014;;A1\n"
    path.write_bytes(text.encode("iso-8859-1"))
    table = open_export(path).table
    assert isinstance(table.rows, FrameRows)
    assert table.rows[0].cells[5] == "Mäkinen"
    assert table.encoding == "cp1252"  # what decode() chooses for this file, as before


def test_a_byte_windows_1252_lacks_sends_the_file_to_the_csv_reader(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    text = OP_HEADER + "\n2026-11-19;2026-11-19;12,00;1;2;M\x81kinen;3;4;ref=410014;;A1\n"
    path.write_bytes(text.encode("iso-8859-1"))
    table = open_export(path).table
    assert not isinstance(table.rows, FrameRows)
    assert table.encoding == "iso-8859-1"
    assert table.rows[0].cells[5] == "M\x81kinen"


def test_settled_rows_become_results_when_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "op.csv"
    rows = [
        "2026-11-19;2026-11-19;12,00;1;2;Virtanen;3;4;ref=410014;;A1",
        "2026-11-19;2026-11-19;-5,00;1;2;Shop;3;4;ref=;;A2",
    ]
    path.write_text(OP_HEADER + "\n" + "\n".join(rows) + "\n", "utf-8")
    report = _import(path, monkeypatch, quick=True)
    assert list(report.results.itemised()) == []  # both settled
    first, second = report.results
    assert (first.code, first.payment and first.payment.billcode, first.row.line) == (
        "dry-run",
        "410014",
        2,
    )
    assert (second.code, second.amount, second.row.line) == ("outgoing", -5, 3)
    assert report.results[-1] == second


@settings(max_examples=400, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.text(alphabet="0123456789,.-+ a\u2212", max_size=22),
            st.from_regex(r"[-+]?[0-9]{1,16}[.,][0-9]{1,3}", fullmatch=True),
        ),
        max_size=30,
    ),
    mark=st.sampled_from([",", ".", None]),
)
def test_plain_cents_reads_what_the_pattern_and_parse_amount_read(
    cells: list[str], mark: str | None
) -> None:
    readable, cents = plain_cents(np.array(cells, dtype=object), mark)
    pattern = re.compile(rf"[-+]?[0-9]{{1,15}}{re.escape(mark) if mark else '[.,]'}[0-9]{{2}}")
    for cell, was_read, value in zip(cells, readable.tolist(), cents.tolist(), strict=True):
        plain = bool(pattern.fullmatch(cell))
        within = plain and abs(Decimal(cell.replace(",", "."))) <= MAX_AMOUNT
        assert was_read == within, cell
        if was_read:
            assert Decimal(value).scaleb(-2) == parse_amount(cell, mark)
        elif plain:  # beyond the ceiling: left to parse_amount, which refuses it
            with pytest.raises(FieldError) as refused:
                parse_amount(cell, mark)
            assert refused.value.code == "amount-too-large"


def test_plain_cents_reads_the_largest_amounts_exactly() -> None:
    cells = np.array(["9999999999999,99", "-9999999999999,99", "0,01", "", "1,00"] * 3)
    readable, cents = plain_cents(cells.astype(object), ",")
    assert readable.tolist() == [True, True, True, False, True] * 3
    assert cents.tolist()[:5] == [999999999999999, -999999999999999, 1, 0, 100]
    beyond = np.array(["10000000000000,00", "-999999999999999,99"], dtype=object)
    assert plain_cents(beyond, ",")[0].tolist() == [False, False]  # parse_amount refuses them


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.from_regex(r"(ref=|REF=|Ref=)?0{0,3}[0-9]{1,22}", fullmatch=True),
            st.sampled_from([finnish_reference(n) for n in (410, 41000, 123456789)]),
            st.text(alphabet="0123456789 ref=RF", max_size=24),
        ),
        max_size=30,
    ),
    prefix=st.sampled_from(["ref=", None]),
)
def test_plain_references_are_what_parse_reference_reads(
    cells: list[str], prefix: str | None
) -> None:
    valid, numbers = plain_references(np.array(cells, dtype=object), prefix)
    for cell, read, number in zip(cells, valid.tolist(), numbers.tolist(), strict=True):
        text = cell[len(prefix) :] if prefix and cell.lower().startswith(prefix) else cell
        if read:  # read here: exactly what the row-by-row path reads
            assert text.isdigit()
            assert number == reference_number(parse_reference(text).to_send(domestic=False))
        elif text.isascii() and text.isdigit():  # left to parse_reference: it refuses it
            with pytest.raises(FieldError):
                parse_reference(text)


def test_equal_references_get_equal_numbers_whatever_their_zeros() -> None:
    cells = np.array(["ref=41001", "ref=0041001", "REF=41001", "41001", "ref=41014"], dtype=object)
    valid, numbers = plain_references(cells, "ref=")
    assert valid.tolist() == [True, True, True, True, True]
    assert len(set(numbers[:4].tolist())) == 1
    assert numbers[4] != numbers[0]
    huge = finnish_reference(int("9" * 19))  # 20 digits: more than an int64 holds
    assert plain_references(np.array([huge], dtype=object), None)[1][0] == reference_number(huge)


@settings(max_examples=300, deadline=None)
@given(text=st.from_regex(r"[1-9][0-9]{0,21}", fullmatch=True))
def test_one_digit_changes_are_found_by_arithmetic_as_by_trying_every_digit(text: str) -> None:
    tried = [
        text[:i] + d + text[i + 1 :]
        for i in reversed(range(len(text)))
        for d in "0123456789"
        if d != text[i]
        and is_finnish_reference(text[:i] + d + text[i + 1 :])
        and not (text[:i] + d + text[i + 1 :]).startswith("0")
    ]
    assert candidates(text)[1] == tried


@settings(max_examples=300, deadline=None)
@given(text=st.from_regex(r"[1-9][0-9]{0,21}", fullmatch=True))
def test_swapped_neighbours_are_found_by_arithmetic_as_by_trying_each_swap(text: str) -> None:
    swapped = [text[:i] + text[i + 1] + text[i] + text[i + 2 :] for i in range(len(text) - 1)]
    tried = [
        s
        for i, s in enumerate(swapped)
        if text[i] != text[i + 1] and is_finnish_reference(s) and not s.startswith("0")
    ]
    assert candidates(text)[0] == tried


@pytest.mark.parametrize(
    "sample", ["messy-op-export.csv", "ktl-viitemaksut.txt", "op-tapahtumat.xlsx"]
)
def test_rows_left_unmade_are_the_rows_the_rules_end_and_are_made_alike(sample: str) -> None:
    # inspect counts the rows a rule ends without wording them; any it shows is made then,
    # and must read exactly as the dry run's.
    export = open_export(Path(__file__).parent.parent / "sample_files" / sample)
    eager = read_rows(export, RULES, lambda result: None)
    lazy = read_rows(export, RULES, lambda result: None, made=False)
    by_rule = set(eager.judged.results) - set(lazy.judged.results)
    assert by_rule
    assert by_rule == set(lazy.judged.unmade)
    assert not eager.judged.unmade
    for index in sorted(by_rule):
        assert lazy.results[index] is None
        assert lazy.judged.made(lazy.fields, RULES, index) == eager.results[index]
    for index in set(lazy.judged.results):  # built one by one (no identifier): made anyway
        assert lazy.results[index] == eager.results[index]


SPELLINGS = ["-0.00", "0.00", "0.10", "1E+2", "1.00E+2", "100", "12.5", "12.50", "-12.50",
             "-0.01", "12.345", "1E-2", "0E-2", "-0E-2", "9999999999999.99",
             "-9999999999999.99"]  # fmt: skip


def test_an_amount_read_as_a_number_keeps_its_value_sign_and_spelling() -> None:
    # A reader's amounts (KTL, camt, a spreadsheet) come as Decimals: their cents where those
    # say it all, the value as written beside them where its spelling says more (12.5, 1E+2,
    # -0.00).
    values = np.empty(len(SPELLINGS), dtype=object)
    values[:] = [Decimal(v) for v in SPELLINGS]
    option = SimpleNamespace(thousands=None, strip_prefix=None, strip="")
    columns = SimpleNamespace(names={"amount": "Amount"}, decimal_mark=".", direction=None)
    found = read_amounts(
        SimpleNamespace(  # type: ignore[arg-type]  # what read_amounts asks of Fields
            raw=lambda name: values,
            count=len(values),
            kernels=False,
            profile=SimpleNamespace(option=lambda name: option, direction=None, empty=()),
            columns=columns,
            text_column=lambda name: None,
        )
    )
    assert not found.problems
    assert [str(found.value(i)) for i in range(len(values))] == [str(v) for v in values]
    assert found.sign().tolist() == [(v > 0) - (v < 0) for v in values.tolist()]
    assert set(found.exact) == {0, 3, 4, 5, 6, 10, 13}  # spelt otherwise than its cents
