"""The row rules, declared once, in the order they decide: the first that holds ends the row.

Each rule is a condition over whole columns (fields.py) and the result it gives a row it
holds for; messages are rendered only for those rows. A row no rule ends can be sent: its
payment is built (payment.py) and judged against the file and the journal (plan.py).

| rule           | ends a row as             | when                                              |
|----------------|---------------------------|---------------------------------------------------|
| verdict        | the reader's or profile's | a direct debit, return, reversal, pending row     |
| credit note    | skipped credit-note       | a deducted credit note, not sent by default       |
| ragged         | invalid ragged-row        | cells beyond the header                           |
| amount         | invalid (the cell's code) | the amount is missing or does not read            |
| outgoing       | skipped outgoing          | the amount is negative                            |
| zero           | skipped zero-amount       | the amount is zero                                |
| decimals       | invalid too-many-decimals | more than two decimals                            |
| euro           | invalid not-euro          | another currency                                  |
| date           | invalid (the cell's code) | no payment date read                              |
| future, old    | invalid future/old-date   | after today, or older than --max-age              |
| reference      | invalid (the cell's code) | a reference that does not read (check digit, ...) |
| identifier     | invalid (the cell's code) | no reference, jobid or invoice number to send     |
| payment        | invalid bad-payment       | the request would not be valid                    |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from importer.engine.fields import NO_DAY, Fields
from importer.engine.payment import build, cash, invoice_text, refuse
from importer.engine.settled import OUTGOING_TEXT
from importer.identifiers import read_reference
from importer.models import Outcome, Problem, Remittance, RowResult
from importer.problems import (
    CREDIT_NOTE,
    DIRECT_DEBIT,
    FUTURE_DATE,
    NOT_EURO,
    OLD_DATE,
    OUTGOING,
    RAGGED_ROW,
    TOO_MANY_DECIMALS,
    ZERO_AMOUNT,
)
from importer.profiles import PAYDATE_ORDER
from importer.said import say
from importer.validation import Rules, Valid

Mask = Callable[[Fields, Rules], np.ndarray]
Ends = Callable[[Fields, Rules, int], RowResult]


@dataclass(frozen=True)
class Rule:
    name: str
    holds: Mask
    ends: Ends
    # It ends every row the same way, so its (euro, exact) rows are held as a kind and an
    # amount (settled.py, which words them) instead of a RowResult each.
    settles: bool = False
    code: str | None = None  # the code it ends every row with, when that is always one


def _sparse(count: int, rows: object) -> np.ndarray:
    mask = np.zeros(count, dtype=bool)
    mask[list(rows)] = True  # type: ignore[call-overload]
    return mask


def _verdict(fields: Fields, rules: Rules) -> np.ndarray:
    sent = DIRECT_DEBIT if rules.send_direct_debits else None
    return _sparse(fields.count, (i for i, v in fields.verdicts.items() if v.code != sent))


def _verdict_ends(fields: Fields, rules: Rules, index: int) -> RowResult:
    verdict = fields.verdicts[index]
    row, amount = fields.cells.row(index), _cash(fields, index)
    return RowResult(row, verdict.outcome, verdict.code, verdict.message, amount=amount)


def _credit_note(fields: Fields, rules: Rules) -> np.ndarray:
    if rules.send_credit_notes:
        return np.zeros(fields.count, dtype=bool)
    noted = fields.cells.remittances.items()
    return _sparse(fields.count, (i for i, r in noted if r.registers is not None))


def _credit_note_ends(fields: Fields, rules: Rules, index: int) -> RowResult:
    noted = fields.cells.remittances[index]
    return _skipped(
        fields,
        index,
        CREDIT_NOTE,
        say(
            "credit note {note} that the payer deducted from {invoice}: not registered in Ropo "
            "One (the default); the payment row above names it, and --credit-notes send "
            "registers it",
            note=noted.registers.said() if noted.registers else "",
            invoice=invoice_text(fields.transaction(index)),
        ),
    )


def _ragged_ends(fields: Fields, rules: Rules, index: int) -> RowResult:
    row = fields.cells.row(index)
    headers = len(fields.export.table.headers)
    return _invalid(
        fields,
        index,
        RAGGED_ROW,
        say(
            "line {line} has {count} fields but the header has {headers}; "
            "a field probably contains an unquoted delimiter: quote it or fix the export",
            line=row.line,
            count=len(row.cells),
            headers=headers,
        ),
    )


def _no_amount(fields: Fields, rules: Rules) -> np.ndarray:
    has = fields.judged_amounts[0]
    problems = _sparse(fields.count, fields.amounts.problems)
    missing: np.ndarray = ~has | problems
    return missing


def _no_amount_ends(fields: Fields, rules: Rules, index: int) -> RowResult:
    return _refused(fields, index, fields.amounts.problems.get(index))


def _decimals(fields: Fields, rules: Rules) -> np.ndarray:
    exact = fields.judged_amounts[2]
    odd = (i for i, v in exact.items() if v != v.quantize(Decimal("0.01")))
    return _sparse(fields.count, odd)


def _decimals_ends(fields: Fields, rules: Rules, index: int) -> RowResult:
    amount = fields.judged_amounts[2][index]
    column = fields.columns.names.get("amount", "amount")
    message = say("a euro amount has at most two decimals")
    problem = Problem("amount", column, amount, TOO_MANY_DECIMALS, message)
    return _refused(fields, index, problem)


def _foreign(fields: Fields, rules: Rules) -> np.ndarray:
    foreign: np.ndarray = ~fields.euro
    return foreign


def _foreign_ends(fields: Fields, rules: Rules, index: int) -> RowResult:
    column = fields.columns.names.get("currency", "currency")
    currency = fields.text_at("currency", index)
    message = say("Ropo One takes euro payments; register this one by hand")
    return _refused(fields, index, Problem("currency", column, currency, NOT_EURO, message))


def _no_date(fields: Fields, rules: Rules) -> np.ndarray:
    missing: np.ndarray = fields.paydates.days == NO_DAY
    return missing


def _no_date_ends(fields: Fields, rules: Rules, index: int) -> RowResult:
    # Only the date that would be sent matters: a bad booking date beside a good payment
    # date does not stop the payment.
    return _refused(fields, index, fields.paydates.problems.get(index))


def _future(fields: Fields, rules: Rules) -> np.ndarray:
    if rules.allow_future:
        return np.zeros(fields.count, dtype=bool)
    return fields.paydates.days > rules.today.toordinal()


def _old(fields: Fields, rules: Rules) -> np.ndarray:
    return rules.today.toordinal() - fields.paydates.days > rules.max_age_days


def _date_ends(fields: Fields, rules: Rules, index: int) -> RowResult:
    paydate = fields.paydate(index)
    assert paydate is not None  # rule "date" ended the rows without one
    name = PAYDATE_ORDER[int(fields.paydates.chosen[index])]
    column = fields.columns.names.get(name, name)
    raw = fields.raw_at(name, index)
    raw = paydate if raw is None else raw
    today = rules.today
    if paydate > today and not rules.allow_future:
        problem = Problem(
            name,
            column,
            raw,
            FUTURE_DATE,
            say(
                "the date is after today ({today}); a bank export lists payments already "
                "received, so check the file, or run with --allow-future to send it as it is",
                today=today,
            ),
        )
    else:
        age = (today - paydate).days
        problem = Problem(
            name,
            column,
            raw,
            OLD_DATE,
            say(
                "the date is {age} days before today ({today}), more than the {most} allowed; "
                "check this is this period's export, or run with --max-age {age} to send it",
                age=age,
                today=today,
                most=rules.max_age_days,
            ),
        )
    return _refused(fields, index, problem)


def _unread_ends(fields: Fields, rules: Rules, index: int) -> RowResult:
    text, message = fields.text_at("reference", index), fields.text_at("message", index)
    raw = fields.raw_at("reference", index)
    found = read_reference(text, message, fields.columns, text if raw is None else raw)
    assert isinstance(found, Problem)  # fields.unread_references: it does not read
    return _refused(fields, index, found)


ZERO_TEXT = say("the amount is zero: nothing to register")

RULES: tuple[Rule, ...] = (
    Rule("verdict", _verdict, _verdict_ends),
    Rule("credit note", _credit_note, _credit_note_ends),
    Rule("ragged", lambda f, r: f.cells.ragged, _ragged_ends),
    Rule("amount", _no_amount, _no_amount_ends),
    Rule(
        "outgoing",
        lambda f, r: f.judged_amounts[1] < 0,
        lambda f, r, i: _skipped(f, i, OUTGOING, OUTGOING_TEXT),
        settles=True,
        code=OUTGOING,
    ),
    Rule(
        "zero",
        lambda f, r: f.judged_amounts[1] == 0,
        lambda f, r, i: _skipped(f, i, ZERO_AMOUNT, ZERO_TEXT),
        code=ZERO_AMOUNT,
    ),
    Rule("decimals", _decimals, _decimals_ends),
    Rule("euro", _foreign, _foreign_ends),
    Rule("date", _no_date, _no_date_ends),
    Rule("future", _future, _date_ends),
    Rule("old", _old, _date_ends),
    Rule("reference", lambda f, r: f.unread_references, _unread_ends),
)


@dataclass
class Judged:
    """What the rules said of every row."""

    results: dict[int, RowResult]  # rows a rule ended, one by one
    settled: np.ndarray  # bool: rows a settling rule ended, held as a kind (Settled)
    sendable: np.ndarray  # bool: rows no rule ended
    valids: dict[int, Valid]  # sendable rows whose payment was built here (not plain)
    # Rows a rule ended whose RowResult apply() was told not to make yet, and that rule:
    # counted without their messages (inspect), made one by one when shown (made()).
    unmade: dict[int, Rule] = field(default_factory=dict)

    def made(self, fields: Fields, rules: Rules, index: int) -> RowResult | None:
        """The result a rule gave row `index`, made now if it was left unmade; None for a row
        no rule ended one by one."""
        rule = self.unmade.get(index)
        return self.results.get(index) if rule is None else rule.ends(fields, rules, index)


def apply(fields: Fields, rules: Rules, *, made: bool = True) -> Judged:
    """Every rule, in order, over the rows no earlier rule ended; then each remaining row's
    payment built, except the plain ones (plain()), built only when needed. `made=False`
    leaves the rows the rules end without their RowResult (Judged.unmade): what they are is
    known, their messages are not written until one is shown."""
    open_rows = np.ones(fields.count, dtype=bool)
    results: dict[int, RowResult] = {}
    unmade: dict[int, Rule] = {}
    settled = np.zeros(fields.count, dtype=bool)
    cheap = _settleable(fields)
    for rule in RULES:
        hit = rule.holds(fields, rules) & open_rows
        open_rows &= ~hit
        if rule.settles:
            settled |= hit & cheap
            hit &= ~cheap
        rows = np.flatnonzero(hit).tolist()
        if not made:
            unmade.update(dict.fromkeys(rows, rule))
            continue
        for index in rows:
            results[index] = rule.ends(fields, rules, index)
    valids: dict[int, Valid] = {}
    plain = plain_rows(fields)
    for index in np.flatnonzero(open_rows & ~plain).tolist():
        built = build(fields, rules, index)
        if isinstance(built, Valid):
            valids[index] = built
        else:
            results[index] = built
            open_rows[index] = False
    return Judged(results, settled, open_rows, valids, unmade)


def plain_rows(fields: Fields) -> np.ndarray:
    """Rows whose payment needs no scalar reading: a reference the kernel read, nothing the
    reader said beyond the cells. Their payment is put together from the columns."""
    plain = fields.plain_references.copy()
    for index in (*fields.verdicts, *fields.cells.remittances):
        plain[index] = False
    return plain


def _settleable(fields: Fields) -> np.ndarray:
    """Rows a settling rule may hold as a kind: euro rows whose amount cents hold exactly."""
    cheap = np.ones(fields.count, dtype=bool)
    for index in fields.amounts.exact:
        cheap[index] = False
    cheap &= fields.euro
    return cheap


def _refused(fields: Fields, index: int, problem: Problem | None) -> RowResult:
    return refuse(fields.cells.row(index), problem, _cash(fields, index))


def _skipped(fields: Fields, index: int, code: str, message: str) -> RowResult:
    row, amount = fields.cells.row(index), _cash(fields, index)
    return RowResult(row, Outcome.SKIPPED, code, message, amount=amount)


def _invalid(fields: Fields, index: int, code: str, message: str) -> RowResult:
    row, amount = fields.cells.row(index), _cash(fields, index)
    return RowResult(row, Outcome.INVALID, code, message, amount=amount)


def _cash(fields: Fields, index: int) -> Decimal | None:
    """The amount a RowResult carries, as read from the row, so sums in equal sums out."""
    noted = fields.cells.remittances.get(index)
    return cash(fields.amounts.value(index), noted or Remittance())
