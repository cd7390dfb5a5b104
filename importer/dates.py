"""Dates as written in bank exports -> datetime.date.

Without a declared format only unambiguous Finnish and ISO forms are read; a day-month order
that could be swapped (01/02/2026) is never guessed.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from importer.errors import FieldError, remembered
from importer.problems import BAD_DATE, MISSING_DATE
from importer.said import say

_FORMATS = (
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), "%Y-%m-%d"),  # ISO, OP current
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), "%d.%m.%Y"),  # Finnish, most CSVs
    (re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$"), "%Y/%m/%d"),  # Nordea current
    (  # ISO date and time, as camt writes it, with or without a UTC offset
        re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"),
        None,
    ),
)


@remembered
def parse_date(value: object, date_format: str | None = None) -> date:
    """Parse a cell into a date, by `date_format` (strptime) when the mapping declares one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise FieldError(MISSING_DATE, say("the date is empty; copy it from the bank statement"))
    if date_format:
        return _strptime(text, date_format)
    for pattern, fmt in _FORMATS:
        if pattern.match(text):
            if fmt is None:
                return _iso_datetime(text)
            return _strptime(text, fmt)
    raise FieldError(
        BAD_DATE,
        say(
            "it is not a date in a known form (2026-11-02, 2.11.2026 or 2026/11/02); "
            "declare date_format in a mapping file"
        ),
    )


def _strptime(text: str, fmt: str) -> date:
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        example = date(2026, 11, 2).strftime(fmt)
        raise FieldError(
            BAD_DATE,
            say(
                "it is not a real date; write it like {example} ({form})",
                example=example,
                form=_human(fmt),
            ),
        ) from None


def _iso_datetime(text: str) -> date:
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise FieldError(
            BAD_DATE, say("it is not a real date and time; check the export")
        ) from None


def _human(fmt: str) -> str:
    """'%d.%m.%Y' -> 'dd.mm.yyyy', the way the format is shown to a person."""
    for code, shown in (("%Y", "yyyy"), ("%y", "yy"), ("%m", "mm"), ("%d", "dd")):
        fmt = fmt.replace(code, shown)
    return fmt
