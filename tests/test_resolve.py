"""ropo-import resolve: listing the payments whose answer never came, and marking them."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from importer import json_decimal
from importer.journal import Journal
from importer.models import Outcome
from importer.pipeline import Outside, run_import
from importer.report import Report
from tests.conftest import CID, DEMO_EXPORT, RULES, Sandbox
from tests.test_end_to_end import invoke

LOST = {"410027": 3, "410030": 5}  # billcode -> line of the demo export whose answer is lost


@pytest.fixture
def journal(tmp_path: Path, ropo_env: Sandbox) -> Path:
    """A journal in which the answers to two of the demo's payments never came."""

    def lose_two(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(201, json={"token": "t"})
        if json_decimal.loads(request.content).get("billcode") in LOST:
            raise httpx.RemoteProtocolError("the server closed the connection mid-answer")
        return httpx.Response(201, json={"statusid": 6, "unfocused": 0})

    path = tmp_path / "journal.sqlite"
    outside = Outside(transport=httpx.MockTransport(lose_two))
    report = run_import(
        DEMO_EXPORT, journal_path=path, api=ropo_env.api(), rules=RULES, outside=outside
    )
    assert sorted(r.row.line for r in report.results if r.outcome is Outcome.UNKNOWN) == [3, 5]
    return path


def listed_ids(out: str) -> dict[int, int]:
    """Source line -> journal id, from the listing."""
    return {int(line): int(n) for n, line in re.findall(r"id (\d+): .* line (\d+),", out)}


def rerun(journal: Path, sandbox: Sandbox) -> Report:
    return run_import(DEMO_EXPORT, journal_path=journal, api=sandbox.api(), rules=RULES)


def test_resolve_lists_each_unanswered_payment_with_what_to_check(journal: Path) -> None:
    code, out, err = invoke("resolve", "--journal", str(journal))
    assert (code, err) == (2, "")
    lines = out.splitlines()
    assert lines[0] == "2 payments were sent without a clear answer; check each in Ropo One:"
    assert re.fullmatch(
        r"  id \d+: billcode 410027, amount 100.00, paydate 2026-11-02 "
        r"\(demo-bank-export.csv line 3, sent \d{4}-\d\d-\d\d \d\d:\d\d\): "
        r"RemoteProtocolError after the request was sent; Ropo One may have applied it",
        lines[1],
    ), lines[1]
    assert "billcode 410030, amount 100.00, paydate 2026-11-03" in lines[2]
    assert lines[3] == "Then: ropo-import resolve --registered ID ... --not-registered ID ..."


def test_marking_decides_what_the_next_run_does(journal: Path, ropo_env: Sandbox) -> None:
    ids = listed_ids(invoke("resolve", "--journal", str(journal))[1])
    code, out, err = invoke(
        "resolve",
        "--journal",
        str(journal),
        "--registered",
        str(ids[3]),
        "--not-registered",
        str(ids[5]),
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{ids[3]}: registered",
        f"{ids[5]}: not registered: the next run sends it",
        f"No payment to {ropo_env.url} for customer {CID} is waiting to be resolved.",
    ]
    report = rerun(journal, ropo_env)
    outcome = {r.row.line: (r.outcome, r.code) for r in report.results}
    assert outcome[3] == (Outcome.SKIPPED, "already-registered")
    assert outcome[5] == (Outcome.POSTED, "registered")  # sent again, to the real sandbox
    assert sum(ropo_env.state.ledger.applied.values()) == 1  # and nothing else was sent


def test_an_id_that_is_not_waiting_is_refused_with_one_line(journal: Path) -> None:
    code, _out, err = invoke("resolve", "--journal", str(journal), "--registered", "999")
    assert code == 1
    assert err == (
        "ropo-import: error: no unresolved payment has id 999; "
        "run 'ropo-import resolve' to list them\n"
    )
    ids = listed_ids(invoke("resolve", "--journal", str(journal))[1])
    assert sorted(ids) == [3, 5]  # nothing was marked


@pytest.mark.parametrize(
    ("unset", "args", "message"),
    [
        ("ROPO_CID", [], "set ROPO_CID to the customer id whose payments to resolve"),
        (None, ["--journal", "nowhere.sqlite"], "journal nowhere.sqlite: no such file"),
    ],
)
def test_resolve_needs_the_customer_id_and_a_journal(
    ropo_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    unset: str | None,
    args: list[str],
    message: str,
) -> None:
    if unset:
        monkeypatch.delenv(unset)
    code, _out, err = invoke("resolve", *args)
    assert code == 1
    assert message in err
    assert err.count("\n") == 1


def test_payments_of_another_customer_are_not_listed(
    journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROPO_CID", "2000022")
    code, out, _ = invoke("resolve", "--journal", str(journal))
    assert code == 0
    assert "No payment to" in out
    assert "customer 2000022" in out


@pytest.mark.parametrize("spelling", ["spaced", "commas"])
def test_several_ids_after_one_option(journal: Path, spelling: str) -> None:
    ids = sorted(listed_ids(invoke("resolve", "--journal", str(journal))[1]).values())
    given = [str(n) for n in ids] if spelling == "spaced" else [",".join(map(str, ids))]
    code, out, err = invoke("resolve", "--journal", str(journal), "--registered", *given)
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == [f"{ids[0]}: registered", f"{ids[1]}: registered"]


def test_an_id_that_is_no_number_is_refused_with_an_example(journal: Path) -> None:
    code, _out, err = invoke("resolve", "--journal", str(journal), "--registered", "6;7")
    assert code == 1
    assert "'6;7' is not an id" in err
    assert "--registered 6 7 or --registered 6,7" in err


def test_resolve_without_an_endpoint_does_not_suggest_an_option_it_lacks(
    ropo_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROPO_BASE_URL")
    code, _out, err = invoke("resolve")
    assert code == 1
    assert "Give --env" in err
    assert "--dry-run" not in err


def test_resolve_is_refused_while_a_run_holds_the_journal(journal: Path, ropo_env: Sandbox) -> None:
    """resolve takes the run lock: with another run holding it, it stops with one line."""
    book = Journal(journal, ropo_env.url, CID)
    try:
        with book.lock("november.csv"):
            code, out, err = invoke("resolve", "--journal", str(journal), "--registered", "3")
    finally:
        book.close()
    assert (code, out) == (1, "")
    assert "another run is sending for customer 1000011" in err
    assert "importing november.csv" in err
    assert sorted(listed_ids(invoke("resolve", "--journal", str(journal))[1])) == [3, 5]
