"""Duplicates: within one file, and against what earlier runs sent (the journal).

A bank transaction is known by its archive id where the export has one. Without one it is
known by a fingerprint of date, amount, reference and payer, counted by occurrence: the second
identical row of a file is fingerprint "#2", so two genuine identical payments stay two, and an
overlapping export finds both again (prior-art.md section 3, item 9; bank-formats.md pitfall 14).

- the same archive id twice in a file: the second is skipped, `duplicate-in-file`;
- a row the journal knows: skipped `already-registered` (or how it ended), naming when;
- a second identical row without an archive id to tell them apart, new to the journal:
  `possible-duplicate`, sent only with Rules.allow_identical;
- a row whose fingerprint matches a payment registered from an export of the other kind (with
  archive ids against without): `possible-duplicate`, since nothing proves it is the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from importer import json_decimal
from importer.errors import FieldError
from importer.journal import Entry, Journal
from importer.models import Outcome, Payment, RowResult
from importer.problems import (
    ALREADY_REGISTERED,
    ANSWERED_EARLIER,
    ARCHIVE_ID_REUSED,
    DUPLICATE_IN_FILE,
    POSSIBLE_DUPLICATE,
    SENT_WHOLE_EARLIER,
    UNANSWERED_EARLIER,
)
from importer.references import parse_reference
from importer.said import Said, say
from importer.validation import Valid


@dataclass(frozen=True)
class Keys:
    """How the journal knows one row: its key, and its occurrence-aware fingerprint."""

    key: str  # "archive:<id>" or "fingerprint:<hash>[#n]"
    fingerprint: str  # "<hash>" or "<hash>#n"
    repeats: int | None = None  # without an archive id: the line this row is identical to

    @property
    def archived(self) -> bool:
        return self.key.startswith("archive:")


def fingerprint(payment: Payment, payer: str) -> str:
    """A hash of the payment's identity (see `identity`)."""
    return hashlib.sha256("|".join(identity(payment, payer)).encode("utf-8")).hexdigest()[:32]


def identity(payment: Payment, payer: str) -> tuple[str, str, str, str]:
    """The payment's identifier (references in one canonical form, so RF and domestic forms
    agree), date, amount and payer, case and spacing ignored: what the fingerprint hashes."""
    identifier = str(payment.billcode or payment.jobid or payment.billnum)
    if payment.billcode:
        identifier = reference_identity(payment.billcode)
    if payment.creditnotebillnum:  # a credit note registered on the invoice, not a payment
        identifier += f" credit note {payment.creditnotebillnum}"
    return (
        identifier.casefold(),
        payment.paydate.isoformat(),
        str(payment.amount),
        payer_identity(payer),
    )


def payer_identity(payer: str) -> str:
    """A payer as the fingerprint compares it: case and spacing ignored."""
    return " ".join(payer.split()).casefold()


def reference_identity(billcode: str) -> str:
    """A reference in the one form both of its spellings share."""
    try:
        reference = parse_reference(billcode)
    except FieldError:  # only valid references reach a payment; keep it as it is
        return billcode
    return reference.domestic or reference.printed


def keys(valid: Valid, occurrence: int, first_line: int) -> Keys:
    """The row's keys: `occurrence` is how many rows of the file up to this one share its
    identity, `first_line` the first of them (engine/repeats.py counts them by grouping)."""
    base = fingerprint(valid.payment, valid.payer)
    counted = base if occurrence == 1 else f"{base}#{occurrence}"
    if valid.archive_id:
        return Keys(f"archive:{valid.archive_id}", counted)
    return Keys(f"fingerprint:{counted}", counted, first_line if occurrence > 1 else None)


def repeated_archive_id(valid: Valid, first_line: int) -> RowResult:
    """A row whose archive id an earlier row of the file has: the bank lists it twice."""
    return _result(
        valid,
        Outcome.SKIPPED,
        DUPLICATE_IN_FILE,
        say(
            "same archive id {archive_id} as line {line}: the bank lists one "
            "payment twice (overlapping exports joined?), so it is sent once",
            archive_id=valid.archive_id,
            line=first_line,
        ),
    )


