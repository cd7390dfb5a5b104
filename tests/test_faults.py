"""Exactly once under faults: the sandbox misbehaves, the importer keeps every row and sends
nothing twice. Time is a fake clock shared by both sides: a sleep moves it, nothing waits."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from importer.limiter import BELOW_LIMIT, CATCH_UP, WINDOW_MARGIN, RateLimiter
from importer.models import Outcome
from importer.pipeline import Outside, run_import
from importer.sandbox import Ledger, SandboxServer, SandboxState
from importer.sandbox.faults import Faults
from importer.settings import ApiSettings, Credentials
from tests.conftest import CID, OP_HEADER, RULES, FakeClock

REFERENCES = ["410014", "410027", "410030", "410043", "410056"]


class SharedTime(FakeClock):
    """One fake clock for the client and the sandbox; sleeping moves it."""

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


def big_ledger(path: Path) -> Path:
    """Invoices large enough that none is paid off during the run."""
    lines = ["jobid,billnum,billcode,cid,state,capital,interest,noticefee"]
    for n, reference in enumerate(REFERENCES, start=1):
        lines.append(f"{600000 + n},R5{n:04d},{reference},{CID},open,1000000.00,0.00,0.00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def export(path: Path, rows: int) -> Path:
    """`rows` payments, each with its own amount so the sandbox can count each one."""
    lines = [OP_HEADER]
    for n in range(rows):
        amount = f"{10 + n // 100},{n % 100:02d}"
        reference = REFERENCES[n % len(REFERENCES)]
        lines.append(
            f'"2026-11-02";"2026-11-02";{amount};"106";"VIITESIIRTO";"Payer {n}";"";"";'
            f'"ref={reference}";"";"20261102/FAULT/{n:06d}"'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_under_a_fault_mix_every_row_ends_final_and_nothing_is_applied_twice(
    tmp_path: Path,
) -> None:
    time = SharedTime()
    faults = Faults(seed=7, rate_cap=8, fail_rate=0.10, drop_rate=0.05)
    state = SandboxState(
        Ledger.load(big_ledger(tmp_path / "ledger.csv")),
        apicode="sandbox",
        clock=time,
        token_lifetime=30,
        faults=faults,
    )
    rows = 300
    with SandboxServer(state) as server:
        api = ApiSettings(
            base_url=server.base_url,
            credentials=Credentials(CID, "sandbox"),
            rate=20,  # above the sandbox's cap of 8 per second
            concurrency=4,
            max_attempts=12,
            max_retry_seconds=600,
        )
        report = run_import(
            export(tmp_path / "export.csv", rows),
            journal_path=tmp_path / "j.sqlite",
            api=api,
            rules=RULES,
            outside=Outside(sleep=time.sleep, clock=time),
        )
    assert report.stopped is None
    assert report.rows_read == rows
    assert report.balanced
    assert {r.outcome for r in report.results} <= {Outcome.POSTED, Outcome.UNKNOWN}
    assert max(state.ledger.applied.values()) == 1
    unknown = {
        (r.payment.amount, r.row.line)
        for r in report.results
        if r.outcome is Outcome.UNKNOWN and r.payment
    }
    dropped_amounts = Counter(Decimal(amount) for _jobid, _day, amount in faults.dropped)
    assert Counter(amount for amount, _line in unknown) == dropped_amounts
    posted = sum(1 for r in report.results if r.outcome is Outcome.POSTED)
    assert posted + len(unknown) == sum(state.ledger.applied.values()) == rows
    # The faults did happen: this test would prove nothing on a quiet day.
    assert faults.failed > 10
    assert faults.throttled >= 3  # few: the limiter learns the cap and stays under it
    assert len(faults.dropped) > 5
    assert len(state.tokens) > 1  # tokens expired and were fetched again


def test_the_limiter_spaces_requests_at_the_rate() -> None:
    time = SharedTime()
    limiter = RateLimiter(rate=10, concurrency=4, clock=time, sleep=time.sleep)
    starts: list[float] = []

    async def go() -> None:
        for _ in range(50):
            await limiter.start()
            starts.append(time())

    asyncio.run(go())
    assert starts[-1] - starts[0] == pytest.approx(4.9)


def test_a_429_cuts_the_rate_and_the_rate_recovers_just_below_it() -> None:
    time = SharedTime()
    limiter = RateLimiter(rate=20, concurrency=4, clock=time, sleep=time.sleep)
    limiter.throttle(retry_after=1)
    assert limiter.rate == pytest.approx(14)
    limiter.throttle(retry_after=None)  # the same burst: counted, not cut again
    assert limiter.rate == pytest.approx(14)
    assert limiter.throttled == 2
    before = time()

    async def one() -> None:
        await limiter.start()

    asyncio.run(one())
    # A short Retry-After is for the throttled request (its retry waits); the rest go on.
    assert time() - before == pytest.approx(0)
    for _ in range(100):
        limiter.answered()
    # Back just under the rate that drew the 429, not at it: the server said 20 was too many.
    assert limiter.rate == pytest.approx(20 * BELOW_LIMIT)
    time.advance(60)  # held there for a minute after the 429 ...
    limiter.answered()
    assert limiter.rate == pytest.approx(20 * BELOW_LIMIT)
    time.advance(60)  # ... then the ceiling creeps back up, 1% of the target a minute
    limiter.answered()
    assert limiter.rate == pytest.approx(20 * BELOW_LIMIT + 20 * 0.01)
    time.advance(5 * 60)
    limiter.answered()
    assert limiter.rate == 20


def test_requests_as_sent_stay_apart_even_when_one_woke_late() -> None:
    """A late request and the next, on time, must not go out together: the server counts them."""
    time = SharedTime()
    limiter = RateLimiter(rate=10, concurrency=4, clock=time, sleep=time.sleep)
    sent: list[float] = []

    async def go(at: float) -> None:
        time.now = max(time.now, at)
        await limiter.sending()
        sent.append(time())

    async def run() -> None:
        await go(1000.0)
        await go(1000.01)  # its turn was 1000.1, but the one before went out late, at 1000.0
        await go(1002.0)

    asyncio.run(run())
    assert sent == pytest.approx([1000.0, 1000.0 + CATCH_UP / 10, 1002.0])


def test_a_busy_loop_s_small_delays_do_not_add_up() -> None:
    """Each request wakes 3 ms after its turn (a busy event loop): the turns stay on the grid,
    so 50 requests at 10 a second still take 4.9 s, not 4.9 s plus 50 delays."""
    time = SharedTime()
    limiter = RateLimiter(rate=10, concurrency=4, clock=time, sleep=time.sleep)
    sent: list[float] = []

    async def go() -> None:
        for _ in range(50):
            await limiter.start()
            time.advance(0.003)
            await limiter.sending()
            sent.append(time())

    asyncio.run(go())
    # 4.9 s and the window's margin once a second; 5.05 s if each delay were added on.
    assert sent[-1] - sent[0] == pytest.approx(4.9 + 4 * WINDOW_MARGIN, abs=0.004)


def test_catching_up_never_puts_more_than_the_rate_in_one_second() -> None:
    """After a pause of 0.3 s the requests catch up CATCH_UP/rate apart, but never more than
    `rate` of them within a second: a server counting a sliding second would answer 429."""
    time = SharedTime()
    limiter = RateLimiter(rate=10, concurrency=4, clock=time, sleep=time.sleep)
    sent: list[float] = []

    async def go() -> None:
        for n in range(40):
            await limiter.start()
            if n == 12:
                time.advance(0.3)  # the loop was busy: this one and the next few are late
            await limiter.sending()
            sent.append(time())

    asyncio.run(go())
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert min(gaps) == pytest.approx(CATCH_UP / 10)  # it did catch up
    assert all(later - sent[n] > 1.0 for n, later in enumerate(sent[10:]))
    assert sent[-1] - sent[0] < 3.9 + 0.3  # and the lost time was partly won back


def test_a_long_retry_after_pauses_every_request() -> None:
    time = SharedTime()
    limiter = RateLimiter(rate=20, concurrency=4, clock=time, sleep=time.sleep)
    limiter.throttle(retry_after=30)
    before = time()

    async def two() -> None:
        await limiter.start()
        await limiter.start()

    asyncio.run(two())
    assert time() - before == pytest.approx(30 + 1 / 14)


def test_the_limiter_lets_no_more_than_concurrency_requests_in_flight() -> None:
    limiter = RateLimiter(rate=1000, concurrency=3)
    in_flight, most = 0, 0

    async def request() -> None:
        nonlocal in_flight, most
        async with limiter.request():
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0)
            in_flight -= 1

    async def go() -> None:
        await asyncio.gather(*(request() for _ in range(20)))

    asyncio.run(go())
    assert most == 3
