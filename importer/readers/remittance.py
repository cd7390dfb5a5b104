"""A payment's structured remittance (camt `RmtInf/Strd`): which invoices it pays, and which
credit notes the payer deducted.

A corporate payer's remittance lists documents: invoices (`CINV`, or a creditor reference) with
the amount each settles, and credit notes (`CREN`) with their `CdtNoteAmt`. The cash that
arrived is the invoices less the credit notes. How a payment becomes rows:

- one invoice, no credit notes (what almost every Finnish payment is): one row, as always;
- one invoice and credit notes, sums agree: one row of the cash for the invoice, carrying the
  credit notes, then one row per credit note that registers it on the invoice, which moves no
  money and is sent only with `--credit-notes send`;
- several invoices, no credit notes, sums agree: one row per invoice with its own amount;
- anything else (sums that disagree, an amount missing, unreadable, zero or below or in
  another currency, a credit note listed twice, credit notes beside several invoices, which
  does not say which invoice each one reduces, several invoices without an archive id to keep
  the parts apart from run to run): one `invalid` row whose message lists the figures as
  written. Never guessed, never split by proportion.

A credit note without its number is named on the payment but never registered. The reader
(camt.py) never splits a payment the company made (DBIT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from importer import problems
from importer.models import CreditNote, Outcome, Remittance, Verdict
from importer.said import Said, say

SUMS_DISAGREE = problems.REMITTANCE_SUMS_DISAGREE
AMOUNT_MISSING = problems.REMITTANCE_AMOUNT_MISSING
AMOUNT_UNUSABLE = problems.REMITTANCE_AMOUNT_UNUSABLE
WHICH_INVOICE = problems.CREDIT_NOTE_WHICH_INVOICE
REPEATED = problems.CREDIT_NOTE_REPEATED
NO_ARCHIVE_ID = problems.REMITTANCE_WITHOUT_ARCHIVE_ID
# An amount as ISO 20022 writes one: digits and a point. Not "1234,56", not "1e5000" (which
# Decimal would take, and print as five thousand digits).
_PLAIN = re.compile(r"-?\d{1,15}(\.\d{1,9})?")


@dataclass(frozen=True)
class Document:
    """One `Strd` block, amounts as written ("" when the block has none)."""

    credit_note: bool
    reference: str = ""  # CdtrRefInf/Ref
    number: str = ""  # RfrdDocInf/Nb
    remitted: str = ""  # RmtdAmt
    due: str = ""  # DuePyblAmt
    deducted: str = ""  # CdtNoteAmt
    discount: str = ""  # DscntApldAmt: a cash discount the payer took
    currencies: tuple[str, ...] = ()  # the Ccy of each amount given

    @property
    def amount(self) -> Decimal | None:
        """What this document settles: a credit note's amount, or the invoice's share (what
        was remitted for it, else what was due less the discount and its own credit note)."""
        if self.credit_note:
            return _decimal(self.deducted or self.remitted)
        if self.remitted:
            return _decimal(self.remitted)
        due = _decimal(self.due)
        less = [_decimal(text) for text in (self.discount, self.deducted) if text]
        if due is None or None in less:
            return None
        return due - sum((x for x in less if x is not None), Decimal("0"))

    def unusable(self, currency: str) -> Said | None:
        """Why this document's amount cannot be used, or None."""
        fields = (
            [("CdtNoteAmt", self.deducted), ("RmtdAmt", self.remitted)]
            if self.credit_note
            else [
                ("RmtdAmt", self.remitted),
                ("DuePyblAmt", self.due),
                ("DscntApldAmt", self.discount),
                ("CdtNoteAmt", self.deducted),
            ]
        )
        for name, raw in fields:
            if raw and _decimal(raw) is None:
                return say(
                    "{document} has {name} {value}, which is not an amount like 1234.56",
                    document=self.named,
                    name=name,
                    value=_shown(raw),
                )
        other = sorted({c for c in self.currencies if c and currency and c != currency})
        if other:
            return say(
                "{document} is in {currencies}, the payment in {currency}",
                document=self.named,
                currencies=tuple(other),
                currency=currency,
            )
        amount = self.amount
        if amount is not None and amount <= 0:
            return say(
                "{document} comes to {amount}; a document's amount is above zero",
                document=self.named,
                amount=_cents(amount),
            )
        return None

    @property
    def named(self) -> Said:
        if self.credit_note:
            if self.reference:
                return say("credit note reference {reference}", reference=self.reference)
            if self.number:
                return say("credit note {number}", number=self.number)
            return say("credit note without a number")
        if self.reference:
            return say("invoice reference {reference}", reference=self.reference)
        if self.number:
            return say("invoice {number}", number=self.number)
        return say("invoice without a number")

    def said(self) -> Said:
        """Its name and amount, as a message lists it."""
        amount = self.amount
        if amount is None:
            return say("{document} (no amount)", document=self.named)
        return say("{document} {amount}", document=self.named, amount=_cents(amount))

    def __str__(self) -> str:
        return str(self.said())


