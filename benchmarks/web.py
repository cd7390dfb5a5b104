"""The web page's figure: an export uploaded through the page, until its review page is read.

A child process (`python -m benchmarks.measure web_review PATH`) serves the page as `ropo-import
serve` does (uvicorn on 127.0.0.1), logs in, then times what the accountant waits for: the
upload's POST (the file streamed, stored, planned by the dry run) and the review page's GET
(the plan's counts and sums, the first page of rows). Set-up and log-in are not timed: the
page is already open when a file is chosen. Nor are imports (as in the other figures): a
first, untimed upload of the file's first lines loads the engine and compiles the templates.
"""

from __future__ import annotations

import re
import socket
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import uvicorn

from importer.clock import Clock
from importer.validation import Rules
from importer.web import Site, create_app
from importer.web.access import FORM_FIELD, Access
from importer.web.runs import RunStore
from importer.web.targets import Target

TODAY = Rules(today=date(2026, 11, 24))
TOKEN = "benchmark-login-token"  # noqa: S105 - the benchmark's own throwaway server
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}  # what a browser sends with the page's forms


def review_time(path: str) -> float:
    """Seconds from the upload's POST to the review page's last byte."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        client = Target(
            "bench", "a sandbox on this machine", None, False, None, folder / "j.sqlite",
            lambda clock: TODAY, refused="review only",
        )  # fmt: skip
        site = Site(RunStore(folder / "uploads", Clock()), {"bench": client}, Access(TOKEN))
        site.max_upload = 500_000_000
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(
            uvicorn.Config(create_app(site), access_log=False, log_level="warning")
        )
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            with httpx.Client(base_url=base, timeout=600) as http:
                http.get(f"/login?token={TOKEN}")
                found = re.search(r'name="form_token" value="([^"]+)"', http.get("/").text)
                assert found, "no form token on the upload page"
                fields = {FORM_FIELD: found.group(1), "client": "bench"}

                def review(data: bytes) -> str:
                    upload = {"file": ("bank.csv", data)}
                    sent = http.post("/runs", data=fields, files=upload, headers=SAME_ORIGIN)
                    assert sent.status_code == 303, sent.text
                    page = http.get(sent.headers["location"])
                    assert page.status_code == 200, page.text[:500]
                    return page.text

                whole = Path(path).read_bytes()
                review(b"\n".join(whole.splitlines()[:50]))  # imports, templates: untimed
                started = time.perf_counter()
                shown = review(whole)
                seconds = time.perf_counter() - started
                assert '<table class="rows">' in shown, shown[:500]
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            sock.close()
    return seconds
