"""Open a bank export: recognise its profile, read it, find its columns.

The first two stages of every run, and all that `inspect` needs: no credentials, no network.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from importer.errors import ProfileError, ReadError
from importer.mapping import Columns, locate
from importer.models import SourceTable
from importer.preamble import with_header_found
from importer.profiles import Profile, choose_profile, detect_profile
from importer.profiles.likeness import damage_note, repaired
from importer.readers import Kind, head, read_table, sniff
from importer.readers.limits import MAX_FILE_BYTES
from importer.said import say


@dataclass(frozen=True)
class Export:
    """A bank export read through its profile."""

    kind: Kind
    table: SourceTable
    columns: Columns

    @property
    def profile(self) -> Profile:
        return self.columns.profile


def open_export(
    path: Path, profile: str | Profile | None = None, max_bytes: int = MAX_FILE_BYTES
) -> Export:
    """Take the profile (a name, a path or a Profile) or recognise it; refuse what it refuses,
    and a file above `max_bytes` before reading it."""
    first = head(path, max_bytes)
    kind = sniff(path, first)
    chosen = choose_profile(profile) if isinstance(profile, str) else profile
    chosen = chosen or detect_profile(path, kind, first)
    if chosen.refuse:
        raise ReadError(f"{path}: this is {chosen.title}, which cannot be used: {chosen.refuse}")
    chosen = with_header_found(chosen, path, kind, first)  # generic: lines above the header
    table = read_table(path, chosen, kind, max_bytes)
    damage = damage_note(table.headers)
    if damage is None:
        return Export(kind, table, locate(chosen, table))
    # Recognised all the same: read with the names the lost letters stand for, and say so.
    headers = repaired(table.headers, chosen)
    form = say(
        "{form}; note: {damage}, as names and messages may have lost letters too",
        form=table.form,
        damage=damage,
    )
    table = replace(table, headers=headers, form=form)
    try:
        return Export(kind, table, locate(chosen, table))
    except ProfileError:
        raise ReadError(f"{path}: {damage}") from None
