"""Where the header line is, for a profile that recognises columns by their names (generic).

A bank profile declares how many lines come before its header (`[read] preamble`), and its
header is recognised after them. The generic profile cannot know the count, so it is found
here the same way: the first line, among the file's first lines, whose cells name an amount,
a date and an identifier (mapping.guess_columns) is the header, and the lines above it are the
preamble (an account number, a period, a title). A file where no line qualifies is read from
its first line, as before, and refused there naming the headers it has.
"""

from __future__ import annotations

from pathlib import Path

from importer.errors import ProfileError
from importer.mapping import guess_columns
from importer.profiles import Profile
from importer.profiles.detect import Preview
from importer.profiles.model import Read

MAX_PREAMBLE = 50  # lines, as a profile may declare ([read] preamble)


def with_header_found(profile: Profile, path: Path, kind: str, first: bytes) -> Profile:
    """`profile` with its preamble set to the lines above the first recognisable header; the
    profile unchanged when it names its columns or no line is recognised."""
    if not profile.guess_columns or kind not in ("text", "spreadsheet"):
        return profile
    preview = Preview(path, kind, first)
    layout = profile.read
    lines = preview.lines(layout.encoding)
    for preamble in range(layout.preamble, min(len(lines), MAX_PREAMBLE + 1)):
        if not lines[preamble].strip():
            continue  # a blank line is skipped on the way to the header anyway
        headers = preview.headers(preamble, layout.delimiter, layout.encoding)
        try:
            guess_columns(headers, str(path))
        except ProfileError:
            continue
        if preamble == layout.preamble:
            return profile
        read = Read(encoding=layout.encoding, delimiter=layout.delimiter, preamble=preamble)
        return profile.model_copy(update={"read": read})
    return profile
