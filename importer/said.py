"""A problem message as data: its English template and the values it names.

`say("line {line} has {count} fields", line=12, count=5)` is a `Said`: a str whose text is the
English sentence, as logs, the CSV round trip and the goldens have always read it, that also
keeps its template (the msgid of the catalogues) and its values, so any surface renders it in
its reader's language with `in_words(message, words)`. A value may be another Said (a message
that wraps another), a date or a money Decimal (shown in the language's convention there), a
tuple of values (listed with commas), an Enum of ours (its value is a msgid), or anything
else, shown as is: a cell's value is quoted as read.

Templates are literal strings at each `say(...)`, so tests/test_translations.py finds every
one in the source and holds the catalogues to them. Importing this module stays cheap: no
Babel, no pandas (Babel is imported only when a non-English language renders a value).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importer.i18n import Words


class Said(str):
    """A message in English (the str itself), with `template` and `values` to translate it."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, values: dict[str, object]) -> Said:
        english = {name: _english(value) for name, value in values.items()}
        said = super().__new__(cls, template.format(**english) if values else template)
        said.template, said.values = template, values
        return said

    def __reduce__(self) -> tuple[object, ...]:
        return (Said, (self.template, self.values))

    def words(self, words: Words) -> str:
        """The message in the language of `words` (English: the text itself)."""
        if words.lang == "en":
            return str(self)
        shown = {name: _shown(value, words) for name, value in self.values.items()}
        return words(self.template, **shown)


def say(template: str, /, **values: object) -> Said:
    """The message `template` (an English str.format text, the msgid) with its values."""
    return Said(template, values)


def in_words(message: str, words: Words) -> str:
    """A message in the language of `words`: a Said translated; any other text (one read back
    from a journal or a CSV of an earlier run) translated where it is a whole msgid, else as
    it is."""
    return message.words(words) if isinstance(message, Said) else words(message)


class Phrase(str):
    """A registry's English text whose translation the catalogues hold (a statusid's
    meaning): a value worded by looking it up, as `words(text)` does."""


class Reason(Said):
    """A message's reason without its advice: the text before its first ';', in any language
    (a found reference named beside why it is not taken)."""

    def __new__(cls, message: str) -> Reason:
        reason = str.__new__(cls, message.split(";")[0])
        reason.template, reason.values = "{message}", {"message": message}
        return reason

    def __reduce__(self) -> tuple[object, ...]:
        return (Reason, (self.values["message"],))

    def words(self, words: Words) -> str:
        message = self.values["message"]
        shown = in_words(message, words) if isinstance(message, str) else str(message)
        return shown.split(";")[0]


def listed(items: Iterable[str]) -> str:
    """The items as a choice, "a, b or c": each worded as said, the "or" translated."""
    shown = tuple(items)
    if len(shown) < 2:
        return "".join(shown)
    return say("{head} or {last}", head=shown[:-1], last=shown[-1])


def _english(value: object) -> object:
    if isinstance(value, tuple):
        return ", ".join(str(_english(item)) for item in value)
    if isinstance(value, datetime):  # a moment of ours (when a run was): to the minute
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _shown(value: object, words: Words) -> object:
    if isinstance(value, tuple):
        return ", ".join(str(_shown(item, words)) for item in value)
    if isinstance(value, Said):
        return value.words(words)
    if isinstance(value, datetime):
        return f"{words.day(value.date())} {value:%H:%M}"
    if isinstance(value, date):
        return words.day(value)
    if isinstance(value, Phrase):
        return words(str(value))
    if isinstance(value, Enum):  # a name of ours (an outcome): its value is the msgid
        return words(str(value.value))
    if isinstance(value, Decimal):
        return words.money(value)
    return value
