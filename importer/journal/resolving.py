"""Resolving: a person records what Ropo One shows for a payment whose answer proved nothing.

One place for what `ropo-import resolve` and the web page both do: list the payments of a
scope that wait for a person (`Journal.unanswered`), word each one the same way, and mark them
under the journal's run lock, so that no run judges or sends the scope while they change
(JournalBusyError when another run holds it). Registered: answered as posted, never sent
again. Not registered: waiting, so the next run sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from importer import json_decimal
from importer.said import in_words

if TYPE_CHECKING:
    from importer.i18n import Words
    from importer.journal import Journal, Unanswered

INVOICE_FIELDS = ("billcode", "jobid", "billnum")  # how a payment names its invoice


@dataclass(frozen=True)
class Shown:
    """One waiting payment in a reader's words, piece by piece (the API's field names stay)."""

    id: int
    invoice: str  # "billcode 410027"
    amount: str  # "100.00", "100,00", or a credit note of it
    paydate: str
    where: str  # "demo-bank-export.csv line 3"
    when: str  # "2026-11-20 09:30", local time
    message: str  # what the answer was, when one came; else ""


@dataclass
class Marked:
    """What a marking did: the ids marked (id, registered) in order, the first id that was not
    waiting (marking stopped there), and the payments still waiting after it."""

    done: list[tuple[int, bool]] = field(default_factory=list)
    not_waiting: int | None = None
    left: list[Unanswered] = field(default_factory=list)


def shown(entry: Unanswered, w: Words) -> Shown:
    request = entry.request
    invoice = next(f"{k} {request[k]}" for k in INVOICE_FIELDS if k in request)
    value = Decimal(str(request["amount"]))
    amount = json_decimal.money_text(value) if w.lang == "en" else w.number(value)
    if request.get("creditnotebillnum"):  # not a payment: a credit note registered on it
        amount = w(
            "credit note {number} of {amount}", number=request["creditnotebillnum"], amount=amount
        )
    return Shown(
        entry.id,
        invoice,
        amount,
        str(request["paydate"]),
        in_words(entry.where, w),
        entry.when,
        in_words(entry.message, w) if entry.message else "",
    )


def describe(entry: Unanswered, w: Words) -> str:
    """One payment waiting on one line: its id, invoice, amount and day, and the answer."""
    part = shown(entry, w)
    said = w(
        "id {id}: {invoice}, amount {amount}, paydate {paydate} ({where}, sent {when})",
        id=part.id,
        invoice=part.invoice,
        amount=part.amount,
        paydate=part.paydate,
        where=part.where,
        when=part.when,
    )
    return said + (f": {part.message}" if part.message else "")


def note(registered: bool, day: date, *, on_page: bool = False, who: str = "") -> str:
    """The journal's note on a marked payment: how, by whom (the page's name, if given) and
    on which day it was marked."""
    found = "registered" if registered else "not registered"
    how = "on the web page" if on_page else "by hand"
    by = f" by {who}" if who else ""
    return f"marked {found} {how}{by} on {day.isoformat()} after checking Ropo One"


def mark(
    book: Journal,
    marks: Sequence[tuple[int, bool]],
    day: date,
    *,
    holder: str,
    wait: float = 0.0,
    on_page: bool = False,
    who: str = "",
) -> Marked:
    """Mark each (id, registered) in order, holding the journal's run lock (JournalBusyError
    when another run holds it past `wait` seconds: nothing is marked then). An id that is not
    waiting stops the marking there; the ones before it stay marked."""
    marked = Marked()
    with book.lock(holder, wait=wait):
        for entry_id, registered in marks:
            said = note(registered, day, on_page=on_page, who=who)
            if not book.resolve(entry_id, registered, said):
                marked.not_waiting = entry_id
                break
            marked.done.append((entry_id, registered))
        marked.left = book.unanswered()
    return marked
