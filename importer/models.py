"""Values passed between the stages: SourceRow in, Payment out, RowResult at the end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

# Outcome lives with the codes (problems.py); named here too, where every stage finds it.
from importer.problems import Outcome as Outcome
from importer.problems import to_act_on
from importer.said import Said, say

if TYPE_CHECKING:
    from importer.i18n import Words

CellValue = str | Decimal | date | None

# The request fields of JobAddPayment and the response fields of JobAddPaymentResponse, in the
# order the result workbook shows them (seed: POST /jobs/payment).
REQUEST_FIELDS = (
    "billcode",
    "jobid",
    "billnum",
    "paydate",
    "amount",
    "type",
    "identifier",
    "creditnotebillnum",
    "description",
)
RESPONSE_FIELDS = (
    "statusid",
    "statustext",
    "capitalbefore",
    "capitalafter",
    "focusedtocapital",
    "interestbefore",
    "interestafter",
    "focusedtointerest",
    "noticefeebefore",
    "noticefeeafter",
    "focusedtonoticefee",
    "unfocused",
)
IDENTIFIERS = ("billcode", "jobid", "billnum")  # the documented lookup order

# statusid -> (name, what it means for the accountant). Only 6 comes with HTTP 201.
STATUSES: dict[int, tuple[str, str]] = {
    0: ("UNDONE", "Ropo One did not process the payment"),
    1: ("FAIL", "Ropo One failed to register the payment"),
    2: ("OLD", "the invoice is too old to take payments"),
    3: ("ROPO", "the invoice is handled by Ropo; pay through Ropo's settlement"),
    4: ("ROPO Refund", "Ropo handles this as a refund"),
    5: ("CLOSE", "the invoice is already paid or closed; refund or allocate by hand"),
    6: ("OHISPAY", "the payment was registered"),
    8: ("IGNORE", "Ropo One ignored the payment"),
    9: ("DIFFCID", "the invoice belongs to another customer id than the one logged in"),
    10: ("NOT FOUND", "no invoice with this identifier; check the reference"),
    11: ("CANCELLED", "the invoice is cancelled; refund or allocate by hand"),
}
STATUS_APPLIED = 6
# What a statusid outside the documented ones means (its name is shown as "?").
STATUS_UNLISTED = "a status Ropo One's documentation does not list"


def status_meaning(statusid: int, words: Words) -> str:
    """What `statusid` means for the accountant, in the language of `words`."""
    _, meaning = STATUSES.get(statusid, ("?", STATUS_UNLISTED))
    return words(meaning)


@dataclass(frozen=True)
class Verdict:
    """A row's fate decided by its reader: a direct debit, a correction pair, a pending row."""

    outcome: Outcome
    code: str
    message: str


@dataclass(frozen=True)
class CreditNote:
    """A credit note the payer deducted from an invoice: its number and amount, as remitted."""

    number: str
    amount: Decimal

    def __str__(self) -> str:
        return str(self.said())

    def said(self) -> Said:
        """Its number and amount, the amount in the reader's convention."""
        amount = self.amount.quantize(Decimal("0.01"))
        if self.number:
            return say("{number} {amount}", number=self.number, amount=amount)
        return say("(no number) {amount}", amount=amount)


@dataclass(frozen=True)
class Remittance:
    """What a payment's structured remittance (camt) says beyond its reference.

    A row of a payment that settles one invoice carries the credit notes the payer deducted
    from it. A row that registers one of them on the invoice (`--credit-notes send`) names it
    in `registers`; it moves no money. A payment for several invoices is one row per invoice,
    each with the bank line's own archive id in `whole`.
    """

    credit_notes: tuple[CreditNote, ...] = ()
    registers: CreditNote | None = None
    last: bool = True  # the invoice's last credit note: after it nothing should stay open
    whole: str = ""  # a part of a payment split by invoice: the payment's own archive id
    part: str = ""  # "invoice 1 of 2 in this payment"

    @property
    def deducted(self) -> Decimal:
        return sum((note.amount for note in self.credit_notes), Decimal("0.00"))


@dataclass(frozen=True)
class SourceRow:
    """One data row of a bank export, with where it came from."""

    file: str
    line: int  # 1-based line (CSV) or row (Excel) number in the file
    cells: tuple[CellValue, ...]
    sheet: str | None = None
    verdict: Verdict | None = None  # set when the format itself says the row is not sent
    remittance: Remittance | None = None  # camt's structured remittance, where it says more


@dataclass(frozen=True)
class SourceTable:
    """What a reader returns: the header and every data row, in file order."""

    file: str
    headers: tuple[str, ...]
    rows: Sequence[SourceRow]  # a list, or columns that give a SourceRow when asked
    encoding: str | None = None
    delimiter: str | None = None
    form: str = ""  # how it was read, for the summary: "text, utf-8-sig, ';'", "KTL", ...
    sha256: str = ""  # of the file's bytes as read, where the reader had them at hand


