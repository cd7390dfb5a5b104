"""Where the journal lives, and which payments share one scope in it.

The journal is the one gate between every run and Ropo One, so it must not depend on the folder
a command runs in: by default it lives in the user's data folder (platformdirs), whatever the
working folder. Its entries are scoped to a Ropo One environment and a customer id. The
environment is kept as a canonical origin, so `http://127.0.0.1:8080/rest/` and
`http://localhost:8080/rest` are one scope, and `https://ropo24.fi:443/rest` is
`https://ropo24.fi/rest`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from importer.defaults import default_journal as default_journal
from importer.settings import is_loopback

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK = "localhost"  # the one spelling of this machine: 127.0.0.1, ::1 and localhost


def canonical_endpoint(base_url: str) -> str:
    """The environment as one string per server: scheme, host (loopback spelled one way, lower
    case), port only when not the scheme's default, path without a trailing slash."""
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if is_loopback(host):
        host = LOOPBACK
    elif ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    shown_port = "" if port is None or port == DEFAULT_PORTS.get(scheme) else f":{port}"
    path = parts.path.rstrip("/")
    while "//" in path:
        path = path.replace("//", "/")
    return f"{scheme}://{host}{shown_port}{path}"