def judge(
    valid: Valid, keys: Keys, journal: Journal | None, allow_identical: bool
) -> RowResult | None:
    """What an earlier run did with this row, or why it is held; None when it may be sent.

    The journal comes first: a repeated row that an earlier run registered is simply already
    registered; only a repeat new to the journal is held as a possible duplicate.
    """
    whole = _sent_whole(valid, journal)
    if whole is not None:
        return whole
    entry = journal.lookup(keys.key) if journal else None
    if entry is not None and entry.state != "waiting" and not _corrected(entry, valid.payment):
        return from_journal(valid, entry)
    if allow_identical:
        return None
    if keys.repeats is not None:
        return _result(
            valid,
            Outcome.INVALID,
            POSSIBLE_DUPLICATE,
            say(
                "same date, amount, reference and payer as line {line}, and no archive id tells "
                "them apart: not sent; if the bank really received both, run again with "
                "--allow-identical to send it",
                line=keys.repeats,
            ),
        )
    if journal is None:
        return None
    other = journal.lookup_fingerprint(keys.fingerprint, archived=not keys.archived)
    if other is None:
        return None
    state = say("registered") if other.state == "answered" else say("sent (answer unknown)")
    kind = (
        say("an export with archive ids")
        if other.key.startswith("archive:")
        else say("an export without archive ids")
    )
    return _result(
        valid,
        Outcome.INVALID,
        POSSIBLE_DUPLICATE,
        say(
            "same date, amount, reference and payer as a payment {state} on {when} from "
            "{where}, {kind}: probably the same payment, so it is not sent; check in Ropo One, "
            "and if it is another payment, run again with --allow-identical to send it",
            state=state,
            when=other.when,
            where=other.where,
            kind=kind,
        ),
    )


def _sent_whole(valid: Valid, journal: Journal | None) -> RowResult | None:
    """A part of a payment split by invoice, whose whole an earlier run (before payments were
    split) sent as one: sending the part now would register the money twice."""
    noted = valid.row.remittance
    if journal is None or noted is None or not noted.whole:
        return None
    entry = journal.lookup(f"archive:{noted.whole}")
    if entry is None or entry.state == "waiting":
        return None
    if entry.state == "answered" and entry.outcome == Outcome.REJECTED.value:
        return None  # never applied: the parts may go
    sent = _described(entry.request) if entry.request else say("its request was not recorded")
    ended = _ended(entry.outcome) if entry.outcome else say("no answer")
    return _result(
        valid,
        Outcome.INVALID,
        SENT_WHOLE_EARLIER,
        say(
            "an earlier run sent this whole payment (archive id {archive_id}) as one on "
            "{when} from {where} ({sent}; {ended}): it is not split now; check in Ropo One "
            "and move the amounts to the invoices by hand",
            archive_id=noted.whole,
            when=entry.when,
            where=entry.where,
            sent=sent,
            ended=ended,
        ),
    )