class Payment(BaseModel):
    """The body of POST /jobs/payment (JobAddPayment), validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Decimal
    paydate: date
    billcode: str | None = None
    jobid: int | None = None
    billnum: str | None = None
    identifier: str | None = None
    type: str | None = None
    creditnotebillnum: str | None = None
    description: str | None = None

    @field_validator("amount")
    @classmethod
    def _two_decimals(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value <= 0:
            raise ValueError("the amount of a payment must be positive")
        if value != value.quantize(Decimal("0.01")):
            raise ValueError("the amount has more than two decimals")
        return value.quantize(Decimal("0.01"))

    @field_validator("creditnotebillnum")
    @classmethod
    def _numbered(cls, value: str | None) -> str | None:
        # An empty number would leave the field out of the body: a plain payment of the
        # credit note's amount, money that never arrived.
        if value is not None and not value.strip():
            raise ValueError("a credit note registered on an invoice needs its number")
        return value

    @model_validator(mode="after")
    def _one_identifier(self) -> Payment:
        given = [name for name in IDENTIFIERS if getattr(self, name) not in (None, "")]
        if len(given) != 1:
            raise ValueError(f"exactly one of billcode, jobid, billnum is needed, got {given}")
        return self

    @property
    def cash(self) -> Decimal:
        """The money this request moves: none when it registers a credit note."""
        return Decimal("0.00") if self.creditnotebillnum is not None else self.amount

    def body(self) -> dict[str, Any]:
        """The JSON body: only the fields that are set, money as Decimal, date as text."""
        body: dict[str, Any] = {}
        for name in REQUEST_FIELDS:
            value = getattr(self, name)
            if value is None or value == "":
                continue
            body[name] = value.isoformat() if isinstance(value, date) else value
        return body


@dataclass(frozen=True)
class ApiAnswer:
    """What Ropo One said to one POST /jobs/payment."""

    http_status: int
    statusid: int | None
    fields: dict[str, Any]  # JobAddPaymentResponse fields as answered, money as Decimal
    problem: str | None = None  # the error text when the answer was not a payment response
    # A statusid that is there but not a plain JSON integer (6.0, "6", "x"), as answered; then
    # `statusid` is None. Such an answer contradicts the documentation: never `posted`.
    raw_statusid: Any = None

    @property
    def applied(self) -> bool:
        return self.statusid == STATUS_APPLIED and self.http_status == 201


@dataclass
class RowResult:
    """A source row and what happened to it."""

    row: SourceRow
    outcome: Outcome
    code: str = ""
    message: str = ""
    payment: Payment | None = None
    amount: Decimal | None = None  # the signed amount read from the row, for the sums
    response: dict[str, Any] = field(default_factory=dict)
    currency: str = ""  # a non-euro row's currency (report.py sums it apart); "" for euro
    # The cell that stopped the row (field, the file's column, the value as read), when one
    # did: the workbook gives each its own column, to filter on, besides the message.
    problem: Problem | None = None

    @property
    def to_act_on(self) -> bool:
        """Rejected, invalid or unknown, or posted with something left to do by hand."""
        return to_act_on(self.outcome, self.code)


@dataclass(frozen=True)
class Problem:
    """One cell that cannot be used, with what would fix it; `code` is stable."""

    field: str
    column: str
    raw: CellValue
    code: str
    message: str

    def text(self) -> Said:
        raw = self.raw.isoformat() if isinstance(self.raw, date) else self.raw
        shown = "" if raw is None else format(raw, "f") if isinstance(raw, Decimal) else str(raw)
        return say(
            "column {column!r}, value {value!r}: {message}",
            column=self.column,
            value=shown,
            message=self.message,
        )


@dataclass(frozen=True)
class Transaction:
    """A source row read through its profile: the bank transaction in canonical fields.

    `amount` carries its sign (negative is outgoing); `paydate` is the payment date where the
    export has one, else the value date, else the booking date.
    """

    row: SourceRow
    amount: Decimal | None
    booking_date: date | None
    value_date: date | None
    payment_date: date | None
    paydate: date | None
    reference: str
    payer: str
    message: str
    archive_id: str
    billnum: str
    jobid: str
    currency: str
    verdict: Verdict | None = None
    problems: tuple[Problem, ...] = ()

    def problem(self, *fields: str) -> Problem | None:
        """The first problem with one of `fields`, in the order the fields are given."""
        for name in fields:
            for problem in self.problems:
                if problem.field == name:
                    return problem
        return None
