"""The journal earlier versions kept under the working folder, merged into the user's journal.

Before the journal moved to the user's data folder, its default was
`reports/ropo-import-journal.sqlite` under the folder a run started in. Left there, it would
make the first run after an upgrade find an empty journal and send last month's payments
again. So a run that uses the default journal merges that file into it, once, and renames the
old file (kept as a backup) so it is not merged again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from importer.errors import JournalError
from importer.journal.schema import open_journal

OLD_DEFAULT = Path("reports/ropo-import-journal.sqlite")
MERGED_SUFFIX = ".merged"


def adopt_old_journal(journal: Path, folder: Path) -> str | None:
    """Merge `folder`/reports/ropo-import-journal.sqlite into `journal`; a sentence saying so,
    or None when there was nothing to merge."""
    old = folder / OLD_DEFAULT
    if not old.is_file() or (journal.exists() and old.samefile(journal)):
        return None
    open_journal(old, read_only=False).close()  # checked, and brought to this version
    db = open_journal(journal, read_only=False)
    try:
        db.execute("ATTACH DATABASE ? AS old", (str(old),))
        db.execute("BEGIN IMMEDIATE")
        merged = db.execute(
            "INSERT OR IGNORE INTO main.payments SELECT * FROM old.payments"
        ).rowcount
        db.execute(
            "INSERT INTO main.runs (endpoint, cid, input_sha256, file, host, pid, "
            "started_at, finished_at, sent) SELECT endpoint, cid, input_sha256, file, "
            "host, pid, started_at, finished_at, sent FROM old.runs"
        )
        db.execute("COMMIT")
        db.execute("DETACH DATABASE old")
    except sqlite3.Error as exc:
        raise JournalError(
            f"journal {old} (the default of earlier versions) could not be merged into "
            f"{journal} ({exc}); nothing was sent. Give it with --journal to keep using it"
        ) from None
    finally:
        db.close()
    kept = old.with_name(old.name + MERGED_SUFFIX)
    old.replace(kept)
    for suffix in ("-wal", "-shm"):
        leftover = old.with_name(old.name + suffix)
        if leftover.exists():
            leftover.unlink()
    return (
        f"the {merged} payments of the journal earlier versions kept in {old.parent} were "
        f"merged into it (the old file is kept as {kept.name})"
    )
