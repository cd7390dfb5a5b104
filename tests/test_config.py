"""ropo-import.toml: defaults and named clients, under the command line and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CID, DEMO_EXPORT, Sandbox
from tests.test_end_to_end import invoke

ACME_KEY = "acme-apicode-value-3c9e"


@pytest.fixture
def client_env(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Sandbox, Path]:
    """A folder with a ropo-import.toml naming one client, and only that client's variable."""
    for name in ("ROPO_CID", "ROPO_APICODE", "ROPO_BASE_URL", "ROPO_RATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACME_APICODE", sandbox.state.apicode)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ropo-import.toml").write_text(
        f'base_url = "{sandbox.url}"\n'
        "rate = 1000\n"
        'reports = "workbooks"\n'
        'journal = "journal.sqlite"\n'
        "\n"
        "[clients.acme]\n"
        f'cid = "{CID}"\n'
        'apicode_env = "ACME_APICODE"\n'
        'reports = "workbooks/acme"\n',
        encoding="utf-8",
    )
    return sandbox, tmp_path


def test_a_monthly_run_is_one_short_command_per_client(client_env: tuple[Sandbox, Path]) -> None:
    sandbox, folder = client_env
    code, out, err = invoke("run", str(DEMO_EXPORT), "--client", "acme")
    assert code == 2, err
    assert f"posted to {sandbox.url} as customer {CID}" in out
    assert "posted 6 + rejected 5" in out
    [_workbook] = (folder / "workbooks" / "acme").glob("demo-bank-export-*.xlsx")  # the client's
    assert (folder / "journal.sqlite").exists()  # the file's own setting, relative to it
    assert sum(sandbox.state.ledger.applied.values()) == 6


def test_the_command_line_wins_over_the_client_and_the_file(
    client_env: tuple[Sandbox, Path],
) -> None:
    _sandbox, folder = client_env
    code, _out, err = invoke("run", str(DEMO_EXPORT), "--client", "acme", "--reports", "mine")
    assert code == 2, err
    assert list((folder / "mine").glob("*.xlsx"))
    assert not (folder / "workbooks").exists()