@dataclass(frozen=True)
class Part:
    """One row a payment becomes."""

    amount: str
    reference: str
    number: str
    archive: str
    remittance: Remittance | None = None
    credit_note: str = ""  # the number of the credit note this row registers


def describe(documents: list[Document]) -> str:
    """The documents in words, for the workbook's Remittance column."""
    return "; ".join(str(d) for d in documents if _counts(d))


def says_more(documents: list[Document]) -> bool:
    """More than a plain payment's one reference: amounts, credit notes or several invoices."""
    named = [d for d in documents if _counts(d)]
    return len(named) > 1 or any(
        d.credit_note or d.remitted or d.due or d.deducted or d.discount for d in named
    )


def split(
    cash: str, documents: list[Document], archive: str, currency: str = ""
) -> list[Part] | Verdict | None:
    """The rows a payment of `cash` (in `currency`) becomes; None when its remittance changes
    nothing."""
    invoices = [d for d in documents if not d.credit_note and _counts(d)]
    notes = [d for d in documents if d.credit_note]
    if not notes and len(invoices) <= 1:
        return None
    paid = _decimal(cash)
    if paid is None:
        return None  # the row's own amount problem is reported on it
    needed = notes + (invoices if len(invoices) > 1 else invoices[:1] if notes else [])
    unusable = [why for d in needed if (why := d.unusable(currency))]
    if unusable:
        reasons = unusable[0]
        for reason in unusable[1:]:
            reasons = say("{reasons}; {reason}", reasons=reasons, reason=reason)
        return _invalid(
            AMOUNT_UNUSABLE,
            say(
                "the remittance cannot be used: {reasons}; not split by guess: register it by "
                "hand from the payer's remittance advice",
                reasons=reasons,
            ),
        )
    if not invoices or (notes and len(invoices) > 1):
        return _invalid(
            WHICH_INVOICE,
            say(
                "the payer deducted {notes} from {invoices}, without saying which invoice each "
                "credit note reduces; not split by guess: register it by hand from the payer's "
                "remittance advice",
                notes=_listed(notes),
                invoices=_listed(invoices) if invoices else say("no invoice"),
            ),
        )
    missing = [d for d in notes + (invoices if len(invoices) > 1 else []) if d.amount is None]
    if missing:
        return _invalid(
            AMOUNT_MISSING,
            say(
                "the remittance gives no amount for {documents}, so the payment of {paid} cannot "
                "be split by document; register it by hand from the payer's remittance advice",
                documents=tuple(d.named for d in missing),
                paid=_cents(paid),
            ),
        )
    if notes:
        return _credit_notes(paid, invoices[0], notes, archive)
    shares = [d.amount for d in invoices if d.amount is not None]
    if sum(shares, Decimal("0")) != paid:
        return _disagree(paid, invoices, [])
    if not archive:
        # Its parts could not be told from the whole payment an earlier run may have sent.
        return _invalid(
            NO_ARCHIVE_ID,
            say(
                "the payment of {paid} pays {invoices}, but it has no archive id to keep its "
                "parts apart from run to run, so it is not split; register it by hand from the "
                "payer's remittance advice",
                paid=_cents(paid),
                invoices=_listed(invoices),
            ),
        )
    count = len(invoices)
    return [
        Part(
            f"{share:.2f}",
            invoice.reference,
            invoice.number,
            f"{archive}/{n}",
            Remittance(whole=archive, part=f"invoice {n} of {count} in this payment"),
        )
        for n, (invoice, share) in enumerate(zip(invoices, shares, strict=True), start=1)
    ]


