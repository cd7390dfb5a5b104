"""ropo-import resolve: record what Ropo One shows for payments whose answer never came."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import click

from importer import json_decimal
from importer.cli.options import config_options, endpoint_options, journal_option
from importer.config import ConfigFile
from importer.errors import ConfigError
from importer.journal import Journal, Unanswered
from importer.report import EXIT_ATTENTION
from importer.settings import base_url_from


@click.command()
@endpoint_options
@journal_option("The journal the runs wrote.")
@click.option(
    "--registered",
    "registered",
    type=int,
    multiple=True,
    metavar="ID",
    help="Ropo One has this payment: never send it again.",
)
@click.option(
    "--not-registered",
    "missing",
    type=int,
    multiple=True,
    metavar="ID",
    help="Ropo One does not have it: the next run sends it.",
)
@config_options
def resolve(
    env: str | None,
    base_url: str | None,
    journal: Path,
    registered: tuple[int, ...],
    missing: tuple[int, ...],
    config: ConfigFile,
    client: str | None,
) -> int:
    """List the payments whose answer never came, and record what Ropo One shows for each.

    Such a payment ('unknown' in the workbook) is never sent again by itself: check in Ropo
    One whether the invoice has it, then mark it. Needs ROPO_CID or --client (not the
    apicode).

    \b
    Example:
      ropo-import resolve --env fi-prod                  # list them, with their ids
      ropo-import resolve --env fi-prod --registered 12 --not-registered 14
    """
    endpoint = base_url_from(env, base_url, os.environ)
    if client is not None:
        cid = config.client(client).customer_id(client, os.environ)
    else:
        cid = os.environ.get("ROPO_CID", "").strip()
    if not cid:
        raise ConfigError("set ROPO_CID to the customer id whose payments to resolve")
    if not journal.exists():
        raise ConfigError(f"journal {journal}: no such file (see --journal)")
    book = Journal(journal, endpoint, cid)
    try:
        for ids, done, found in (
            (registered, True, "registered"),
            (missing, False, "not registered"),
        ):
            for entry_id in ids:
                note = f"marked {found} by hand on {date.today()} after checking Ropo One"
                if not book.resolve(entry_id, done, note):
                    raise ConfigError(
                        f"no unanswered payment has id {entry_id}; "
                        "run 'ropo-import resolve' to list them"
                    )
                click.echo(f"{entry_id}: {found}" + ("" if done else ": the next run sends it"))
        left = book.unanswered()
    finally:
        book.close()
    if not left:
        click.echo(f"No payment to {endpoint} for customer {cid} is waiting for an answer.")
        return 0
    count = "1 payment was" if len(left) == 1 else f"{len(left)} payments were"
    click.echo(f"{count} sent without an answer; check each in Ropo One:")
    for entry in left:
        click.echo(f"  {_describe(entry)}")
    click.echo("Then: ropo-import resolve --registered ID ... --not-registered ID ...")
    return EXIT_ATTENTION


def _describe(entry: Unanswered) -> str:
    request = entry.request
    invoice = next(f"{k} {request[k]}" for k in ("billcode", "jobid", "billnum") if k in request)
    amount = json_decimal.money_text(Decimal(str(request["amount"])))
    return (
        f"id {entry.id}: {invoice}, amount {amount}, paydate {request['paydate']} "
        f"({entry.where}, sent {entry.when})"
    )
