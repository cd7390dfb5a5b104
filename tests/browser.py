"""The browser tier's tools: Debian's Chromium driven by pip `playwright`, and the page served
for real (serve's app under uvicorn on 127.0.0.1, a free port).

Chromium is Debian's (`apt-get install chromium`), launched through `executable_path`:
`playwright install` would download another browser, which these machines neither need nor
may. Where either is missing, the tests that use it skip and say what to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from importer.web import Site, create_app
from tests.webpage import TOKEN

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or ""
WAIT_MS = 15_000  # what a page may take to show what a test waits for


def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait for `condition` (a thread's work, a server's start), never for a fixed time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not so after {timeout} s: {condition}")
        time.sleep(0.01)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium under playwright, once for each test module that uses it (each
    module holds its own copy of the fixture, and playwright's driver runs one at a time)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright (the browser tier's driver)"
    )
    if not CHROMIUM or not os.access(CHROMIUM, os.X_OK):
        pytest.skip("no Chromium: apt-get install chromium (or set CHROMIUM to its path)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def tab(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and its page; what the page's scripts broke is
    collected in `tab.errors` (a CSP refusal shows as a console error)."""
    context = chromium.new_context(accept_downloads=True, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: _console(page.errors, message))
    try:
        yield page
    finally:
        context.close()


def _console(errors: list[str], message: Any) -> None:
    """A console error, but not the favicon the browser asks for on its own (there is none)."""
    where = str(message.location.get("url", ""))
    if message.type == "error" and not where.endswith("/favicon.ico"):
        errors.append(f"{message.text} ({where})")


@contextlib.contextmanager
def served(site: Site) -> Iterator[str]:
    """The page of `site` as `ropo-import serve` serves it: uvicorn on 127.0.0.1, a free port,
    in a thread; its base address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(site), access_log=False, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        until(lambda: server.started)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextlib.contextmanager
def other_port(folder: Path, name: str, html: str) -> Iterator[str]:
    """A page served from another port of 127.0.0.1 (same site, another origin); its address."""
    (folder / name).write_text(html, encoding="utf-8")
    handler = partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{name}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def log_in(page: Any, base: str) -> None:
    """Open the login address serve prints; it lands on the upload page."""
    page.goto(f"{base}/login?token={TOKEN}")
    page.wait_for_url(f"{base}/")
