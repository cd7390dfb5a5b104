"""The one identifier a payment is sent with: billcode, else jobid, else billnum.

That is the lookup order the API documents (seed: POST /jobs/payment). The billcode is the
row's reference, checked and never guessed; billnum comes from an invoice number column, or
from the payment's message ("Lasku 41004") when the row has no reference at all.

A row with no reference, jobid or invoice number may carry its reference in the message
(references_in_message): the whole message is one, or it follows a word such as "viite".
Such a reference, when it is the only one and valid, wins over an invoice number the message
also names, as the reference is what the invoice asks the payer to quote. Several, or one whose
check fails, are never guessed: the row is invalid and the message lists what was found.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import islice

from importer.errors import FieldError
from importer.mapping import Columns
from importer.models import CellValue, Problem, Transaction
from importer.problems import (
    BAD_JOBID,
    BILLNUM_TOO_LONG,
    MISSING_REFERENCE,
    REFERENCE_IN_MESSAGE_UNCLEAR,
    SEVERAL_INVOICES,
)
from importer.references import SHOWN_CANDIDATES, Reference, parse_reference
from importer.said import Reason, Said, say

Identifier = dict[str, str | int]
_NUMBER = re.compile(r"(?i)\b[a-z]{0,3}-?\d{3,}\b")
# A message that is only a reference: digits, or RF and letters/digits, grouped by spaces.
# Each group is separated by one space, so no text can be split into groups in many ways (a
# pattern such as (\s?[a-z0-9]+)+ takes exponential time to fail on "RF12111...1!").
_WHOLE = re.compile(r"(?i)^(?:RF\d\d\s?[a-z0-9]+(?:\s[a-z0-9]+)*|\d+(?:\s\d+)*)$")
# A reference after a word that names it ("viite: 9597349", "Ref. RF18 5390 0754 7034"); the
# group stops at the first word that is not a group of the reference.
_AFTER_WORD = re.compile(
    r"(?i)\b(?:viitenumero|viitenro|viite|referensnummer|referens|reference|ref)\b"
    r"\s*(?:nro|no|nr|number)?\s*[.:=#]?\s*"
    r"(RF\d\d\s?[a-z0-9]+(?:\s[a-z0-9]+)*|\d+(?:\s\d+)*)"
)

MIN_WHOLE = 4  # digits: the shortest Finnish reference
MAX_FOUND = 50  # references read from one message; more are as unclear
SHOWN_TEXT = 40  # characters of a found text the message shows
IN_MESSAGE = "reference taken from the message"

MAX_JOBID = 18  # digits: every 18-digit number fits a signed 64-bit integer
MAX_BILLNUM = 35  # characters, as a reference (billcode): Ropo One documents no limit


def choose_identifier(txn: Transaction, columns: Columns, domestic: bool) -> Identifier | Problem:
    """{"billcode": ...}, {"jobid": ...} or {"billnum": ...}; or the Problem that stops it."""
    problem = txn.problem("reference")
    if problem is not None:
        return problem
    if txn.reference:
        reference = read_reference(txn.reference, txn.message, columns, _raw(txn, columns))
        if isinstance(reference, Problem):
            return reference
        return {"billcode": reference.to_send(domestic or _domestic(columns))}
    in_message = invoice_in_message(txn.message, columns.profile.billnum_in_message)
    if txn.jobid:
        # ASCII digits only ('²' is a digit to isdigit), and no more than a 64-bit id holds.
        if not (txn.jobid.isascii() and txn.jobid.isdigit() and len(txn.jobid) <= MAX_JOBID):
            return Problem(
                "jobid",
                _name(columns, "jobid"),
                txn.jobid,
                BAD_JOBID,
                say("a jobid is a whole number of at most {most} digits", most=MAX_JOBID),
            )
        return {"jobid": int(txn.jobid)}
    if txn.billnum:
        if len(txn.billnum) > MAX_BILLNUM:
            return Problem(
                "billnum",
                _name(columns, "billnum"),
                txn.billnum,
                BILLNUM_TOO_LONG,
                say("an invoice number is at most {most} characters", most=MAX_BILLNUM),
            )
        return {"billnum": txn.billnum}
    found = references_in_message(txn.message)
    if isinstance(found, Reference):
        return {"billcode": found.to_send(domestic or _domestic(columns))}
    if found:
        return Problem(
            "message",
            _name(columns, "message"),
            txn.message,
            REFERENCE_IN_MESSAGE_UNCLEAR,
            _unclear(found, in_message),
        )
    if isinstance(in_message, list):
        return Problem(
            "message",
            _name(columns, "message"),
            txn.message,
            SEVERAL_INVOICES,
            say(
                "the message names invoice {invoice} but also {others}: "
                "a payment for several invoices is registered by hand",
                invoice=in_message[0],
                others=tuple(in_message[1:]),
            ),
        )
    if in_message:
        return {"billnum": in_message}
    named = tuple(
        repr(columns.names[f]) for f in ("reference", "jobid", "billnum") if f in columns.names
    )
    return Problem(
        "reference",
        _name(columns, "reference"),
        "",
        MISSING_REFERENCE,
        say(
            "no reference in {columns} and no invoice number in the message: the payment "
            "cannot be matched to an invoice; find the invoice by hand and add its reference",
            columns=named,
        )
        if named
        else say(
            "no reference in the file and no invoice number in the message: the payment "
            "cannot be matched to an invoice; find the invoice by hand and add its reference"
        ),
    )


def read_reference(
    reference: str, message: str, columns: Columns, raw: CellValue
) -> Reference | Problem:
    """The row's reference (its cell cleaned: `reference`, as the file had it: `raw`), or the
    Problem that stops the row: its check digit, length or characters, and the invoice number
    the message names instead, if any."""
    try:
        return parse_reference(reference)
    except FieldError as error:
        said = error.message
        in_message = invoice_in_message(message, columns.profile.billnum_in_message)
        if isinstance(in_message, str) and in_message:
            said = say(
                "{message}; the message names invoice {invoice}: to register by it instead, "
                "empty the reference cell",
                message=said,
                invoice=in_message,
            )
        return Problem("reference", _name(columns, "reference"), raw, error.code, said)


def references_in_message(message: str) -> Reference | list[tuple[str, str]]:
    """The one valid reference the message holds, alone or after a word such as "viite"; else
    every reference-like text it names, each with why it is not taken ([] for none)."""
    text = " ".join(message.split())
    if not text:
        return []
    whole = _WHOLE.match(text)
    if whole and len(whole.group(0).replace(" ", "")) < MIN_WHOLE:
        whole = None  # "12" or "100" alone is a count or an amount, not a reference
    after_words = islice(_AFTER_WORD.finditer(text), MAX_FOUND)  # enough to say it is unclear
    found_texts = [whole.group(0)] if whole else [m.group(1) for m in after_words]
    texts = [_without_words_after(raw) for raw in found_texts]
    found: dict[str, tuple[str, Reference | None]] = {}  # the same reference twice is one
    for raw in texts:
        try:
            valid = parse_reference(raw)
            found.setdefault(valid.printed, (raw, valid))
        except FieldError as error:
            why = say("{text} ({reason})", text=_cut(raw), reason=Reason(error.message))
            found.setdefault(raw, (why, None))
    only = next(iter(found.values()))[1] if len(found) == 1 else None
    if only is not None:
        return only
    return [(shown, "valid" if ref else "") for shown, ref in found.values()]


def message_note(txn: Transaction, identifier: Identifier) -> str:
    """IN_MESSAGE when the billcode sent came from the message, else ""."""
    return IN_MESSAGE if "billcode" in identifier and not txn.reference else ""


def invoice_in_message(message: str, pattern: str | None) -> str | list[str]:
    """The invoice number the message names ("Lasku 41004" -> "41004"), "" when it names none,
    or every number in it (the invoice's first) when it has more than one: never guessed."""
    if not pattern or not message:
        return ""
    found = _compiled(pattern).search(message)
    if found is None:
        return ""
    number = found.group(1).upper()
    others = sorted({n.upper() for n in _NUMBER.findall(message)} - {number})
    return [number, *others] if others else number


def _unclear(found: list[tuple[str, str]], invoice: str | list[str]) -> Said:
    what: Said
    if len(found) == 1:
        what = say("the message names reference {found}, which is not valid", found=found[0][0])
    else:
        named = [say("{text} (valid)", text=shown) if valid else shown for shown, valid in found]
        more = len(named) - SHOWN_CANDIDATES
        what = say(
            "the message names {count} references: {references}",
            count=len(found),
            references=tuple(named[:SHOWN_CANDIDATES]),
        )
        if more > 0:
            what = say("{what} and {more} more", what=what, more=more)
    also = invoice[0] if isinstance(invoice, list) else invoice
    if also:
        return say(
            "{what} and invoice {invoice}; nothing is posted to a guessed reference: find the "
            "invoice by hand and add its reference to the row",
            what=what,
            invoice=also,
        )
    return say(
        "{what}; nothing is posted to a guessed reference: find the invoice by hand and add its "
        "reference to the row",
        what=what,
    )


def _without_words_after(found: str) -> str:
    """The found text without the words after it: "RF18 5390 0754 7034 ok" loses "ok"."""
    groups = found.split(" ")
    while len(groups) > 1 and groups[-1].isalpha():
        groups.pop()
    return " ".join(groups)


def _cut(text: str) -> str:
    """A found text as the message shows it: a long one by its start and end."""
    return text if len(text) <= SHOWN_TEXT else f"{text[: SHOWN_TEXT - 10]}…{text[-8:]}"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _domestic(columns: Columns) -> bool:
    return columns.profile.reference_form == "domestic"


def _name(columns: Columns, field: str) -> str:
    return columns.names.get(field, field)  # type: ignore[call-overload, no-any-return]


def _raw(txn: Transaction, columns: Columns) -> CellValue:
    at = columns.index.get("reference")
    return txn.row.cells[at] if at is not None and at < len(txn.row.cells) else txn.reference
