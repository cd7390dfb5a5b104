"""Amounts as written in bank exports -> exact Decimal.

Accepted: decimal comma or point; thousands grouped by space, no-break space, apostrophe, or by
the other mark when the value also has a decimal part ("1.234,56"); a leading or trailing minus,
parentheses, an explicit "+". A value that could mean two things ("1.234" in a file whose decimal
mark is a comma) is refused, never guessed.

An amount beyond MAX_AMOUNT is refused too (amount-too-large), whatever its sign.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from importer.errors import FieldError, remembered
from importer.problems import (
    AMBIGUOUS_AMOUNT,
    AMOUNT_TOO_LARGE,
    BAD_AMOUNT,
    MISSING_AMOUNT,
    TOO_MANY_DECIMALS,
)
from importer.said import say

# Characters that only ever group thousands in the exports we read.
GROUPING = "\u0020\u00a0\u202f\u2009'\u2019"
MINUS = "-\u2212"
_DIGITS_AND_MARKS = re.compile(r"^[0-9.,]+$")
_GROUPED = re.compile(r"^[0-9]{1,3}(?:[.,][0-9]{3})+$")
# The largest amount read, 10**15 - 1 cents (below 2**53). Ropo One documents the amount only
# as a JSON number, and JSON readers commonly hold numbers as binary doubles, which keep 15
# significant digits exact: up to this ceiling an amount reaches Ropo One as written, beyond
# it perhaps not. Spreadsheets keep 15 digits too, and integer cents stay far inside int64.
MAX_AMOUNT = Decimal("9999999999999.99")
MAX_CENTS = int(MAX_AMOUNT.scaleb(2))


def infer_decimal_mark(values: Iterable[str]) -> str | None:
    """The decimal mark a column uses, judged from values with one or two decimals.

    Returns "," or "." when the column is consistent, None when it has no evidence.
    """
    votes = {",": 0, ".": 0}
    for value in values:
        match = re.search(r"([.,])[0-9]{1,2}\)?-?\s*$", value.strip())
        if match:
            votes[match.group(1)] += 1
    if votes[","] and not votes["."]:
        return ","
    if votes["."] and not votes[","]:
        return "."
    return None


@remembered
def parse_amount(
    raw: str, decimal_mark: str | None = None, thousands: str | None = None
) -> Decimal:
    """Parse one amount. `decimal_mark` is "," or "." when the file or profile declares it;
    `thousands` is the thousands separator the profile declares, if any."""
    text = raw.strip().strip('"').strip()
    if not text:
        raise FieldError(
            MISSING_AMOUNT, say("the amount is empty; copy it from the bank statement")
        )
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text[0] in MINUS:
        negative, text = not negative, text[1:].strip()
    elif text[0] == "+":
        text = text[1:].strip()
    elif text[-1] in MINUS:
        negative, text = not negative, text[:-1].strip()
    for char in GROUPING:
        text = text.replace(char, "")
    if not text or not _DIGITS_AND_MARKS.match(text):
        raise FieldError(BAD_AMOUNT, say("it is not a number: write it like 1234,56 or 1234.56"))
    if thousands in (".", ",") and thousands != decimal_mark:
        integer, mark, fraction = text.partition(decimal_mark or "\0")
        if thousands in integer:
            integer = _ungroup(integer)
        text = integer + mark + fraction
    value = checked_size(Decimal(_canonical(text, decimal_mark)))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise FieldError(
            TOO_MANY_DECIMALS,
            say(
                "it has more than two decimals; a euro amount has at most two: check the "
                "amount on the bank statement"
            ),
        )
    return -value if negative else value


def checked_size(value: Decimal) -> Decimal:
    """`value`, or FieldError (amount-too-large) when it is beyond MAX_AMOUNT either way."""
    if not value.is_finite():
        raise FieldError(BAD_AMOUNT, say("it is not a number: write it like 1234,56 or 1234.56"))
    if value.copy_abs() <= MAX_AMOUNT:  # copy_abs is exact: abs() would round to 28 digits
        return value
    raise FieldError(
        AMOUNT_TOO_LARGE,
        # MAX_AMOUNT written out, so each language groups its digits its own way
        say(
            "it is more than 9 999 999 999 999.99 euro, the largest amount that reaches Ropo "
            "One exactly; check the amount on the bank statement"
        ),
    )


def _canonical(text: str, decimal_mark: str | None) -> str:
    """Digits and marks -> "1234.56", or FieldError when the meaning is not certain."""
    marks = [c for c in text if c in ".,"]
    if not marks:
        return text
    last = text.rfind(marks[-1])
    integer, fraction = text[:last], text[last + 1 :]
    if len(set(marks)) == 2:
        # "1.234,56" / "1,234.56": the last mark is the decimal mark, the other groups.
        if decimal_mark and marks[-1] != decimal_mark:
            raise _ambiguous(decimal_mark)
        return _ungroup(integer) + "." + _check_fraction(fraction)
    mark = marks[0]
    if decimal_mark is None:
        if len(marks) == 1 and len(fraction) != 3:
            return integer + "." + _check_fraction(fraction)
        raise FieldError(
            AMBIGUOUS_AMOUNT,
            say(
                "'{mark}' could be a decimal mark or a thousands separator; "
                "declare the file's decimal mark in its profile (decimal_mark)",
                mark=mark,
            ),
        )
    if mark == decimal_mark:
        if len(marks) > 1:
            raise FieldError(
                BAD_AMOUNT,
                say(
                    "it has the decimal mark '{mark}' twice; write it like 1234{mark}56", mark=mark
                ),
            )
        return (integer or "0") + "." + _check_fraction(fraction)
    raise _ambiguous(decimal_mark)


def _ambiguous(decimal_mark: str) -> FieldError:
    other = "." if decimal_mark == "," else ","
    return FieldError(
        AMBIGUOUS_AMOUNT,
        say(
            "the file's decimal mark is '{mark}', so '{other}' here could be a "
            "thousands separator or a mistake; write the amount without it, or declare "
            "thousands = '{other}' in the profile",
            mark=decimal_mark,
            other=other,
        ),
    )


def _ungroup(integer: str) -> str:
    if not _GROUPED.match(integer) and not integer.isdigit():
        raise FieldError(
            BAD_AMOUNT, say("its thousands are not grouped by three; write it without separators")
        )
    return integer.replace(".", "").replace(",", "")


def _check_fraction(fraction: str) -> str:
    if not fraction.isdigit():
        raise FieldError(
            BAD_AMOUNT, say("nothing follows the decimal mark; write the cents, like 12,00")
        )
    return fraction
