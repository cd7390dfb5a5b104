"""The web page's gate, with Starlette's test client: who may come in, which requests are
refused and how, what every answer carries, and where uploads are kept."""

from __future__ import annotations

import logging
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from importer.clock import Clock
from importer.web.access import Access
from tests.conftest import APICODE, DEMO_EXPORT, Sandbox
from tests.webpage import AT, ORIGIN, TOKEN, Browser, api_client, site, target


@pytest.mark.parametrize("path", ["/", "/runs", "/runs/x", "/runs/x/workbook"])
def test_a_page_without_the_login_is_401(tmp_path: Path, path: str) -> None:
    browser = Browser(site(tmp_path), login=False)
    assert browser.get(path).status_code == 401


def test_the_api_without_its_token_is_401_in_json(tmp_path: Path) -> None:
    client = api_client(site(tmp_path))
    answer = client.get("/api/runs/x", headers={"authorization": "Bearer wrong"})
    assert (answer.status_code, "error" in answer.json()) == (401, True)
    assert client.get("/api/runs/x").status_code == 404  # the right token passes


def test_login_sets_a_strict_httponly_cookie_and_takes_the_token_out_of_the_address(
    tmp_path: Path,
) -> None:
    browser = Browser(site(tmp_path), login=False)
    assert browser.get("/login?token=wrong").status_code == 401
    answer = browser.get(f"/login?token={TOKEN}")
    assert (answer.status_code, answer.headers["location"]) == (303, "/")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/" in cookie
    assert TOKEN.lower() not in cookie  # the session is not the token
    assert browser.get("/").status_code == 200


def test_the_access_log_never_holds_the_login_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ropo_import.web"):
        browser = Browser(site(tmp_path))
        browser.get("/runs")
    lines = [record.getMessage() for record in caplog.records]
    assert "GET /login 303" in lines
    assert "GET /runs 200" in lines
    assert not any(TOKEN in line for line in lines)


def test_a_session_ends_after_its_lifetime() -> None:
    now = [0.0]
    access = Access("t", clock=lambda: now[0], lifetime=60)
    session = access.login("t")
    assert session is not None
    assert access.session_ok(session)
    now[0] = 61
    assert not access.session_ok(session)
    assert access.login("not it") is None


@pytest.mark.parametrize(
    ("headers", "token_right", "status"),
    [
        ({"sec-fetch-site": "same-origin"}, True, 303),
        ({"sec-fetch-site": "same-origin"}, False, 403),  # no form token: a forged form
        ({"sec-fetch-site": "same-site"}, True, 403),  # another port of 127.0.0.1
        ({"sec-fetch-site": "cross-site"}, True, 403),
        ({"origin": ORIGIN}, True, 303),  # a browser without Sec-Fetch-Site: Origin decides
        ({"origin": "http://127.0.0.1:9999"}, True, 403),
        ({}, True, 403),  # neither: not a browser's form of this page
    ],
)
def test_a_post_needs_the_same_origin_and_the_form_token(
    tmp_path: Path, headers: dict[str, str], token_right: bool, status: int
) -> None:
    browser = Browser(site(tmp_path, demo=True))
    token = browser.form_token() if token_right else "0" * 64
    answer = browser.post("/runs", {"demo": "1"}, headers=headers, token=token)
    assert answer.status_code == status, answer.text


def test_every_post_of_the_pages_checks_the_form_token(tmp_path: Path) -> None:
    browser = Browser(site(tmp_path, demo=True))
    run = browser.post("/runs", {"demo": "1"}).headers["location"]
    for path in ("/runs", f"{run}/send", "/api/runs", f"/api/runs{run[5:]}/send"):
        assert browser.post(path, {"demo": "1"}, token="").status_code == 403, path


def test_a_foreign_host_header_is_400(tmp_path: Path) -> None:
    rebound = Browser(site(tmp_path), login=False, base_url="http://attacker.example:8765")
    assert rebound.get(f"/login?token={TOKEN}").status_code == 400
    named = site(tmp_path / "named")
    named.hosts.append("accounts.example.fi")
    office = Browser(named, base_url="http://accounts.example.fi")
    assert office.get("/").status_code == 200


