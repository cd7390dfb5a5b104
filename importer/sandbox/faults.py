"""Fault injection for the sandbox: what a real API does on a bad day, seeded and repeatable.

- latency: every payment answer waits this long;
- rate_cap: more than this many payment requests in one second of the sandbox's clock are
  answered 429 with Retry-After, before anything is processed;
- fail_rate: this share of payment requests get 503 before anything is processed;
- drop_rate: this share of payments are applied and then the connection is cut before the
  answer is complete: the ambiguous case that must end `unknown`, never re-sent;
- token expiry is SandboxState.token_lifetime.

Every drop is recorded (jobid, paydate, amount), so tests can tell which rows were dropped.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

RETRY_AFTER_SECONDS = 1


@dataclass
class Faults:
    """The faults the sandbox injects; all off by default."""

    seed: int = 0
    latency: float = 0.0
    rate_cap: float | None = None
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    _random: random.Random = field(init=False, repr=False)
    _recent: deque[float] = field(init=False, repr=False, default_factory=deque)
    throttled: int = 0
    failed: int = 0
    dropped: list[tuple[int, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        for name in ("fail_rate", "drop_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} is a share between 0 and 1")

    def over_cap(self, now: float) -> bool:
        """True when this request goes over the rate cap (it is then not counted)."""
        if self.rate_cap is None:
            return False
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_cap:
            self.throttled += 1
            return True
        self._recent.append(now)
        return False

    def fail(self) -> bool:
        """True when this request gets a 503 before processing."""
        if self.fail_rate and self._random.random() < self.fail_rate:
            self.failed += 1
            return True
        return False

    def drop(self, payment: tuple[int, str, str]) -> bool:
        """True when the answer to this applied payment is cut off."""
        if self.drop_rate and self._random.random() < self.drop_rate:
            self.dropped.append(payment)
            return True
        return False
