"""The command line: parse options, build settings once, call the library, render, exit.

The only package that imports click and rich; the library reports through return values and
callbacks. One module per command family: run.py (run, demo), inspect.py (inspect, profiles),
resolve.py, sandbox.py; app.py holds the group, options.py turns the options into the one
Settings, exits.py chooses a run's exit code from its Report.

Exit codes: 0 every row posted or skipped; 2 the run finished but some rows are rejected,
invalid or unknown; 1 usage, configuration, credential or unreadable-file errors (and a run
stopped early); 130 interrupted by Ctrl-C.
"""

from importer.cli.app import cli, main

__all__ = ["cli", "main"]
