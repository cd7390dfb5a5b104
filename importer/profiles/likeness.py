"""How a file's header compares with a profile's: the same, close, or damaged in transit.

Header names are compared normalised (case, composition, quotes, BOM and spaces of any kind
do not matter). A U+FFFD in the file's header stands for a letter lost when the file was saved
in the wrong character set, so it matches any one non-ASCII letter ('Kirjausp\ufffdiv\ufffd' is
'Kirjauspäivä'): such a file is still recognised, and the damage is noted. A file that no
profile recognises is refused naming the profile it is closest to and what differs, or its
damage, so the user hears the way out rather than a list of everything tried.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from importer.profiles.model import Profile
from importer.said import Said, say

if TYPE_CHECKING:
    from importer.profiles.detect import Preview

DAMAGED = "\ufffd"
SHOWN_FIRST_LINE = 40  # characters of a first line quoted when it, not the header, differs
COMPARED = 200  # unknown headers compared with a missing one: a bank's header is shorter


def normalise_header(name: str) -> str:
    """Case, accents' composition, quotes, BOM and repeated spaces do not matter."""
    text = unicodedata.normalize("NFC", name).replace("\ufeff", "").strip().strip('"').strip()
    return " ".join(text.casefold().split())


def same(expected: str, found: str) -> bool:
    """Whether two normalised header names are one, a lost letter (U+FFFD) matching any
    non-ASCII one."""
    if expected == found:
        return True
    if DAMAGED not in found or len(expected) != len(found):
        return False
    pairs = zip(expected, found, strict=True)
    return all(e == f or (f == DAMAGED and not e.isascii()) for e, f in pairs)


def has(present: Collection[str], names: Iterable[str]) -> bool:
    """Whether any of `names` is among the normalised headers `present`."""
    wanted = [normalise_header(name) for name in names]
    if any(name in present for name in wanted):
        return True
    damaged = [found for found in present if DAMAGED in found]
    return any(same(name, found) for name in wanted for found in damaged)


def damage_note(headers: Sequence[str]) -> Said | None:
    """What the user should hear about a header with lost letters; None when it has none."""
    damaged = next((h for h in headers if DAMAGED in h), None)
    if damaged is None:
        return None
    return say(
        "the file was saved in the wrong character set (its header has '{mark}' where a "
        "letter such as ä should be, as in {name}); download it again from the bank",
        mark=DAMAGED,
        name=repr(damaged),
    )


def repaired(headers: tuple[str, ...], profile: Profile) -> tuple[str, ...]:
    """The header with each damaged name replaced by the profile's name it stands for."""
    known = _names(profile)
    out = []
    for header in headers:
        found = normalise_header(header)
        if DAMAGED in header:
            header = next((k for k in known if same(normalise_header(k), found)), header)
        out.append(header)
    return tuple(out)


@dataclass(frozen=True)
class Likeness:
    """A profile that most of a file's header matches, and what differs."""

    profile: Profile
    share: float  # of the profile's headers, the part the file has
    differences: tuple[str, ...]  # "expected 'X', found 'Y'"
    needed: bool  # a column the profile reads is among the differences

    def refusal(self) -> str:
        name = self.profile.name
        way_out = (
            f"{name} does not read the columns that differ, so --profile {name} reads this file"
            if not self.needed
            else f"{name} reads a column that differs, so this is a version of the export it "
            "does not know: write your own profile and pass --profile PATH ('ropo-import "
            "profiles' lists the built-in ones), or use --profile generic to recognise common "
            "header names"
        )
        return (
            f"not a bank export ropo-import knows, but close to the profile {name} "
            f"({self.profile.title}): {'; '.join(self.differences)}; {way_out}"
        )


def closest(preview: Preview, profiles: Iterable[Profile]) -> Likeness | None:
    """The profile most of whose headers the file has (more than half, two at least)."""
    best: Likeness | None = None
    for profile in profiles:
        if profile.refuse or not profile.detect.groups():
            continue
        likeness = _compare(preview, profile)
        if likeness is not None and (best is None or likeness.share > best.share):
            best = likeness
    return best


def _compare(preview: Preview, profile: Profile) -> Likeness | None:
    layout = profile.read
    headers = preview.headers(layout.preamble, layout.delimiter, layout.encoding)
    present = preview.present(layout.preamble, layout.delimiter, layout.encoding)
    required = _required(profile)
    groups = list(profile.detect.groups())
    seen = {frozenset(map(normalise_header, g)) for g in groups}
    groups += [g for g in required if frozenset(map(normalise_header, g)) not in seen]
    missing = [group for group in groups if not has(present, group)]
    matched = len(groups) - len(missing)
    if matched < 2 or matched * 2 <= len(groups):
        return None
    known = {normalise_header(n) for n in _names(profile)}
    unknown = list(islice((h for h in headers if not has(known, (h,))), COMPARED))
    differences = [_difference(group, unknown) for group in missing]
    opening = preview.lines(layout.encoding)[:1] or [""]
    first_line = profile.detect.first_line
    if first_line and not re.match(first_line, opening[0]):
        shown = opening[0][:SHOWN_FIRST_LINE]
        differences.append(f"its first line {shown!r} does not match {first_line!r}")
    if not differences:
        return None  # every header there: not close but matching (or ambiguous)
    required_names = {normalise_header(n) for group in required for n in group}
    needed = any(normalise_header(n) in required_names for group in missing for n in group)
    return Likeness(profile, matched / len(groups), tuple(differences), needed)


def _difference(group: tuple[str, ...], unknown: list[str]) -> str:
    """'expected X, found Y' with Y the file's unknown header most like X, used once."""
    expected = " or ".join(repr(name) for name in group)
    scored = [
        (
            max(
                difflib.SequenceMatcher(None, normalise_header(n), normalise_header(h)).ratio()
                for n in group
            ),
            h,
        )
        for h in unknown
    ]
    score, found = max(scored, default=(0.0, ""))
    if score < 0.6:
        return f"expected {expected}, not in the file"
    unknown.remove(found)
    return f"expected {expected}, found {found!r}"


def _required(profile: Profile) -> list[tuple[str, ...]]:
    """The names of each column the profile cannot read the file without."""
    groups = [profile.wanted(f) for f in profile.columns if f not in profile.optional]
    groups += [(rule.column,) for rule in (profile.direction, profile.pending) if rule]
    return groups


def _names(profile: Profile) -> list[str]:
    """Every header name the profile knows."""
    names = [n for group in profile.detect.groups() for n in group]
    names += [n for field in profile.columns for n in profile.wanted(field)]
    names += list(profile.kind.columns()) if profile.kind else []
    names += [rule.column for rule in (profile.direction, profile.pending) if rule]
    return names
