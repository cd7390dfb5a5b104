"""A client-side limiter: requests per second and requests in flight, backing off on 429.

Ropo One publishes no rate limit (ropo-one-api.md section 5), so the defaults are polite: 5 per
second, 4 at once. Requests start at evenly spaced moments. A 429 cuts the rate to 70%
(multiplicative decrease, the factor TCP CUBIC uses; a burst of 429s counts once); each
answered request wins a little of it back (additive increase). The throttled request waits its
Retry-After; every request waits when the server asks for LONG_PAUSE or more. A 429 also sets
a ceiling: 98% of the rate that drew it, or of the rate the server accepted over the last second
if that is lower (never below 70% of the rate that drew it in one step, so a quiet second cannot
drop it to nothing). From --rate 50 against a server that takes 5 a second the ceiling reaches 5
in a few seconds, not by 2% a second. The rate recovers to the ceiling, which stays there for
a minute and then creeps back towards the configured rate by 1% a minute, so a run settles just
under the server's limit instead of hitting it again and again.

Turns are kept on a grid (the next one 1/rate after the last turn, not after the moment a late
request woke), so a busy event loop's small delays do not add up: 800 requests each a
millisecond late would otherwise end 0.8 s late. Requests are also kept apart as they go out,
not only as scheduled: a late one and the next on time go out at least CATCH_UP/rate apart, and
no more than `rate` requests go out in any window of a second (plus WINDOW_MARGIN), the way a
server that counts requests per second (a sliding window) sees them.
The clock and sleep are injected: tests run the limiter without waiting real seconds.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from importer.defaults import DEFAULT_RATE as DEFAULT_RATE

DEFAULT_CONCURRENCY = 4  # at least this many in flight, whatever the rate
ANSWER_SECONDS = 0.2  # a request's time in flight the default concurrency allows for
DECREASE = 0.7  # a 429 cuts the rate to this share
RECOVERY_STEPS = 20  # answered requests to climb back from half to the full rate
BELOW_LIMIT = 0.98  # after a 429, recover to this share of the rate that drew it
HOLD_SECONDS = 60.0  # the ceiling stays where a 429 put it this long
PROBE_PER_SECOND = 0.01 / 60  # then it climbs back by this share of the target a second
MIN_RATE = 0.2
CATCH_UP = 0.95  # requests as sent may run this much closer than 1/rate to catch up lateness
WINDOW_MARGIN = 0.005  # seconds: the rate's count of requests takes at least 1 s plus this
LONG_PAUSE = 5.0  # a Retry-After this long pauses every request, not only the throttled one


def concurrency_for(rate: float) -> int:
    """Enough requests in flight to keep `rate` up when each takes ANSWER_SECONDS: 5 per
    second gets 4, 100 per second gets 20."""
    return max(DEFAULT_CONCURRENCY, math.ceil(rate * ANSWER_SECONDS))


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
        self._held = rate  # the ceiling the last 429 set
        self._last_decrease = float("-inf")
        self._clock, self._sleep = clock, sleep
        self._slots = asyncio.Semaphore(concurrency)
        self._next = 0.0  # the earliest moment the next request may start
        self._sent: deque[float] = deque(maxlen=max(1, round(rate)) + 1)  # when they went out
        self._pause_until = 0.0
        self._answers: deque[float] = deque()  # when requests were answered, the last second
        self._first_answer: float | None = None
        self._last_throttle = float("-inf")
        self.throttled = 0  # 429 answers seen

    @property
    def ceiling(self) -> float:
        """The highest rate allowed now: where the last 429 put it, then creeping back up to
        the target after HOLD_SECONDS."""
        probing = max(0.0, self._clock() - self._last_decrease - HOLD_SECONDS)
        return min(self.target, self._held + self.target * PROBE_PER_SECOND * probing)

    @asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Hold one of the concurrent slots for a whole request, retries included."""
        async with self._slots:
            yield

    async def start(self) -> None:
        """Wait for this request's turn to start (call before every attempt)."""
        now = self._clock()
        interval = 1.0 / self.rate
        at = max(self._next, self._pause_until)
        if at < now - interval:  # idle, or far behind: the grid starts again from now
            at = now
        self._next = at + interval
        if at > now:
            await self._sleep(at - now)

    async def sending(self) -> None:
        """Hold a request that is about to go out until CATCH_UP/rate after the last one went.

        start() spaces the turns, but a request that woke late (a busy event loop) and the one
        after it, on time, would go out closer than 1/rate: a burst the server counts. This
        keeps the requests as sent, not only as scheduled, apart, while letting a late run
        catch up a little. The wait is short (a fraction of 1/rate), after the journal's intent.
        """
        while True:
            now = self._clock()
            at = self._sent[-1] + CATCH_UP / self.rate if self._sent else now
            # The request `count` sends ago: the window of `count` requests at this rate.
            count = max(1, round(self.rate))
            if len(self._sent) >= count:
                at = max(at, self._sent[-count] + count / self.rate + WINDOW_MARGIN)
            if now >= at:
                self._sent.append(now)
                return
            await self._sleep(at - now)

    def throttle(self, retry_after: float | None) -> None:
        """The server answered 429: cut the rate; pause every request if it asks for long.

        The throttled request itself waits its Retry-After before it is sent again (client.py).
        A short Retry-After is the server's word for that request: the others carry on at the
        cut rate. A long one (LONG_PAUSE or more) means the server wants a rest: all wait.
        """
        self.throttled += 1
        now = self._clock()
        if retry_after and retry_after >= LONG_PAUSE:
            self._pause_until = max(self._pause_until, now + retry_after)
        self._last_throttle = now
        if now - self._last_decrease < 1.0:
            return  # the same burst: requests sent before the last decrease took effect
        self._last_decrease = now
        before = min(self.ceiling, self.rate)
        # Just below the rate the server was accepting, but never more than a cut at once: a
        # quiet second (a pause, a slow answer) must not drop the ceiling to nothing.
        accepted = min(before, self._accepted(now))
        self._held = max(MIN_RATE, before * DECREASE, accepted * BELOW_LIMIT)
        self.rate = max(MIN_RATE, self.rate * DECREASE)

    def answered(self) -> None:
        """A request got an answer: win back a step of the rate, up to the ceiling."""
        now = self._clock()
        self._answers.append(now)
        self._accepted(now)  # keeps only the last second: a long run holds no more than that
        if self._first_answer is None:
            self._first_answer = now
        self.rate = min(self.ceiling, self.rate + self.target / (2 * RECOVERY_STEPS))

    @property
    def throttling(self) -> bool:
        """True while the rate is held below the target because of recent answers of 429."""
        now = self._clock()
        return now - self._last_throttle < HOLD_SECONDS and self.ceiling < self.target

    def _accepted(self, now: float) -> float:
        """Requests answered (not 429) per second over the last second: at least what the
        server accepts. Early in a run, over the time since the first answer."""
        while self._answers and now - self._answers[0] >= 1.0:
            self._answers.popleft()
        if self._first_answer is None or now <= self._first_answer:
            return math.inf
        return len(self._answers) / min(1.0, now - self._first_answer)
