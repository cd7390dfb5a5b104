"""Rows of the Results and Needs attention sheets keyed as the tests know them: our columns
by their key (`source_row`, `outcome`, `code`, ...) whatever their title in the workbook's
language, the bank's and the API's columns by their header."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from importer.i18n import Lang, words
from importer.workbook.headings import ATTENTION, TITLES, keys_of


def keyed(header: Sequence[Any], sheet: str, lang: Lang = "en") -> list[str]:
    """The keys of a sheet's header: Results' or else Needs attention's columns of ours."""
    among = tuple(TITLES) if sheet in ("Results", "Tulokset", "Resultat") else ATTENTION
    return keys_of([str(name) for name in header], words(lang), among)


def as_records(
    rows: Sequence[Sequence[Any]], sheet: str, lang: Lang = "en"
) -> list[dict[str, Any]]:
    header, *data = rows
    keys = keyed(header, sheet, lang)
    return [
        dict(zip(keys, tuple(row) + (None,) * (len(keys) - len(row)), strict=True)) for row in data
    ]
