"""A profile: how one bank's export is read and which column holds which payment field.

Profiles are TOML files, validated on load so a bad profile fails there, naming its path:

    name = "op"
    title = "OP, account transactions CSV (2021 format)"
    reader = "table"                  # table (CSV or a spreadsheet), ktl or camt
    [read]                            # text files only; all optional
    encoding = "iso-8859-1"           # used when the file is not UTF-8
    delimiter = ";"
    preamble = 2                      # lines before the header line
    [detect]
    headers = ["Kirjauspäivä", "Määrä EUROA", "Viite"]
    one_of = [["Arkistointitunnus", "Arkistotunnus"]]  # either name, as versions differ
    absent = ["Saajan pankin BIC"]    # a header that rules the profile out
    [columns]                         # payment field -> the export's header name
    booking_date = "Kirjauspäivä"
    amount = "Määrä EUROA"
    reference = "Viite"
    [format]                          # defaults for every field
    date_format = "%Y-%m-%d"
    decimal_mark = ","
    [fields.reference]                # options for one field
    strip_prefix = "ref="
    [kind]                            # rows that are not invoice payments, by their kind
    column = "Selitys"
    direct_debit = ["SUORAVELOITUS"]  # also returned = [...] and reversal = [...]
"""

from __future__ import annotations

import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from importer.errors import ProfileError
from importer.problems import explain

