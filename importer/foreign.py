"""References of other countries' payment systems, named so a refusal points the right way.

Ropo One invoices carry a Finnish (7-3-1) or RF (ISO 11649) reference; a payment from abroad
may quote its own country's reference instead. Such a value is never sent, but the message
says what it is rather than calling it a broken Finnish reference. Only shapes that cannot be
a Finnish reference are named: a 4-20 digit number that fails 7-3-1 may pass the Luhn check
by chance (one in ten), so it is left to the Finnish message and its "did you mean".

- Swiss QR reference (QRR): exactly 27 digits, the last a recursive mod-10 check digit
  (Swiss Payment Standards, "Swiss Implementation Guidelines for the QR-bill"; stdnum.ch.esr).
- Swedish OCR (bankgiro) reference: 2-25 digits, a Luhn mod-10 check digit (Bankgirot's OCR
  reference control); named here only above 20 digits.
- Norwegian KID: 2-25 digits, a Luhn mod-10 or a mod-11 check digit, "-" standing for 10
  (Nets' KID specification); named above 20 digits, or when it ends in "-".
- Danish payment slip code (FI-kort, "+71<...+creditor<"): the card type, the payment id
  and the 8-digit creditor number; named by its shape, its check digit not checked.
"""

from __future__ import annotations

import re

from stdnum import luhn
from stdnum.ch import esr

from importer.said import Said, say

SWISS_QR_DIGITS = 27
NORDIC_DIGITS = (21, 25)  # above Finnish references' 20, up to OCR and KID's 25
_DANISH = re.compile(r"^\+?(01|04|15|41|71|73|75)<(\d*)\+(\d{8})<?$")


def foreign_kind(text: str) -> Said | None:
    """What foreign reference `text` (compact: no spaces) looks like, with its digit count
    as written and whether its check digit holds; None when it has no such shape."""
    if text.isascii() and text.isdigit():
        return _digits_kind(text)
    if text.endswith("-") and text[:-1].isascii() and text[:-1].isdigit():
        count = len(text) - 1
        if 1 <= count <= NORDIC_DIGITS[1] - 1 and mod11_check(text[:-1]) == "-":
            return say(
                "a Norwegian KID ({count} digits and '-', its mod-11 check digit holds)",
                count=count,
            )
        return None
    danish = _DANISH.match(text)
    if danish:
        card, payment_id, creditor = danish.groups()
        if payment_id:
            return say(
                "a Danish payment slip code (+{card}, payment id of {count} digits, "
                "creditor {creditor})",
                card=card,
                count=len(payment_id),
                creditor=creditor,
            )
        return say(
            "a Danish payment slip code (+{card}, creditor {creditor})",
            card=card,
            creditor=creditor,
        )
    return None


def _digits_kind(digits: str) -> Said | None:
    if len(digits) == SWISS_QR_DIGITS:
        if esr.is_valid(digits):
            return say("a Swiss QR reference (27 digits, its recursive mod-10 check digit holds)")
        return say("a Swiss QR reference (27 digits, its recursive mod-10 check digit fails)")
    if not NORDIC_DIGITS[0] <= len(digits.lstrip("0")) <= NORDIC_DIGITS[1]:
        return None
    mod10, mod11 = luhn.is_valid(digits), mod11_check(digits[:-1]) == digits[-1]
    count = len(digits)
    if mod10 and mod11:
        return say(
            "a Swedish OCR or Norwegian KID ({count} digits, its mod-10 and mod-11 checks hold)",
            count=count,
        )
    if mod10:
        return say(
            "a Swedish OCR or Norwegian KID ({count} digits, its Luhn mod-10 check holds)",
            count=count,
        )
    if mod11:
        return say("a Norwegian KID ({count} digits, its mod-11 check digit holds)", count=count)
    return None


def mod11_check(base: str) -> str:
    """The mod-11 check digit of `base` (weights 2 to 7 from the right); "-" for 10."""
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(base)))
    check = (11 - total % 11) % 11
    return "-" if check == 10 else str(check)