def from_journal(valid: Valid, entry: Entry) -> RowResult:
    """What this row's journal entry means: the row is not sent again."""
    payment = valid.payment
    if _other_payment(entry, payment):
        return _result(
            valid,
            Outcome.INVALID,
            ARCHIVE_ID_REUSED,
            say(
                "archive id {archive_id} was already used on {when} by another payment "
                "({where}: {sent}); two payments cannot share an archive id, so this one is not "
                "sent: check the export with the bank, and register it in Ropo One by hand if it "
                "is a real payment",
                archive_id=entry.key.removeprefix("archive:"),
                when=entry.when,
                where=entry.where,
                sent=_described(entry.request),
            ),
        )
    if entry.state == "sending" or entry.outcome == Outcome.UNKNOWN.value:
        what = (
            say("no answer was recorded")
            if entry.state == "sending"
            else say("the answer proved nothing ({message})", message=entry.message)
        )
        return _result(
            valid,
            Outcome.UNKNOWN,
            UNANSWERED_EARLIER,
            say(
                "sent on {when} from {where}, but {what}; {check}",
                when=entry.when,
                where=entry.where,
                what=what,
                check=check_text(payment),
            ),
        )
    if entry.outcome == Outcome.POSTED.value:
        result = _result(
            valid,
            Outcome.SKIPPED,
            ALREADY_REGISTERED,
            say("already registered on {when} from {where}", when=entry.when, where=entry.where),
        )
    else:
        answered = dict(when=entry.when, where=entry.where, message=entry.message)
        result = _result(
            valid,
            Outcome(entry.outcome or Outcome.REJECTED.value),
            ANSWERED_EARLIER,
            say(
                "answered on {when} from {where}: {message}; an unchanged row is not sent "
                "again: correct it (its reference, say) and import it again",
                **answered,
            )
            if entry.outcome == Outcome.REJECTED.value
            else say("answered on {when} from {where}: {message}", **answered),
        )
    result.response = entry.response
    return result


def _corrected(entry: Entry, payment: Payment) -> bool:
    """A row Ropo One rejected, now carrying another request: the user corrected it.

    A rejected payment was not applied, so sending the corrected one cannot apply it twice.
    """
    return (
        entry.state == "answered"
        and entry.outcome == Outcome.REJECTED.value
        and entry.request != json_decimal.dumps(payment.body())
    )


def _other_payment(entry: Entry, payment: Payment) -> bool:
    """An entry keyed by an archive id whose payment is not this one: the id was reused."""
    if not entry.key.startswith("archive:") or not entry.request:
        return False
    if entry.state == "answered" and entry.outcome == Outcome.REJECTED.value:
        return False  # a rejected row, since corrected: the same bank transaction
    sent = json_decimal.loads(entry.request)
    body = payment.body()
    return any(str(sent.get(name)) != str(body.get(name)) for name in IDENTITY_FIELDS)


IDENTITY_FIELDS = ("amount", "paydate", "billcode", "jobid", "billnum")


def _ended(outcome: str) -> Outcome | str:
    """An outcome as the journal recorded it, its name worded where it is one of ours."""
    return Outcome(outcome) if outcome in list(Outcome) else outcome


def _described(request: str) -> Said:
    sent = json_decimal.loads(request)
    invoice = next((f"{k} {sent[k]}" for k in ("billcode", "jobid", "billnum") if k in sent), "")
    return say(
        "{invoice}, amount {amount}, paydate {paydate}",
        invoice=invoice,
        amount=sent.get("amount"),
        paydate=sent.get("paydate"),
    )


def sent_text(payment: Payment) -> Said:
    """What a request registers, as one looks for it in Ropo One."""
    if payment.creditnotebillnum:
        return say(
            "credit note {number} of {amount} registered on it, dated {paydate}",
            number=payment.creditnotebillnum,
            amount=payment.amount,
            paydate=payment.paydate,
        )
    return say(
        "a payment of {amount} dated {paydate}", amount=payment.amount, paydate=payment.paydate
    )


def check_text(payment: Payment) -> Said:
    """What to check in Ropo One about a payment whose fate is unknown."""
    return say(
        "check in Ropo One whether {invoice} has {sent}, then record it with ropo-import resolve",
        invoice=invoice_of(payment),
        sent=sent_text(payment),
    )


def invoice_of(payment: Payment) -> Said:
    if payment.billcode:
        return say("the invoice with reference {reference}", reference=payment.billcode)
    if payment.jobid is not None:
        return say("job {jobid}", jobid=payment.jobid)
    return say("invoice {number}", number=payment.billnum)


def _result(valid: Valid, outcome: Outcome, code: str, message: str) -> RowResult:
    payment = valid.payment
    return RowResult(valid.row, outcome, code, message, payment=payment, amount=payment.cash)
