"""ISO 20022 camt.054 (debit/credit notification) and camt.053 (statement), any version.

One row per payment: each `TxDtls`, taking the booking date, value date and status from its
`Ntry` (bank-formats.md section 2). The archive id is the detail's own `Refs/AcctSvcrRef`, or
the entry's when the entry holds one payment only; the same rule for the amount. Elements are
found by local name, so .001.02 and newer namespaces read alike. Parsed with defusedxml: a DTD
or an entity declaration refuses the file before anything is expanded.

An entry that itemises fewer payments than its batch holds is a daily total (the statement's
"705 SAAPUVAT VIITEMAKSUT"): it is refused, never posted as one payment. A reversal (RvslInd),
a return (RtrInf) and a direct debit (704 SUORAVELOITUKSET, family IDDT or RDDT) are read with
their verdict from kinds.py, so they are skipped with their own code, whichever their sign.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from importer.errors import ReadError
from importer.models import CellValue, SourceRow, SourceTable, Verdict
from importer.readers import kinds, remittance
from importer.readers.camt_totals import bank_code, check_entry_sum, refuse_totals
from importer.readers.limits import check_size
from importer.readers.xmltree import children, every, find, local, text
from importer.said import Phrase, say

HEADERS = (
    "Entry",
    "Status",
    "CdtDbtInd",
    "BookgDt",
    "ValDt",
    "AccptncDtTm",
    "AcctSvcrRef",
    "Amt",
    "Ccy",
    "Dbtr",
    "Ref",
    "RfrdDocNb",
    "Ustrd",
    "BkTxCd",
    "Part",
    "Remittance",
    "CreditNotes",
    "CreditNote",
)
ROOTS = {
    "BkToCstmrDbtCdtNtfctn": ("camt.054", "Ntfctn"),
    "BkToCstmrStmt": ("camt.053", "Stmt"),
    "BkToCstmrAcctRpt": ("camt.052", "Rpt"),
}
MAX_BYTES = 512 * 1024 * 1024
_CHUNK = 1 << 20


def read(path: Path) -> SourceTable:
    """Read every credit and debit entry's payments; refuse daily totals."""
    root, lines = _parse(path)
    message = next((child for child in root if local(child) in ROOTS), None)
    if message is None:
        found = local(next(iter(root), root))
        raise ReadError(
            say(
                "{path}: an XML file, but not camt.054 or camt.053 (it holds <{found}>); "
                "download the incoming reference payments as camt.054 or KTL",
                path=path,
                found=found,
            )
        )
    kind, section = ROOTS[local(message)]
    rows: list[SourceRow] = []
    for report in children(message, section):
        for entry in children(report, "Ntry"):
            rows += _entry_rows(path, kind, entry, lines)
    return SourceTable(file=str(path), headers=HEADERS, rows=rows, form=f"{kind} XML")


class _Lines(ET.TreeBuilder):
    """A tree builder that names each element by its local name (xmltree.py finds them so,
    whatever the namespace version) and remembers the line each entry and payment starts on,
    for the rows and the messages."""

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[ET.Element, int] = {}
        self.line: Callable[[], int] = _no_line  # expat's, while it parses

    def opened(self, tag: str, attributes: list[str]) -> ET.Element:
        """expat's start of an element: its name as "namespace}Local", its attributes as a
        flat list of names and values."""
        name = tag.rpartition("}")[2]
        element = self.start(name, _attributes(attributes) if attributes else {})
        if name in _LINED:
            self.at[element] = self.line()
        return element


_LINED = frozenset({"Ntry", "TxDtls"})  # the elements rows and messages give the line of


def _attributes(flat: list[str]) -> dict[str, str]:
    """Names and values as ElementTree keeps them: a namespaced name as "{namespace}name"."""
    pairs = zip(flat[::2], flat[1::2], strict=True)
    return {"{" + name if "}" in name else name: value for name, value in pairs}


