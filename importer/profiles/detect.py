"""Which profile reads this file: chosen by name or path, or recognised from the content.

Recognition looks at what the bank put in the file, never at its name: the header line of a
CSV or spreadsheet (after the profile's preamble), the root element of camt XML, the record
shape of KTL. None or two matching profiles stop the run, naming what was tried.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from importer.errors import ProfileError, ReadError
from importer.profiles.model import Profile, load_profile

BUILTIN_FOLDER = Path(__file__).parent
_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(BkToCstmr\w+)[\s>/]")


def normalise_header(name: str) -> str:
    """Case, accents' composition, quotes, BOM and repeated spaces do not matter."""
    text = unicodedata.normalize("NFC", name).replace("\ufeff", "").strip().strip('"').strip()
    return " ".join(text.casefold().split())


@cache
def builtin_profiles() -> tuple[Profile, ...]:
    """The profiles that ship with ropo-import, by name."""
    loaded = (load_profile(path) for path in BUILTIN_FOLDER.glob("*.toml"))
    return tuple(
        sorted((p.model_copy(update={"source": "built-in"}) for p in loaded), key=lambda p: p.name)
    )


def choose_profile(choice: str) -> Profile:
    """A built-in profile by name, or a profile file by path."""
    for profile in builtin_profiles():
        if profile.name == choice:
            return profile
    path = Path(choice)
    if path.suffix.lower() == ".toml" or path.exists():
        profile = load_profile(path)
        return profile.model_copy(update={"source": str(path)})
    names = ", ".join(p.name for p in builtin_profiles())
    raise ProfileError(
        f"no profile named {choice!r}; the built-in profiles are {names}, "
        "or give the path of a profile file (.toml)"
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
                f"{path}: an XML file, but not a camt.054 or camt.053 bank file"
                + (f" (its message is <{root}>)" if root else "")
                + "; download the incoming payments as camt.054 or KTL from the bank"
            )
    else:
        tried = [p for p in candidates if p.reader == "table" and p.detect.headers]
        matches = [p for p in tried if _table_matches(path, kind, first, p)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        headers = _headers(path, kind, first, 0, None, None)
        raise ProfileError(
            f"{path}: not a bank export ropo-import knows (tried "
            f"{', '.join(p.name for p in tried)}; its header is "
            f"{' | '.join(headers) or 'empty'}); choose a profile with --profile NAME "
            "('ropo-import profiles' lists them), write your own and pass --profile PATH, or "
            "use --profile generic to recognise common header names"
        )
    raise ProfileError(
        f"{path}: matches more than one profile ({', '.join(p.name for p in matches)}); "
        "choose one with --profile NAME"
    )


def _table_matches(path: Path, kind: str, first: bytes, profile: Profile) -> bool:
    layout = profile.read
    headers = _headers(path, kind, first, layout.preamble, layout.delimiter, layout.encoding)
    present = {normalise_header(h) for h in headers}
    if not all(normalise_header(h) in present for h in profile.detect.headers):
        return False
    if profile.detect.first_line is None:
        return True
    opening = _lines(path, kind, first, None, 1)
    return bool(opening) and re.match(profile.detect.first_line, opening[0]) is not None


def _headers(
    path: Path,
    kind: str,
    first: bytes,
    preamble: int,
    delimiter: str | None,
    encoding: str | None,
) -> tuple[str, ...]:
    from importer.readers import delimited, excel

    if kind == "spreadsheet":
        rows = excel.first_rows(path, preamble + 20)[preamble:]
        header = next((row for row in rows if any(cell.strip() for cell in row)), ())
        return delimited.clean_headers(list(header))
    text = "\n".join(_lines(path, kind, first, encoding, preamble + 20)[preamble:])
    return delimited.first_record(text, delimiter)


def _lines(path: Path, kind: str, first: bytes, encoding: str | None, count: int) -> list[str]:
    from importer.readers import delimited, excel

    if kind == "spreadsheet":
        return ["\t".join(row) for row in excel.first_rows(path, count)]
    whole = first[: first.rfind(b"\n") + 1] or first  # no multi-byte character cut in two
    text, _ = delimited.decode(whole, encoding)
    return text.splitlines()[:count]
