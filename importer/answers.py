"""Reading Ropo One's answers for what they prove: bounded bodies, scrubbed texts, statusids.

client.py decides what to do with an answer; this module reads it. Nothing here raises but
DeliveryUnknown, for a 2xx whose body cannot be read (Ropo One took the payment; the answer
that says how is lost).
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from importer.clock import SYSTEM_CLOCK
from importer.errors import DeliveryUnknown
from importer.models import RESPONSE_FIELDS, ApiAnswer
from importer.said import Said, say

MAX_BODY = 1024 * 1024  # a payment answer is a few hundred bytes; anything near this is not one
MAX_RETRY_AFTER = 60.0  # a server asking for longer gets this; the 429 budget is the real bound
PROBLEM_TYPES = frozenset({"application/json", "application/problem+json"})
SHOWN = 200  # characters of a body that is not JSON kept as the problem text

# Secrets an answer may echo: an Authorization header however it is written, any bearer token,
# an apicode field. The exact token and apicode values are replaced as well (Scrubber).
_AUTHORIZATION = re.compile(r"""(?i)(\bauthorization["']?\s*[:=]\s*["']?)[^"'\r\n,}]*""")
_BEARER = re.compile(r"""(?i)\bbearer\s+[^\s"',;}\]]+""")
_APICODE = re.compile(r"""(?i)(\bapicode["']?\s*[:=]\s*["']?)[^"'\s,;}&]*""")
HIDDEN = "***"


# A secret shorter than this is hidden only as a word of its own: hidden inside words, a short
# one would mangle every message ("Remo***eProtocolError" for a token "t").
WHOLE_WORD_BELOW = 8


class Scrubber:
    """Removes the secrets of a session from any text kept from an answer."""

    def __init__(self, secrets: Callable[[], Iterable[str]]) -> None:
        self._secrets = secrets

    def text(self, text: str) -> str:
        # Longest first: a token that contains the apicode is hidden whole.
        for secret in sorted((s for s in self._secrets() if s), key=len, reverse=True):
            if len(secret) >= WHOLE_WORD_BELOW:
                text = text.replace(secret, HIDDEN)
            else:  # a short secret (a test's token "t") hidden only where it stands alone
                alone = rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])"
                text = re.sub(alone, HIDDEN, text)
        text = _AUTHORIZATION.sub(rf"\g<1>{HIDDEN}", text)
        text = _BEARER.sub(f"Bearer {HIDDEN}", text)
        return _APICODE.sub(rf"\g<1>{HIDDEN}", text)

    def value(self, value: Any) -> Any:
        """`value` with every string in it scrubbed, however deeply nested."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


@dataclass(frozen=True)
class Reply:
    """An answer as read: status, headers, and the body, or None when it was over MAX_BODY."""

    status: int
    headers: httpx.Headers
    body: bytes | None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def media_type(self) -> str:
        content_type: str = self.headers.get("Content-Type", "")
        return content_type.split(";")[0].strip().lower()

    @property
    def html(self) -> bool:
        """A web page, as proxies and gateways answer: never Ropo One's own JSON."""
        return "html" in self.media_type or (self.body or b"").lstrip().startswith(b"<")

    def data(self) -> dict[str, Any] | None:
        """The body as a JSON object, money as Decimal; None when it is not one."""
        if self.body is None:
            return None
        try:
            data = json.loads(self.body, parse_float=Decimal, parse_constant=_no_constant)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return None
        return data if isinstance(data, dict) else None

    def from_ropo_one(self) -> bool:
        """True for Ropo One's own problem body (HttpApiProblem): JSON naming this status and a
        title or detail. A gateway's or proxy's page is not one, and proves nothing."""
        data = self.data() if self.media_type in PROBLEM_TYPES else None
        if data is None or data.get("status") != self.status:
            return False
        return isinstance(data.get("title"), str) or isinstance(data.get("detail"), str)

    def problem(self, scrub: Scrubber) -> str:
        """What the answer says went wrong, scrubbed, in one short line."""
        if self.body is None:
            return say(
                "the answer was too large (over {size} KiB) and was not read",
                size=MAX_BODY // 1024,
            )
        data = self.data() or {}
        for name in ("detail", "title", "error", "errorText", "statustext"):
            if isinstance(data.get(name), str) and data[name].strip():
                return scrub.text(data[name])[:SHOWN]
        text = " ".join(self.body.decode("utf-8", "replace").split())
        return scrub.text(text)[:SHOWN] or say("no body")  # scrubbed whole, then cut: no half token


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def read_capped(response: httpx.Response, cap: int = MAX_BODY) -> bytes | None:
    """The body, or None as soon as it is known to exceed `cap` (the rest is never read)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def retry_after(header: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds (delay-seconds or HTTP-date, RFC 9110 10.2.3), at most
    MAX_RETRY_AFTER; None when absent or meaningless (the caller's backoff applies)."""
    if not header:
        return None
    try:
        seconds = float(header)  # a delay in seconds, never money
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = max(0.0, (when - (now or SYSTEM_CLOCK.now())).total_seconds())
    if math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)


def payment_answer(reply: Reply, scrub: Scrubber) -> ApiAnswer:
    """The answer to POST /jobs/payment as read; DeliveryUnknown(registered=True) for a 2xx
    whose body cannot be read: Ropo One took the payment, and how it was applied is lost."""
    data = reply.data()
    statusid = data.get("statusid") if data else None
    if reply.ok and statusid is None:
        raise DeliveryUnknown(
            say(
                "registered, but the answer could not be read (HTTP {status} with {what})",
                status=reply.status,
                what=_unreadable(reply, data),
            ),
            registered=True,
        )
    if data is None or statusid is None:
        return ApiAnswer(reply.status, None, {}, problem=reply.problem(scrub))
    fields = {name: scrub.value(data.get(name)) for name in RESPONSE_FIELDS}
    if type(statusid) is int:  # not bool, not 6.0, not "6"
        return ApiAnswer(reply.status, statusid, fields)
    shown = scrub.value(statusid)
    return ApiAnswer(
        reply.status,
        None,
        fields,
        problem=say("statusid {statusid} is not a whole number", statusid=repr(shown)),
        raw_statusid=shown,
    )


def _unreadable(reply: Reply, data: dict[str, Any] | None) -> Said:
    if reply.body is None:
        return say("a body over {size} KiB", size=MAX_BODY // 1024)
    if not reply.body.strip():
        return say("an empty body")
    if reply.html:
        return say("an HTML page instead of JSON")
    if data is None:
        return say("a body that is not a JSON object")
    return say("no statusid in its body")
