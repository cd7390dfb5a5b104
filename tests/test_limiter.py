"""The limiter converges from any start: too high a rate against a capped server ends with every
payment posted, just under the cap. Time is virtual: it jumps when every task waits."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from datetime import date
from decimal import Decimal
from typing import TypeVar

import httpx
import pytest

from importer.client import RopoClient
from importer.limiter import BELOW_LIMIT, DECREASE, HOLD_SECONDS, RateLimiter
from importer.models import Payment
from importer.sandbox.faults import Faults
from importer.settings import ApiSettings, Credentials

T = TypeVar("T")


class VirtualTime:
    """A clock and a sleep for asyncio: sleepers wake in order of their virtual deadline, and
    the clock jumps to the next one once every task is waiting. Nothing waits in real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + seconds, next(self._order), wake))
        await wake

    def run(self, main: Awaitable[T]) -> T:
        async def drive() -> T:
            task = asyncio.ensure_future(main)
            while not task.done():
                for _ in range(30):  # let every task that can run reach its next wait
                    await asyncio.sleep(0)
                if self._timers and not task.done():
                    when, _, wake = heapq.heappop(self._timers)
                    self.now = max(self.now, when)
                    wake.set_result(None)
            return task.result()

        return asyncio.run(drive())


PAYMENT = Payment(billcode="410014", amount=Decimal("1.00"), paydate=date(2026, 11, 2))


def post_many(rate: float, cap: float, count: int, latency: float = 0.05) -> dict[str, float]:
    """`count` payments at `rate` to a mock Ropo One that answers 429 above `cap` a second
    (the sandbox's own rule), in virtual time."""
    time = VirtualTime()
    faults = Faults(rate_cap=cap)
    applied: list[float] = []

    async def ropo(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(201, json={"token": "t"})
        await time.sleep(latency / 2)
        if faults.over_cap(time()):
            answer = httpx.Response(429, headers={"Retry-After": "1"})
        else:
            applied.append(time())
            answer = httpx.Response(201, json={"statusid": 6})
        await time.sleep(latency / 2)
        return answer

    settings = ApiSettings("https://ropo.test/rest", Credentials("1000011", "code"), rate=rate)

    async def go() -> dict[str, float]:
        async with RopoClient(
            settings, transport=httpx.MockTransport(ropo), sleep=time.sleep, clock=time
        ) as client:
            payments = iter(range(count))
            throttling: list[bool] = []

            async def worker() -> None:
                for _ in payments:
                    assert (await client.post_payment(PAYMENT)).applied
                    throttling.append(client.limiter.throttling)

            started = time()
            await asyncio.gather(*(worker() for _ in range(settings.in_flight)))
            last = applied[len(applied) // 2 :]
            return {
                "seconds": time() - started,
                "rate": client.limiter.rate,
                "throttled": client.limiter.throttled,
                "tail": (len(last) - 1) / (last[-1] - last[0]),
                "throttling": sum(throttling) / len(throttling),
            }

    return time.run(go())


def test_from_rate_50_against_a_cap_of_5_every_payment_is_posted_just_under_the_cap() -> None:
    """Today this run gave up after five answers of 429 ("could not be reached")."""
    found = post_many(rate=50, cap=5, count=300)
    assert found["seconds"] < 300 / 5 * 1.15  # within 15% of the best the cap allows
    assert 5 * 0.9 <= found["tail"] <= 5  # the second half runs just under the cap
    assert found["rate"] <= 5
    assert found["throttled"] < 100  # it learns the cap: a few hundred 429s is not learning
    assert found["throttling"] > 0.5  # and says so while it holds the rate down


@pytest.mark.parametrize(("rate", "cap"), [(20, 8), (100, 3), (8, 5)])
def test_the_rate_converges_from_any_start(rate: float, cap: float) -> None:
    found = post_many(rate=rate, cap=cap, count=150)
    assert found["tail"] >= cap * 0.85
    assert found["seconds"] < 150 / cap * 1.3


def test_below_the_cap_nothing_is_throttled() -> None:
    found = post_many(rate=5, cap=8, count=100)
    assert found["throttled"] == 0
    assert found["throttling"] == 0


def test_the_ceiling_goes_to_just_below_what_the_server_accepted() -> None:
    time = VirtualTime()
    limiter = RateLimiter(rate=50, concurrency=10, clock=time, sleep=time.sleep)
    for _ in range(60):  # a minute at 5 answers a second
        for _ in range(5):
            time.now += 0.2
            limiter.answered()
    limiter.throttle(retry_after=1)
    # Not 98% of 50: the server took 5 a second; but no more than one cut at once.
    assert limiter.ceiling == pytest.approx(50 * DECREASE)
    limiter.rate = 50 * DECREASE
    time.now += 1.0
    for _ in range(5):
        time.now += 0.2
        limiter.answered()
    limiter.throttle(retry_after=1)
    assert limiter.ceiling == pytest.approx(50 * DECREASE * DECREASE)


def test_the_ceiling_falls_straight_to_the_accepted_rate_when_that_is_near() -> None:
    time = VirtualTime()
    limiter = RateLimiter(rate=6, concurrency=4, clock=time, sleep=time.sleep)
    for _ in range(25):  # 5 a second
        time.now += 0.2
        limiter.answered()
    limiter.throttle(retry_after=1)
    assert limiter.ceiling == pytest.approx(5 * BELOW_LIMIT)


def test_a_quiet_second_does_not_drop_the_ceiling_to_nothing() -> None:
    time = VirtualTime()
    limiter = RateLimiter(rate=20, concurrency=4, clock=time, sleep=time.sleep)
    for _ in range(20):
        time.now += 0.05
        limiter.answered()
    time.now += 30  # a long pause: nothing answered in the last second
    limiter.throttle(retry_after=1)
    assert limiter.ceiling == pytest.approx(20 * DECREASE)


def test_throttling_is_shown_while_recent_429s_hold_the_rate_down() -> None:
    time = VirtualTime()
    limiter = RateLimiter(rate=20, concurrency=4, clock=time, sleep=time.sleep)
    assert not limiter.throttling
    limiter.throttle(retry_after=1)
    assert limiter.throttling
    time.now += HOLD_SECONDS - 1
    assert limiter.throttling
    time.now += 2  # a minute without a 429: the server is no longer pushing back
    assert not limiter.throttling
    limiter.throttle(retry_after=None)
    assert limiter.throttling
    time.now += 3600  # the ceiling is back at the target
    assert not limiter.throttling
