"""The exit code of a run, chosen here from its finished Report (README "Exit codes")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from importer.defaults import EXIT_ATTENTION, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

if TYPE_CHECKING:
    from importer.report import Report


def exit_code(report: Report) -> int:
    """130 interrupted, 1 stopped early, 2 rows (or a posted credit note) to act on, else 0."""
    from importer.problems import NEEDS_WORK

    if report.interrupted:
        return EXIT_INTERRUPTED
    if report.stopped:
        return EXIT_FAILED
    if any(report.count(outcome) for outcome in NEEDS_WORK) or report.posted_to_act_on():
        return EXIT_ATTENTION
    return EXIT_OK
