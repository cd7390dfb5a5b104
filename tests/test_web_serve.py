"""`ropo-import serve` as a user starts it: loopback by default, a login address printed, the
token from ROPO_WEB_TOKEN when set, a warning for any other address."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import httpx

from importer.cli.serve import exposure
from tests.conftest import ROOT

TOKEN = "serve-test-token-0b7c"


def test_serve_demo_prints_a_login_address_on_loopback_that_logs_in() -> None:
    env = {**os.environ, "ROPO_WEB_TOKEN": TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "importer", "serve", "--demo", "--port", "0"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    drain = threading.Thread()
    try:
        assert process.stderr is not None
        page = process.stderr.readline().split()[-1]
        login = process.stderr.readline().split()[-1]
        drain = threading.Thread(target=process.stderr.read, daemon=True)
        drain.start()
        assert page.startswith("http://localhost:")
        assert login == f"{page}login?token={TOKEN}"
        with httpx.Client(base_url=page) as client:
            assert client.get("/").status_code == 401
            answer = client.get(f"/login?token={TOKEN}")
            assert answer.status_code == 303
            assert client.get("/").status_code == 200
            assert "Review the demo export" in client.get("/").text
    finally:
        process.terminate()
        process.wait(timeout=10)
        if drain.ident is not None:
            drain.join(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def test_any_address_but_loopback_is_served_with_a_warning_to_put_tls_in_front() -> None:
    assert exposure("127.0.0.1") is None
    assert exposure("localhost") is None
    warning = exposure("0.0.0.0")
    assert warning is not None
    assert "TLS" in warning
