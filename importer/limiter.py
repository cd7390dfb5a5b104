"""A client-side limiter: requests per second and requests in flight, backing off on 429.

Ropo One publishes no rate limit (ropo-one-api.md section 5), so the defaults are polite: 5 per
second, 4 at once. Requests start at evenly spaced moments. A 429 halves the rate at once
(multiplicative decrease; a burst of 429s counts once) and each answered request wins a little
of it back (additive increase). The rate that drew the 429 is remembered: the rate recovers
to 95% of it, and that ceiling itself creeps back up slowly, so the run settles just under the
server's limit instead of hitting it again and again.
The clock and sleep are injected: tests run the limiter without waiting real seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

DEFAULT_RATE = 5.0
DEFAULT_CONCURRENCY = 4
RECOVERY_STEPS = 20  # answered requests to climb back from half to the full rate
PROBE_STEPS = 1000  # answered requests for the ceiling to climb back to the full rate
BELOW_LIMIT = 0.95  # after a 429, recover to this share of the rate that drew it
MIN_RATE = 0.2


class RateLimiter:
    """Spaces request starts at `rate` per second, `concurrency` at once, adapting on 429."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        concurrency: int = DEFAULT_CONCURRENCY,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or concurrency < 1:
            raise ValueError("the rate must be positive and at least one request may run")
        self.target = rate
        self.rate = rate
        self.ceiling = rate  # at most the target; lowered by 429s, creeping back up
        self._last_decrease = float("-inf")
        self._clock, self._sleep = clock, sleep
        self._slots = asyncio.Semaphore(concurrency)
        self._next = 0.0  # the earliest moment the next request may start
        self._pause_until = 0.0
        self.throttled = 0  # 429 answers seen

    @asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Hold one of the concurrent slots for a whole request, retries included."""
        async with self._slots:
            yield

    async def start(self) -> None:
        """Wait for this request's turn to start (call before every attempt)."""
        now = self._clock()
        at = max(now, self._next, self._pause_until)
        self._next = at + 1.0 / self.rate
        if at > now:
            await self._sleep(at - now)

    def throttle(self, retry_after: float | None) -> None:
        """The server answered 429: halve the rate, and pause all requests if it asked to."""
        self.throttled += 1
        now = self._clock()
        if retry_after:
            self._pause_until = max(self._pause_until, now + retry_after)
        if now - self._last_decrease < 1.0:
            return  # the same burst: requests sent before the last decrease took effect
        self._last_decrease = now
        self.ceiling = max(MIN_RATE, min(self.ceiling, self.rate) * BELOW_LIMIT)
        self.rate = max(MIN_RATE, self.rate / 2)

    def answered(self) -> None:
        """A request got an answer: win back a step of the rate."""
        self.ceiling = min(self.target, self.ceiling + self.target / PROBE_STEPS)
        self.rate = min(self.ceiling, self.rate + self.target / (2 * RECOVERY_STEPS))
