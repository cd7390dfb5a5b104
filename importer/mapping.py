"""Which column of the export holds which payment field: a mapping file, or the header names.

A mapping file is TOML:

    [columns]               # the export's header names
    reference = "Viite"
    amount = "Määrä"
    paydate = "Maksupäivä"
    payer = "Maksaja"       # optional, like message, archive_id, billnum, jobid
    [format]                # optional
    date_format = "%d.%m.%Y"
    decimal_mark = ","
    [payment]               # optional: fixed request fields
    type = "directpayment"
"""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from importer.errors import MappingError
from importer.models import CellValue, SourceRow

FIELDS = ("reference", "amount", "paydate", "payer", "message", "archive_id", "billnum", "jobid")

# Header names recognised without a mapping file, normalised (see `normalise_header`), in order
# of preference. For the date, the payment date beats the value date beats the booking date.
KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
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
    "paydate": (
        "maksupäivä",
        "payment date",
        "paydate",
        "betalningsdag",
        "arvopäivä",
        "value date",
        "kirjauspäivä",
        "booking date",
        "bokföringsdag",
        "päivämäärä",
        "pvm",
        "date",
    ),
    "payer": ("maksaja", "saaja/maksaja", "payer", "payer name", "betalare", "nimi", "name"),
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


class Columns(BaseModel):
    """Header names of the export's columns, by payment field."""

    model_config = ConfigDict(extra="forbid")

    reference: str | None = None
    amount: str
    paydate: str
    payer: str | None = None
    message: str | None = None
    archive_id: str | None = None
    billnum: str | None = None
    jobid: str | None = None


class Format(BaseModel):
    """How the export writes dates and amounts; None means recognise it."""

    model_config = ConfigDict(extra="forbid")

    date_format: str | None = None
    decimal_mark: Literal[",", "."] | None = None


class FixedFields(BaseModel):
    """Request fields that are the same for every payment of the run."""

    model_config = ConfigDict(extra="forbid")

    type: str | None = "directpayment"
    identifier: str | None = None


class Mapping(BaseModel):
    """A whole mapping: columns, format and fixed request fields."""

    model_config = ConfigDict(extra="forbid")

    columns: Columns
    format: Format = Format()
    payment: FixedFields = FixedFields()
    source: str = "header names"  # where the mapping came from, for the summary


def normalise_header(name: str) -> str:
    """Case, accents' composition, quotes, BOM and repeated spaces do not matter."""
    text = unicodedata.normalize("NFC", name).replace("\ufeff", "").strip().strip('"').strip()
    return " ".join(text.casefold().split())


def load_mapping(path: Path) -> Mapping:
    """Load a TOML mapping file; a bad file fails here, naming the file and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {path}: not valid TOML ({exc})") from None
    try:
        return Mapping.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise MappingError(
            f"mapping file {path}: {where}: {first['msg']} "
            "(a mapping file needs [columns] with amount, paydate and reference or billnum)"
        ) from None


def guess_mapping(headers: tuple[str, ...], file: str) -> Mapping:
    """Recognise the columns from common Finnish, Swedish and English header names."""
    normalised = [normalise_header(h) for h in headers]
    found: dict[str, str] = {}
    for name, candidates in KNOWN_HEADERS.items():
        for candidate in candidates:
            if (
                candidate in normalised
                and headers[normalised.index(candidate)] not in found.values()
            ):
                found[name] = headers[normalised.index(candidate)]
                break
    missing = [name for name in ("amount", "paydate") if name not in found]
    if not ({"reference", "billnum", "jobid"} & found.keys()):
        missing.append("reference")
    if missing:
        raise MappingError(
            f"{file}: no column recognised for {', '.join(missing)} "
            f"(found: {', '.join(repr(h) for h in headers)}); "
            "write a mapping file naming the columns and pass it with --mapping"
        )
    return Mapping(columns=Columns(**found))


def column_indices(mapping: Mapping, headers: tuple[str, ...], file: str) -> dict[str, int]:
    """Field -> column index; a named column that is not in the header stops the run."""
    normalised = [normalise_header(h) for h in headers]
    indices: dict[str, int] = {}
    for name in FIELDS:
        column = getattr(mapping.columns, name)
        if column is None:
            continue
        key = normalise_header(column)
        if key not in normalised:
            raise MappingError(
                f"{file}: column {column!r} for {name} is not in the file "
                f"(found: {', '.join(repr(h) for h in headers)}); fix the mapping file"
            )
        indices[name] = normalised.index(key)
    return indices


def map_row(row: SourceRow, indices: dict[str, int]) -> dict[str, CellValue]:
    """The row's cells by payment field; a cell missing from a short row is None."""
    return {
        name: row.cells[index] if index < len(row.cells) else None
        for name, index in indices.items()
    }
