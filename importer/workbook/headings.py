"""The headers of the Results and Needs attention sheets in each language, their notes, and
how a Needs attention sheet saved as CSV is known again, whatever its language.

Each column of ours has a key (the name it had before the headers were words, `source_row`,
`outcome`, ... or the API field it shows) and a title, an English msgid translated by
words(). A column showing an API field carries a note naming it, for support and the spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from importer.i18n import LANGS, Lang, Words, words

SOURCE_ROW, OUTCOME, TODO, REFERENCE, AMOUNT, PAYDATE, PAYER = (
    "source_row",
    "outcome",
    "todo",
    "reference",
    "amount",
    "paydate",
    "payer",
)
STATUS, NOTICE_FEE, INTEREST, CAPITAL, UNFOCUSED = (
    "statusid",
    "focusedtonoticefee",
    "focusedtointerest",
    "focusedtocapital",
    "unfocused",
)
CODE, FIELD, COLUMN, VALUE, MESSAGE = "code", "field", "column", "value", "message"

READ_FIRST = (SOURCE_ROW, OUTCOME, TODO, REFERENCE, AMOUNT, PAYDATE, PAYER)
ANSWER = (STATUS, NOTICE_FEE, INTEREST, CAPITAL, UNFOCUSED)
PROBLEM = (CODE, FIELD, COLUMN, VALUE, MESSAGE)
# Needs attention: what is wrong and what to do, then what finds the row and its cell. No
# parsed amount, date or reference here: a header such as "Maksupäivä" would be taken for
# the bank's own column when the corrected sheet is read again.
ATTENTION = (MESSAGE, TODO, SOURCE_ROW, OUTCOME, CODE, FIELD, COLUMN, VALUE, UNFOCUSED)

TITLES = {
    SOURCE_ROW: "Line in file",
    OUTCOME: "Outcome",
    TODO: "What to do",
    REFERENCE: "Reference or invoice number",
    AMOUNT: "Amount",
    PAYDATE: "Payment date",
    PAYER: "Payer",
    STATUS: "Ropo One status",
    NOTICE_FEE: "To notice fees",
    INTEREST: "To interest",
    CAPITAL: "To capital",
    UNFOCUSED: "Overpaid, not allocated",
    CODE: "Code",
    FIELD: "Field",
    COLUMN: "Column",
    VALUE: "Value read",
    MESSAGE: "What is wrong",
}
# The API fields each column shows (POST /jobs/payment: JobAddPayment, JobAddPaymentResponse).
FIELDS = {
    REFERENCE: "billcode / billnum / jobid",
    AMOUNT: "amount",
    PAYDATE: "paydate",
    STATUS: "statusid",
    NOTICE_FEE: "focusedtonoticefee",
    INTEREST: "focusedtointerest",
    CAPITAL: "focusedtocapital",
    UNFOCUSED: "unfocused",
}
# Before the headers were words, Needs attention put these after the bank's columns; a copy
# saved then still comes back without them.
LEGACY = frozenset((SOURCE_ROW, OUTCOME, CODE, FIELD, COLUMN, VALUE, MESSAGE, UNFOCUSED))
LEGACY_MARK = frozenset((SOURCE_ROW, OUTCOME))


def titles(keys: Sequence[str], w: Words) -> list[str]:
    return [w(TITLES[key]) for key in keys]


def note(key: str, w: Words) -> str | None:
    """The header's note: the API field its column shows, if any."""
    field = FIELDS.get(key)
    return None if field is None else w("Ropo One API field: {field}", field=field)


def keys_of(header: Sequence[str], w: Words, among: Sequence[str] = tuple(TITLES)) -> list[str]:
    """Each header's key: ours (those `among`) by their title in `w`'s language, any other
    as it is."""
    known = {w(TITLES[key]): key for key in among}
    return [known.get(name, name) for name in header]


def kept(headers: Sequence[str]) -> list[int]:
    """The source columns Needs attention repeats: not those an earlier Needs attention added.

    A corrected copy imported again brings ours back, first, in the language it was written
    in (a column the accountant deleted is simply missing). One saved before the headers were
    words has them last, under their keys."""
    start = max(_ours_first(headers, lang) for lang in LANGS)
    if start:
        return list(range(start, len(headers)))
    if not LEGACY_MARK.issubset(headers):
        return list(range(len(headers)))
    return [n for n, name in enumerate(headers) if name not in LEGACY]


def _ours_first(headers: Sequence[str], lang: Lang) -> int:
    """How many of the first headers are ours, in order, in `lang`; 0 unless they include
    the line and the outcome (a bank's own column may well be called "Code" or "Value")."""
    expected = _attention_titles(lang)
    taken: list[str] = []
    at = 0
    for name in headers:
        if name not in expected[at:]:
            break
        at = expected.index(name, at) + 1
        taken.append(name)
    mark = {expected[ATTENTION.index(SOURCE_ROW)], expected[ATTENTION.index(OUTCOME)]}
    return len(taken) if mark.issubset(taken) else 0


@cache
def _attention_titles(lang: Lang) -> list[str]:
    return titles(ATTENTION, words(lang))