def _parse(path: Path) -> tuple[ET.Element, dict[ET.Element, int]]:
    check_size(path, path.stat().st_size, MAX_BYTES)
    target = _Lines()
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    expat = parser.parser  # defusedxml's handlers on it refuse any DTD, entity or external
    # Each element goes straight to the builder, without the parser's Python layers around
    # it: a camt.054 of 100,000 payments holds three million of them.
    expat.StartElementHandler = target.opened
    expat.EndElementHandler = target.end
    target.line = lambda: expat.CurrentLineNumber
    try:
        with path.open("rb") as handle:
            fed = 0
            while chunk := handle.read(_CHUNK):
                fed += len(chunk)
                check_size(path, fed, MAX_BYTES)  # a file that grows, or a pipe
                parser.feed(chunk)
        return parser.close(), target.at
    except DefusedXmlException as exc:
        raise ReadError(
            say(
                "{path}: refused: the XML declares a DTD or entities ({error}), "
                "which bank files never do; download the file from the bank again",
                path=path,
                error=type(exc).__name__,
            )
        ) from None
    except ET.ParseError as exc:
        line, column = exc.position
        cut = "no element found" in str(exc)
        what = Phrase("is cut off" if cut else "is not well-formed")
        raise ReadError(
            say(
                "{path}: the XML {what} (line {line}, column {column}); download it again",
                path=path,
                what=what,
                line=line,
                column=column,
            )
        ) from None
    finally:
        # expat's handlers hold the builder (and so the whole tree): the builder must not
        # hold expat back, or the tree waits for the cyclic collector instead of going when
        # the caller drops it.
        target.line = _no_line


def _no_line() -> int:
    return 0


def _entry_rows(
    path: Path, kind: str, entry: ET.Element, lines: dict[ET.Element, int]
) -> list[SourceRow]:
    details = [d for block in children(entry, "NtryDtls") for d in children(block, "TxDtls")]
    booked = _date(entry, "BookgDt")
    batch = text(entry, "NtryDtls", "Btch", "NbOfTxs")
    entry_amount = text(entry, "Amt")
    refuse_totals(path, kind, entry, details, batch, lines)
    single = len(details) <= 1
    shared = (
        _status(entry),
        text(entry, "CdtDbtInd"),
        booked,
        _date(entry, "ValDt"),
    )
    if not details:
        lone: tuple[CellValue, ...] = (
            text(entry, "AcctSvcrRef"),
            *shared,
            "",
            text(entry, "AcctSvcrRef"),
            entry_amount,
            _currency(entry, "Amt"),
            "",
            "",
            "",
            text(entry, "AddtlNtryInf"),
            bank_code(entry),
            "",
            "",
            "",
            "",
        )
        line = lines.get(entry, 0)
        return [SourceRow(str(path), line, lone, verdict=_kind(entry, None))]
    rows = []
    amounts: list[str] = []
    for detail in details:
        amount, currency = _detail_amount(detail)
        booked = _currency(entry, "Amt")
        # What the account booked is the entry's amount: a payment instructed in another
        # currency (a euro payment to a franc account) is converted on the way.
        foreign = bool(currency and booked and currency != booked)
        if single and (not amount or foreign):
            amount, currency, foreign = entry_amount, booked, False
        # Only amounts in the entry's own currency add up to it.
        amounts.append("" if foreign else amount)
        archive = text(detail, "Refs", "AcctSvcrRef") or (
            text(entry, "AcctSvcrRef") if single else ""
        )
        direction = text(detail, "CdtDbtInd") or shared[1]
        cells: tuple[CellValue, ...] = (
            text(entry, "AcctSvcrRef"),
            shared[0],
            direction,
            shared[2],
            shared[3],
            text(detail, "RltdDts", "AccptncDtTm"),
            archive,
            amount,
            currency,
            _payer(detail),
            _reference(detail),
            text(detail, "RmtInf", "Strd", "RfrdDocInf", "Nb"),
            " ".join(e.text.strip() for e in every(detail, "RmtInf", "Ustrd") if e.text),
            bank_code(entry),
            "",
            "",
            "",
            "",
        )
        line = lines.get(detail, 0)
        verdict = _kind(entry, detail)
        documents = _documents(detail)
        # The company's own payments (DBIT) are skipped as outgoing: never split.
        plain = verdict is not None or direction.upper() == "DBIT"
        parts = None if plain else remittance.split(amount, documents, archive, currency)
        if isinstance(parts, Verdict):
            verdict, parts = parts, None
        if remittance.says_more(documents):
            cells = (*cells[:15], remittance.describe(documents), *cells[16:])
        if not parts:
            rows.append(SourceRow(str(path), line, cells, verdict=verdict))
            continue
        for part in parts:
            noted = part.remittance
            mine = noted.credit_notes if noted and noted.registers is None else ()
            shown: tuple[CellValue, ...] = (
                *cells[:6],
                part.archive,
                # A registration moves no money: its amount is the credit note's, kept in the
                # remittance, so a copy of the row saved as CSV can never send it as a payment.
                "0.00" if part.credit_note else part.amount,
                *cells[8:10],
                part.reference,
                part.number,
                *cells[12:14],
                _part_name(part),
                cells[15],
                "; ".join(str(c) for c in mine),
                part.credit_note,
            )
            rows.append(SourceRow(str(path), line, shown, remittance=noted))
    check_entry_sum(path, entry, entry_amount, amounts, lines)
    return rows


