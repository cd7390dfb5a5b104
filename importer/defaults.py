"""Fixed values the command line needs before it runs anything: the defaults `--help` shows
and the exit codes.

They live here, with nothing heavier than platformdirs imported, so that `ropo-import --help`
does not load pandas, pydantic or asyncio to print them. The modules that use them import
them from here (validation.py, limiter.py, settings.py, config.py, report.py, journal/scope.py).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

MAX_AGE_DAYS = 400  # a paydate older than this many days is invalid unless --max-age says more
DEFAULT_RATE = 5.0  # requests started per second (Ropo One publishes no limit)
CONNECT_TIMEOUT = 5.0  # seconds; short: a refused connection is safe to retry
READ_TIMEOUT = 60.0  # seconds; long: a read timeout leaves the payment's fate unknown
CONFIG_NAME = "ropo-import.toml"

# The documented hosts (ropo-one-api.md section 1); the API lives under /rest on each.
# The Norwegian production host is cut off in the documentation we could read: presumed.
ENVIRONMENTS: dict[str, str] = {
    "fi-test": "https://rc.ropo24.fi/rest",
    "fi-prod": "https://ropo24.fi/rest",
    "se-test": "https://rc.ropo24.se/rest",
    "se-prod": "https://ropo24.se/rest",
    "no-test": "https://rc.ropo24.no/rest",
    "no-prod": "https://ropo24.no/rest",
}

# Exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ATTENTION = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C

APP = "ropo-import"
JOURNAL_NAME = "journal.sqlite"


def default_journal() -> Path:
    """The user's journal: ~/.local/share/ropo-import/journal.sqlite on Linux,
    %LOCALAPPDATA%\\ropo-import\\journal.sqlite on Windows, ~/Library/Application Support/..."""
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / JOURNAL_NAME
