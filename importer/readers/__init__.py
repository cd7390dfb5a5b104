"""Readers: one module per file format, each turning a file into a SourceTable.

`head` refuses a file above the size limit (limits.py) before reading it; `sniff` tells the
file's kind from its first bytes (never its name); `read_table` reads it the way its profile
says. Each reader translates its own library's errors into ReadError naming the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from importer.errors import ReadError
from importer.models import SourceTable
from importer.profiles.model import Profile
from importer.readers import camt, delimited, excel, ktl
from importer.readers.limits import MAX_FILE_BYTES, check_size, unreadable
from importer.said import say

Kind = Literal["text", "spreadsheet", "ktl", "xml"]
HEAD_BYTES = 64 * 1024
_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # zip (xlsx, ods), OLE
_XML_START = re.compile(rb"^(\xef\xbb\xbf)?\s*<[?!A-Za-z]")
_KIND_NAMES = {
    "text": say("a text (CSV) file"),
    "spreadsheet": say("a spreadsheet"),
    "xml": say("an XML file"),
}


def head(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The file's first bytes; a missing, empty, unreadable or too large file stops here."""
    try:
        with path.open("rb") as handle:
            check_size(path, os.fstat(handle.fileno()).st_size, max_bytes)
            first = handle.read(HEAD_BYTES)
    except FileNotFoundError:
        raise ReadError(say("{path}: no such file; check the path", path=path)) from None
    except IsADirectoryError:
        raise ReadError(
            say("{path}: is a folder; give the bank export file itself", path=path)
        ) from None
    except OSError as exc:
        raise ReadError(unreadable(path, exc)) from None
    if not first.strip():
        raise ReadError(say("{path}: the file is empty; download the export again", path=path))
    return first


def sniff(path: Path, first: bytes) -> Kind:
    """What kind of file this is, from its content."""
    if first.startswith(_SPREADSHEET_MAGIC):
        return "spreadsheet"
    if _XML_START.match(first):
        return "xml"
    if b"\x00" in first:
        raise ReadError(
            say(
                "{path}: this is a binary file, not a bank export (CSV, Excel, KTL or camt XML); "
                "check that you picked the right file",
                path=path,
            )
        )
    if ktl.looks_like_ktl(first):
        return "ktl"
    return "text"


def read_table(
    path: Path, profile: Profile, kind: Kind, max_bytes: int = MAX_FILE_BYTES
) -> SourceTable:
    """Read the file with the reader its profile names, no further than `max_bytes`."""
    expected: dict[str, tuple[Kind, ...]] = {
        "table": ("text", "spreadsheet"),
        "ktl": ("ktl",),
        "camt": ("xml",),
    }
    if kind not in expected[profile.reader]:
        raise ReadError(
            say(
                "{path}: the profile {profile!r} reads {reader} files, but this is {kind}; leave "
                "out --profile to detect it",
                path=path,
                profile=profile.name,
                reader=profile.reader,
                kind=_KIND_NAMES.get(kind) or say("a KTL file"),
            )
        )
    if profile.reader == "ktl":
        return ktl.read(path, max_bytes)
    if profile.reader == "camt":
        return camt.read(path)
    if kind == "spreadsheet":
        return excel.read(path, profile.read.preamble)
    return delimited.read(path, profile.read, max_bytes)
