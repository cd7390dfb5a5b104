"""The odd answers the sandbox's fault modes give: gateway pages, cut, endless, trickled and
never-sent bodies. Each is an ASGI response written message by message, so that the bytes on
the wire are exactly the fault and a client that leaves ends it at once."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from starlette.responses import Response

from importer import json_decimal

# How often a waiting answer looks whether the sandbox is stopping.
STOP_POLL_SECONDS = 0.05
HUGE_BODY_CHUNK = b"0" * 65536
# Far past any sane client's cap; a client without one sees the body end cut after 1 GiB
# instead of a test that never ends.
HUGE_BODY_BYTES = 1 << 30

_TITLES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}
_PROXY_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in to continue</title></head>\n"
    '<body><h1>Network access requires sign-in</h1>\n<form method="post" action="/login">'
    '<input name="user"><input name="password" type="password"></form></body></html>\n'
)


def gateway_page(status: int) -> Response:
    """What nginx writes when the backend is gone or slow: HTML, whatever the backend did."""
    title = _TITLES[status]
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(page, status, media_type="text/html")


def proxy_page() -> Response:
    """A 200 that is not Ropo One's: an intercepting proxy's sign-in page."""
    return Response(_PROXY_PAGE, 200, media_type="text/html")


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """An HttpApiProblem answer, as Ropo One writes every error that is not a statusid."""
    body = {"status": status, "type": "about:blank", "title": title, "detail": detail}
    return json_response(body, status, headers)


def json_response(
    data: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json_decimal.dumps(data), status, headers=headers, media_type="application/json"
    )


class Cut(Response):
    """An answer cut off mid-body: whatever it said, the client never learns it."""

    def __init__(self, answer: Response) -> None:
        super().__init__(bytes(answer.body), answer.status_code)
        self.media_type = answer.media_type

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        length = max(len(self.body), 2)
        headers = [
            (b"content-type", (self.media_type or "application/json").encode()),
            (b"content-length", str(length).encode()),
        ]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        half = {"type": "http.response.body", "body": self.body[: length // 2], "more_body": True}
        await send(half)
        # Returning without finishing the body makes the server close the connection.


class Endless(Response):
    """A JSON body that does not end: chunks until the client leaves or the sandbox stops."""

    def __init__(self, status: int, stopping: threading.Event) -> None:
        super().__init__(b"", status)
        self.stopping = stopping

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json")]  # no length: chunked, no end
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        gone = asyncio.ensure_future(_gone(receive))
        try:
            chunk = b'{"statustext":"' + HUGE_BODY_CHUNK
            sent = 0
            while sent < HUGE_BODY_BYTES and not gone.done() and not self.stopping.is_set():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                sent += len(chunk)
                chunk = HUGE_BODY_CHUNK
                # The server's send returns at once once the client has gone: yield, so that the
                # listener can say so, instead of spinning.
                await asyncio.sleep(0)
        finally:
            gone.cancel()


class Trickle(Response):
    """A valid answer sent one byte at a time, `pause` seconds apart."""

    def __init__(self, answer: Response, pause: float, stopping: threading.Event) -> None:
        super().__init__(bytes(answer.body), answer.status_code)
        self.media_type = answer.media_type
        self.pause, self.stopping = pause, stopping

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [
            (b"content-type", (self.media_type or "application/json").encode()),
            (b"content-length", str(len(self.body)).encode()),
        ]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        gone = asyncio.ensure_future(_gone(receive))
        try:
            for at in range(len(self.body)):
                last = at == len(self.body) - 1
                message = {"type": "http.response.body", "body": self.body[at : at + 1]}
                await send({**message, "more_body": not last})
                if not last and await _left(gone, self.stopping, self.pause):
                    return
        finally:
            gone.cancel()


class Stall(Response):
    """No answer at all, until the client leaves; when the sandbox stops, the connection is cut."""

    def __init__(self, stopping: threading.Event) -> None:
        super().__init__(b"", 503)
        self.stopping = stopping

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        gone = asyncio.ensure_future(_gone(receive))
        try:
            while not await _left(gone, self.stopping, STOP_POLL_SECONDS):
                pass
            client_left = gone.done()
        finally:
            gone.cancel()
        if client_left:
            return  # nothing to send, and the server logs nothing
        # The sandbox is stopping: the ASGI server can only drop a connection once an answer
        # has begun, so begin one and cut it.
        await Cut(Response(b"stopping", 503, media_type="text/plain"))(scope, receive, send)


async def _gone(receive: Any) -> None:
    """Returns when the client has disconnected (whatever is left of the request is dropped)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _left(gone: asyncio.Future[None], stopping: threading.Event, wait: float) -> bool:
    """Wait up to `wait` seconds; True when the client has gone or the sandbox is stopping."""
    deadline = asyncio.get_running_loop().time() + wait
    while not gone.done() and not stopping.is_set():
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return False
        await asyncio.wait({gone}, timeout=min(left, STOP_POLL_SECONDS))
    return True


class _QuietCuts(logging.Filter):
    """uvicorn logs each deliberately cut answer as an error; it is the point, not a fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietCuts())
