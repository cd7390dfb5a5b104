"""Who may use the page: one login token, a session per login, a form token per session.

The login token is printed at start (or given as ROPO_WEB_TOKEN); `GET /login?token=` trades
it for a session id in an HttpOnly cookie, so the token leaves the address bar and never sits
in the browser. Scripts send the token itself as `Authorization: Bearer`. Each session's form
token is derived from its id with a key of this process: a page of another origin can read
neither, and a forged form POST lacks it (SameSite does not stop another port of localhost).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable

SESSION_COOKIE = "ropo_session"
SESSION_SECONDS = 12 * 3600.0  # a working day; then the login URL is needed again
FORM_FIELD = "form_token"


class Access:
    """The login token, the sessions it opened, and their form tokens."""

    def __init__(
        self,
        token: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        lifetime: float = SESSION_SECONDS,
    ) -> None:
        self.token = token or secrets.token_urlsafe(32)
        self._key = secrets.token_bytes(32)
        self._clock, self._lifetime = clock, lifetime
        self._sessions: dict[str, float] = {}
        self._lock = threading.Lock()

    def login(self, given: str) -> str | None:
        """A new session id for the right token, else None."""
        if not self.bearer_ok(given):
            return None
        session = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            self._sessions = {s: t for s, t in self._sessions.items() if t > now}
            self._sessions[session] = now + self._lifetime
        return session

    def session_ok(self, session: str) -> bool:
        with self._lock:
            until = self._sessions.get(session)
        return until is not None and until > self._clock()

    def bearer_ok(self, given: str) -> bool:
        # compare_digest: the time taken tells nothing of how much of the token was right
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def form_token(self, session: str) -> str:
        return hmac.new(self._key, session.encode(), hashlib.sha256).hexdigest()

    def form_ok(self, session: str, given: str) -> bool:
        return bool(given) and hmac.compare_digest(
            given.encode(), self.form_token(session).encode()
        )
