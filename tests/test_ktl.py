"""KTL reference payment files: records, sums, corrections, direct debits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from importer.cli.exits import exit_code
from importer.errors import ReadError
from importer.models import Outcome
from importer.pipeline import run_import
from importer.readers.ktl import read as read_table
from tests.conftest import RULES, SAMPLES, Sandbox
from tests.test_outcomes import as_sent, ends_of, golden_ends

KTL = SAMPLES / "ktl-viitemaksut.txt"


def lines() -> list[str]:
    return KTL.read_bytes().decode("iso-8859-1").split("\r\n")[:-1]


def write(tmp_path: Path, records: list[str]) -> Path:
    path = tmp_path / "viitemaksut.ktl"
    path.write_bytes(("\r\n".join(records) + "\r\n").encode("iso-8859-1"))
    return path


def test_sample_parses_to_its_records() -> None:
    table = read_table(KTL)
    assert [row.line for row in table.rows] == [2, 3, 4, 5, 6, 7, 8]
    first = table.rows[0].cells
    assert first == (
        "3",
        "47300010416310",
        date(2026, 11, 2),
        date(2026, 11, 1),
        "02112588WWRV0001",
        "00000000000000410014",  # as the file writes it; normalised when sent
        "VIRTANEN MAT",
        Decimal("125.00"),
        "0",
        "A",
    )
    assert table.rows[5].cells[6] == "JÄRVINEN OY"  # ISO-8859-1


def test_correction_is_paired_with_its_payment_and_neither_is_sent() -> None:
    rows = read_table(KTL).rows
    verdicts = {row.line: row.verdict and (row.verdict.outcome, row.verdict.code) for row in rows}
    assert verdicts[5] == (Outcome.SKIPPED, "corrected")
    assert verdicts[6] == (Outcome.SKIPPED, "correction")
    assert rows[4].cells[7] == Decimal("-1234.56")
    assert verdicts[7] == (Outcome.SKIPPED, "direct-debit")
    assert [line for line, v in verdicts.items() if v is None] == [2, 3, 4, 8]


def test_correction_without_its_payment_needs_attention(tmp_path: Path) -> None:
    records = lines()
    del records[4]  # the payment that line 6 corrects
    records[-1] = "9" + "000004" + "00000034734" + records[-1][18:]
    rows = read_table(write(tmp_path, records)).rows
    correction = next(row for row in rows if row.cells[8] == "1")
    assert correction.verdict is not None
    assert (correction.verdict.outcome, correction.verdict.code) == (
        Outcome.INVALID,
        "unmatched-correction",
    )


def test_sum_record_mismatch_stops_naming_both_figures(tmp_path: Path) -> None:
    records = lines()
    records[-1] = "9" + "000005" + "00000099999" + records[-1][18:]
    with pytest.raises(ReadError) as raised:
        read_table(write(tmp_path, records))
    message = str(raised.value)
    assert "says 5 payments totalling 999.99" in message
    assert "hold 5 payments totalling 1581.90" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r[:-1], "has no sum record 9"),
        (lambda r: [r[0], r[1] + "X", *r[2:]], "has 91 characters"),
        (lambda r: [r[0], "7" + r[1][1:], *r[2:]], "record type '7'"),
    ],
)
def test_damaged_files_stop_with_one_line(tmp_path: Path, change: object, message: str) -> None:
    with pytest.raises(ReadError, match=message):
        read_table(write(tmp_path, change(lines())))  # type: ignore[operator]


def test_ktl_end_to_end_posts_only_plain_payments(sandbox: Sandbox, tmp_path: Path) -> None:
    report = run_import(KTL, journal_path=tmp_path / "j.sqlite", api=sandbox.api(), rules=RULES)
    assert ends_of(report) == as_sent(golden_ends(KTL))
    assert report.total() == Decimal("369.68")  # the money received, the correction netted out
    assert report.balanced
    assert exit_code(report) == 0