def test_an_upload_over_the_cap_is_413_declared_or_streamed(tmp_path: Path) -> None:
    browser = Browser(site(tmp_path, max_upload=10_000))
    big = b"x" * 200_000
    answer = browser.post("/runs", files={"file": ("big.csv", big, "text/csv")})
    assert answer.status_code == 413

    def chunks() -> object:  # no Content-Length: counted as it streams in
        yield b"--b\r\n"
        for _ in range(20):
            yield b"x" * 10_000

    streamed = browser.client.post(
        "/runs",
        content=chunks(),
        headers={
            "content-type": "multipart/form-data; boundary=b",
            "sec-fetch-site": "same-origin",
        },
    )
    assert streamed.status_code == 413


def test_one_file_per_request(tmp_path: Path) -> None:
    browser = Browser(site(tmp_path))
    data = DEMO_EXPORT.read_bytes()
    files = [("file", ("a.csv", data, "text/csv")), ("file", ("b.csv", data, "text/csv"))]
    assert browser.post("/runs", files=files).status_code == 400
    assert browser.site.store.runs() == []


def test_a_profile_is_a_built_in_name_never_a_path(tmp_path: Path) -> None:
    browser = Browser(site(tmp_path, demo=True))
    answer = browser.post("/runs", {"demo": "1", "profile": "/etc/passwd"})
    assert answer.status_code == 400
    assert browser.post("/runs", {"demo": "1", "profile": "op"}).status_code == 303


def test_every_answer_carries_the_security_headers_and_pages_no_store(tmp_path: Path) -> None:
    browser = Browser(site(tmp_path, demo=True))
    run = browser.post("/runs", {"demo": "1"}).headers["location"]
    for path in ("/", "/runs", run):
        headers = browser.get(path).headers
        assert headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "no-referrer"
    assert "no-store" not in browser.get("/static/style.css").headers.get("cache-control", "")
    page = browser.get(run).text
    assert "<script" not in page
    assert "http://" not in page.split("</head>")[0]


def test_the_apicode_and_the_token_reach_no_page_and_no_answer(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    here = site(tmp_path, target(tmp_path / "j.sqlite", sandbox.api()))
    browser = Browser(here)
    run = browser.upload()
    browser.post(f"{run}/send")
    here.store.wait(run.rsplit("/", 1)[-1])
    client = api_client(here)
    texts = [browser.get(path).text for path in ("/", "/runs", run, f"{run}?problems=1")]
    texts.append(client.get(f"/api{run}").text)
    for text in texts:
        assert APICODE not in text
        assert TOKEN not in text
        assert not any(token in text for token in sandbox.tokens())


def test_uploads_are_private_and_removed_after_the_retention_period(tmp_path: Path) -> None:
    here = site(tmp_path, demo=True)
    browser = Browser(here)
    run = here.store.get(browser.post("/runs", {"demo": "1"}).headers["location"].rsplit("/")[-1])
    assert run is not None
    assert run.path.exists()
    for folder in (here.store.folder, run.folder):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    here.store.clock = Clock(at=AT + timedelta(days=6))
    assert here.store.purge() == []
    here.store.clock = Clock(at=AT + timedelta(days=8))
    assert here.store.purge() == [run.id]
    assert not run.folder.exists()
    assert browser.get(f"/runs/{run.id}").status_code == 200  # its history stays


def test_a_new_server_removes_what_an_earlier_one_left_past_the_retention(
    tmp_path: Path,
) -> None:
    uploads = tmp_path / "uploads"
    old, recent = uploads / "old-run", uploads / "recent-run"
    for folder in (old, recent):
        folder.mkdir(parents=True)
        (folder / "export.csv").write_text("x")
    eight_days = (AT - timedelta(days=8)).timestamp()
    os.utime(old, (eight_days, eight_days))
    site(tmp_path)  # its store starts on the same folder
    assert (old.exists(), recent.exists()) == (False, True)
