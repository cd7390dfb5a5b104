"""A source row read through its profile -> a Transaction in canonical fields (pure).

`locate` finds each field's column in the file once; `map_row` reads one row: text cleaned the
way the profile says (prefixes, quotes, placeholders), amounts and dates parsed, the sign taken
from a direction column where the export has one. A cell that cannot be read becomes a Problem
on the Transaction; nothing here raises for a bad row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from importer.amounts import checked_size, infer_decimal_mark, parse_amount
from importer.dates import parse_date
from importer.errors import FieldError, ProfileError
from importer.models import (
    CellValue,
    Outcome,
    Problem,
    SourceRow,
    SourceTable,
    Transaction,
    Verdict,
)
from importer.problems import (
    DIRECT_DEBIT,
    MISSING_DATE,
    PENDING,
    REFERENCE_AS_NUMBER,
    RETURNED,
    REVERSAL,
)
from importer.profiles import PAYDATE_ORDER, FieldName, Profile, normalise_header
from importer.profiles.model import Kind
from importer.readers.frame import FrameRows
from importer.readers.kinds import VERDICTS

TEXT_FIELDS: tuple[FieldName, ...] = (
    "reference",
    "payer",
    "message",
    "archive_id",
    "billnum",
    "jobid",
    "currency",
)
SPREADSHEET_DIGITS = 15
_Fail = Callable[
    [FieldName, CellValue, FieldError], None
]  # a spreadsheet number keeps 15 significant digits, no more

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
    missing = [] if "amount" in found else ["amount"]
    if not any(name in found for name in PAYDATE_ORDER):
        missing.append("a date")
    if not any(name in found for name in ("reference", "billnum", "jobid")):
        missing.append("reference")
    if missing:
        raise ProfileError(
            f"{file}: no column recognised for {', '.join(missing)} "
            f"(found: {', '.join(repr(h) for h in headers)}); "
            "write a profile file naming the columns and pass it with --profile PATH"
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


def map_row(row: SourceRow, columns: Columns) -> Transaction:
    """Read one source row into canonical fields; unreadable cells become Problems."""
    problems: list[Problem] = []
    profile = columns.profile

    def cell(field: FieldName) -> CellValue:
        at = columns.index.get(field)
        return row.cells[at] if at is not None and at < len(row.cells) else None

    def fail(field: FieldName, raw: CellValue, error: FieldError) -> None:
        problems.append(Problem(field, columns.names[field], raw, error.code, error.message))

    texts: dict[FieldName, str] = {}
    for field in TEXT_FIELDS:
        raw = cell(field)
        if field == "reference" and _too_long_for_a_number(raw):
            fail(field, raw, _REFERENCE_AS_NUMBER)
        texts[field] = "" if raw is None else clean(raw, profile, field)
    dates: dict[FieldName, date | None] = {}
    for field in PAYDATE_ORDER:
        raw, dates[field] = cell(field), None
        text = "" if raw is None else clean(raw, profile, field)
        if text:
            try:
                value = raw if isinstance(raw, date) else text
                dates[field] = parse_date(value, profile.option(field).date_format)
            except FieldError as error:
                fail(field, raw, error)
    amount = _amount(cell("amount"), columns, fail)
    if amount is not None and columns.direction is not None and profile.direction is not None:
        marker = _plain(row.cells[columns.direction] if columns.direction < len(row.cells) else "")
        if marker.strip() in profile.direction.debit:
            amount = -abs(amount)
    paydate, problems = _paydate(dates, columns, problems)
    return Transaction(
        row=row,
        amount=amount,
        booking_date=dates["booking_date"],
        value_date=dates["value_date"],
        payment_date=dates["payment_date"],
        paydate=paydate,
        verdict=row.verdict or _pending(row, columns) or _kind(row, columns),
        problems=tuple(problems),
        **texts,
    )


def clean(raw: CellValue, profile: Profile, field: FieldName) -> str:
    """A cell as text: trimmed, the profile's quotes and prefix removed, placeholders empty."""
    option = profile.option(field)
    text = _plain(raw).strip()
    if option.strip:
        text = text.strip(option.strip).strip()
    if option.strip_prefix and text.casefold().startswith(option.strip_prefix.casefold()):
        text = text[len(option.strip_prefix) :].strip()
    return "" if text in profile.empty else text


def _amount(raw: CellValue, columns: Columns, fail: _Fail) -> Decimal | None:
    try:
        if isinstance(raw, Decimal):  # a spreadsheet's number, or a camt amount
            return checked_size(raw)
        text = clean(raw, columns.profile, "amount")
        thousands = columns.profile.option("amount").thousands
        return parse_amount(text, columns.decimal_mark, thousands)
    except FieldError as error:
        fail("amount", raw, error)
        return None


def _paydate(
    dates: dict[FieldName, date | None], columns: Columns, problems: list[Problem]
) -> tuple[date | None, list[Problem]]:
    """The first date field, in PAYDATE_ORDER, that has a value or a problem."""
    for field in PAYDATE_ORDER:
        if field not in columns.index:
            continue
        if dates[field] is not None or any(p.field == field for p in problems):
            return dates[field], problems
    first = next((f for f in PAYDATE_ORDER if f in columns.index), None)
    if first is None:
        return None, problems
    missing = Problem(
        first,
        columns.names[first],
        None,
        MISSING_DATE,
        "the date is empty; copy it from the bank statement",
    )
    return None, [*problems, missing]


def _pending(row: SourceRow, columns: Columns) -> Verdict | None:
    rule = columns.profile.pending
    if rule is None or columns.pending is None or columns.pending >= len(row.cells):
        return None
    value = _plain(row.cells[columns.pending]).strip()
    if normalise_header(value) not in {normalise_header(v) for v in rule.values}:
        return None
    return Verdict(
        Outcome.SKIPPED,
        PENDING,
        f"a pending transaction ({rule.column} {value!r}), not yet booked: it comes again in a "
        "later export once the bank books it, and is imported then",
    )


def kind_of(value: CellValue, rule: Kind) -> str:
    """The code of the profile's [kind] values that `value` is one of, "" for none."""
    text = normalise_header(_plain(value))
    for code, values in (
        (DIRECT_DEBIT, rule.direct_debit),
        (RETURNED, rule.returned),
        (REVERSAL, rule.reversal),
    ):
        if text and text in {normalise_header(v) for v in values}:
            return code
    return ""


def _kind(row: SourceRow, columns: Columns) -> Verdict | None:
    rule, at = columns.profile.kind, columns.kind
    if rule is None or at is None or at >= len(row.cells):
        return None
    code = kind_of(row.cells[at], rule)
    if not code:
        return None
    value = _plain(row.cells[at]).strip()
    return VERDICTS[code](f"{columns.kind_name} {value!r}")


def _plain(raw: CellValue) -> str:
    if raw is None:
        return ""
    if isinstance(raw, Decimal):
        return str(int(raw)) if raw == raw.to_integral_value() else format(raw, "f")
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    return str(raw)


def _too_long_for_a_number(raw: CellValue) -> bool:
    return isinstance(raw, Decimal) and len(raw.normalize().as_tuple().digits) > SPREADSHEET_DIGITS


_REFERENCE_AS_NUMBER = FieldError(
    REFERENCE_AS_NUMBER,
    "the spreadsheet keeps the reference as a number, so only its first 15 digits survive; "
    "format the column as text and copy the references from the bank export again",
)
