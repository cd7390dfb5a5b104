"""ropo-import: register payments from bank exports in Ropo One, exactly once, in bulk.

The library in one call::

    from importer import ApiSettings, Credentials, Rules, run_import, write_workbook

    report = run_import(path, journal_path=journal, api=ApiSettings(base_url, Credentials(...)))
    write_workbook(report, "result.xlsx")

Every name below loads its module on first use, so `import importer` (and the command line's
`--help`) does not pay for pandas, numpy, openpyxl, httpx or pydantic until they are needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importer.clock import Clock
    from importer.errors import (
        ApiError,
        ConfigError,
        CredentialsError,
        ImporterError,
        JournalBusyError,
        JournalError,
        ProfileError,
        ReadError,
    )
    from importer.models import Outcome, Payment, RowResult, SourceRow
    from importer.pipeline import run_import
    from importer.posting import Outside
    from importer.profiles import Profile
    from importer.report import Report
    from importer.settings import ApiSettings, Credentials
    from importer.validation import Rules
    from importer.version import __version__
    from importer.workbook import Saved, save_workbook, write_workbook

# Where each public name lives; __getattr__ imports the module the first time one is used.
_HOMES = {
    "__version__": "importer.version",
    "run_import": "importer.pipeline",
    "Outside": "importer.posting",
    "ApiSettings": "importer.settings",
    "Credentials": "importer.settings",
    "Clock": "importer.clock",
    "Rules": "importer.validation",
    "Profile": "importer.profiles",
    "Report": "importer.report",
    "Outcome": "importer.models",
    "Payment": "importer.models",
    "RowResult": "importer.models",
    "SourceRow": "importer.models",
    "write_workbook": "importer.workbook",
    "save_workbook": "importer.workbook",
    "Saved": "importer.workbook",
    "ImporterError": "importer.errors",
    "ConfigError": "importer.errors",
    "ProfileError": "importer.errors",
    "ReadError": "importer.errors",
    "ApiError": "importer.errors",
    "CredentialsError": "importer.errors",
    "JournalError": "importer.errors",
    "JournalBusyError": "importer.errors",
}

__all__ = [
    "ApiError",
    "ApiSettings",
    "Clock",
    "ConfigError",
    "Credentials",
    "CredentialsError",
    "ImporterError",
    "JournalBusyError",
    "JournalError",
    "Outcome",
    "Outside",
    "Payment",
    "Profile",
    "ProfileError",
    "ReadError",
    "Report",
    "RowResult",
    "Rules",
    "Saved",
    "SourceRow",
    "__version__",
    "run_import",
    "save_workbook",
    "write_workbook",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'importer' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
