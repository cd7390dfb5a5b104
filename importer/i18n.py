"""The words the accountant reads, in Finnish, Swedish or English (gettext catalogues).

Each language has a catalogue, `importer/locale/<lang>/LC_MESSAGES/ropo_import.po`, the
gettext format translators and their tools know; Babel reads it (no compile step, no binary
file in git). English is the source language: its words are the msgids themselves. Codes
(`bad-reference`, `status-10`) are never translated: they are for filtering and support.

Numbers and dates follow the language's conventions through Babel (`1 234,56 €`, `2.11.2026`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

Lang = Literal["fi", "sv", "en"]
LANGS: tuple[Lang, ...] = ("fi", "sv", "en")
DOMAIN = "ropo_import"
LOCALES: dict[Lang, str] = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
CATALOGUES = Path(__file__).parent / "locale"


def choose_lang(setting: str | None = None, environ: Mapping[str, str] | None = None) -> Lang:
    """The language asked for, else the locale's (LC_ALL, LC_MESSAGES, LANG: `fi_FI.UTF-8`
    gives Finnish), else English."""
    if setting:
        return _known(setting) or "en"
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        found = _known(env.get(name, ""))
        if found:
            return found
    return "en"


def _known(value: str) -> Lang | None:
    code = value.split(".")[0].split("_")[0].split("-")[0].lower()
    return code if code in LANGS else None


@dataclass(frozen=True)
class Words:
    """One language's words: `words("Results")`, `words("{n} rows", n=3)`."""

    lang: Lang
    texts: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, msgid: str, /, **params: object) -> str:
        text = self.texts.get(msgid) or msgid
        return text.format(**params) if params else text

    def money(self, value: Decimal, currency: str = "EUR") -> str:
        from babel.numbers import format_currency

        return format_currency(value, currency, locale=LOCALES[self.lang])

    def number(self, value: Decimal) -> str:
        from babel.numbers import format_decimal

        return format_decimal(value, format="#,##0.00", locale=LOCALES[self.lang])

    def day(self, value: date) -> str:
        from babel.dates import format_date

        return format_date(
            value, format="short" if self.lang == "en" else "d.M.yyyy", locale=LOCALES[self.lang]
        )


@cache
def words(lang: Lang) -> Words:
    """The catalogue of `lang`, read once (English: the msgids themselves)."""
    if lang == "en":
        return Words("en")
    from babel.messages.pofile import read_po

    path = CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as file:
        catalogue = read_po(file, locale=LOCALES[lang])
    texts = {
        str(message.id): str(message.string)
        for message in catalogue
        if message.id and isinstance(message.id, str) and message.string
    }
    return Words(lang, texts)
