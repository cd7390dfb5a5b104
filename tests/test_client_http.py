"""The client over real HTTP to the sandbox on loopback: what its faults prove, read right.

The sandbox's 503 and 429 come before anything is processed (its JSON problem body); its cut
answers come after the payment was applied. Time is a fake clock the client and the sandbox
share: a back-off sleep moves it, nothing waits for it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from importer.client import RopoClient
from importer.errors import ApiUnavailableError, DeliveryUnknown
from importer.i18n import words
from importer.models import ApiAnswer, Payment
from importer.said import in_words
from importer.sandbox import Ledger, SandboxServer, SandboxState
from importer.sandbox.faults import Faults
from importer.settings import ApiSettings, Credentials
from tests.conftest import CID
from tests.test_faults import REFERENCES, SharedTime, big_ledger


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[SandboxState, str, SharedTime]]:
    time = SharedTime()
    state = SandboxState(
        Ledger.load(big_ledger(tmp_path / "ledger.csv")), apicode="sandbox", clock=time
    )
    with SandboxServer(state) as server:
        yield state, server.base_url, time


def payments(count: int) -> list[Payment]:
    """Each with its own amount, so the sandbox counts each one apart."""
    return [
        Payment(
            billcode=REFERENCES[n % len(REFERENCES)],
            amount=Decimal(10) + Decimal(n) / 100,
            paydate=date(2026, 11, 2),
        )
        for n in range(count)
    ]


def post_all(
    url: str,
    time: SharedTime,
    batch: list[Payment],
    rate: float = 1e4,
    on: Callable[[str], None] = lambda event: None,
    **settings: float,
) -> list[ApiAnswer | Exception]:
    api = ApiSettings(url, Credentials(CID, "sandbox"), rate=rate, **settings)

    async def go() -> list[ApiAnswer | Exception]:
        async with RopoClient(api, sleep=time.sleep, clock=time) as client:
            todo = iter(batch)
            found: list[ApiAnswer | Exception] = []

            async def worker() -> None:
                for payment in todo:
                    try:
                        found.append(
                            await client.post_payment(
                                payment, lambda: on("send"), lambda: on("not-sent")
                            )
                        )
                    except (DeliveryUnknown, ApiUnavailableError) as exc:
                        found.append(exc)

            await asyncio.gather(*(worker() for _ in range(api.in_flight)))
            return found

    return asyncio.run(go())


def test_rate_50_against_a_cap_of_5_posts_every_payment_once(
    sandbox: tuple[SandboxState, str, SharedTime],
) -> None:
    state, url, time = sandbox
    state.faults = Faults(rate_cap=5)
    found = post_all(url, time, payments(60), rate=50)
    assert all(isinstance(a, ApiAnswer) and a.applied for a in found), found
    assert len(state.ledger.applied) == 60
    assert set(state.ledger.applied.values()) == {1}
    assert state.faults.throttled > 5  # the cap was hit: this proves nothing on a quiet day


def test_the_sandboxs_503_is_sent_again_and_each_payment_applied_once(
    sandbox: tuple[SandboxState, str, SharedTime],
) -> None:
    state, url, time = sandbox
    state.faults = Faults(seed=3, fail_rate=0.4)
    events: list[str] = []
    found = post_all(url, time, payments(40), on=events.append, max_attempts=20)
    assert all(isinstance(a, ApiAnswer) and a.applied for a in found), found
    assert set(state.ledger.applied.values()) == {1}
    assert state.faults.failed > 5
    assert events.count("not-sent") == state.faults.failed
    assert events.count("send") == 40 + state.faults.failed


def test_a_sandbox_that_always_fails_gives_up_and_applies_nothing(
    sandbox: tuple[SandboxState, str, SharedTime],
) -> None:
    state, url, time = sandbox
    state.faults = Faults(fail_rate=1.0)
    [found] = post_all(url, time, payments(1))
    assert isinstance(found, ApiUnavailableError)
    assert "could not be reached after 5 attempts (HTTP 503: try again later)" in str(found)
    assert state.ledger.applied == {}


def test_an_answer_cut_after_the_payment_was_applied_is_registered_and_never_resent(
    sandbox: tuple[SandboxState, str, SharedTime],
) -> None:
    state, url, time = sandbox
    state.faults = Faults(drop_rate=1.0)
    found = post_all(url, time, payments(3))
    assert all(isinstance(f, DeliveryUnknown) and f.registered for f in found), found
    assert all("registered, but the answer could not be read" in str(f) for f in found)
    assert set(state.ledger.applied.values()) == {1}
    assert state.requests == 3
    # Said in the accountant's language too, the error's own name as it came.
    assert in_words(found[0].args[0], words("fi")) == (
        "kirjattu, mutta vastausta ei voitu lukea "
        "(HTTP 201; RemoteProtocolError pyynnön lähettämisen jälkeen)"
    )


def test_a_slow_answer_past_the_deadline_is_unknown_not_resent(
    sandbox: tuple[SandboxState, str, SharedTime],
) -> None:
    state, url, time = sandbox
    state.faults = Faults(latency=0.5)  # the sandbox really waits; the client gives up first
    [found] = post_all(url, time, payments(1), request_deadline=0.1)
    assert isinstance(found, DeliveryUnknown)
    assert found.registered is False
    assert "no complete answer within 0.1 s" in str(found)
    assert state.requests == 1


def test_an_unknown_invoice_is_an_answer_with_its_statusid(
    sandbox: tuple[SandboxState, str, SharedTime],
) -> None:
    _, url, time = sandbox
    unknown = payments(1)[0].model_copy(update={"billcode": "999999"})
    [found] = post_all(url, time, [unknown])
    assert isinstance(found, ApiAnswer)
    assert (found.http_status, found.statusid, found.fields["statustext"]) == (
        400,
        10,
        "Invoice not found",
    )
