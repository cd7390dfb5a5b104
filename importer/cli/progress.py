"""What the terminal shows while rows are read and posted: a progress bar, problems as they come.

The bar (count, rate, time left) goes to stderr and only to a terminal; --quiet turns it off,
and NO_COLOR takes the colour out of it (rich reads NO_COLOR itself).
"""

from __future__ import annotations

from decimal import Decimal
from types import TracebackType

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from importer import problems
from importer.cli.render import problem_line
from importer.i18n import Words
from importer.models import RowResult
from importer.report import ENGLISH


class Watch:
    """The pipeline's on_read, on_result and on_settled callbacks, shown in the terminal."""

    def __init__(
        self, label: str, *, quiet: bool = False, verbose: bool = False, words: Words = ENGLISH
    ) -> None:
        if quiet and verbose:
            raise click.UsageError("--quiet and --verbose do not go together: choose one")
        self.words = words
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        # Problem lines go to stdout; while the bar runs, rich shows them above it.
        self.out = Console(highlight=False, soft_wrap=True)
        self.verbose = verbose
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=self.console,
            disable=quiet or not self.console.is_terminal,
        )
        self._task: TaskID = self._bar.add_task(label, total=None, rate="")
        self._pace = ""

    def __enter__(self) -> Watch:
        self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bar.stop()

    def on_read(self, rows: int) -> None:
        self._bar.update(self._task, total=rows)

    def on_settled(self, rows: int) -> None:
        """Rows settled in bulk: skipped without a problem, nothing to print."""
        self._bar.advance(self._task, rows)

    def on_pace(self, why: str | None) -> None:
        """Ropo One throttles the run (or stopped): said beside the rate."""
        self._pace = f" · {why}" if why else ""

    def on_result(self, result: RowResult) -> None:
        if result.code == problems.NOT_SENT:
            return  # never handled: the bar counts what was done, also after Ctrl-C
        self._bar.advance(self._task)
        task = self._bar.tasks[self._task]
        if task.speed:
            english = self.words.lang == "en"
            speed = (
                f"{task.speed:.1f}" if english else self.words.number(Decimal(f"{task.speed:.2f}"))
            )
            rate = self.words("{speed} rows/s", speed=speed)
            self._bar.update(self._task, rate=rate + self._pace)
        if self.verbose and result.to_act_on:
            self.out.print(problem_line(result, self.words), markup=False)
