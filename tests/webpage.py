"""A browser for the web page's tests: Starlette's TestClient, logged in, sending each form
with its form token and the Sec-Fetch-Site a browser sends for the page's own forms."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from importer.clock import Clock
from importer.settings import ApiSettings, describe_endpoint
from importer.web import Site, create_app
from importer.web.access import Access
from importer.web.runs import RunStore
from importer.web.targets import Target
from tests.conftest import CID, DEMO_EXPORT, RULES

TOKEN = "login-token-canary-5d1e"
ORIGIN = "http://127.0.0.1:8765"
AT = datetime(2026, 11, 20, 9, 30).astimezone()  # the server's clock in these tests
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


def target(
    journal: Path, api: ApiSettings | None = None, name: str = "acme", production: bool = False
) -> Target:
    """A client sending to `api` (None: one without credentials) with the samples' rules."""
    return Target(
        name,
        describe_endpoint(api.base_url) if api else "?",
        CID,
        production,
        api,
        journal,
        lambda clock: RULES,
        refused=None if api else "set ROPO_CID and ROPO_APICODE in the environment",
    )


def site(
    tmp_path: Path,
    *targets: Target,
    demo: bool = False,
    max_upload: int = 1_000_000,
    clock: Clock | None = None,
) -> Site:
    chosen = {t.name: t for t in targets or (target(tmp_path / "j.sqlite"),)}
    store = RunStore(tmp_path / "uploads", clock or Clock(at=AT), targets=chosen)
    return Site(
        store,
        chosen,
        Access(TOKEN),
        max_upload=max_upload,
        demo_export=DEMO_EXPORT if demo else None,
    )


class Browser:
    """A logged-in browser on the page of `site`."""

    def __init__(self, site: Site, *, login: bool = True, base_url: str = ORIGIN) -> None:
        self.site = site
        self.client = TestClient(create_app(site), base_url=base_url, follow_redirects=False)
        if login:
            answer = self.client.get(f"/login?token={TOKEN}")
            assert answer.status_code == 303, answer.text

    def form_token(self, path: str = "/") -> str:
        found = re.search(r'name="form_token" value="([^"]+)"', self.client.get(path).text)
        assert found, f"no form on {path}"
        return found.group(1)

    def post(
        self,
        path: str,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> Any:
        fields = {"form_token": self.form_token() if token is None else token, **(data or {})}
        given = dict(SAME_ORIGIN if headers is None else headers)
        return self.client.post(path, data=fields, files=files, headers=given)

    def upload(self, path: Path = DEMO_EXPORT, **fields: str) -> str:
        """Upload a file through the form; the run's address."""
        with path.open("rb") as file:
            answer = self.post("/runs", fields, files={"file": (path.name, file, "text/csv")})
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"])

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)


def api_client(site: Site, base_url: str = ORIGIN) -> TestClient:
    """A script's client: the bearer token, no cookie, no browser headers."""
    return TestClient(
        create_app(site),
        base_url=base_url,
        headers={"authorization": f"Bearer {TOKEN}"},
        follow_redirects=False,
    )
