"""Fault injection for the sandbox: what a real API does on a bad day, seeded and repeatable.

- latency: every payment answer waits this long;
- rate_cap: more than this many payment requests in one second of the sandbox's clock,
  counted as they arrive (before the latency, as a gateway counts), are answered 429 with
  Retry-After, before anything is processed;
- fail_rate: this share of payment requests get Ropo One's own 503 (a problem body) before
  anything is processed;
- drop_rate: this share of applied payments have their answer cut off mid-body: the same as
  the `cut` mode, drawn after applying, as it always was;
- modes: MODE -> share of payment requests answered the way MODES describes (below);
- token expiry is SandboxState.token_lifetime.

Each request draws at most once for `fail_rate`, once for `modes` and once for `drop_rate`, in
that order, from one seeded random, so a run repeats when its requests arrive in the same order.
Modes share one draw: their shares are laid end to end in MODES order, so they must add up to
at most 1, and a share of 1 means every request.

Every cut answer to an applied payment is recorded (jobid, paydate, amount) in `dropped`, and
every answer a mode shaped is counted in `fired`.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field

RETRY_AFTER_SECONDS = 1

# Name -> what the sandbox does. "Applied" modes process the payment exactly as a normal
# request, then replace or mangle the answer; the others answer before anything is processed.
MODES: dict[str, str] = {
    "gateway-504": "applied, then 504 with an nginx HTML page",
    "gateway-502": "applied, then 502 with an nginx HTML page",
    "proxy-503": "applied, then 503 with an HTML page (no problem body)",
    "html-200": "applied, then 200 with a proxy's HTML page",
    "cut": "applied, then the answer's body is cut off halfway",
    "huge-body": "applied, then a JSON body that never ends (until the client leaves)",
    "trickle": "applied, then the answer one byte per --trickle-seconds",
    "stall": "applied, then no answer at all (until the client leaves)",
    "status-10-201": "not applied; 201 with a full answer carrying statusid 10",
    "echo-headers": "not applied; 400 problem echoing every request header, token included",
    "unauthorized": "not applied; 401 problem, however often the client logs in again",
    "redirect": "not applied; 307 to another path on the same host",
    "retry-after-inf": "not applied; 429 with Retry-After: inf",
}
APPLIED_MODES = frozenset(
    ("gateway-504", "gateway-502", "proxy-503", "html-200", "cut", "huge-body", "trickle", "stall")
)


@dataclass
class Faults:
    """The faults the sandbox injects; all off by default."""

    seed: int = 0
    latency: float = 0.0
    rate_cap: float | None = None
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    modes: dict[str, float] = field(default_factory=dict)
    trickle_seconds: float = 0.5
    _random: random.Random = field(init=False, repr=False)
    _recent: deque[float] = field(init=False, repr=False, default_factory=deque)
    throttled: int = 0
    failed: int = 0
    dropped: list[tuple[int, str, str]] = field(default_factory=list)
    fired: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        for name in ("fail_rate", "drop_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} is a share between 0 and 1")
        for mode, share in self.modes.items():
            check_share(mode, share)
        total = math.fsum(self.modes.values())
        if total > 1 + 1e-9:
            raise ValueError(f"the fault shares add up to {total:g}; together they are at most 1")
        if not (math.isfinite(self.trickle_seconds) and self.trickle_seconds >= 0):
            raise ValueError("trickle_seconds is a number of seconds, 0 or more")

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

    def pick(self) -> str | None:
        """The mode drawn for this request, or None: one draw, shares end to end in MODES order."""
        if not any(self.modes.values()):
            return None
        draw = self._random.random()
        edge, last = 0.0, None
        for mode in MODES:
            share = self.modes.get(mode, 0.0)
            edge += share
            if share:
                if draw < edge:
                    return mode
                last = mode
        # Shares adding up to 1 must cover every draw, whatever the float rounding did.
        return last if math.fsum(self.modes.values()) >= 1 - 1e-9 else None

    def record(self, mode: str) -> None:
        """Count an answer that `mode` shaped."""
        self.fired[mode] = self.fired.get(mode, 0) + 1

    def drop(self, payment: tuple[int, str, str]) -> bool:
        """True when the answer to this applied payment is cut off (drop_rate)."""
        if self.drop_rate and self._random.random() < self.drop_rate:
            self.dropped.append(payment)
            self.record("cut")
            return True
        return False

    def counts(self) -> dict[str, int]:
        """How often each configured or fired mode shaped an answer, in MODES order."""
        named = set(self.modes) | set(self.fired) | ({"cut"} if self.drop_rate else set())
        return {mode: self.fired.get(mode, 0) for mode in MODES if mode in named}


def check_share(mode: str, share: float) -> None:
    """ValueError naming the known modes, or the range, when `mode=share` is not a fault."""
    if mode not in MODES:
        raise ValueError(f"unknown fault mode {mode!r}; the modes are {', '.join(MODES)}")
    if isinstance(share, bool) or not 0 <= share <= 1:
        raise ValueError(f"fault {mode}: share {share!r} is not between 0 and 1")


def parse_fault(text: str) -> tuple[str, float]:
    """'MODE' or 'MODE=SHARE' (as --fault takes it) -> (mode, share); ValueError when not."""
    mode, equals, raw = text.partition("=")
    mode = mode.strip()
    share = 1.0
    if equals:
        try:
            share = float(raw)
        except ValueError:
            raise ValueError(
                f"fault {mode}: share {raw!r} is not a number between 0 and 1"
            ) from None
    check_share(mode, share)
    return mode, share
