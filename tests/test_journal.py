"""The journal as the gate: insert-only claims, waiting intents, scopes, older journals."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from importer import json_decimal
from importer.cli.exits import exit_code
from importer.journal import Journal, canonical_endpoint
from importer.models import Outcome, Payment
from importer.pipeline import Outside, run_import
from tests.conftest import CID, OP_HEADER, RULES, Sandbox

URL = "http://127.0.0.1:8080/rest"


def payment(amount: str = "10.00", billcode: str = "410014") -> Payment:
    return Payment(amount=Decimal(amount), paydate=date(2026, 11, 2), billcode=billcode)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("http://127.0.0.1:8080/rest", "http://localhost:8080/rest"),
        ("http://localhost:8080/rest/", "http://localhost:8080/rest"),
        ("http://[::1]:8080/rest", "http://localhost:8080/rest"),
        ("HTTPS://Ropo24.FI:443/rest/", "https://ropo24.fi/rest"),
        ("https://ropo24.fi/rest", "https://ropo24.fi/rest"),
        ("https://ropo24.fi:8443/rest", "https://ropo24.fi:8443/rest"),
        ("https://rc.ropo24.fi/rest", "https://rc.ropo24.fi/rest"),
    ],
)
def test_one_environment_is_one_scope_however_it_is_spelled(spelling: str, canonical: str) -> None:
    assert canonical_endpoint(spelling) == canonical


def test_a_claimed_key_is_never_claimed_again(tmp_path: Path) -> None:
    """Two journals on one file (two runs): the second claim of a key gets the entry back."""
    one = Journal(tmp_path / "j.sqlite", URL, CID)
    two = Journal(tmp_path / "j.sqlite", "http://localhost:8080/rest/", CID)
    try:
        assert one.claim("archive:A1", "f1", payment(), "a.csv", 2) is None
        held = two.claim("archive:A1", "f1", payment(), "b.csv", 7)
        assert held is not None
        assert (held.state, held.where) == ("sending", "a.csv line 2")
        # Not processed (a 429, a refused connection): it may be claimed again, once.
        one.not_processed("archive:A1")
        assert two.claim("archive:A1", "f1", payment(), "b.csv", 7) is None
        assert one.claim("archive:A1", "f1", payment(), "a.csv", 2) is not None
        # Posted: never again, from any run.
        two.record_answer("archive:A1", "posted", 201, 6, {"statusid": 6}, "registered")
        again = one.claim("archive:A1", "f1", payment(), "a.csv", 2)
        assert again is not None
        assert again.outcome == "posted"
        # Rejected, then corrected by the user: the corrected request may go; the same may not.
        one.claim("archive:A2", "f2", payment("5.00"), "a.csv", 3)
        one.record_answer("archive:A2", "rejected", 400, 10, {"statusid": 10}, "not found")
        assert one.claim("archive:A2", "f2", payment("5.00"), "a.csv", 3) is not None
        assert one.claim("archive:A2", "f2", payment("5.00", "410027"), "a.csv", 3) is None
    finally:
        one.close()
        two.close()


def test_unknown_answers_are_listed_for_resolve_and_resolving_decides(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite", URL, CID)
    try:
        journal.claim("k1", "f1", payment("1.00"), "a.csv", 2)  # in flight at a crash
        journal.claim("k2", "f2", payment("2.00"), "a.csv", 3)
        journal.record_answer("k2", "unknown", 201, 10, {"statusid": 10}, "HTTP 201 with 10")
        journal.claim("k3", "f3", payment("3.00"), "a.csv", 4)
        journal.not_processed("k3")  # refused unprocessed: nothing to resolve
        listed = journal.unanswered()
        assert [(e.source_row, e.message) for e in listed] == [
            (2, None),
            (3, "HTTP 201 with 10"),
        ]
        assert journal.resolve(listed[1].id, False, "not in Ropo One")
        assert journal.lookup("k2") is not None
        assert journal.claim("k2", "f2", payment("2.00"), "a.csv", 3) is None  # sent again
        assert journal.resolve(listed[0].id, True, "found in Ropo One")
        entry = journal.lookup("k1")
        assert entry is not None
        assert entry.outcome == "posted"
        assert not journal.resolve(listed[0].id, True, "twice")
    finally:
        journal.close()


def test_a_journal_of_the_earlier_version_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE payments (endpoint TEXT NOT NULL, cid TEXT NOT NULL, row_key TEXT NOT "
        "NULL, state TEXT NOT NULL CHECK (state IN ('sending', 'answered')), request TEXT NOT "
        "NULL, source_file TEXT NOT NULL, source_row INTEGER NOT NULL, sent_at TEXT NOT NULL, "
        "answered_at TEXT, outcome TEXT, http_status INTEGER, statusid INTEGER, response TEXT, "
        "message TEXT, PRIMARY KEY (endpoint, cid, row_key))"
    )
    body = json_decimal.dumps(payment().body())
    db.execute(
        "INSERT INTO payments VALUES (?, ?, 'archive:A1', 'answered', ?, 'a.csv', 2, "
        "'2026-11-01T10:00:00+00:00', '2026-11-01T10:00:01+00:00', 'posted', 201, 6, '{}', "
        "'registered')",
        (URL + "/", CID, body),
    )
    db.commit()
    db.close()
    journal = Journal(path, "http://localhost:8080/rest", CID)
    try:
        entry = journal.lookup("archive:A1")
        assert entry is not None
        assert entry.outcome == "posted"
        journal.claim("archive:A9", "f9", payment("9.00"), "b.csv", 2)
        journal.not_processed("archive:A9")  # the new state is allowed by the new table
        assert journal.claim("archive:A9", "f9", payment("9.00"), "b.csv", 2) is None
    finally:
        journal.close()


def two_rows(path: Path, second_amount: str) -> Path:
    rows = [
        f'"2026-11-02";"2026-11-02";{amount};"106";"VIITESIIRTO";"Payer";"";"";"410014";"";'
        f'"20261102/SAME/000001"'
        for amount in ("10,00", second_amount)
    ]
    path.write_text("\n".join([OP_HEADER, rows[0]]) + "\n", encoding="utf-8")
    path.with_name("next.csv").write_text("\n".join([OP_HEADER, rows[1]]) + "\n", "utf-8")
    return path


def test_two_payments_sharing_an_archive_id_are_not_silently_already_registered(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    first = two_rows(tmp_path / "first.csv", "99,00")
    journal = tmp_path / "j.sqlite"
    run_import(first, journal_path=journal, api=sandbox.api(), rules=RULES)
    report = run_import(
        first.with_name("next.csv"), journal_path=journal, api=sandbox.api(), rules=RULES
    )
    result = report.results[0]
    assert (result.outcome, result.code) == (Outcome.INVALID, "archive-id-reused")
    assert "archive id 20261102/SAME/000001 was already used" in result.message
    assert "amount 10.00" in result.message
    assert sum(sandbox.state.ledger.applied.values()) == 1


def test_between_attempts_the_intent_is_not_processed_so_a_kill_there_loses_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A 503 from Ropo One (its problem body) is retried; while the retry waits, the journal
    says the payment was not processed, so a kill then leaves it to be sent, not unknown."""
    journal_path = tmp_path / "j.sqlite"
    seen: list[list[str]] = []
    calls = {"payment": 0}

    def busy_once(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(201, json={"token": "t"})
        calls["payment"] += 1
        if calls["payment"] == 1:
            problem = {"status": 503, "title": "Service Unavailable", "detail": "busy"}
            return httpx.Response(503, json=problem, headers={"Retry-After": "1"})
        return httpx.Response(201, json={"statusid": 6, "unfocused": 0})

    async def look(seconds: float) -> None:
        db = sqlite3.connect(journal_path)
        seen.append([state for (state,) in db.execute("SELECT state FROM payments")])
        db.close()

    source = two_rows(tmp_path / "one.csv", "1,00")
    report = run_import(
        source,
        journal_path=journal_path,
        api=sandbox.api(),
        rules=RULES,
        outside=Outside(transport=httpx.MockTransport(busy_once), sleep=look),
    )
    assert report.results[0].outcome is Outcome.POSTED
    assert ["waiting"] in seen  # during the back-off
    journal = Journal(journal_path, sandbox.url, CID, read_only=True)
    assert journal.unanswered() == []
    journal.close()


def payments(path: Path, count: int) -> Path:
    """`count` payments of 1,00, 2,00, ... euro, each with its own archive id."""
    lines = [OP_HEADER] + [
        f'"2026-11-02";"2026-11-02";{n},00;"106";"VIITESIIRTO";"Payer";"";"";"410014";"";'
        f'"20261102/{path.stem}/{n:06d}"'
        for n in range(1, count + 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_surprise_in_one_row_is_that_rows_outcome_and_the_run_goes_on(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = payments(tmp_path / "five.csv", 5)

    def odd(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(201, json={"token": "t"})
        if json_decimal.loads(request.content)["amount"] == Decimal("3.00"):
            raise RuntimeError("something nobody expected")
        return httpx.Response(201, json={"statusid": 6, "unfocused": 0})

    report = run_import(
        source,
        journal_path=tmp_path / "j.sqlite",
        api=sandbox.api(),
        rules=RULES,
        outside=Outside(transport=httpx.MockTransport(odd)),
    )
    outcomes = [(r.outcome, r.code) for r in report.results]
    assert outcomes[2] == (Outcome.UNKNOWN, "unexpected-error")
    assert "RuntimeError: something nobody expected" in report.results[2].message
    assert [o for i, o in enumerate(outcomes) if i != 2] == [(Outcome.POSTED, "registered")] * 4
    assert report.stopped is None
    assert report.balanced


def test_a_server_that_stops_answering_stops_the_run_and_leaves_the_rest_unsent(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = payments(tmp_path / "thirty.csv", 30)

    def silent(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(201, json={"token": "t"})
        raise httpx.ReadTimeout("no answer", request=request)

    api = sandbox.api()
    report = run_import(
        source,
        journal_path=tmp_path / "j.sqlite",
        api=api,
        rules=RULES,
        outside=Outside(transport=httpx.MockTransport(silent)),
    )
    unknown = report.count(Outcome.UNKNOWN)
    assert 5 <= unknown <= 5 + api.in_flight  # those that went out before the run stopped
    assert report.count(Outcome.SKIPPED) == 30 - unknown
    assert report.stopped is not None
    assert "Ropo One stopped answering" in report.stopped
    assert exit_code(report) == 1


def test_the_journal_earlier_versions_kept_in_reports_is_merged_once(
    ropo_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import DEMO_EXPORT
    from tests.test_end_to_end import invoke

    monkeypatch.chdir(tmp_path)
    old = tmp_path / "reports" / "ropo-import-journal.sqlite"
    code, _out, _err = invoke("run", str(DEMO_EXPORT), "--journal", str(old))
    assert code == 2
    posted = sum(ropo_env.state.ledger.applied.values())
    code, out, err = invoke("run", str(DEMO_EXPORT))  # the default journal, after an upgrade
    assert "payments of the journal earlier versions kept in" in err
    assert "posted 0 + rejected 5 + invalid 2 + skipped 8 + unknown 0" in out  # 6 known
    assert sum(ropo_env.state.ledger.applied.values()) == posted
    assert not old.exists()
    assert old.with_name("ropo-import-journal.sqlite.merged").is_file()
    code, out, err = invoke("run", str(DEMO_EXPORT))
    assert "earlier versions" not in err
