"""Where to post and as whom: built once by the CLI, passed down; nothing else reads os.environ.

Credentials come only from the environment (ROPO_CID, ROPO_APICODE), never from the command
line, where other users of the machine could read them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from importer.defaults import ENVIRONMENTS as ENVIRONMENTS
from importer.errors import ConfigError
from importer.limiter import DEFAULT_RATE, concurrency_for


@dataclass(frozen=True)
class Credentials:
    """A Ropo One customer id and its apicode; the apicode never shows in a repr."""

    cid: str
    apicode: str = field(repr=False)


@dataclass(frozen=True)
class ApiSettings:
    """How to talk to Ropo One."""

    base_url: str
    credentials: Credentials
    connect_timeout: float = 5.0  # short: a refused connection is safe to retry
    read_timeout: float = 60.0  # long: a read timeout leaves the payment's fate unknown
    max_attempts: int = 5
    max_retry_seconds: float = 120.0
    # Answers of 429 do not use up max_attempts (the server is answering): they get this long.
    max_throttle_seconds: float = 600.0
    # The whole request, body included (read_timeout restarts on every byte); None: 30 s
    # above read_timeout.
    request_deadline: float | None = None
    rate: float = DEFAULT_RATE  # requests started per second (Ropo One publishes no limit)
    concurrency: int | None = None  # requests in flight at once; None: enough for the rate

    @property
    def in_flight(self) -> int:
        return self.concurrency or concurrency_for(self.rate)

    @property
    def deadline(self) -> float:
        """Seconds one request may take from sending to its last byte."""
        return self.request_deadline or self.read_timeout + 30.0


def base_url_from(
    env: str | None,
    base_url: str | None,
    environ: Mapping[str, str],
    *,
    dry_run_hint: bool = True,
) -> str:
    """The API's base URL from --env, --base-url or ROPO_BASE_URL, checked.

    `env` and `base_url` may come from the command line or from a config file, which checks
    its own values and names its key: these messages name the value, not one option.
    """
    if env and base_url:
        raise ConfigError("give either --env or --base-url, not both")
    if env:
        if env not in ENVIRONMENTS:
            raise ConfigError(f"env {env!r} is not one of {', '.join(sorted(ENVIRONMENTS))}")
        return ENVIRONMENTS[env]
    if base_url:
        return check_base_url(base_url)
    url = environ.get("ROPO_BASE_URL", "").strip()
    if not url:
        raise ConfigError(
            "where should payments go? Give --env (fi-test, fi-prod, ...) or "
            "--base-url URL, or set ROPO_BASE_URL"
            + ("; use --dry-run to post nothing" if dry_run_hint else "")
        )
    if base_url:
        return check_base_url(url)
    try:
        return check_base_url(url)
    except ConfigError as exc:
        raise ConfigError(f"ROPO_BASE_URL in the environment: {exc}; fix or unset it") from None


def describe_endpoint(base_url: str) -> str:
    """'fi-test (https://rc.ropo24.fi/rest)', or what else the base URL is."""
    for name, url in ENVIRONMENTS.items():
        if url == base_url:
            return f"{name} ({url})"
    host = urlsplit(base_url).hostname or ""
    where = "a sandbox on this machine" if is_loopback(host) else "another endpoint"
    return f"{where} ({base_url})"


def check_base_url(url: str) -> str:
    """An https URL, or http only on this machine (the sandbox): tokens never go out in clear."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL {url!r} is not an http(s) URL such as https://ropo24.fi/rest")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"base URL {url!r} uses plain http to another machine; use https "
            "(plain http is allowed only for a sandbox on this machine)"
        )
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    """localhost, or any loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credentials_from(environ: Mapping[str, str]) -> Credentials:
    """ROPO_CID and ROPO_APICODE from the environment."""
    cid = environ.get("ROPO_CID", "").strip()
    apicode = environ.get("ROPO_APICODE", "")
    missing = [name for name, value in (("ROPO_CID", cid), ("ROPO_APICODE", apicode)) if not value]
    if missing:
        raise ConfigError(
            f"set {' and '.join(missing)} in the environment (the customer id and apicode "
            "from Ropo support); they are never taken from the command line"
        )
    return Credentials(cid=cid, apicode=apicode)
