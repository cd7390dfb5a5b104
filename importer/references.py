"""Finnish reference numbers (7-3-1) and RF creditor references (ISO 11649).

A Finnish reference is 4 to 20 digits including its check digit; spaces and leading zeros are
not significant. An RF reference is "RF", two check digits and up to 21 letters or digits,
valid when its mod-97 remainder is 1. Sources: ../shared/docs/bank-formats.md section 4.

Ropo One's billcode holds at most 35 characters (the SEPA remittance reference's length); a
longer cell is refused as too long before any check, so no input makes the "did you mean"
search below slow: it looks only at references up to that length.

A reference that fails its check is never corrected: the message names the references that one
changed digit or two swapped neighbours would give, for a person to check against the invoice.
The 7-3-1 check catches every changed digit, but not a swap of two neighbours that differ by 5
(their weights differ by an even number): such a typo cannot be seen by any tool.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from importer.errors import CACHE, FieldError, remembered
from importer.foreign import foreign_kind
from importer.problems import (
    BAD_REFERENCE,
    FOREIGN_REFERENCE,
    MISSING_REFERENCE,
    REFERENCE_TOO_LONG,
)
from importer.said import Said, listed, say

_WEIGHTS = (7, 3, 1)
_PREFIX = re.compile(r"^(?:ref\s*[=:.]?|viite\s*[=:.]?|viitenumero\s*[=:.]?)\s*", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f'\u2019]+")
SHOWN_CANDIDATES = 6
MAX_REFERENCE = 35  # Ropo One's billcode; an RF reference has at most 25, a Finnish one 20
MAX_RF = 25  # ISO 11649: "RF", two check digits and up to 21 characters


@dataclass(frozen=True)
class Reference:
    """A valid reference: as printed (compact) and, where there is one, its domestic form."""

    printed: str  # digits without leading zeros, or "RF" + check digits + body
    domestic: str | None  # the Finnish reference: itself, or the body of an RF reference

    def to_send(self, domestic: bool) -> str:
        return self.domestic if domestic and self.domestic else self.printed


def finnish_check_digit(base: str) -> int:
    """The 7-3-1 check digit of the digits `base` (weights applied from the right)."""
    total = sum(int(d) * _WEIGHTS[i % 3] for i, d in enumerate(reversed(base)))
    return (10 - total % 10) % 10


@functools.lru_cache(maxsize=CACHE)
def is_finnish_reference(digits: str) -> bool:
    """True when `digits` (no spaces) is a valid Finnish reference, leading zeros allowed."""
    stripped = digits.lstrip("0")
    if not digits.isdigit() or not 4 <= len(stripped) <= 20:
        return False
    return finnish_check_digit(stripped[:-1]) == int(stripped[-1])


def rf_from_finnish(reference: str) -> str:
    """The RF form of a Finnish reference: RF + ISO 11649 check digits + the reference."""
    body = reference.lstrip("0")
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def compact(raw: str) -> str:
    """The reference without prefix, quotes, spaces or grouping; "rf" in capitals."""
    text = _PREFIX.sub("", raw.strip().strip("'\"").strip())
    text = _SPACES.sub("", text)
    return "RF" + text[2:] if text[:2].upper() == "RF" else text


@remembered
def parse_reference(raw: str) -> Reference:
    """The reference in `raw`, checked; FieldError when it is not valid: foreign-reference
    when it has the shape of another country's reference (foreign.py), else bad-reference."""
    text = compact(raw)
    if not text:
        raise FieldError(MISSING_REFERENCE, say("the reference is empty"))
    if len(text) > MAX_REFERENCE:
        raise FieldError(
            REFERENCE_TOO_LONG,
            say(
                "a reference has at most {most} characters (an RF reference "
                "{most_rf}, a Finnish one 20), this one has {count}; "
                "copy the reference from the invoice",
                most=MAX_REFERENCE,
                most_rf=MAX_RF,
                count=f"{len(text):,}",
            ),
        )
    if text.startswith("RF"):
        return _rf(text.upper())
    if text.isdigit() and is_finnish_reference(text):
        return Reference(text.lstrip("0"), text.lstrip("0"))
    foreign = foreign_kind(text)
    if foreign is not None:
        raise FieldError(
            FOREIGN_REFERENCE,
            say(
                "{kind}, not a Finnish or RF reference; Ropo One invoices use Finnish or RF "
                "references: check the invoice, or register the payment by hand",
                kind=foreign,
            ),
        )
    if not text.isdigit():
        raise FieldError(
            BAD_REFERENCE,
            say(
                "a Finnish reference has only digits and an RF reference starts with RF; "
                "copy the reference from the invoice"
            ),
        )
    stripped = text.lstrip("0")
    if not 4 <= len(stripped) <= 20:
        zeros = len(text) - len(stripped)
        if zeros:
            raise FieldError(
                BAD_REFERENCE,
                say(
                    "a Finnish reference has 4 to 20 digits, this one has {count} ({zeros} of "
                    "them leading zeros, which do not count); copy the reference from the invoice",
                    count=len(text),
                    zeros=zeros,
                ),
            )
        raise FieldError(
            BAD_REFERENCE,
            say(
                "a Finnish reference has 4 to 20 digits, this one has {count}; "
                "copy the reference from the invoice",
                count=len(text),
            ),
        )
    raise FieldError(
        BAD_REFERENCE, say("its check digit is wrong (7-3-1 check){hint}", hint=_hint(stripped))
    )


