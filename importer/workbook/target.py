"""Where a workbook goes: checked before a run sends anything, written under a random name
and renamed into place, and a fallback folder when its own place refuses it after posting.

A workbook that cannot be written after every payment was posted loses the only record of
the run, so the target is checked first (a bad one stops the run before the first request),
and a failure that still happens later sends the workbook elsewhere rather than nowhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from importer.errors import ConfigError

SUFFIX = ".xlsx"
# `.{name}.{random}.partial`: the random part keeps the name unpredictable, so nobody can plant
# a symlink where the next run will write; older runs used the process id in its place.
PARTIAL = re.compile(r"\..+\.xlsx\.[0-9a-f]+\.partial", re.IGNORECASE)
STALE_AFTER = 3600.0  # seconds: a partial this old belongs to a run that was killed
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_CREATE |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_ATTEMPTS = 8  # a random name already taken is tried again under another


def default_output(source: Path, reports: Path, now: datetime) -> Path:
    """reports/<input name>-<date>-<time>.xlsx: where a run's workbook goes unless told."""
    stamp = now.strftime("%Y%m%d-%H%M%S")
    return reports / f"{source.stem}-{stamp}.xlsx"


def check_output(
    path: Path,
    *,
    input_path: Path,
    journal_path: Path | None,
    option: str = "--output",
) -> Path:
    """Return `path` if a workbook can be written there, else raise ConfigError saying why.

    Refused: a folder, a device or pipe, the input file, the journal, a name not ending in
    .xlsx, and a folder that cannot be created or written (a file is created and removed there
    to find out; folders created for the test are removed again). `option` names the setting
    that chose the path, for the message's "choose another ...".
    """
    try:
        why = _problem(path, input_path=input_path, journal_path=journal_path)
    except OSError as error:
        why = describe(error)
    if why is not None:
        raise ConfigError(f"cannot write the workbook {path}: {why}; choose another {option}")
    return path


def write_into_place(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write `path` through `write`, so that it holds the old content or the whole new one.

    The bytes go to a partial file with a random name beside `path`, created exclusively (a
    planted file or symlink is never opened, let alone followed), are fsynced, and the file
    is renamed over `path`; the folder is fsynced where the platform allows. Partials that
    earlier runs left behind (older than STALE_AFTER) are removed. Raises OSError.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as error:  # mkdir's word for "a file is in the way"
        notdir = errno.ENOTDIR
        raise NotADirectoryError(notdir, os.strerror(notdir), error.filename) from None
    fd, partial = _create_partial(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    _sync_folder(folder)
    remove_stale_partials(folder, now=time.time())
    return path


def remove_stale_partials(folder: Path, *, now: float) -> list[Path]:
    """Remove the partial workbooks in `folder` older than STALE_AFTER; return them.

    Only regular files named as partials are removed (a symlink so named is left alone), and
    a partial that cannot be removed is left: tidying never fails a run.
    """
    removed: list[Path] = []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not PARTIAL.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                found = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(found.st_mode) and now - found.st_mtime > STALE_AFTER:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def fallback_folders() -> list[Path]:
    """Where a workbook goes when its own folder refuses it: the home folder, then temp."""
    folders: list[Path] = []
    with contextlib.suppress(RuntimeError, KeyError, OSError):
        folders.append(Path.home())
    folders.append(Path(tempfile.gettempdir()))
    return list(dict.fromkeys(folders))


def fallback_path(path: Path, folder: Path) -> Path:
    """`folder/ropo-import-<name>.xlsx`, numbered so that no earlier workbook is replaced."""
    stem = f"ropo-import-{path.stem}"
    candidate = folder / f"{stem}{SUFFIX}"
    number = 2
    while os.path.lexists(candidate):
        candidate = folder / f"{stem}-{number}{SUFFIX}"
        number += 1
    return candidate


def describe(error: BaseException) -> str:
    """An error writing a workbook as a short phrase: 'No space left on device'."""
    if isinstance(error, OSError):
        return f"{_where(error)}{error.strerror or error}"
    return f"{type(error).__name__}: {error}"


def _problem(path: Path, *, input_path: Path, journal_path: Path | None) -> str | None:
    found = _stat(path)
    if found is not None and stat.S_ISDIR(found.st_mode):
        return "it is a folder, not a file name"
    if found is not None and not stat.S_ISREG(found.st_mode):
        return "it is not a regular file (a device, pipe or socket)"
    for other, what in ((input_path, "the input file"), (journal_path, "the journal")):
        if other is not None and _same_file(path, other):
            return f"it is {what}, which the workbook would overwrite"
    if path.suffix.lower() != SUFFIX:
        return f"a workbook's name must end in .xlsx (e.g. {path.with_suffix(SUFFIX)})"
    blocker = _file_among_parents(path)
    if blocker is not None:
        return f"{blocker} is a file, not a folder"
    folder = path.parent
    try:
        with _trial_folder(folder):
            fd, probe = _create_partial(folder, path.name)
            os.close(fd)
            os.unlink(probe)
    except OSError as error:
        return f"the folder {folder} cannot be created or written ({describe(error)})"
    return None


def _where(error: OSError) -> str:
    """The file an OSError names, unless it is a partial (the message names the target)."""
    named = isinstance(error.filename, str | bytes | os.PathLike)
    name = os.fsdecode(error.filename) if named else ""
    return f"{name}: " if name and not PARTIAL.fullmatch(Path(name).name) else ""


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _same_file(path: Path, other: Path) -> bool:
    with contextlib.suppress(OSError):
        if os.path.samefile(path, other):  # hard links and case-insensitive names too
            return True
    try:
        return path.resolve() == other.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare as written
        return path.absolute() == other.absolute()


def _file_among_parents(path: Path) -> Path | None:
    """The nearest existing parent of `path` when it is not a folder (so no folder can be
    made there), else None."""
    for parent in path.parents:
        found = _stat(parent)
        if found is not None:
            return None if stat.S_ISDIR(found.st_mode) else parent
    return None


@contextlib.contextmanager
def _trial_folder(folder: Path) -> Iterator[None]:
    """`folder`, created if missing, and removed again afterwards if it was created here."""
    missing: list[Path] = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        yield
    finally:
        for created in missing:  # deepest first
            with contextlib.suppress(OSError):
                created.rmdir()


def _create_partial(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty partial file beside `folder/name`, opened for writing: (fd, path)."""
    attempts = _ATTEMPTS
    while True:
        partial = folder / f".{name}.{secrets.token_hex(8)}.partial"
        try:
            # The umask decides who may read it, as for any file the user creates.
            return os.open(partial, _CREATE, 0o666), partial
        except FileExistsError:
            attempts -= 1
            if not attempts:
                raise


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; Windows cannot open a folder, and the rename stands anyway."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
