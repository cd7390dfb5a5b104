"""ropo-import serve: the web page, on this machine, served by the tool itself.

Starlette, Jinja2 and the engine are imported when the command runs, never by the rest of the
command line. The page listens on 127.0.0.1 unless told otherwise, and is reached through a
login address with a random token printed here (or ROPO_WEB_TOKEN).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from importer.defaults import APP
from importer.i18n import LANGS

if TYPE_CHECKING:
    from importer.web import Site

LOOPBACK = "127.0.0.1"


@click.command()
@click.option("--demo", is_flag=True, help="Serve against the built-in sandbox: no credentials.")
@click.option("--host", default=LOOPBACK, show_default=True, help="The address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="0 picks a free port.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGS, case_sensitive=False),
    help="The page's words when the browser asks for none of fi, sv, en.",
)
@click.option("--config", type=click.Path(path_type=Path), help="Settings file.")
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The journal, shared with `ropo-import run` (default: the user's).",
)
@click.option(
    "--allow-host",
    "names",
    multiple=True,
    metavar="NAME",
    help="Another name the page is reached by (a small office's server name); repeatable.",
)
@click.option(
    "--max-upload-mb",
    type=click.IntRange(1, 1000),
    default=50,
    show_default=True,
    help="Larger uploads are refused (413).",
)
@click.option(
    "--keep-days",
    type=click.IntRange(1, 3650),
    default=7,
    show_default=True,
    help="Days uploads and their workbooks are kept.",
)
def serve(
    demo: bool,
    host: str,
    port: int,
    lang: str | None,
    config: Path | None,
    journal: Path | None,
    names: tuple[str, ...],
    max_upload_mb: int,
    keep_days: int,
) -> int:
    """Serve the web page: upload a bank export, review it, send it, download the workbook.

    It uses the same settings file, clients, credentials (from the environment), journal and
    workbook as `ropo-import run`. Open the login address it prints; ROPO_WEB_TOKEN sets the
    token instead of a random one.

    \b
    Example:
      ropo-import serve --demo
      ropo-import serve                      # the clients of ./ropo-import.toml
      ropo-import serve --allow-host accounts.example.fi   # behind a TLS proxy here
    """
    import logging

    import uvicorn

    from importer.web import create_app

    sock = _listen(host, port)
    shown = f"[{sock.getsockname()[0]}]" if ":" in host else sock.getsockname()[0]
    bound = sock.getsockname()[1]
    exposed = exposure(host)
    if exposed:
        click.echo(exposed, err=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with _site(demo, lang, config, journal, max_upload_mb, keep_days) as site:
        site.hosts += [name for name in (host, *names) if name not in site.hosts]
        where = "localhost" if shown == LOOPBACK else shown
        click.echo(f"ropo-import: the page is at http://{where}:{bound}/", err=True)
        click.echo(
            f"ropo-import: log in at http://{where}:{bound}/login?token={site.access.token}",
            err=True,
        )
        server = uvicorn.Server(
            # access_log off: uvicorn's line holds the query string, and so the login token;
            # guard.py logs each request without it.
            uvicorn.Config(create_app(site), access_log=False, log_level="warning")
        )
        try:
            server.run(sockets=[sock])
        finally:
            click.echo("ropo-import: stopping; a send in progress finishes first", err=True)
    return 0


@contextlib.contextmanager
def _site(
    demo: bool,
    lang: str | None,
    config: Path | None,
    journal: Path | None,
    max_upload_mb: int,
    keep_days: int,
) -> Iterator[Site]:
    import tempfile
    from datetime import timedelta

    import platformdirs

    from importer.cli.options import journal_path
    from importer.clock import SYSTEM_CLOCK
    from importer.config import load_config
    from importer.i18n import choose_lang
    from importer.web import Site
    from importer.web.access import Access
    from importer.web.runs import RunStore
    from importer.web.targets import demo_target, resolve_targets

    access = Access(os.environ.get("ROPO_WEB_TOKEN") or None)
    limit = max_upload_mb * 1_000_000
    retention = timedelta(days=keep_days)
    if demo:
        with demo_target() as (target, export), tempfile.TemporaryDirectory() as scratch:
            store = RunStore(Path(scratch) / "uploads", SYSTEM_CLOCK, retention)
            chosen = choose_lang(lang)
            yield Site(
                store, {target.name: target}, access, chosen, max_upload=limit, demo_export=export
            )
        return
    loaded = load_config(config, Path.cwd())
    targets = resolve_targets(loaded, os.environ, lambda given: journal_path(journal or given), {})
    uploads = Path(platformdirs.user_data_dir(APP, appauthor=False)) / "uploads"
    store = RunStore(uploads, SYSTEM_CLOCK, retention, targets=targets)  # loads earlier runs
    chosen = choose_lang(lang or loaded.lang)
    yield Site(store, targets, access, chosen, max_upload=limit)


def exposure(host: str) -> str | None:
    """The warning for an address others on the network can reach; None for loopback."""
    from importer.settings import is_loopback

    if is_loopback(host):
        return None
    return (
        f"ropo-import: warning: listening on {host}: others on the network can reach the page. "
        "Put TLS in front of it (a reverse proxy with https): without it the login token and "
        "the payments cross the network in clear."
    )


def _listen(host: str, port: int) -> socket.socket:
    from importer.sandbox.server import listening

    try:
        return listening(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror})") from None