def normalise_reference(raw: str, domestic: bool = False) -> str:
    """The reference as it is sent as billcode; `domestic` turns RF+Finnish into Finnish."""
    return parse_reference(raw).to_send(domestic)


def candidates(text: str) -> tuple[list[str], list[str]]:
    """Valid references one typo away from `text`: (neighbours swapped, one digit changed);
    none for a text longer than any reference, so the search stays short."""
    if len(text) > MAX_REFERENCE:
        return [], []
    if text.isascii() and text.isdigit():
        return _finnish_candidates(text)
    valid = iso11649.is_valid if text.startswith("RF") else is_finnish_reference
    start = 2 if text.startswith("RF") else 0
    swaps, changes = [], []
    for i in range(start, len(text) - 1):
        if text[i] != text[i + 1]:
            swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
            if valid(swapped) and not swapped.startswith("0"):
                swaps.append(swapped)
    for i in reversed(range(start, len(text))):  # the check digit first: the likeliest slip
        if not text[i].isdigit():
            continue
        for digit in "0123456789":
            changed = text[:i] + digit + text[i + 1 :]
            if digit != text[i] and valid(changed) and not changed.startswith("0"):
                changes.append(changed)
    return swaps, changes


def _finnish_candidates(text: str) -> tuple[list[str], list[str]]:
    """The Finnish references two swapped neighbours or one changed digit away from `text`.

    The 7-3-1 sum is linear and every weight is invertible modulo 10, so a swap is checked by
    its change to the sum, and each position has exactly one digit that makes the sum right.
    """
    if not 4 <= len(text) <= 20:
        return [], []
    digits = [int(d) for d in text]
    # Weights from the left: the check digit (last) counts once, then 7, 3, 1 leftwards.
    weights = [_WEIGHTS[(len(text) - 2 - i) % 3] for i in range(len(text) - 1)] + [1]
    total = sum(d * w for d, w in zip(digits, weights, strict=True))
    swaps = []
    for i in range(len(text) - 1):
        a, b = digits[i], digits[i + 1]
        moved = (b - a) * weights[i] + (a - b) * weights[i + 1]
        if a != b and (total + moved) % 10 == 0 and not (i == 0 and b == 0):
            swaps.append(text[:i] + text[i + 1] + text[i] + text[i + 2 :])
    changes = []
    for i in reversed(range(len(text))):  # the check digit first: the likeliest slip
        digit = (digits[i] - total * _INVERSE[weights[i]]) % 10
        if digit != digits[i] and not (i == 0 and digit == 0):
            changes.append(text[:i] + str(digit) + text[i + 1 :])
    return swaps, changes


_INVERSE = {1: 1, 3: 7, 7: 3}  # the weights' inverses modulo 10


def _rf(text: str) -> Reference:
    if len(text) > MAX_RF:
        raise FieldError(
            BAD_REFERENCE,
            say(
                "an RF reference has at most {most} characters, this one has {count}; "
                "copy the reference from the invoice",
                most=MAX_RF,
                count=len(text),
            ),
        )
    if not iso11649.is_valid(text):
        raise FieldError(
            BAD_REFERENCE,
            say(
                "it is not a valid RF creditor reference (ISO 11649 check){hint}", hint=_hint(text)
            ),
        )
    body = text[4:].lstrip("0")
    domestic = body if body.isdigit() and is_finnish_reference(body) else None
    return Reference(text, domestic)


@functools.lru_cache(maxsize=CACHE)
def _hint(text: str) -> Said:
    """'; did you mean ...?' naming the candidates, then what to do."""
    swaps, changes = candidates(text)
    named: list[str] = [say("{reference} (digits swapped)", reference=swap) for swap in swaps]
    named += changes[: max(0, SHOWN_CANDIDATES - len(named))]
    if not named:
        return say("; check it against the invoice: nothing is posted to a guessed reference")
    more = len(swaps) + len(changes) - len(named)
    if more > 0:
        return say(
            "; did you mean {references} (or {more} more one digit away)? Check it against the "
            "invoice: nothing is posted to a guessed reference",
            references=listed(named),
            more=more,
        )
    return say(
        "; did you mean {references}? Check it against the invoice: nothing is posted to a "
        "guessed reference",
        references=listed(named),
    )
