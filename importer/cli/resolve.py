"""ropo-import resolve: record what Ropo One shows for payments whose answer never came."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from importer.cli.options import (
    endpoint_options,
    journal_options,
    journal_path,
    lang_option,
    settings_options,
)
from importer.defaults import EXIT_ATTENTION
from importer.errors import ConfigError

if TYPE_CHECKING:
    from importer.settings import Settings


class _Ids(click.Command):
    """`--registered 6 7` and `--registered 6,7` both mean ids 6 and 7: the numbers after an
    id option belong to it until the next option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        spread: list[str] = []
        option = None
        for arg in args:
            if arg in ID_OPTIONS:
                option = arg
            elif arg.startswith("-"):
                option = None
            elif option is not None and spread[-1] != option:
                spread.append(option)
            spread.append(arg)
        return super().parse_args(ctx, spread)


ID_OPTIONS = ("--registered", "--not-registered")


def _ids(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[int]:
    ids = []
    for value in values:
        for part in value.replace(",", " ").split():
            if not part.isdigit():
                raise click.BadParameter(
                    f"{part!r} is not an id: give the numbers 'ropo-import resolve' lists, "
                    "e.g. --registered 6 7 or --registered 6,7",
                    param=param,
                )
            ids.append(int(part))
    return ids


@click.command(cls=_Ids)
@endpoint_options
@journal_options("The journal the runs wrote.")
@click.option(
    "--registered",
    "registered",
    multiple=True,
    metavar="ID...",
    callback=_ids,
    help="Ropo One has these payments: never send them again.",
)
@click.option(
    "--not-registered",
    "missing",
    multiple=True,
    metavar="ID...",
    callback=_ids,
    help="Ropo One does not have them: the next run sends them.",
)
@lang_option
@settings_options
def resolve(registered: list[int], missing: list[int], settings: Settings) -> int:
    """List the payments whose fate is unknown, and record what Ropo One shows for each.

    Such a payment ('unknown' in the workbook: sent without an answer, or answered in a way
    that proves nothing) is never sent again by itself: check in Ropo One whether the invoice
    has it, then mark it. Needs ROPO_CID or --client (not the apicode). Takes the journal's
    lock, so it waits for no run and no run sends while it marks.

    \b
    Example:
      ropo-import resolve --env fi-prod                  # list them, with their ids
      ropo-import resolve --env fi-prod --registered 12 13 --not-registered 14
    """
    from importer.journal import Journal
    from importer.journal.resolving import describe, mark

    w = settings.words()
    endpoint = settings.endpoint(dry_run_hint=False)
    cid = settings.customer_id()
    if not cid:
        raise ConfigError("set ROPO_CID to the customer id whose payments to resolve")
    today = settings.clock().calendar_day()  # the day of marking, whatever dates are judged as of
    journal = journal_path(settings.journal)
    if not journal.exists():
        raise ConfigError(
            f"journal {journal}: no such file; give the journal the runs used with --journal"
        )
    book = Journal(journal, endpoint, cid)
    marks = [(n, True) for n in registered] + [(n, False) for n in missing]
    try:
        marked = mark(book, marks, today, holder="ropo-import resolve", wait=settings.wait)
    finally:
        book.close()
    for entry_id, done in marked.done:
        said = "{id}: registered" if done else "{id}: not registered: the next run sends it"
        click.echo(w(said, id=entry_id))
    if marked.not_waiting is not None:
        raise ConfigError(
            f"no unresolved payment has id {marked.not_waiting}; "
            "run 'ropo-import resolve' to list them"
        )
    left = marked.left
    if not left:
        click.echo(
            w(
                "No payment to {endpoint} for customer {cid} is waiting to be resolved.",
                endpoint=endpoint,
                cid=cid,
            )
        )
        return 0
    if len(left) == 1:
        click.echo(w("1 payment was sent without a clear answer; check each in Ropo One:"))
    else:
        click.echo(
            w(
                "{n} payments were sent without a clear answer; check each in Ropo One:",
                n=len(left),
            )
        )
    for entry in left:
        click.echo(f"  {describe(entry, w)}")
    click.echo(w("Then: ropo-import resolve --registered ID ... --not-registered ID ..."))
    return EXIT_ATTENTION