FieldName = Literal[
    "archive_id",
    "booking_date",
    "value_date",
    "payment_date",
    "amount",
    "reference",
    "payer",
    "message",
    "billnum",
    "jobid",
    "currency",
]
FIELD_NAMES: tuple[FieldName, ...] = FieldName.__args__  # type: ignore[attr-defined]
# The date sent to Ropo: the payment date where the export has one, else the value date, else
# the booking date (bank-formats.md section 1.3: the booking date is when the bank credited it).
PAYDATE_ORDER: tuple[FieldName, ...] = ("payment_date", "value_date", "booking_date")
IDENTIFYING: tuple[FieldName, ...] = ("reference", "jobid", "billnum")
# An invoice number written in the payment's message: "Lasku 41004", "laskun nro R41011",
# "Invoice no. 41004", "Faktura 41004". Its one group is the number, sent as billnum when the
# row has no reference (prior-art.md section 3).
BILLNUM_IN_MESSAGE = (
    r"(?i)\b(?:laskun?|invoice|faktura|bill)\b\.?\s*"
    r"(?:nro|numero|no|nr|number|num)?\.?\s*[:#]?\s*([a-z]{0,3}-?\d{3,12})\b(?![/.,-]\d)"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldFormat(_Strict):
    """How one field is written; unset options fall back to the profile's [format]."""

    date_format: str | None = None
    decimal_mark: Literal[",", "."] | None = None
    strip_prefix: str | None = None  # OP writes "ref=410014"
    strip: str = ""  # characters trimmed from both ends: S-Pankki quotes messages as 'text'
    # Declared thousands separator: then "1.234" in a decimal-comma file means 1234.
    thousands: Literal[" ", ".", ",", "'"] | None = None


class Read(_Strict):
    """How a text export is laid out; unset means recognised from the file."""

    encoding: str | None = None
    delimiter: str | None = None
    preamble: int = Field(default=0, ge=0, le=50)


class Detect(_Strict):
    """What identifies the export: header names, a first-line pattern, an XML root."""

    headers: tuple[str, ...] = ()
    # Columns the versions of an export name differently: the file has one name of each group.
    one_of: tuple[tuple[str, ...], ...] = ()
    absent: tuple[str, ...] = ()  # headers that only another version of the export has
    first_line: str | None = None  # a regular expression the file's first line matches
    xml_root: str | None = None  # local name of the element under <Document>

    def groups(self) -> tuple[tuple[str, ...], ...]:
        """Every header the file must have, each as the names it may go by."""
        return tuple((name,) for name in self.headers) + self.one_of

    @field_validator("first_line")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


class Direction(_Strict):
    """A column saying in or out, for exports whose amounts carry no sign (camt CdtDbtInd)."""

    column: str
    debit: tuple[str, ...]


class Pending(_Strict):
    """A column whose value marks a reserved, not yet booked, transaction (Nordea 'Varaus')."""

    column: str
    values: tuple[str, ...]


class Kind(_Strict):
    """A column naming the kind of transaction (OP's Selitys), and the values that mark money
    which is not an invoice payment: such a row is skipped with that code, whichever its sign.
    A file without the column is read as if the rule were not there."""

    column: str | tuple[str, ...]
    direct_debit: tuple[str, ...] = ()
    returned: tuple[str, ...] = ()
    reversal: tuple[str, ...] = ()

    def columns(self) -> tuple[str, ...]:
        return (self.column,) if isinstance(self.column, str) else self.column


class FixedFields(_Strict):
    """Request fields that are the same for every payment of the run."""

    type: str | None = "directpayment"
    identifier: str | None = None


class Profile(_Strict):
    """One bank export, as data."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    reader: Literal["table", "ktl", "camt"] = "table"
    read: Read = Read()
    detect: Detect = Detect()
    # field -> header name, or several names of which the first present is used
    columns: dict[FieldName, str | tuple[str, ...]] = {}
    optional: tuple[FieldName, ...] = ()  # columns that some versions of the export leave out
    guess_columns: bool = False  # recognise the columns from common header names
    format: FieldFormat = FieldFormat()
    fields: dict[FieldName, FieldFormat] = {}
    empty: tuple[str, ...] = ()  # cell values that mean "nothing here", such as "-"
    direction: Direction | None = None
    pending: Pending | None = None
    kind: Kind | None = None
    refuse: str | None = None  # recognised, but cannot drive invoice matching: say why
    payment: FixedFields = FixedFields()
    # "domestic" sends an RF reference whose body is a Finnish reference as that Finnish
    # reference, for creditors whose invoices carry the Finnish form in Ropo One.
    reference_form: Literal["as-printed", "domestic"] = "as-printed"
    billnum_in_message: str | None = BILLNUM_IN_MESSAGE  # "" turns it off
    source: str = "built-in"

    @field_validator("billnum_in_message")
    @classmethod
    def _one_group(cls, value: str | None) -> str | None:
        if value and re.compile(value).groups != 1:
            raise ValueError("the pattern needs exactly one group (...) around the number")
        return value or None

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        """`paydate` (the request field's name) means the payment date column, and `optional`
        may sit under [columns], where a TOML writer naturally puts it."""
        if isinstance(data, dict) and isinstance(data.get("columns"), dict):
            columns = dict(data["columns"])
            if "paydate" in columns and "payment_date" not in columns:
                columns["payment_date"] = columns.pop("paydate")
            if "optional" in columns and "optional" not in data:
                data = {**data, "optional": columns.pop("optional")}
            data = {**data, "columns": columns}
        return data

    @model_validator(mode="after")
    def _complete(self) -> Profile:
        if self.refuse or self.guess_columns:
            return self
        if "amount" not in self.columns:
            raise ValueError("[columns] needs amount")
        if not any(name in self.columns for name in PAYDATE_ORDER):
            raise ValueError("[columns] needs payment_date, value_date or booking_date")
        if not any(name in self.columns for name in IDENTIFYING):
            raise ValueError("[columns] needs reference, billnum or jobid")
        return self

    def wanted(self, field: FieldName) -> tuple[str, ...]:
        """The header names that may hold `field`, in order of preference."""
        names = self.columns.get(field, ())
        return (names,) if isinstance(names, str) else names

    def option(self, field: FieldName) -> FieldFormat:
        """The field's own options over the profile's [format] defaults."""
        return self._options[field]

    @cached_property
    def _options(self) -> dict[FieldName, FieldFormat]:
        return {field: self._option(field) for field in FIELD_NAMES}

    def _option(self, field: FieldName) -> FieldFormat:
        own = self.fields.get(field)
        if own is None:
            return self.format
        return FieldFormat(
            date_format=own.date_format or self.format.date_format,
            decimal_mark=own.decimal_mark or self.format.decimal_mark,
            strip_prefix=own.strip_prefix or self.format.strip_prefix,
            strip=own.strip or self.format.strip,
            thousands=own.thousands or self.format.thousands,
        )


def load_profile(path: Path) -> Profile:
    """Load a profile file; a bad one fails here, naming the file, the key and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"profile {path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"profile {path}: not valid TOML ({exc})") from None
    data.setdefault("name", _name_from(path))
    data.setdefault("title", f"profile file {path.name}")
    try:
        return Profile.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        why = explain(exc, "the file", pydantic_words=True)
        raise ProfileError(
            f"profile {path}: {why} "
            "(see 'ropo-import profiles' and the README's 'Profiles' section)"
        ) from None


def _name_from(path: Path) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-")
    return name or "profile"
