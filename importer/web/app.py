"""create_app: the page's routes behind its middleware, for uvicorn or Starlette's TestClient.

Unknown Host headers are refused first (DNS rebinding: a name that resolves to 127.0.0.1 must
not reach the page), then every request passes the Guard (guard.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from importer.i18n import Lang
from importer.web.access import Access
from importer.web.guard import Guard
from importer.web.runs import Run, RunStore
from importer.web.targets import Target

HERE = Path(__file__).resolve().parent
MAX_UPLOAD = 50_000_000  # bytes: a month's export is a few megabytes
FORM_OVERHEAD = 64_000  # the form's other fields and the multipart boundaries
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


@dataclass
class Site:
    """Everything the routes share: the runs, the clients, who may come in, and how."""

    store: RunStore
    targets: dict[str, Target]
    access: Access
    lang: Lang = "en"  # when neither ?lang=, the switch's cookie nor Accept-Language says
    hosts: list[str] = field(default_factory=lambda: list(LOOPBACK_NAMES))
    max_upload: int = MAX_UPLOAD
    demo_export: Path | None = None  # offered for upload by `serve --demo`


def create_app(site: Site) -> Starlette:
    from importer.web import api, events, pages, unknown

    app = Starlette(
        routes=[
            *pages.routes(),
            *api.routes(),
            *events.routes(),
            *unknown.routes(),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=site.hosts, www_redirect=False),
            Middleware(Guard, access=site.access, max_body=site.max_upload + FORM_OVERHEAD),
        ],
    )
    app.state.site = site
    return app


def site_of(request: Request) -> Site:
    return cast(Site, request.app.state.site)


def named_run(request: Request) -> Run | None:
    """The run the address names (`/runs/{run_id}...`), None if the store has none."""
    return site_of(request).store.get(request.path_params["run_id"])
