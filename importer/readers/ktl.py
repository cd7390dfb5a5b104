"""KTL, the Finnish reference payment file ("saapuvat viitemaksut", FFI v2.1, 2007).

90-character records in ISO-8859-1: a batch record 0, payment records 3 (reference payment)
and 5 (direct debit), and a sum record 9 per batch. Amounts are cents without a sign; a
correction (oikaisutunnus 1) cancels an earlier payment but carries no link to it, so it is
matched by reference and amount (bank-formats.md section 1). Neither half of a matched pair is
posted; a correction without its payment in the file needs a person.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import cast

from importer.errors import ReadError
from importer.models import Outcome, SourceRow, SourceTable, Verdict
from importer.problems import (
    CORRECTED,
    CORRECTION,
    DIRECT_DEBIT_FAILED,
    NOT_EURO,
    UNMATCHED_CORRECTION,
)
from importer.readers import kinds
from importer.readers.limits import MAX_FILE_BYTES, read_bounded
from importer.said import say

RECORD_LENGTH = 90
HEADERS = (
    "Tietuetunnus",
    "Tilinumero",
    "Kirjauspäivä",
    "Maksupäivä",
    "Arkistointitunnus",
    "Viite",
    "Maksaja",
    "Rahamäärä",
    "Oikaisutunnus",
    "Välitystapa",
)

AMOUNT = HEADERS.index("Rahamäärä")
_SHAPE = re.compile(r"^0\d{10}")
FAILED_DIRECT_DEBIT = DIRECT_DEBIT_FAILED


def looks_like_ktl(head: bytes) -> bool:
    """The first record is a KTL batch record: "0", a YYMMDD date and an HHMM time.

    Only the first record decides, so a damaged record later on is reported by this reader
    rather than misread as a CSV.
    """
    first = next((line for line in head.decode("iso-8859-1").splitlines() if line.strip()), "")
    return bool(_SHAPE.match(first)) and len(first) <= RECORD_LENGTH


@dataclass
class _Batch:
    line: int
    payments: list[SourceRow]


def read(path: Path, max_bytes: int = MAX_FILE_BYTES) -> SourceTable:
    """Read every batch of a KTL file; the sum records are checked against the records."""
    text = read_bounded(path, max_bytes).decode("iso-8859-1")
    # Every payment's file, made once per read (not cached across reads: a Windows path
    # equals another spelling of it, and would be named as that one).
    name = str(path)
    rows: list[SourceRow] = []
    batch: _Batch | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        if len(raw) > RECORD_LENGTH:
            raise ReadError(
                say(
                    "{path}: line {line} has {count} characters; a KTL record has 90",
                    path=path,
                    line=number,
                    count=len(raw),
                )
            )
        record = raw.ljust(RECORD_LENGTH)
        kind = record[0]
        if kind == "0":
            batch = _Batch(number, [])
        elif kind in "35":
            if batch is None:
                raise ReadError(
                    say(
                        "{path}: line {line}: a payment record before any batch record 0",
                        path=path,
                        line=number,
                    )
                )
            batch.payments.append(_payment(path, name, number, record))
        elif kind == "9":
            if batch is None:
                raise ReadError(
                    say(
                        "{path}: line {line}: a sum record 9 before any batch record 0",
                        path=path,
                        line=number,
                    )
                )
            _check_sums(path, number, record, batch.payments)
            rows += batch.payments
            batch = None
        else:
            raise ReadError(
                say(
                    "{path}: line {line}: record type {kind!r} is not 0, 3, 5 or 9",
                    path=path,
                    line=number,
                    kind=kind,
                )
            )
    if batch is not None:
        raise ReadError(
            say(
                "{path}: the batch starting on line {line} has no sum record 9; "
                "the file is cut off: download it again",
                path=path,
                line=batch.line,
            )
        )
    return SourceTable(
        file=str(path), headers=HEADERS, rows=_pair_corrections(rows), form="KTL, ISO-8859-1"
    )


def _payment(path: Path, name: str, number: int, record: str) -> SourceRow:
    try:
        cents = int(record[77:87])
        booked, paid = _date(record[15:21]), _date(record[21:27])
    except ValueError:
        raise ReadError(
            say(
                "{path}: line {line}: the amount (positions 78-87) or a date (16-27) is not a "
                "number; the file is damaged",
                path=path,
                line=number,
            )
        ) from None
    cells = (
        record[0],
        record[1:15],
        booked,
        paid,
        record[27:43].strip(),
        record[43:63].strip(),
        record[63:75].strip(),
        # A correction takes the money back: it carries the sign the file leaves out.
        Decimal(-cents if record[87] == "1" else cents).scaleb(-2),
        record[87],
        record[88].strip(),
    )
    verdict = None
    if record[0] == "5" and record[89:90].strip() not in ("", "0"):
        verdict = Verdict(
            Outcome.SKIPPED,
            FAILED_DIRECT_DEBIT,
            say(
                "a direct debit the bank could not collect (feedback code {code!r}, "
                "position 90): no money arrived, so nothing to register",
                code=record[89],
            ),
        )
    elif record[0] == "5":
        verdict = kinds.direct_debit("record 5")
    elif record[75] != "1":
        verdict = Verdict(
            Outcome.INVALID,
            NOT_EURO,
            say("currency code {code!r} is not 1 (euro)", code=record[75]),
        )
    return SourceRow(file=name, line=number, cells=cells, verdict=verdict)


@functools.lru_cache(maxsize=4096)  # a file's payments fall on a few dozen days
def _date(text: str) -> date:
    return date(2000 + int(text[0:2]), int(text[2:4]), int(text[4:6]))


def _check_sums(path: Path, number: int, record: str, payments: list[SourceRow]) -> None:
    """The sum record against the records, accepting corrections counted apart or within."""
    try:
        count, cents = int(record[1:7]), int(record[7:18])
    except ValueError:
        raise ReadError(
            say(
                "{path}: line {line}: the sum record's figures are not numbers",
                path=path,
                line=number,
            )
        ) from None
    total = Decimal(cents).scaleb(-2)
    references = [p for p in payments if p.cells[0] == "3"]
    plain = [p for p in references if p.cells[8] == "0"]
    # The FFI example counts the direct debits collected with the reference payments, and
    # the failed ones in their own fields.
    collected = [
        p
        for p in payments
        if p.cells[0] == "5" and p.verdict and p.verdict.code != FAILED_DIRECT_DEBIT
    ]
    readings = (plain, references, payments, plain + collected, references + collected)
    # Summed only where the count agrees, and no further than the first reading that holds.
    if not any(len(rows) == count and _sum(rows) == total for rows in readings):
        raise ReadError(
            say(
                "{path}: line {line}: the sum record says {count} payments totalling {total}, "
                "but the records hold {held} payments totalling {held_total}; "
                "the file is incomplete or damaged: download it again",
                path=path,
                line=number,
                count=count,
                total=total,
                held=len(plain),
                held_total=_sum(plain),
            )
        )


def _sum(rows: list[SourceRow]) -> Decimal:
    return sum((abs(_amount(row)) for row in rows), Decimal("0.00"))


def _amount(row: SourceRow) -> Decimal:
    return cast(Decimal, row.cells[AMOUNT])  # _payment always writes a Decimal there


def _pair_corrections(rows: list[SourceRow]) -> list[SourceRow]:
    """Each correction cancels one earlier payment with the same reference and amount."""
    result = list(rows)
    for index, row in enumerate(rows):
        if row.cells[0] != "3" or row.cells[8] != "1":
            continue
        original = next(
            (
                i
                for i, candidate in enumerate(result)
                if candidate.cells[0] == "3"
                and candidate.cells[8] == "0"
                and candidate.verdict is None
                and candidate.cells[5] == row.cells[5]
                and _amount(candidate) == -_amount(row)
            ),
            None,
        )
        if original is None:
            result[index] = replace(
                row,
                verdict=Verdict(
                    Outcome.INVALID,
                    UNMATCHED_CORRECTION,
                    say(
                        "a correction (archive id {archive_id}) of a payment that is not in this "
                        "file: check in Ropo One whether that payment was registered, and if so "
                        "reverse it by hand",
                        archive_id=row.cells[4],
                    ),
                ),
            )
            continue
        result[original] = replace(
            result[original],
            verdict=Verdict(
                Outcome.SKIPPED,
                CORRECTED,
                say("cancelled by the correction on line {line}", line=row.line),
            ),
        )
        result[index] = replace(
            row,
            verdict=Verdict(
                Outcome.SKIPPED,
                CORRECTION,
                say("cancels the payment on line {line}", line=rows[original].line),
            ),
        )
    return result
