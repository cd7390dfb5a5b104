"""ropo-import resolve: record what Ropo One shows for payments whose answer never came."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import click

from importer import json_decimal
from importer.cli.options import (
    endpoint_options,
    journal_options,
    journal_path,
    lang_option,
    settings_options,
)
from importer.defaults import EXIT_ATTENTION
from importer.errors import ConfigError
from importer.said import in_words

if TYPE_CHECKING:
    from importer.i18n import Words
    from importer.journal import Unanswered
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
    try:
        with book.lock("ropo-import resolve", wait=settings.wait):
            for ids, done, found in (
                (registered, True, "registered"),
                (missing, False, "not registered"),
            ):
                for entry_id in ids:
                    note = f"marked {found} by hand on {today} after checking Ropo One"
                    if not book.resolve(entry_id, done, note):
                        raise ConfigError(
                            f"no unresolved payment has id {entry_id}; "
                            "run 'ropo-import resolve' to list them"
                        )
                    said = (
                        "{id}: registered"
                        if done
                        else "{id}: not registered: the next run sends it"
                    )
                    click.echo(w(said, id=entry_id))
            left = book.unanswered()
    finally:
        book.close()
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
        click.echo(f"  {_describe(entry, w)}")
    click.echo(w("Then: ropo-import resolve --registered ID ... --not-registered ID ..."))
    return EXIT_ATTENTION


def _describe(entry: Unanswered, w: Words) -> str:
    """One payment waiting: its id, invoice, amount and day (the API's field names stay)."""
    request = entry.request
    invoice = next(f"{k} {request[k]}" for k in ("billcode", "jobid", "billnum") if k in request)
    value = Decimal(str(request["amount"]))
    amount = json_decimal.money_text(value) if w.lang == "en" else w.number(value)
    if request.get("creditnotebillnum"):  # not a payment: a credit note registered on it
        amount = w(
            "credit note {number} of {amount}", number=request["creditnotebillnum"], amount=amount
        )
    said = w(
        "id {id}: {invoice}, amount {amount}, paydate {paydate} ({where}, sent {when})",
        id=entry.id,
        invoice=invoice,
        amount=amount,
        paydate=request["paydate"],
        where=in_words(entry.where, w),
        when=entry.when,
    )
    return said + (f": {in_words(entry.message, w)}" if entry.message else "")
