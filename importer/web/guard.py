"""The middleware every request passes before a page or the API sees it.

In order: the body's size cap (413, on Content-Length and on the bytes as they stream, since
Starlette caps no file part); the login (401 without a session cookie or the bearer token);
for a POST from a browser session, a same-origin `Sec-Fetch-Site`, else an `Origin` equal to
this host (403); then the security headers on every answer; and one access log line that
never holds a query string, so the login token cannot reach a log. The form token is checked
where the form is read (pages.py `posted_form`), as the body must be parsed first. Unknown Host
headers are refused before all this by Starlette's TrustedHostMiddleware (app.py).
"""

from __future__ import annotations

import logging
from http.cookies import SimpleCookie

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from importer.web.access import SESSION_COOKIE, Access

LOG = logging.getLogger("ropo_import.web")
OPEN_PATHS = ("/login", "/static/")  # answered without a session: the way in, and the CSS
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
NO_STORE = (b"cache-control", b"no-store")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SAME_ORIGIN = ("same-origin", "none")  # "none": typed in the address bar or a bookmark


class _TooLargeError(Exception):
    """The body went over the cap while it streamed in."""


class Guard:
    """Size cap, login, origin check, security headers and the access log, around `app`."""

    def __init__(self, app: ASGIApp, access: Access, max_body: int) -> None:
        self.app, self.access, self.max_body = app, access, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [0]

        async def send_headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                headers += HEADERS
                if not scope["path"].startswith("/static/"):
                    headers.append(NO_STORE)  # pages and answers carry payment data
                message = {**message, "headers": headers}
            await send(message)

        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send_headed)
            else:
                await self.app(scope, self._capped(receive), send_headed)
        except _TooLargeError:
            if status[0]:  # the answer had begun: nothing more can be said
                raise
            await self._too_large(scope)(scope, receive, send_headed)
        finally:
            LOG.info("%s %s %s", scope["method"], scope["path"], status[0])

    def _refusal(self, scope: Scope) -> Response | None:
        """The answer that stops this request here, or None to let it through."""
        headers = Headers(scope=scope)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            return self._too_large(scope)
        path: str = scope["path"]
        if path.startswith(OPEN_PATHS):
            return None
        state = scope.setdefault("state", {})
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer ") and self.access.bearer_ok(bearer[7:].strip()):
            # A script's bearer token: another origin's page cannot add this header (this
            # server grants no CORS), so the origin checks below are for cookies only.
            state["bearer"] = True
            return None
        session = _cookie(headers, SESSION_COOKIE)
        if not self.access.session_ok(session):
            return _refused(scope, 401, "open the login address printed when the page started")
        state["session"] = session
        if scope["method"] not in SAFE_METHODS and not _same_origin(headers, scope):
            return _refused(scope, 403, "a form of another site or port is refused")
        return None

    def _capped(self, receive: Receive) -> Receive:
        seen = [0]

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > self.max_body:
                    raise _TooLargeError
            return message

        return counted

    def _too_large(self, scope: Scope) -> Response:
        megabytes = self.max_body / 1_000_000
        return _refused(scope, 413, f"the upload is larger than {megabytes:.0f} MB")


def _cookie(headers: Headers, name: str) -> str:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is no session
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel is not None else ""


def _same_origin(headers: Headers, scope: Scope) -> bool:
    """A browser says where a request comes from in Sec-Fetch-Site; an older one only in
    Origin, which must then be this very scheme, host and port."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in SAME_ORIGIN
    origin = headers.get("origin")
    return origin is not None and origin == f"{scope.get('scheme', 'http')}://{headers.get('host')}"


def _refused(scope: Scope, status: int, why: str) -> Response:
    if scope["path"].startswith("/api/"):
        return JSONResponse({"error": why}, status_code=status)
    return PlainTextResponse(f"{status}: {why}", status_code=status)