def test_the_environment_wins_over_the_file(
    client_env: tuple[Sandbox, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, folder = client_env
    config = folder / "ropo-import.toml"
    dead = "http://127.0.0.1:9/rest"  # nothing listens there: the file's URL must not be used
    config.write_text(config.read_text("utf-8").replace(sandbox.url, dead), encoding="utf-8")
    monkeypatch.setenv("ROPO_BASE_URL", sandbox.url)
    code, out, err = invoke("run", str(DEMO_EXPORT), "--client", "acme")
    assert code == 2, err
    assert f"posted to {sandbox.url}" in out


def test_a_client_s_endpoint_replaces_the_file_s(tmp_path: Path) -> None:
    from importer.config import load_config
    from importer.settings import Settings

    (tmp_path / "ropo-import.toml").write_text(
        'env = "fi-prod"\n[clients.demo]\ncid = "1"\napicode_env = "X"\n'
        'base_url = "http://127.0.0.1:8080/rest"\n',
        encoding="utf-8",
    )
    settings = Settings.resolve({}, {}, load_config(None, tmp_path), "demo")
    assert (settings.env, settings.base_url) == (None, "http://127.0.0.1:8080/rest")


def test_without_a_client_the_usual_variables_are_needed(client_env: tuple[Sandbox, Path]) -> None:
    code, out, err = invoke("run", str(DEMO_EXPORT))
    assert (code, out) == (1, "")
    assert err.startswith("ropo-import: error: set ROPO_CID and ROPO_APICODE in the environment")


def test_resolve_takes_the_customer_id_from_the_client(client_env: tuple[Sandbox, Path]) -> None:
    invoke("run", str(DEMO_EXPORT), "--client", "acme")
    code, out, err = invoke("resolve", "--client", "acme")
    assert (code, err) == (0, "")
    assert out.startswith("No payment to http://127.0.0.1:")
    assert f"customer {CID} " in out


@pytest.mark.parametrize(
    ("toml", "args", "message"),
    [
        (
            '[clients.acme]\ncid = "1"\napicode = "s3cret"\n',
            ["--client", "acme"],
            "clients.acme.apicode: secrets never go in the config file; put the apicode in an "
            "environment variable and name it with apicode_env",
        ),
        ("rat = 5\n", [], "rat = 5: not a setting; the settings are base_url, concurrency,"),
        ("rate = 0\n", [], "rate = 0: Input should be greater than or equal to 0.1"),
        ('env = "fi-test"\nbase_url = "https://x.example/rest"\n', [], "give env or base_url"),
        ("rate = [\n", [], "cannot be read (Invalid value (at end of document))"),
        (
            '[clients.acme]\ncid = "1"\napicode_env = "ACME_APICODE"\n',
            ["--client", "nope"],
            "no client 'nope' (clients: acme)",
        ),
        (
            '[clients.acme]\ncid = "1"\n',
            ["--client", "acme"],
            "clients.acme.apicode_env: Field required",
        ),
        (
            '[clients.acme]\ncid = "1"\napicode_env = "UNSET_APICODE"\n',
            ["--client", "acme"],
            "client acme: set UNSET_APICODE in the environment to its apicode",
        ),
        (
            'env = "fi-production"\n',
            [],
            "ropo-import.toml: env = 'fi-production' is not one of fi-prod, fi-test, no-prod,",
        ),
        (
            '[clients.acme]\ncid = "1"\napicode_env = "X"\nenv = "fi-production"\n',
            ["--client", "acme"],
            "ropo-import.toml: clients.acme.env = 'fi-production' is not one of fi-prod,",
        ),
        (
            'base_url = "http://ropo24.fi/rest"\n',
            [],
            "ropo-import.toml: base_url: base URL 'http://ropo24.fi/rest' uses plain http",
        ),
        (
            'profile = "nordea-typo"\n',
            [],
            "ropo-import.toml: profile: no profile named 'nordea-typo'; the built-in profiles",
        ),
        (
            '[clients.acme]\ncid = "1"\napicode_env = "X"\nprofile = "acme.toml"\n',
            ["--client", "acme"],
            "ropo-import.toml: clients.acme.profile: profile ",
        ),
    ],
)
def test_a_bad_config_stops_with_one_line_naming_the_file_and_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UNSET_APICODE", raising=False)
    (tmp_path / "ropo-import.toml").write_text(toml, encoding="utf-8")
    code, out, err = invoke("run", str(DEMO_EXPORT), "--base-url", "http://127.0.0.1:9/rest", *args)
    assert (code, out) == (1, "")
    assert message in err, err
    assert err.count("\n") == 1
    assert "s3cret" not in err


def test_config_names_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = invoke("inspect", str(DEMO_EXPORT), "--config", "elsewhere.toml")
    assert code == 1
    assert err == "ropo-import: error: config file elsewhere.toml: no such file\n"
    (tmp_path / "elsewhere.toml").write_text('profile = "nordea"\n', encoding="utf-8")
    code, _out, err = invoke("inspect", str(DEMO_EXPORT), "--config", "elsewhere.toml")
    assert code == 1  # the file's profile is used: the OP export lacks Nordea's columns
    assert "nordea" in err.lower()
    code, out, _ = invoke(
        "inspect", str(DEMO_EXPORT), "--config", "elsewhere.toml", "--profile", "op"
    )
    assert code == 0
    assert "profile:  op" in out


def test_a_wrong_env_in_the_file_is_not_blamed_on_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROPO_BASE_URL", raising=False)
    config = tmp_path / "ropo-import.toml"
    config.write_text('env = "fi-production"\n', encoding="utf-8")
    code, out, err = invoke("run", str(DEMO_EXPORT), "--dry-run")
    assert (code, out) == (1, "")
    assert err == (
        f"ropo-import: error: config file {config}: env = 'fi-production' is not one of "
        "fi-prod, fi-test, no-prod, no-test, se-prod, se-test\n"
    )


def test_a_profile_path_in_the_file_is_the_file_s_folder_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "settings"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    (folder / "ropo-import.toml").write_text('profile = "mine.toml"\n', encoding="utf-8")
    code, _out, err = invoke("inspect", str(DEMO_EXPORT), "--config", "settings/ropo-import.toml")
    assert code == 1
    assert err == (
        "ropo-import: error: config file settings/ropo-import.toml: profile: profile "
        "settings/mine.toml: no such file\n"
    )
    (tmp_path / "mine.toml").write_text("this one, beside the command, is not the file's")
    code, _out, err = invoke("inspect", str(DEMO_EXPORT), "--config", "settings/ropo-import.toml")
    assert "profile settings/mine.toml: no such file" in err
