"""Every code a row can end with, once: its outcome, what to do, whether it needs attention.

A row's `code` says why it ended as it did; the README's table under "What is checked" lists
the same codes with the same outcomes and the same advice, and tests/test_problems.py holds
the two together. Modules take a code from here (`problems.BAD_REFERENCE`), never write it
as a string of their own, so a code cannot drift from its outcome or from the README.

Also here, because each is a rule about problems and was written several times before: the
outcomes that need the accountant (NEEDS_WORK, ATTENTION_CODES, to_act_on), money Ropo One
could not allocate (unfocused), and the one translation of a pydantic error into words
(refusal, explain): config files, profile files and payments all go through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only their types: importing the codes must stay cheap
    from pydantic import ValidationError

    from importer.i18n import Words


class Outcome(StrEnum):
    """What happened to a source row. Every row ends with exactly one."""

    POSTED = "posted"  # Ropo One registered it (statusid 6)
    REJECTED = "rejected"  # Ropo One answered with another statusid or an error
    INVALID = "invalid"  # not sent: it failed validation
    SKIPPED = "skipped"  # not sent on purpose: outgoing, duplicate, already registered
    UNKNOWN = "unknown"  # sent, but whether Ropo One registered it cannot be known


# Rows with these outcomes need the accountant, whatever their code (the exit code 2, the
# terminal's list, the workbook's Needs attention).
NEEDS_WORK = (Outcome.REJECTED, Outcome.INVALID, Outcome.UNKNOWN)
# Rows whose request went to Ropo One (answered, or sent without an answer that proves anything).
WENT_OUT = (Outcome.POSTED, Outcome.REJECTED, Outcome.UNKNOWN)


@dataclass(frozen=True)
class Code:
    """One code: the outcome a row with it ends with, and what the accountant does about it.

    `name` is the code itself, or a family's name (`status-N`) with `pattern` matching each
    of its codes. `attention` marks a code whose rows need the accountant although their
    outcome alone would not say so (a posted payment whose credit note is still open).
    """

    name: str
    outcome: Outcome
    todo: str
    attention: bool = False
    pattern: re.Pattern[str] | None = None

    @property
    def needs_attention(self) -> bool:
        return self.outcome in NEEDS_WORK or self.attention


CODES: dict[str, Code] = {}


def _code(name: str, outcome: Outcome, todo: str, *, attention: bool = False) -> str:
    CODES[name] = Code(name, outcome, todo, attention)
    return name


def _family(name: str, pattern: str, outcome: Outcome, todo: str) -> str:
    CODES[name] = Code(name, outcome, todo, pattern=re.compile(pattern))
    return name


def lookup(code: str) -> Code | None:
    """The registry's entry for `code`, a family's for one of its codes; None if unknown."""
    entry = CODES.get(code)
    if entry is not None:
        return entry
    return next((c for c in CODES.values() if c.pattern and c.pattern.fullmatch(code)), None)


# What to do, one line per kind of problem (the README's "what to do" column).
_REFERENCE = "correct the reference from the invoice"
_AMOUNT = "fix the amount or declare the profile's marks"
_IDENTIFIER = "copy the identifier from the invoice"
_SPLIT = "the payer's remittance does not say how to split the payment: register it by hand"
_DATE = "fix the date or the profile's `date_format`"
_WINDOW = "check the export; `--allow-future`, `--max-age DAYS`"
_BY_HAND = "register by hand, or fix the export"
_NOTHING = "nothing"
_SENT_BACK = (
    "a payment sent back or cancelled by the bank: if its original was registered, cancel it "
    "in Ropo One by hand"
)
_STATUS = "see the statusid's meaning in the message"
_CHECK = "check in Ropo One, then `ropo-import resolve`"
_REGISTERED = "nothing; an `unfocused` amount is an overpayment to refund or allocate by hand"
# A registered row's own advice when its answer shows an amount left over.
OVERPAID_TODO = (
    "registered; the `unfocused` amount is an overpayment: refund it or allocate it by hand"
)

# References and identifiers
BAD_REFERENCE = _code("bad-reference", Outcome.INVALID, _REFERENCE)
MISSING_REFERENCE = _code("missing-reference", Outcome.INVALID, _REFERENCE)
FOREIGN_REFERENCE = _code(
    "foreign-reference",
    Outcome.INVALID,
    "the reference is a Swiss QR reference, a Swedish OCR number, a Norwegian KID or a Danish "
    "payment slip code, not a Finnish or RF one: check the invoice, or register the payment "
    "by hand",
)
SEVERAL_INVOICES = _code(
    "several-invoices", Outcome.INVALID, "the message names several invoices: split it by hand"
)
REFERENCE_IN_MESSAGE_UNCLEAR = _code(
    "reference-in-message-unclear",
    Outcome.INVALID,
    "the message names several references, or one that fails its check: add the invoice's "
    "reference to the row",
)
REFERENCE_TOO_LONG = _code("reference-too-long", Outcome.INVALID, _IDENTIFIER)
BILLNUM_TOO_LONG = _code("billnum-too-long", Outcome.INVALID, _IDENTIFIER)
BAD_JOBID = _code("bad-jobid", Outcome.INVALID, _IDENTIFIER)
REFERENCE_AS_NUMBER = _code("reference-as-number", Outcome.INVALID, _BY_HAND)
MISSING_VALUE = _code(
    "missing-value",
    Outcome.INVALID,
    "the profile maps no column to a field the payment needs: fix the profile",
)
BAD_PAYMENT = _code(
    "bad-payment",
    Outcome.INVALID,
    "the payment breaks a rule of Ropo One's request: fix the row by hand",
)

# Amounts
BAD_AMOUNT = _code("bad-amount", Outcome.INVALID, _AMOUNT)
AMBIGUOUS_AMOUNT = _code("ambiguous-amount", Outcome.INVALID, _AMOUNT)
TOO_MANY_DECIMALS = _code("too-many-decimals", Outcome.INVALID, _AMOUNT)
MISSING_AMOUNT = _code("missing-amount", Outcome.INVALID, _AMOUNT)
AMOUNT_TOO_LARGE = _code("amount-too-large", Outcome.INVALID, _AMOUNT)
NOT_EURO = _code("not-euro", Outcome.INVALID, _BY_HAND)

# Dates
BAD_DATE = _code("bad-date", Outcome.INVALID, _DATE)
MISSING_DATE = _code("missing-date", Outcome.INVALID, _DATE)
FUTURE_DATE = _code("future-date", Outcome.INVALID, _WINDOW)
OLD_DATE = _code("old-date", Outcome.INVALID, _WINDOW)

# The file's shape and the bank's own records
RAGGED_ROW = _code("ragged-row", Outcome.INVALID, _BY_HAND)
UNMATCHED_CORRECTION = _code("unmatched-correction", Outcome.INVALID, _BY_HAND)
OUTGOING = _code("outgoing", Outcome.SKIPPED, _NOTHING)
ZERO_AMOUNT = _code("zero-amount", Outcome.SKIPPED, _NOTHING)
PENDING = _code("pending", Outcome.SKIPPED, _NOTHING)
DIRECT_DEBIT = _code("direct-debit", Outcome.SKIPPED, _NOTHING)
DIRECT_DEBIT_FAILED = _code("direct-debit-failed", Outcome.SKIPPED, _NOTHING)
CORRECTION = _code("correction", Outcome.SKIPPED, _NOTHING)
CORRECTED = _code("corrected", Outcome.SKIPPED, _NOTHING)
RETURNED = _code("returned", Outcome.SKIPPED, _SENT_BACK)
REVERSAL = _code("reversal", Outcome.SKIPPED, _SENT_BACK)

# Structured remittance (camt): credit notes and several invoices
REMITTANCE_SUMS_DISAGREE = _code("remittance-sums-disagree", Outcome.INVALID, _SPLIT)
REMITTANCE_AMOUNT_MISSING = _code("remittance-amount-missing", Outcome.INVALID, _SPLIT)
REMITTANCE_AMOUNT_UNUSABLE = _code("remittance-amount-unusable", Outcome.INVALID, _SPLIT)
CREDIT_NOTE_WHICH_INVOICE = _code("credit-note-which-invoice", Outcome.INVALID, _SPLIT)
CREDIT_NOTE_REPEATED = _code("credit-note-repeated", Outcome.INVALID, _SPLIT)
REMITTANCE_WITHOUT_ARCHIVE_ID = _code("remittance-without-archive-id", Outcome.INVALID, _SPLIT)
CREDIT_NOTE_OPEN = _code(
    "credit-note-open",
    Outcome.POSTED,
    "the payer deducted a credit note, and Ropo One still shows the invoice open: register "
    "the credit note (or `--credit-notes send`)",
    attention=True,
)
CREDIT_NOTE = _code(
    "credit-note",
    Outcome.SKIPPED,
    "a credit note the payer deducted, not registered: see `credit-note-open` on its payment",
)

# Duplicates, in the file and against the journal
DUPLICATE_IN_FILE = _code("duplicate-in-file", Outcome.SKIPPED, _NOTHING)
POSSIBLE_DUPLICATE = _code(
    "possible-duplicate", Outcome.INVALID, "check the bank statement; `--allow-identical`"
)
ALREADY_REGISTERED = _code("already-registered", Outcome.SKIPPED, _NOTHING)
# Ends as the earlier answer did; only a rejected one comes here (posted is already-registered,
# unknown is unanswered-earlier).
ANSWERED_EARLIER = _code(
    "answered-earlier",
    Outcome.REJECTED,
    "an earlier run sent it and Ropo One refused it: correct the row and import it again",
)
ARCHIVE_ID_REUSED = _code(
    "archive-id-reused",
    Outcome.INVALID,
    "two payments share an archive id: check the export with the bank",
)
SENT_WHOLE_EARLIER = _code(
    "sent-whole-earlier",
    Outcome.INVALID,
    "an earlier run sent this whole payment to one invoice: move the amounts in Ropo One by hand",
)
UNANSWERED_EARLIER = _code("unanswered-earlier", Outcome.UNKNOWN, _CHECK)

# Sending, and Ropo One's answer
REGISTERED = _code("registered", Outcome.POSTED, _REGISTERED)
STATUS = _family("status-N", r"status-\d+", Outcome.REJECTED, _STATUS)
API_ERROR = _code("api-error", Outcome.REJECTED, _STATUS)
NO_ANSWER = _code("no-answer", Outcome.UNKNOWN, _CHECK)
ANSWER_UNREAD = _code("answer-unread", Outcome.UNKNOWN, _CHECK)
CONTRADICTORY_ANSWER = _code("contradictory-answer", Outcome.UNKNOWN, _CHECK)
UNEXPECTED_ERROR = _code("unexpected-error", Outcome.UNKNOWN, _CHECK)
INTERRUPTED = _code("interrupted", Outcome.UNKNOWN, _CHECK)
JOURNAL_FAILED = _code("journal-failed", Outcome.UNKNOWN, _CHECK)
NOT_SENT = _code(
    "not-sent", Outcome.SKIPPED, "the run stopped before this row: run the same command again"
)
DRY_RUN = _code("dry-run", Outcome.SKIPPED, "run again without `--dry-run` to send it")


def todo_in(code: str, words: Words) -> str:
    """What to do about `code` (or one of a family's codes, `status-10`), in the language of
    `words`; the English text is the msgid, so a missing translation reads as English."""
    entry = lookup(code)
    if entry is None:
        raise KeyError(f"{code!r} is not a code of importer.problems")
    return words(entry.todo)


def status(statusid: int) -> str:
    """The code of a rejecting answer's statusid: one of the `status-N` family."""
    return f"status-{statusid}"


# Codes whose rows need the accountant beyond what their outcome says.
ATTENTION_CODES = frozenset(c.name for c in CODES.values() if c.attention)


def to_act_on(outcome: Outcome, code: str) -> bool:
    """Rejected, invalid or unknown, or posted with something left to do by hand."""
    return outcome in NEEDS_WORK or code in ATTENTION_CODES


def unfocused(fields: Mapping[str, Any]) -> Decimal | None:
    """Money Ropo One's answer could not allocate (an overpayment to refund or allocate by
    hand), or None when there is none or the answer does not say."""
    amount = answered_money(fields.get("unfocused"))
    return amount if amount is not None and amount > 0 else None


def answered_money(value: object) -> Decimal | None:
    """A money field as answered, or None when it is not a number (the answer is kept as is)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def shown(raw: object) -> str:
    """A refused cell's value as text, the way a message quotes it: a date in ISO form, a
    number in plain digits (never 1E+3), nothing as ""."""
    if raw is None:
        return ""
    if isinstance(raw, date):
        return raw.isoformat()
    return format(raw, "f") if isinstance(raw, Decimal) else str(raw)


@dataclass(frozen=True)
class Refusal:
    """The first thing pydantic refused, read once for every message that names it."""

    location: tuple[int | str, ...]
    kind: str  # pydantic's error type: "missing", "extra_forbidden", "value_error", ...
    message: str  # as pydantic words it, "Value error, " and all
    value: Any  # the input it refused

    @property
    def where(self) -> str:
        """The dotted path to the refused key, "" for the whole document."""
        return ".".join(str(part) for part in self.location)

    @property
    def why(self) -> str:
        """The message without pydantic's "Value error, " (our own validators' text)."""
        return self.message.removeprefix("Value error, ")


def refusal(exc: ValidationError) -> Refusal:
    """The first error of a pydantic ValidationError, as one Refusal."""
    first = exc.errors()[0]
    return Refusal(tuple(first["loc"]), first["type"], first["msg"], first.get("input"))


def explain(
    exc: ValidationError,
    whole: str = "",
    *,
    keys: Callable[[Refusal], Iterable[str]] | None = None,
    keyed: Callable[[Refusal], bool] | None = None,
    pydantic_words: bool = False,
) -> str:
    """The first thing pydantic refused, in one line: "<where>: <why>".

    `whole` names the document, for an error about all of it; "" leaves the place out, for a
    value that has none of its own (a payment's body). `keys` gives the keys the refused table
    takes, so an unknown key is answered with them. `keyed` says whether the refused input is
    one key's own value: then it is shown, "<where> = <value>", unless the message quotes it
    already. `pydantic_words` keeps pydantic's own wording ("Value error, ..."), as profile
    and payment messages have it.
    """
    error = refusal(exc)
    why = error.message if pydantic_words else error.why
    if keys is not None and error.kind == "extra_forbidden":
        why = f"not a setting; the settings are {', '.join(keys(error))}"
    if not whole:
        return why
    where, value = error.where, error.value
    named = isinstance(value, str) and repr(value) in why
    if keyed is not None and error.kind != "missing" and keyed(error) and not named:
        where += f" = {value!r}"  # the key's own value, as the document has it
    joint = " " if why.startswith("is ") else ": "
    return f"{where or whole}{joint}{why}"
