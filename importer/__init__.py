"""ropo-import: register payments from bank exports in Ropo One, exactly once, in bulk."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ropo-import")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

from importer.errors import ImporterError
from importer.models import Outcome, Payment, RowResult, SourceRow
from importer.pipeline import run_import
from importer.report import Report
from importer.workbook import write_workbook

__all__ = [
    "ImporterError",
    "Outcome",
    "Payment",
    "Report",
    "RowResult",
    "SourceRow",
    "__version__",
    "run_import",
    "write_workbook",
]
