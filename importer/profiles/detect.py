"""Which profile reads this file: chosen by name or path, or recognised from the content.

Recognition looks at what the bank put in the file, never at its name: the header line of a
CSV or spreadsheet (after the profile's preamble), the root element of camt XML, the record
shape of KTL. None or two matching profiles stop the run, naming what was tried.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from importer.errors import ProfileError, ReadError
from importer.profiles.likeness import closest, damage_note, has, normalise_header
from importer.profiles.model import Profile, load_profile
from importer.said import say

BUILTIN_FOLDER = Path(__file__).parent
_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(BkToCstmr\w+)[\s>/]")

SHOWN_HEADER = 300  # characters of an unrecognised header quoted in the message


__all__ = [
    "Preview",
    "builtin_names",
    "builtin_profiles",
    "choose_profile",
    "detect_profile",
    "normalise_header",
]


@cache
def builtin_profiles() -> tuple[Profile, ...]:
    """The profiles that ship with ropo-import, by name."""
    loaded = (load_profile(path) for path in BUILTIN_FOLDER.glob("*.toml"))
    return tuple(
        sorted((p.model_copy(update={"source": "built-in"}) for p in loaded), key=lambda p: p.name)
    )


def builtin_names() -> tuple[str, ...]:
    """The built-in profiles' names, sorted."""
    return tuple(p.name for p in builtin_profiles())


def choose_profile(choice: str) -> Profile:
    """A built-in profile by name, or a profile file by path."""
    for profile in builtin_profiles():
        if profile.name == choice:
            return profile
    path = Path(choice)
    if path.suffix.lower() == ".toml" or path.exists():
        profile = load_profile(path)
        return profile.model_copy(update={"source": str(path)})
    raise ProfileError(
        say(
            "no profile named {choice!r}; the built-in profiles are {names}, or give the path of "
            "a profile file (.toml)",
            choice=choice,
            names=builtin_names(),
        )
    )


def detect_profile(
    path: Path, kind: str, first: bytes, profiles: tuple[Profile, ...] | None = None
) -> Profile:
    """The one profile that recognises the file; none or several stop with what was tried."""
    candidates = builtin_profiles() if profiles is None else profiles
    if kind == "ktl":
        matches = [p for p in candidates if p.reader == "ktl"]
        tried = matches
    elif kind == "xml":
        found = _XML_ROOT.search(first)
        root = found.group(1).decode() if found else None
        tried = [p for p in candidates if p.reader == "camt"]
        matches = [p for p in tried if p.detect.xml_root == root]
        if not matches:
            raise ReadError(
                say(
                    "{path}: an XML file, but not a camt.054 or camt.053 bank file (its message "
                    "is <{root}>); download the incoming payments as camt.054 or KTL from the bank",
                    path=path,
                    root=root,
                )
                if root
                else say(
                    "{path}: an XML file, but not a camt.054 or camt.053 bank file; download the "
                    "incoming payments as camt.054 or KTL from the bank",
                    path=path,
                )
            )
    else:
        preview = Preview(path, kind, first)
        tried = [p for p in candidates if p.reader == "table" and _detectable(p)]
        matches = [p for p in tried if _table_matches(preview, p)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        if kind not in ("ktl", "xml"):
            _refuse_damaged_or_close(path, preview, tried)
        headers = preview.headers(0, None, None) if kind not in ("ktl", "xml") else ()
        shown = " | ".join(headers)
        if len(shown) > SHOWN_HEADER:  # a file of thousands of columns: its start says enough
            shown = f"{shown[:SHOWN_HEADER]} ... ({len(headers)} columns)"
        raise ProfileError(
            say(
                "{path}: not a bank export ropo-import knows (tried {tried}; its header is "
                "{header}); choose a profile with --profile NAME ('ropo-import profiles' lists "
                "them), write your own and pass --profile PATH, or use --profile generic to "
                "recognise common header names",
                path=path,
                tried=tuple(p.name for p in tried),
                header=shown or say("empty"),
            )
        )
    raise ProfileError(
        say(
            "{path}: matches more than one profile ({names}); choose one with --profile NAME",
            path=path,
            names=tuple(p.name for p in matches),
        )
    )


class Preview:
    """The file's first lines, read once however many profiles look at them."""

    LINES = 60

    def __init__(self, path: Path, kind: str, first: bytes) -> None:
        self.path, self.kind, self.first = path, kind, first
        self._rows: list[tuple[str, ...]] | None = None
        self._texts: dict[str | None, list[str]] = {}
        self._present: dict[tuple[int, str | None, str | None], frozenset[str]] = {}

    def lines(self, encoding: str | None) -> list[str]:
        from importer.readers import delimited, excel

        if self.kind == "spreadsheet":
            if self._rows is None:
                self._rows = excel.first_rows(self.path, self.LINES)
            return ["\t".join(row) for row in self._rows]
        if encoding not in self._texts:
            whole = self.first[: self.first.rfind(b"\n") + 1] or self.first  # no character cut
            self._texts[encoding] = delimited.decode(whole, encoding)[0].splitlines()[: self.LINES]
        return self._texts[encoding]

    def headers(
        self, preamble: int, delimiter: str | None, encoding: str | None
    ) -> tuple[str, ...]:
        from importer.readers import delimited

        lines = self.lines(encoding)[preamble:]
        if self.kind == "spreadsheet":
            delimiter = "\t"
            lines = [line for line in lines if line.strip()]
        return delimited.first_record("\n".join(lines), delimiter)

    def present(self, preamble: int, delimiter: str | None, encoding: str | None) -> frozenset[str]:
        """The header's names, normalised: what profiles compare theirs with."""
        layout = (preamble, delimiter, encoding)
        if layout not in self._present:
            headers = self.headers(*layout)
            self._present[layout] = frozenset(normalise_header(h) for h in headers)
        return self._present[layout]


def _refuse_damaged_or_close(path: Path, preview: Preview, tried: list[Profile]) -> None:
    """Refuse a file no profile recognises by what is wrong with it, when that is known: its
    header damaged by a wrong character set, or close to one profile's."""
    layouts = {(p.read.preamble, p.read.encoding) for p in tried} | {(0, None)}
    headers = [h for at, enc in sorted(layouts, key=str) for h in preview.headers(at, None, enc)]
    damage = damage_note(headers)
    if damage:
        raise ReadError(f"{path}: {damage}")
    likeness = closest(preview, tried)
    if likeness is not None:
        raise ProfileError(f"{path}: {likeness.refusal()}")


def _detectable(profile: Profile) -> bool:
    detect = profile.detect
    return bool(detect.headers or detect.one_of or detect.first_line)


def _table_matches(preview: Preview, profile: Profile) -> bool:
    layout = profile.read
    present = preview.present(layout.preamble, layout.delimiter, layout.encoding)
    if not all(has(present, group) for group in profile.detect.groups()):
        return False
    if any(has(present, (name,)) for name in profile.detect.absent):
        return False
    if profile.detect.first_line is None:
        return True
    opening = preview.lines(layout.encoding)
    return bool(opening) and re.match(profile.detect.first_line, opening[0]) is not None
