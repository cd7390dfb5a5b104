"""The installed version of ropo-import, in a module of its own so that reading it imports
nothing else of the package (pipeline.py stamps it on every workbook; `--version` prints it)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ropo-import")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