def _documents(detail: ET.Element) -> list[remittance.Document]:
    """Every structured remittance block of a payment: the invoices and credit notes it names."""
    found = []
    for block in every(detail, "RmtInf", "Strd"):
        kind = text(block, "RfrdDocInf", "Tp", "CdOrPrtry", "Cd").upper()
        found.append(
            remittance.Document(
                credit_note=kind == "CREN",
                reference=text(block, "CdtrRefInf", "Ref"),
                number=text(block, "RfrdDocInf", "Nb"),
                remitted=text(block, "RfrdDocAmt", "RmtdAmt"),
                due=text(block, "RfrdDocAmt", "DuePyblAmt"),
                deducted=text(block, "RfrdDocAmt", "CdtNoteAmt"),
                discount=text(block, "RfrdDocAmt", "DscntApldAmt"),
                currencies=tuple(
                    amount.get("Ccy", "")
                    for amounts in children(block, "RfrdDocAmt")
                    for amount in amounts
                ),
            )
        )
    return found


def _part_name(part: remittance.Part) -> str:
    noted = part.remittance
    if noted is None:
        return ""
    if noted.registers is not None:
        return "credit note registration"
    return noted.part or "invoice with credit notes"


def _kind(entry: ET.Element, detail: ET.Element | None) -> Verdict | None:
    """A reversal, a return or a direct debit: money that is not an invoice payment."""
    own = [detail] if detail is not None else []
    returns = [r for d in own for r in children(d, "RtrInf")]
    reason = next((_return_reason(r) for r in returns if _return_reason(r)), "")
    if text(entry, "RvslInd").lower() in ("true", "1"):
        return kinds.reversal("RvslInd true", reason)
    codes = [_bank_codes(e) for e in (*own, entry)]
    if returns:
        return kinds.returned("RtrInf", reason)
    for proprietary, *iso in codes:
        if iso[2] == "RRTN":  # the ISO sub-family "reversal due to payment return"
            return kinds.returned(kinds.bank_code("/".join(iso)), reason)
        if proprietary.startswith("704") or "SUORAVELOITU" in proprietary.upper():
            return kinds.direct_debit(kinds.bank_code(proprietary))
        if iso[1] in ("IDDT", "RDDT"):  # issued and received direct debits
            return kinds.direct_debit(kinds.bank_code("/".join(filter(None, iso))))
    for element in (*own, entry):
        for name in ("AddtlTxInf", "AddtlNtryInf"):
            if "SUORAVELOITU" in text(element, name).upper():
                return kinds.direct_debit(f"{name} {text(element, name)!r}")
    return None


def _return_reason(info: ET.Element) -> str:
    return text(info, "Rsn", "Cd") or text(info, "Rsn", "Prtry")


def _bank_codes(element: ET.Element) -> tuple[str, str, str, str]:
    """BkTxCd: the proprietary code, and the ISO domain, family and sub-family."""
    domain = find(element, "BkTxCd", "Domn")
    if domain is None:
        return (text(element, "BkTxCd", "Prtry", "Cd"), "", "", "")
    return (
        text(element, "BkTxCd", "Prtry", "Cd"),
        text(domain, "Cd"),
        text(domain, "Fmly", "Cd"),
        text(domain, "Fmly", "SubFmlyCd"),
    )


def _detail_amount(detail: ET.Element) -> tuple[str, str]:
    for path in (("AmtDtls", "TxAmt", "Amt"), ("Amt",)):
        element = find(detail, *path)
        if element is not None and element.text:
            return element.text.strip(), element.get("Ccy", "")
    return "", ""


def _reference(detail: ET.Element) -> str:
    """The structured creditor reference (SCOR): Finnish, or RF when its issuer is ISO."""
    for structured in every(detail, "RmtInf", "Strd"):
        reference = text(structured, "CdtrRefInf", "Ref")
        if reference:
            return reference
    return ""


def _payer(detail: ET.Element) -> str:
    """The ultimate debtor where given (whose invoice it is), else the debtor."""
    for party in ("UltmtDbtr", "Dbtr"):
        element = find(detail, "RltdPties", party)
        if element is not None:
            name = text(element, "Nm") or text(element, "Pty", "Nm")
            if name:
                return name
    return ""


def _status(entry: ET.Element) -> str:
    return text(entry, "Sts", "Cd") or text(entry, "Sts")


def _date(entry: ET.Element, name: str) -> str:
    return text(entry, name, "Dt") or text(entry, name, "DtTm")


def _currency(element: ET.Element, name: str) -> str:
    found = find(element, name)
    return found.get("Ccy", "") if found is not None else ""