def _credit_notes(
    paid: Decimal, invoice: Document, notes: list[Document], archive: str
) -> list[Part] | Verdict:
    numbers = [n.number for n in notes if n.number]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        twice = [n.said() for n in notes if n.number in repeated]
        return _invalid(
            REPEATED,
            say(
                "the remittance lists credit note {numbers} more than once ({documents}); "
                "register it by hand from the payer's remittance advice",
                numbers=tuple(repeated),
                documents=tuple(twice),
            ),
        )
    credits = tuple(CreditNote(n.number, n.amount or Decimal("0")) for n in notes)
    deducted = sum((c.amount for c in credits), Decimal("0"))
    if invoice.amount is not None and invoice.amount - deducted != paid:
        return _disagree(paid, [invoice], notes)
    parts = [
        Part(
            f"{paid:.2f}",
            invoice.reference,
            invoice.number,
            archive,
            Remittance(credit_notes=credits),
        )
    ]
    # A credit note without its number is named on the payment, but cannot be registered.
    numbered = [credit for credit in credits if credit.number]
    for n, credit in enumerate(numbered, start=1):
        parts.append(
            Part(
                f"{credit.amount:.2f}",
                invoice.reference,
                invoice.number,
                f"{archive}/credit note {credit.number}" if archive else "",
                Remittance(credit_notes=credits, registers=credit, last=n == len(numbered)),
                credit_note=credit.number,
            )
        )
    return parts


def _disagree(paid: Decimal, invoices: list[Document], notes: list[Document]) -> Verdict:
    total = sum((d.amount or Decimal("0") for d in invoices), Decimal("0")) - sum(
        (d.amount or Decimal("0") for d in notes), Decimal("0")
    )
    adds = dict(paid=_cents(paid), total=_cents(total), invoices=_listed(invoices))
    if notes:
        return _invalid(
            SUMS_DISAGREE,
            say(
                "the payment is {paid} but its remittance adds up to {total} ({invoices} less "
                "{notes}); not split by guess: register it by hand from the payer's remittance "
                "advice",
                notes=_listed(notes),
                **adds,
            ),
        )
    return _invalid(
        SUMS_DISAGREE,
        say(
            "the payment is {paid} but its remittance adds up to {total} ({invoices}); not "
            "split by guess: register it by hand from the payer's remittance advice",
            **adds,
        ),
    )


def _listed(documents: list[Document]) -> tuple[Said, ...]:
    return tuple(d.said() for d in documents)


def _cents(amount: Decimal) -> Decimal:
    """An amount as the messages show it: to the cent."""
    return amount.quantize(Decimal("0.01"))


def _counts(document: Document) -> bool:
    """A block that names or amounts a document (not only free text)."""
    return bool(
        document.reference
        or document.number
        or document.remitted
        or document.due
        or document.deducted
        or document.discount
    )


def _invalid(code: str, message: str) -> Verdict:
    return Verdict(Outcome.INVALID, code, message)


def _decimal(text: str) -> Decimal | None:
    plain = text.strip()
    return Decimal(plain) if _PLAIN.fullmatch(plain) else None


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 24 else f"{raw[:16]}…{raw[-4:]}")
