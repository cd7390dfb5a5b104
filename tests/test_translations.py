"""The Finnish and Swedish catalogues are whole: every code's what-to-do and every statusid's
meaning has its translation, and no entry of either catalogue (whoever wrote it) is empty,
left in English, drops or invents a placeholder, changes a `code` in backticks, or is missing
from the other catalogue.

Each check is a function that returns its complaints, so the same function runs on the real
catalogues (no complaint) and on a spoiled copy (the complaint names what is wrong).
"""

from __future__ import annotations

import ast
import io
import re
import string
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from importer import problems
from importer.i18n import CATALOGUES, DOMAIN, LOCALES, Lang, Words, words
from importer.models import STATUS_UNLISTED, STATUSES, status_meaning
from importer.readers.kinds import RETURN_REASONS

TRANSLATED: tuple[Lang, ...] = ("fi", "sv")


def po_text(lang: Lang) -> str:
    return (CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po").read_text("utf-8")


def parse(text: str, lang: Lang) -> Catalog:
    # abort_invalid: a broken entry fails here instead of being dropped without a word
    return read_po(io.BytesIO(text.encode("utf-8")), locale=LOCALES[lang], abort_invalid=True)


def entries(catalogue: Catalog) -> Iterator[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(msgid as named in a complaint, its English texts, its translations), header left out."""
    for message in catalogue:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        strings = (message.string,) if isinstance(message.string, str) else message.string
        yield ids[0], ids, tuple(s or "" for s in strings)


def registry_texts() -> dict[str, str]:
    """English text -> what it belongs to: each code's todo, each statusid's meaning."""
    owners: dict[str, str] = {}
    for code in problems.CODES.values():
        owners.setdefault(code.todo, f"code {code.name}")
    for statusid, (_, meaning) in STATUSES.items():
        owners.setdefault(meaning, f"statusid {statusid}")
    owners.setdefault(STATUS_UNLISTED, "an unlisted statusid")
    return owners


def missing_registry_texts(catalogue: Catalog, lang: Lang) -> list[str]:
    complaints = []
    for code in problems.CODES.values():
        message = catalogue.get(code.todo)
        if message is None or not message.string:
            complaints.append(f"{lang}: no translation of the todo of {code.name}: {code.todo!r}")
    meanings = [(str(n), m) for n, (_, m) in STATUSES.items()] + [("?", STATUS_UNLISTED)]
    for statusid, meaning in meanings:
        message = catalogue.get(meaning)
        if message is None or not message.string:
            complaints.append(f"{lang}: no translation of statusid {statusid}: {meaning!r}")
    return complaints


# Words that read the same in English and in Finnish or Swedish (`status` is Swedish too).
SAME_WORDS = frozenset({"status", "total"})


def code_like(text: str) -> bool:
    """Whether `text` may read the same in a translation: one token that is not a plain
    English word (`SHA-256`, `OHISPAY`, `Status`, `{n}`), or names and figures only
    (`Ropo One`, `IBAN`), with no word of English prose."""
    tokens = text.split()
    if len(tokens) == 1 and (tokens[0] in SAME_WORDS or not tokens[0].isalpha()):
        return True
    return not any(token[0].islower() for token in tokens)


def untranslated(catalogue: Catalog, lang: Lang) -> list[str]:
    complaints = []
    for name, ids, strings in entries(catalogue):
        if any(not s.strip() for s in strings):
            complaints.append(f"{lang}: empty msgstr for {name!r}")
        elif strings[0] in ids and not code_like(strings[0]):
            complaints.append(f"{lang}: msgstr is the English text for {name!r}")
    return complaints


def placeholders(text: str) -> set[str] | None:
    """The str.format fields of `text` ({n}, {code}), or None if it does not format at all."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text)]
    except ValueError:
        return None
    return {re.split(r"[.\[!:]", field)[0] for field in fields if field is not None}


def placeholder_mismatches(catalogue: Catalog, lang: Lang) -> list[str]:
    complaints = []
    for name, ids, strings in entries(catalogue):
        wanted = set().union(*(placeholders(i) or set() for i in ids))
        for text in strings:
            got = placeholders(text)
            if got != wanted:
                shown = "unbalanced braces" if got is None else sorted(got)
                complaints.append(
                    f"{lang}: {name!r} has placeholders {sorted(wanted)}, its msgstr {shown}"
                )
    return complaints


def backticked(text: str) -> Counter[str]:
    return Counter(re.findall(r"`([^`]+)`", text))


def changed_code(catalogue: Catalog, lang: Lang) -> list[str]:
    """A `code` in backticks (an option, a key, a command) reads the same in every language."""
    return [
        f"{lang}: {name!r} quotes {sorted(backticked(ids[0]))}, its msgstr {sorted(backticked(s))}"
        for name, ids, strings in entries(catalogue)
        for s in strings
        if backticked(s) != backticked(ids[0])
    ]


def msgid_lines(text: str) -> list[str]:
    """Each msgid as written in the file (continuation lines joined), header left out."""
    found = re.findall(r'^msgid ((?:".*"\n)+)', text + "\n", flags=re.MULTILINE)
    joined = ["".join(re.findall(r'^"(.*)"$', block, flags=re.MULTILINE)) for block in found]
    return [msgid for msgid in joined if msgid]


def duplicates(text: str, lang: Lang) -> list[str]:
    """Babel keeps the last of two equal msgids without a word: two sections must not both
    carry one (it would be translated twice, maybe differently)."""
    counts = Counter(msgid_lines(text))
    return [f"{lang}: msgid {msgid!r} is written {n} times" for msgid, n in counts.items() if n > 1]


# A line of a catalogue: a comment, a blank, a keyword and one quoted string, or a continuation.
PO_LINE = re.compile(
    r'(#.*|\s*|(msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?) "(?:[^"\\]|\\.)*"|"(?:[^"\\]|\\.)*")'
)


def malformed_lines(text: str, lang: Lang) -> list[str]:
    return [
        f"{lang}, line {number}: {line}"
        for number, line in enumerate(text.splitlines(), start=1)
        if not PO_LINE.fullmatch(line)
    ]


def msgid_differences(first: Catalog, second: Catalog) -> list[str]:
    ids = {lang: {name for name, _, _ in entries(c)} for lang, c in (("fi", first), ("sv", second))}
    return [
        f"msgid {name!r} is in the {lang} catalogue, not in the {other} one"
        for lang, other in (("fi", "sv"), ("sv", "fi"))
        for name in sorted(ids[lang] - ids[other])
    ]


def every_complaint(lang: Lang, catalogue: Catalog) -> list[str]:
    return (
        missing_registry_texts(catalogue, lang)
        + untranslated(catalogue, lang)
        + placeholder_mismatches(catalogue, lang)
        + changed_code(catalogue, lang)
    )


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_code_and_statusid_reads_in_the_language(lang: Lang) -> None:
    assert missing_registry_texts(parse(po_text(lang), lang), lang) == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_entry_is_translated_with_its_placeholders_and_codes(lang: Lang) -> None:
    text = po_text(lang)
    assert every_complaint(lang, parse(text, lang)) == []
    assert duplicates(text, lang) == []
    assert malformed_lines(text, lang) == []


def test_both_catalogues_have_the_same_msgids() -> None:
    fi, sv = (parse(po_text(lang), lang) for lang in TRANSLATED)
    assert msgid_differences(fi, sv) == []
    assert len(list(entries(fi))) >= len(registry_texts())


def test_the_registry_texts_are_counted() -> None:
    # 25 todos and 10 statusids' meanings and the unlisted one, at the time of writing; a
    # catalogue cannot pass by the registry being read as empty
    assert len(registry_texts()) >= 36


# The checks on spoiled copies: each names what is wrong.


def spoiled(lang: Lang, old: str, new: str) -> str:
    text = po_text(lang)
    assert old in text, old
    return text.replace(old, new, 1)


def test_a_missing_todo_names_the_code_and_the_language() -> None:
    text = spoiled(
        "sv",
        'msgid "correct the reference from the invoice"\n'
        'msgstr "rätta referensnumret enligt fakturan"\n',
        "",
    )
    complaints = missing_registry_texts(parse(text, "sv"), "sv")
    assert complaints == [
        "sv: no translation of the todo of bad-reference: 'correct the reference from the invoice'",
        "sv: no translation of the todo of missing-reference: "
        "'correct the reference from the invoice'",
    ]


def test_a_missing_status_meaning_names_the_statusid() -> None:
    text = spoiled("fi", 'msgstr "Ropo One ohitti maksun"', 'msgstr ""')
    assert missing_registry_texts(parse(text, "fi"), "fi") == [
        "fi: no translation of statusid 8: 'Ropo One ignored the payment'"
    ]


def test_an_english_or_empty_msgstr_is_named() -> None:
    text = spoiled("fi", 'msgstr "tarkista tiliote; `--allow-identical`"', 'msgstr ""')
    text = text.replace('msgstr "ei mitään"', 'msgstr "nothing"')
    assert untranslated(parse(text, "fi"), "fi") == [
        "fi: msgstr is the English text for 'nothing'",
        "fi: empty msgstr for 'check the bank statement; `--allow-identical`'",
    ]


def test_code_like_texts_may_read_the_same() -> None:
    assert code_like("OHISPAY")
    assert code_like("SHA-256")
    assert code_like("Ropo One")
    assert code_like("{n}")
    assert not code_like("the payment was registered")
    assert not code_like("Ropo One ignored the payment")


def test_a_placeholder_lost_or_invented_is_named() -> None:
    text = po_text("sv") + '\nmsgid "{n} rows of {total}"\nmsgstr "{n} rader av {summa}"\n'
    text += '\nmsgid "{code} only"\nmsgstr "bara {code"\n'
    assert placeholder_mismatches(parse(text, "sv"), "sv") == [
        "sv: '{n} rows of {total}' has placeholders ['n', 'total'], its msgstr ['n', 'summa']",
        "sv: '{code} only' has placeholders ['code'], its msgstr unbalanced braces",
    ]


def test_a_translated_option_is_named() -> None:
    text = spoiled("fi", "`--dry-run`-valitsinta", "`--kuiva-ajo`-valitsinta")
    assert changed_code(parse(text, "fi"), "fi") == [
        "fi: 'run again without `--dry-run` to send it' quotes ['--dry-run'], "
        "its msgstr ['--kuiva-ajo']"
    ]


def test_a_msgid_in_one_catalogue_only_is_named() -> None:
    fi = parse(po_text("fi") + '\nmsgid "Payer of the month"\nmsgstr "Kuukauden maksaja"\n', "fi")
    sv = parse(po_text("sv"), "sv")
    assert msgid_differences(fi, sv) == [
        "msgid 'Payer of the month' is in the fi catalogue, not in the sv one"
    ]


def test_a_msgid_written_twice_is_named() -> None:
    text = po_text("fi") + '\nmsgid ""\n"nothing"\nmsgstr "ei mitään"\n'
    assert duplicates(text, "fi") == ["fi: msgid 'nothing' is written 2 times"]


def test_a_broken_catalogue_does_not_parse() -> None:
    with pytest.raises(PoFileError, match="misformatted"):
        parse(po_text("sv") + '\nmsgid "Payer"\nBetalare\n', "sv")


def test_an_unclosed_quote_is_named() -> None:
    # Babel reads `msgstr "Betalare` as "Betalar" without a word: the line check catches it
    text = po_text("sv") + '\nmsgid "Payer of the month"\nmsgstr "Betalare\n'
    assert parse(text, "sv").get("Payer of the month").string == "Betalar"
    lines = len(text.splitlines())
    assert malformed_lines(text, "sv") == [f'sv, line {lines}: msgstr "Betalare']


# The functions the workbook and the terminal call.


def test_todo_in_reads_the_codes_advice_in_each_language() -> None:
    assert problems.todo_in("bad-reference", words("fi")) == "korjaa viitenumero laskulta"
    assert problems.todo_in("bad-reference", words("sv")) == "rätta referensnumret enligt fakturan"
    assert (
        problems.todo_in("bad-reference", words("en")) == "correct the reference from the invoice"
    )
    # a family's code reads its family's advice
    assert problems.todo_in("status-10", words("fi")) == words("fi")(
        problems.CODES["status-N"].todo
    )
    assert problems.todo_in("status-10", words("fi")) != problems.CODES["status-N"].todo


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_code_reads_other_than_english(lang: Lang) -> None:
    w = words(lang)
    left_in_english = [
        code.name for code in problems.CODES.values() if problems.todo_in(code.name, w) == code.todo
    ]
    assert left_in_english == [], f"{lang}: these codes' todo reads in English"


def test_todo_in_refuses_an_unknown_code() -> None:
    with pytest.raises(KeyError, match="no-such-code"):
        problems.todo_in("no-such-code", words("fi"))


def test_status_meaning_in_each_language() -> None:
    assert (
        status_meaning(10, words("fi"))
        == "tällä tunnisteella ei löydy laskua; tarkista viitenumero"
    )
    assert status_meaning(10, words("sv")).endswith("kontrollera referensnumret")
    assert status_meaning(10, words("en")) == STATUSES[10][1]
    assert status_meaning(7, words("en")) == STATUS_UNLISTED
    assert status_meaning(7, words("sv")) == "en status som Ropo Ones dokumentation inte nämner"


def test_the_english_texts_are_the_msgids() -> None:
    # English reads the registry's own texts: Words("en") has no catalogue to drift from
    english = Words("en")
    assert all(problems.todo_in(c.name, english) == c.todo for c in problems.CODES.values())


# Problem messages (importer/said.py): every template a `say(...)` writes, and every phrase a
# message looks up, reads in each catalogue with the same placeholders.

PACKAGE = CATALOGUES.parent


def said_templates(root: Path = PACKAGE) -> dict[str, str]:
    """Each template a `say(...)` call of the package writes -> where it is first written.
    A call whose template is not a literal string is named under its place, with "?"."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say":
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.setdefault(first.value, where)
                else:
                    found[f"? {where}"] = where
    return found


def message_texts() -> dict[str, str]:
    """English text -> where it comes from: the templates, and the phrases messages look up."""
    texts = said_templates()
    for code, meaning in RETURN_REASONS.items():
        texts.setdefault(meaning, f"return reason {code}")
    return texts


def missing_message_texts(catalogue: Catalog, lang: Lang) -> list[str]:
    complaints = []
    for text, where in message_texts().items():
        if text.startswith("? "):
            complaints.append(f"{where}: say() needs a literal template, to be translated")
            continue
        message = catalogue.get(text)
        if message is None or not message.string:
            complaints.append(f"{lang}: no translation of {text!r} ({where})")
        elif placeholders(str(message.string)) != placeholders(text):
            complaints.append(f"{lang}: {text!r} ({where}) has other placeholders translated")
    return complaints


def test_the_scan_finds_the_templates() -> None:
    texts = said_templates()
    assert len(texts) >= 150  # 150 at the time of writing
    assert "column {column!r}, value {value!r}: {message}" in texts
    assert texts["the reference is empty"].startswith("importer/references.py:")
    assert not [text for text in texts if text.startswith("? ")]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_problem_message_reads_in_the_language(lang: Lang) -> None:
    assert missing_message_texts(parse(po_text(lang), lang), lang) == []


def test_a_missing_message_names_its_template_and_where_it_is_said() -> None:
    text = spoiled("fi", 'msgstr "viitenumero puuttuu"', 'msgstr ""')
    text = spoiled_text(text, 'msgstr "{head} tai {last}"', 'msgstr "{head} tai {viimeinen}"')
    complaints = missing_message_texts(parse(text, "fi"), "fi")
    where = said_templates()
    assert complaints == [
        f"fi: no translation of 'the reference is empty' ({where['the reference is empty']})",
        f"fi: '{{head}} or {{last}}' ({where['{head} or {last}']}) has other placeholders "
        "translated",
    ]


def test_a_template_that_is_not_literal_is_named(tmp_path: Path) -> None:
    package = tmp_path / "importer"
    package.mkdir()
    (package / "m.py").write_text('say("fine {n}", n=1)\nsay(TEXT)\n', "utf-8")
    assert said_templates(package) == {
        "fine {n}": "importer/m.py:1",
        "? importer/m.py:2": "importer/m.py:2",
    }


def spoiled_text(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_built_in_profile_title_reads_in_the_language(lang: Lang) -> None:
    """The Summary, the terminal and the page say what a file was read as in the user's
    language; a profile of the user's own keeps its title as written."""
    from importer.profiles import builtin_profiles

    w = words(lang)
    untranslated = [p.name for p in builtin_profiles() if w(p.title) == p.title]
    assert not untranslated
    assert w("Acme Bank, my own {format}") == "Acme Bank, my own {format}"
