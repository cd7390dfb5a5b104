"""Where each payment field is in a file, and how one cell is read as text (pure).

`locate` finds each field's column in the file once; `clean` reads a cell as text the way the
profile says (prefixes, quotes, placeholders). The fields of every row are read a column at a
time by the engine (engine/fields.py), with these and the other scalar parsers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from importer.amounts import infer_decimal_mark
from importer.errors import ProfileError
from importer.models import CellValue, SourceTable
from importer.problems import DIRECT_DEBIT, RETURNED, REVERSAL
from importer.profiles import PAYDATE_ORDER, FieldName, Profile, normalise_header
from importer.profiles.model import Kind
from importer.readers.frame import FrameRows
from importer.said import say

TEXT_FIELDS: tuple[FieldName, ...] = (
    "reference",
    "payer",
    "message",
    "archive_id",
    "billnum",
    "jobid",
    "currency",
)
SPREADSHEET_DIGITS = 15  # a spreadsheet number keeps 15 significant digits, no more

# Header names recognised by the generic profile, normalised (see `normalise_header`), in
# order of preference.
KNOWN_HEADERS: dict[FieldName, tuple[str, ...]] = {
    "reference": (
        "viite",
        "viitenumero",
        "viitenro",
        "viite nro",
        "reference",
        "reference number",
        "reference no",
        "ref",
        "referensnummer",
        "billcode",
    ),
    "amount": (
        "määrä",
        "määrä euroa",
        "määrä eur",
        "summa",
        "rahamäärä",
        "maksettu",
        "amount",
        "amount eur",
        "belopp",
    ),
    "payment_date": (
        "maksupäivä",
        "payment date",
        "paymentdate",
        "paydate",
        "betalningsdag",
        "betalningsdatum",
    ),
    "value_date": ("arvopäivä", "value date", "valuedate", "valutadag", "valuteringsdag"),
    "booking_date": (
        "kirjauspäivä",
        "booking date",
        "bookingdate",
        "book date",
        "bookdate",
        "bokföringsdag",
        "bokföringsdatum",
        "transaction date",
        "transactiondate",
        "tapahtumapäivä",
        "päivämäärä",
        "pvm",
        "datum",
        "date",
    ),
    # A name before a column that may hold the payer's account number (Nordea's "Maksaja").
    "payer": (
        "maksajan nimi",
        "payer name",
        "betalarens namn",
        "saaja/maksaja",
        "nimi",
        "name",
        "namn",
        "maksaja",
        "payer",
        "betalare",
    ),
    "message": ("viesti", "message", "meddelande", "description"),
    "archive_id": (
        "arkistointitunnus",
        "arkistotunnus",
        "archive id",
        "archive reference",
        "filing code",
        "arkiveringskod",
    ),
    "billnum": ("laskunumero", "laskun numero", "invoice number", "billnum"),
    "jobid": ("jobid", "job id"),
}


@dataclass(frozen=True)
class Columns:
    """Where each payment field is in one file, and how its cells are read."""

    profile: Profile
    index: dict[FieldName, int]
    names: dict[FieldName, str]  # the file's own header names, for messages
    decimal_mark: str | None
    direction: int | None = None
    pending: int | None = None
    kind: int | None = None  # the profile's [kind] column
    kind_name: str = ""

    def describe(self) -> str:
        return ", ".join(f"{field}={name!r}" for field, name in self.names.items())


def guess_columns(headers: tuple[str, ...], file: str) -> dict[FieldName, str]:
    """Recognise the columns from common Finnish, Swedish and English header names."""
    normalised = [normalise_header(h) for h in headers]
    found: dict[FieldName, str] = {}
    for name, candidates in KNOWN_HEADERS.items():
        for candidate in candidates:
            if candidate in normalised and headers[normalised.index(candidate)] not in (
                found.values()
            ):
                found[name] = headers[normalised.index(candidate)]
                break
    missing: list[str] = [] if "amount" in found else ["amount"]
    if not any(name in found for name in PAYDATE_ORDER):
        missing.append(say("a date"))
    if not any(name in found for name in ("reference", "billnum", "jobid")):
        missing.append("reference")
    if missing:
        raise ProfileError(
            say(
                "{file}: no column recognised for {missing} (found: {found}); write a profile "
                "file naming the columns and pass it with --profile PATH",
                file=file,
                missing=tuple(missing),
                found=tuple(repr(h) for h in headers),
            )
        )
    return found


def locate(profile: Profile, table: SourceTable) -> Columns:
    """Find the profile's columns in the file's header; a missing one stops the run."""
    headers = table.headers
    normalised = [normalise_header(h) for h in headers]
    if profile.guess_columns:
        profile = profile.model_copy(update={"columns": guess_columns(headers, table.file)})

    def find(wanted: tuple[str, ...], field: str, required: bool) -> int | None:
        for name in wanted:
            if normalise_header(name) in normalised:
                return normalised.index(normalise_header(name))
        if required:
            raise ProfileError(
                f"{table.file}: column {' or '.join(repr(w) for w in wanted)} for {field} is "
                f"not in the file (found: {', '.join(repr(h) for h in headers)}); fix the "
                f"profile {profile.source if profile.source != 'built-in' else profile.name} "
                "or choose another with --profile"
            )
        return None

    index: dict[FieldName, int] = {}
    for field in profile.columns:
        found = find(profile.wanted(field), field, field not in profile.optional)
        if found is not None:
            index[field] = found
    direction = find((profile.direction.column,), "direction", True) if profile.direction else None
    pending = find((profile.pending.column,), "pending", True) if profile.pending else None
    kind = find(profile.kind.columns(), "kind", False) if profile.kind else None
    decimal_mark: str | None = profile.option("amount").decimal_mark
    if decimal_mark is None and "amount" in index:
        column = index["amount"]
        rows = table.rows
        cells: Iterable[CellValue] = (
            rows.column(column)  # the quick reader's column, without a SourceRow a row
            if isinstance(rows, FrameRows)
            else (row.cells[column] for row in rows if column < len(row.cells))
        )
        decimal_mark = infer_decimal_mark(cell for cell in cells if isinstance(cell, str))
    names = {field: headers[at] for field, at in index.items()}
    kind_name = headers[kind] if kind is not None else ""
    return Columns(profile, index, names, decimal_mark, direction, pending, kind, kind_name)


def clean(raw: CellValue, profile: Profile, field: FieldName) -> str:
    """A cell as text: trimmed, the profile's quotes and prefix removed, placeholders empty."""
    option = profile.option(field)
    text = plain(raw).strip()
    if option.strip:
        text = text.strip(option.strip).strip()
    if option.strip_prefix and text.casefold().startswith(option.strip_prefix.casefold()):
        text = text[len(option.strip_prefix) :].strip()
    return "" if text in profile.empty else text


def kind_of(value: CellValue, rule: Kind) -> str:
    """The code of the profile's [kind] values that `value` is one of, "" for none."""
    text = normalise_header(plain(value))
    for code, values in (
        (DIRECT_DEBIT, rule.direct_debit),
        (RETURNED, rule.returned),
        (REVERSAL, rule.reversal),
    ):
        if text and text in {normalise_header(v) for v in values}:
            return code
    return ""


def plain(raw: CellValue) -> str:
    if raw is None:
        return ""
    if isinstance(raw, Decimal):
        return str(int(raw)) if raw == raw.to_integral_value() else format(raw, "f")
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    return str(raw)


def too_long_for_a_number(raw: CellValue) -> bool:
    return isinstance(raw, Decimal) and len(raw.normalize().as_tuple().digits) > SPREADSHEET_DIGITS
