"""Seeded inputs for the benchmarks (and the tests that need many rows): the same bytes every run.

- `bank_csv`: an OP account-transactions CSV, about 145 bytes a row: incoming reference
  payments (Finnish references, for 500 invoices or each for its own), 2% outgoing rows and
  1% references with a wrong check digit, from 140 payers.
- `xlsx_export`: the same rows as a spreadsheet.
- `ledger_for`: a sandbox ledger with invoices large enough that no payment closes one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

OP_HEADER = (
    "Kirjauspäivä",
    "Arvopäivä",
    "Määrä EUROA",
    "Laji",
    "Selitys",
    "Saaja/Maksaja",
    "Saajan tilinumero",
    "Saajan pankin BIC",
    "Viite",
    "Viesti",
    "Arkistointitunnus",
)
CID = "1000011"
INVOICES = 500  # distinct references the rows pay
FIRST_DAY = date(2026, 10, 1)
DAYS = 50
LAST_DAY = FIRST_DAY + timedelta(days=DAYS)
FIRST_NAMES = ("Matti", "Anna", "Pekka", "Liisa", "Juha", "Maria", "Timo", "Sari", "Jari", "Aino")
LAST_NAMES = (
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lehtinen",
    "Saarinen",
    "Salminen",
)


def finnish_reference(base: int) -> str:
    """A Finnish reference: the base and its 7-3-1 check digit."""
    digits = str(base)
    total = sum(int(d) * (7, 3, 1)[i % 3] for i, d in enumerate(reversed(digits)))
    return digits + str((10 - total % 10) % 10)


def references() -> list[str]:
    return [finnish_reference(41000 + n) for n in range(INVOICES)]


def rows(count: int, seed: int = 20261124, *, own_invoices: bool = False) -> Iterator[list[str]]:
    """`count` rows of an OP export, as text cells. The payments are for the INVOICES invoices
    the sandbox ledger knows, or with `own_invoices` each for an invoice of its own, as in a
    month's real export (a million distinct references)."""
    pick = random.Random(seed)
    refs = references()
    for n in range(count):
        day = (FIRST_DAY + timedelta(days=pick.randrange(DAYS))).isoformat()
        cents = pick.randrange(100, 500_000)
        own = finnish_reference(1_000_000 + n) if own_invoices else pick.choice(refs)
        reference = f"ref={own}"
        kind = pick.random()
        if kind < 0.02:  # outgoing
            cents, reference = -cents, "ref="
        elif kind < 0.03:  # a typo in the check digit
            reference = reference[:-1] + str((int(reference[-1]) + 1) % 10)
        amount = (
            f"{cents // 100},{cents % 100:02d}"
            if cents >= 0
            else f"-{-cents // 100},{-cents % 100:02d}"
        )
        yield [
            day,
            day,
            amount,
            "106",
            "VIITESIIRTO",
            f"{pick.choice(LAST_NAMES)} {pick.choice(FIRST_NAMES)}",
            "FI4950000120000012",
            "OKOYFIHH",
            reference,
            "",
            f"{day.replace('-', '')}/BENCH/{n:07d}",
        ]


def bank_csv(path: Path, count: int, seed: int = 20261124, *, own_invoices: bool = False) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(";".join(f'"{h}"' for h in OP_HEADER) + "\n")
        for row in rows(count, seed, own_invoices=own_invoices):
            file.write(";".join(f'"{c}"' if i != 2 else c for i, c in enumerate(row)) + "\n")
    return path


def xlsx_export(
    path: Path, count: int, seed: int = 20261124, *, own_invoices: bool = False
) -> Path:
    # Imported here: the children that measure the tool's own memory must not carry it.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Tapahtumat")
    sheet.append(list(OP_HEADER))
    for row in rows(count, seed, own_invoices=own_invoices):
        sheet.append(row)
    book.save(path)
    return path


def ledger_for(path: Path) -> Path:
    lines = ["jobid,billnum,billcode,cid,state,capital,interest,noticefee"]
    for n, reference in enumerate(references(), start=1):
        lines.append(f"{600000 + n},R5{n:04d},{reference},{CID},open,100000000.00,0.00,0.00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
