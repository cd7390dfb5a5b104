"""A camt entry's sums: a daily total is refused, never posted as one payment, and an entry
whose payments do not add up to its amount stops the file as damaged (bank-formats.md
section 2)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from pathlib import Path

from importer.errors import ReadError
from importer.readers.xmltree import text
from importer.said import Phrase, say


def bank_code(entry: ET.Element) -> str:
    """The entry's proprietary bank transaction code ("705" for reference payments)."""
    return text(entry, "BkTxCd", "Prtry", "Cd")


def refuse_totals(
    path: Path,
    kind: str,
    entry: ET.Element,
    details: list[ET.Element],
    batch: str,
    lines: dict[ET.Element, int],
) -> None:
    """An entry that holds more payments than it itemises is a total: never post it."""
    counted = int(batch) if batch.isdigit() else 1
    total_code = bank_code(entry).startswith("705") and not details
    if counted > max(len(details), 1) or total_code:
        raise ReadError(
            say(
                "{path}: line {line}: this {kind} gives reference payments only as a daily "
                "total ({amount} for {count} payments), which must never be posted as one "
                "payment; download the incoming reference payments (KTL, 'saapuvat "
                "viitemaksut') or camt.054 instead",
                path=path,
                line=lines.get(entry, 0),
                kind=kind,
                amount=text(entry, "Amt"),
                count=counted if batch else Phrase("several"),
            )
        )


def check_entry_sum(
    path: Path,
    entry: ET.Element,
    entry_amount: str,
    amounts: list[str],
    lines: dict[ET.Element, int],
) -> None:
    if "" in amounts:
        return  # a payment in another currency, or without an amount: nothing to add up
    try:
        total = sum((Decimal(a) for a in amounts), Decimal("0"))
        expected = Decimal(entry_amount)
    except InvalidOperation:
        return  # a missing or broken amount is reported on its own row
    if total != expected:
        raise ReadError(
            say(
                "{path}: line {line}: the entry's amount is {expected}, but its {count} "
                "payments total {total}; the file is damaged: download it again",
                path=path,
                line=lines.get(entry, 0),
                expected=expected,
                count=len(amounts),
                total=total,
            )
        )
