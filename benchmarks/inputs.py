"""Seeded inputs for the benchmarks (and the tests that need many rows): the same bytes every run.

- `bank_csv`: an OP account-transactions CSV, about 145 bytes a row: incoming reference
  payments (Finnish references, for 500 invoices or each for its own), 2% outgoing rows and
  1% references with a wrong check digit, from 140 payers.
- `xlsx_export`: the same rows as a spreadsheet.
- `ktl_file`, `camt054`: the same rows as a KTL file and as a camt.054 notification.
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
    "Törmänen",
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


def bank_csv(
    path: Path,
    count: int,
    seed: int = 20261124,
    *,
    own_invoices: bool = False,
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
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


def ktl_file(path: Path, count: int, seed: int = 20261124) -> Path:
    """The same payments as a KTL file (ISO-8859-1, 90-character records), each for an
    invoice of its own, as reference payments (record 3) in one batch with its sum record.
    KTL lists incoming money only: bank_csv's outgoing rows come in here, to invoice 41000."""
    records = ["0" + "261124" + "0600" + "470208406991".ljust(79)]
    cents_total = 0
    for n, cells in enumerate(rows(count, seed, own_invoices=True)):
        cents = int(cells[2].replace(",", "").removeprefix("-"))
        reference = cells[8].removeprefix("ref=") or finnish_reference(41000)
        day = cells[0][2:].replace("-", "")
        records.append(
            "3"
            + "47300010416310"
            + day
            + day
            + f"{day}WR{n:08d}"
            + reference.rjust(20, "0")
            + cells[5].upper()[:12].ljust(12)
            + "1A"
            + f"{cents:010d}"
            + "0A "
        )
        cents_total += cents
    records.append(f"9{count:06d}{cents_total:011d}".ljust(90, "0")[:52].ljust(90))
    path.write_bytes(("\r\n".join(records) + "\r\n").encode("iso-8859-1"))
    return path


def camt054(path: Path, count: int, seed: int = 20261124) -> Path:
    """The same payments as a camt.054 notification: one entry a payment, each with its
    debtor and Finnish reference (outgoing rows as debits, as a bank lists them)."""
    entries = []
    for cells in rows(count, seed, own_invoices=True):
        amount = cells[2].replace(",", ".")
        side = "DBIT" if amount.startswith("-") else "CRDT"
        amount = amount.removeprefix("-")
        reference = cells[8].removeprefix("ref=")
        remittance = (
            "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>"
            if reference
            else ""
        )
        entries.append(
            f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{cells[0]}</Dt></BookgDt>"
            f"<ValDt><Dt>{cells[1]}</Dt></ValDt>"
            f"<AcctSvcrRef>{cells[10].replace('/', '')}</AcctSvcrRef>"
            "<BkTxCd><Prtry><Cd>705 VIITESIIRROT</Cd><Issr>FFFS</Issr></Prtry></BkTxCd>"
            "<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
            f'<Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
            f"<RltdPties><Dbtr><Pty><Nm>{cells[5]}</Nm></Pty></Dbtr></RltdPties>"
            f"{remittance}</TxDtls></NtryDtls></Ntry>"
        )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>BENCH</MsgId>"
        "<CreDtTm>2026-11-24T06:00:00+02:00</CreDtTm></GrpHdr>"
        "<Ntfctn><Id>BENCH1</Id><CreDtTm>2026-11-24T06:00:00+02:00</CreDtTm>"
        "<Acct><Id><IBAN>FI4950000120000012</IBAN></Id></Acct>"
        + "\n".join(entries)
        + "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n",
        encoding="utf-8",
    )
    return path


def ledger_for(path: Path) -> Path:
    lines = ["jobid,billnum,billcode,cid,state,capital,interest,noticefee"]
    for n, reference in enumerate(references(), start=1):
        lines.append(f"{600000 + n},R5{n:04d},{reference},{CID},open,100000000.00,0.00,0.00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
