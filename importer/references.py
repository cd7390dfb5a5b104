"""Finnish reference numbers (7-3-1) and RF creditor references (ISO 11649).

A Finnish reference is 4 to 20 digits including its check digit; spaces and leading zeros are
not significant. An RF reference is "RF", two check digits and up to 21 letters or digits,
valid when its mod-97 remainder is 1. Sources: ../shared/docs/bank-formats.md section 4.
"""

from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.exceptions import ValidationError

from importer.errors import FieldError

_WEIGHTS = (7, 3, 1)
_PREFIX = re.compile(r"^(?:ref\s*[=:]?|viite\s*[=:]?)\s*", re.IGNORECASE)


def finnish_check_digit(base: str) -> int:
    """The 7-3-1 check digit of the digits `base` (weights applied from the right)."""
    total = sum(int(d) * _WEIGHTS[i % 3] for i, d in enumerate(reversed(base)))
    return (10 - total % 10) % 10


def is_finnish_reference(digits: str) -> bool:
    """True when `digits` (no spaces) is a valid Finnish reference, leading zeros allowed."""
    stripped = digits.lstrip("0")
    if not digits.isdigit() or not 4 <= len(stripped) <= 20:
        return False
    return finnish_check_digit(stripped[:-1]) == int(stripped[-1])


def normalise_reference(raw: str) -> str:
    """The reference as Ropo One stores a billcode: no prefix, no spaces, no leading zeros.

    Raises FieldError when the text is not a valid Finnish or RF reference.
    """
    text = _PREFIX.sub("", raw.strip().strip("'\"")).replace(" ", "").replace("\u00a0", "")
    if not text:
        raise FieldError("missing-reference", "the reference is empty")
    if text[:2].upper() == "RF":
        compact = text.upper()
        try:
            return str(iso11649.validate(compact))
        except ValidationError:
            raise FieldError(
                "bad-reference",
                "it is not a valid RF creditor reference (ISO 11649 check failed); "
                "check it against the invoice",
            ) from None
    if not text.isdigit():
        raise FieldError(
            "bad-reference",
            "a Finnish reference has only digits and an RF reference starts with RF",
        )
    stripped = text.lstrip("0")
    if not 4 <= len(stripped) <= 20:
        raise FieldError(
            "bad-reference",
            f"a Finnish reference has 4 to 20 digits, this one has {len(stripped)}",
        )
    if not is_finnish_reference(stripped):
        raise FieldError(
            "bad-reference",
            "its check digit is wrong (7-3-1 check failed); check it against the invoice",
        )
    return stripped
