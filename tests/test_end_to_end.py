"""The program as a user runs it: CLI -> real loopback HTTP -> sandbox -> workbook."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from importer import json_decimal
from importer.cli import cli
from importer.cli.exits import exit_code
from importer.models import RESPONSE_FIELDS, Outcome
from importer.pipeline import Outside, run_import
from importer.sandbox.ledger import Ledger
from tests.conftest import APICODE, DEMO_EXPORT, LEDGER, RULES, Sandbox
from tests.sheets import as_records
from tests.test_outcomes import as_sent, golden_ends

# The demo export as the sandbox ledger answers it: its outcome golden, every row a dry run
# would send registered (2 pays notice fee and capital in full, 3 is partial, 5 overpays with
# 10.10 unfocused, 13 pays notice fee and interest only) except these.
SANDBOX_ANSWERS = {
    6: ("rejected", "status-5"),  # already paid
    7: ("rejected", "status-11"),  # cancelled
    8: ("rejected", "status-9"),  # another customer's invoice
    12: ("rejected", "status-10"),  # no such invoice
    16: ("rejected", "status-5"),  # closed
}
DEMO_ENDS = as_sent(golden_ends(DEMO_EXPORT), SANDBOX_ANSWERS)


def results(path: Path) -> list[dict[str, object]]:
    book = load_workbook(path, read_only=True)
    rows = list(book["Results"].iter_rows(values_only=True))
    book.close()
    return as_records(rows, "Results")


def invoke(*args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(cli, list(args))
    return outcome.exit_code, outcome.stdout, outcome.stderr


def test_run_registers_the_rows_and_writes_one_result_row_per_source_row(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    workbook = tmp_path / "out.xlsx"
    code, out, err = invoke(
        "run", str(DEMO_EXPORT), "--output", str(workbook), "--journal", str(tmp_path / "j.sqlite")
    )
    assert code == 2, err  # rejected and invalid rows need attention
    assert (
        "rows read 15 = posted 6 + rejected 5 + invalid 2 + skipped 2 + unknown 0 (balances)" in out
    )
    rows = results(workbook)
    assert [(row["source_row"], row["outcome"], row["code"]) for row in rows] == DEMO_ENDS
    first = rows[0]
    assert first["Viite"] == "ref=410014"  # the source's own columns come through
    assert (first["billcode"], first["amount"], first["statusid"]) == ("410014", 125, 6)
    assert set(RESPONSE_FIELDS) <= set(first)
    overpaid = rows[3]
    assert (overpaid["focusedtocapital"], overpaid["unfocused"]) == (89.9, 10.1)
    assert sum(1 for times in ropo_env.state.ledger.applied.values() if times == 1) == 6
    assert max(ropo_env.state.ledger.applied.values()) == 1


def test_response_fields_in_the_workbook_are_what_the_sandbox_answered(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    workbook = tmp_path / "out.xlsx"
    invoke(
        "run", str(DEMO_EXPORT), "--output", str(workbook), "--journal", str(tmp_path / "j.sqlite")
    )
    partial = results(workbook)[1]
    # R41002: capital 300.00, interest 4.20, notice fee 5.00; 100.00 paid
    assert [partial[name] for name in RESPONSE_FIELDS] == [
        6,
        "Payment registered",
        300,
        209.2,
        90.8,
        4.2,
        0,
        4.2,
        5,
        0,
        5,
        0,
    ]
    ledger = {invoice.jobid: invoice for invoice in ropo_env.state.ledger.invoices}
    assert ledger[500002].capital == Decimal("209.20")


def test_wrong_apicode_stops_before_posting_with_one_line(
    ropo_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROPO_APICODE", "not-the-apicode")
    workbook = tmp_path / "out.xlsx"
    code, out, err = invoke(
        "run", str(DEMO_EXPORT), "--output", str(workbook), "--journal", str(tmp_path / "j.sqlite")
    )
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("ropo-import: error: Ropo One at http://127.0.0.1:")
    assert "refused customer id 1000011" in err
    assert "not-the-apicode" not in err + out
    assert ropo_env.state.requests == 0
    assert not workbook.exists()


def test_secrets_never_appear_in_output_journal_or_workbook(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    workbook, journal = tmp_path / "out.xlsx", tmp_path / "j.sqlite"
    code, out, err = invoke(
        "run", str(DEMO_EXPORT), "--output", str(workbook), "--journal", str(journal)
    )
    assert code == 2
    tokens = ropo_env.tokens()
    assert tokens  # it did log in
    with zipfile.ZipFile(workbook) as archive:
        workbook_text = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    journal_text = b"".join(p.read_bytes() for p in tmp_path.glob("j.sqlite*")).decode("latin-1")
    for secret in [APICODE, *tokens]:
        for where, text in (
            ("output", out + err),
            ("workbook", workbook_text),
            ("journal", journal_text),
        ):
            assert secret not in text, f"a secret leaked into the {where}"


def test_running_the_same_file_again_posts_nothing(ropo_env: Sandbox, tmp_path: Path) -> None:
    journal = str(tmp_path / "j.sqlite")
    invoke("run", str(DEMO_EXPORT), "--output", str(tmp_path / "1.xlsx"), "--journal", journal)
    sent = ropo_env.state.requests
    code, _out, _ = invoke(
        "run", str(DEMO_EXPORT), "--output", str(tmp_path / "2.xlsx"), "--journal", journal
    )
    assert ropo_env.state.requests == sent
    assert max(ropo_env.state.ledger.applied.values()) == 1
    again = {
        row["source_row"]: (row["outcome"], row["code"]) for row in results(tmp_path / "2.xlsx")
    }
    assert again[2] == ("skipped", "already-registered")
    assert again[6] == ("rejected", "answered-earlier")
    assert again[14] == ("invalid", "bad-reference")
    assert code == 2


def test_dry_run_needs_no_credentials_and_sends_nothing(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ROPO_CID", "ROPO_APICODE", "ROPO_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    workbook = tmp_path / "out.xlsx"
    code, out, _ = invoke(
        "run",
        str(DEMO_EXPORT),
        "--dry-run",
        "--output",
        str(workbook),
        "--journal",
        str(tmp_path / "j.sqlite"),
    )
    assert code == 2  # the two invalid rows
    assert "dry run: nothing was posted" in out
    assert sandbox.state.requests == 0
    rows = {row["source_row"]: row for row in results(workbook)}
    assert (rows[2]["outcome"], rows[2]["code"], rows[2]["billcode"]) == (
        "skipped",
        "dry-run",
        "410014",
    )
    assert rows[9]["billcode"] == "RF28410072"


def test_clean_file_exits_zero_and_xlsx_input_works(ropo_env: Sandbox, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Payment date", "Amount", "Reference", "Payer", "Message"])
    sheet.append(["2026-11-02", 125, "410014", '=HYPERLINK("http://x")', "+cmd|' /C calc'!A0"])
    sheet.append(["2026-11-03", -20.5, "", "Own transfer", ""])
    sheet["D2"].data_type = sheet["E2"].data_type = "s"  # text that looks like formulas
    source = tmp_path / "export.xlsx"
    book.save(source)
    workbook = tmp_path / "out.xlsx"
    code, out, err = invoke(
        "run",
        str(source),
        "--profile",
        "generic",  # an accountant's own sheet: no bank's header, so asked for by name
        "--output",
        str(workbook),
        "--journal",
        str(tmp_path / "j.sqlite"),
    )
    assert code == 0, out + err
    rows = results(workbook)
    assert [(r["outcome"], r["code"]) for r in rows] == [
        ("posted", "registered"),
        ("skipped", "outgoing"),
    ]
    # The bank's own column, marked as the file's beside ours of the same name, and ours.
    assert rows[0]["Payer (in file)"] == rows[0]["payer"] == '=HYPERLINK("http://x")'
    with zipfile.ZipFile(workbook) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert all(b"<f>" not in xml and b"<f " not in xml for xml in sheets)


def test_no_answer_is_unknown_and_never_sent_again(tmp_path: Path, sandbox: Sandbox) -> None:
    """A payment whose answer was lost stays unknown, even on the next run."""
    seen: list[str] = []

    def lose_one(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(201, json={"token": "t"})
        body = json_decimal.loads(request.content)
        seen.append(body.get("billcode"))
        if body.get("billcode") == "410027":
            raise httpx.ReadTimeout("the answer never came")
        return httpx.Response(201, json={"statusid": 6, "unfocused": 0})

    journal = tmp_path / "j.sqlite"
    outside = Outside(transport=httpx.MockTransport(lose_one))
    first = run_import(
        DEMO_EXPORT, journal_path=journal, api=sandbox.api(), rules=RULES, outside=outside
    )
    lost = next(r for r in first.results if r.row.line == 3)
    assert (lost.outcome, lost.code) == (Outcome.UNKNOWN, "no-answer")
    assert "check in Ropo One whether the invoice with reference 410027" in lost.message
    assert exit_code(first) == 2
    seen.clear()
    second = run_import(
        DEMO_EXPORT, journal_path=journal, api=sandbox.api(), rules=RULES, outside=outside
    )
    assert seen == []
    again = next(r for r in second.results if r.row.line == 3)
    assert (again.outcome, again.code) == (Outcome.UNKNOWN, "unanswered-earlier")


def test_unreachable_api_stops_the_run_and_keeps_every_row(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    def down(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(201, json={"token": "t"})
        problem = {"status": 503, "title": "Service Unavailable", "detail": "down"}
        return httpx.Response(503, json=problem)  # Ropo One's own: surely not processed

    outside = Outside(transport=httpx.MockTransport(down), sleep=no_sleep)
    report = run_import(
        DEMO_EXPORT,
        journal_path=tmp_path / "j.sqlite",
        api=sandbox.api(),
        rules=RULES,
        outside=outside,
    )
    assert report.stopped
    assert "could not be reached after 5 attempts" in report.stopped
    assert len(report.results) == 15
    assert report.count(Outcome.SKIPPED) == 2 + 11  # outgoing + every valid row, not sent
    assert exit_code(report) == 1
    assert report.balanced


def test_demo_prints_a_summary_and_the_workbook(tmp_path: Path) -> None:
    code, out, err = invoke("demo", "--reports", str(tmp_path))
    assert code == 0, err
    assert "posted 6 + rejected 5 + invalid 2 + skipped 2 + unknown 0 (balances)" in out
    [workbook] = tmp_path.glob("demo-bank-export-*.xlsx")
    assert f"Workbook: {workbook}" in out.replace("\n", "")
    assert [(r["source_row"], r["outcome"], r["code"]) for r in results(workbook)] == DEMO_ENDS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run"], "Missing argument 'FILE'"),
        (
            ["run", str(DEMO_EXPORT), "--env", "fi-test", "--base-url", "http://127.0.0.1:1/rest"],
            "not both",
        ),
        (["run", str(DEMO_EXPORT), "--base-url", "http://ropo.example/rest"], "plain http"),
        (["run", str(DEMO_EXPORT), "--env", "fi-test"], "ROPO_CID"),
        (["run", "missing.csv", "--dry-run"], "missing.csv: no such file"),
        (["run", str(DEMO_EXPORT), "--apicode", "x"], "No such option"),
        (["run", str(DEMO_EXPORT), "--dry-run", "--today", "23.11.2026"], "2026-11-30"),
        (["inspect", str(DEMO_EXPORT), "--max-age", "-1"], "--max-age"),
    ],
)
def test_usage_and_configuration_errors_exit_1_with_one_line(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ROPO_CID", "ROPO_APICODE", "ROPO_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    code, _out, err = invoke(*args)
    assert code == 1
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", [[], *([name] for name in sorted(cli.commands))])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    code, out, _ = invoke(*command, "--help")
    assert code == 0
    assert "Usage:" in out
    assert ("Example:" if command else "ropo-import demo") in out


SHIPPED = sorted(p for p in DEMO_EXPORT.parent.iterdir() if p.name != "sandbox-ledger.csv")


@pytest.mark.parametrize("sample", SHIPPED, ids=lambda p: p.name)
def test_run_works_on_every_shipped_sample_without_a_profile(
    ropo_env: Sandbox, tmp_path: Path, sample: Path
) -> None:
    workbook = tmp_path / "out.xlsx"
    code, out, err = invoke(
        "run", str(sample), "--output", str(workbook), "--journal", str(tmp_path / "j.sqlite")
    )
    assert code in (0, 2), err
    assert "(balances)" in out
    rows = results(workbook)
    assert rows
    assert all(row["outcome"] in {o.value for o in Outcome} for row in rows)
    posted = [row for row in rows if row["outcome"] == "posted"]
    assert posted, "every sample pays at least one open invoice of the sandbox ledger"
    assert max(ropo_env.state.ledger.applied.values()) == 1


def test_a_refused_export_stops_the_run_with_one_line(ropo_env: Sandbox, tmp_path: Path) -> None:
    danske = Path(__file__).parent / "samples" / "refused" / "danske.csv"
    code, out, err = invoke("run", str(danske), "--output", str(tmp_path / "out.xlsx"))
    assert (code, out) == (1, "")
    assert err.startswith(f"ropo-import: error: {danske}: this is Danske Bank")
    assert err.count("\n") == 1
    assert ropo_env.state.requests == 0
    assert not (tmp_path / "out.xlsx").exists()


def test_ledger_sample_exercises_every_branch() -> None:
    states = {invoice.state for invoice in Ledger.load(LEDGER).invoices}
    assert states == {"open", "paid", "closed", "cancelled"}
    assert len({invoice.cid for invoice in Ledger.load(LEDGER).invoices}) == 2


def test_dry_run_after_a_real_run_shows_what_is_already_registered(
    ropo_env: Sandbox, tmp_path: Path
) -> None:
    journal = str(tmp_path / "j.sqlite")
    invoke("run", str(DEMO_EXPORT), "--output", str(tmp_path / "1.xlsx"), "--journal", journal)
    sent = ropo_env.state.requests
    invoke(
        "run",
        str(DEMO_EXPORT),
        "--dry-run",
        "--output",
        str(tmp_path / "2.xlsx"),
        "--journal",
        journal,
    )
    assert ropo_env.state.requests == sent
    rows = {row["source_row"]: row["code"] for row in results(tmp_path / "2.xlsx")}
    assert rows[2] == "already-registered"
