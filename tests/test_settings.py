"""Settings: one object resolved from the command line, the environment, the client's table,
the settings file and the defaults, in that order; the apicode never shows; one clock."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import click
import pytest

from importer.cli import cli
from importer.clock import Clock
from importer.config import ConfigFile, load_config
from importer.errors import ConfigError
from importer.pipeline import run_import
from importer.settings import SettingError, Settings
from tests.conftest import DEMO_EXPORT

SECRET = "apicode-canary-5d1e77"
TOML = (
    'env = "fi-prod"\n'
    "rate = 1\n"
    "max_age = 10\n"
    'reports = "file-reports"\n'
    "[clients.acme]\n"
    'cid_env = "ACME_CID"\n'
    'apicode_env = "ACME_APICODE"\n'
    "rate = 2\n"
    'reports = "acme-reports"\n'
)


@pytest.fixture
def config(tmp_path: Path) -> ConfigFile:
    (tmp_path / "ropo-import.toml").write_text(TOML, encoding="utf-8")
    return load_config(None, tmp_path)


def test_each_layer_gives_way_to_the_one_above(config: ConfigFile, tmp_path: Path) -> None:
    env = {"ROPO_RATE": "3"}
    assert Settings.resolve({"rate": 4.0}, env, config, "acme").rate == 4.0  # command line
    assert Settings.resolve({}, env, config, "acme").rate == 3.0  # the environment
    assert Settings.resolve({}, {}, config, "acme").rate == 2.0  # the client's table
    assert Settings.resolve({}, {}, config, None).rate == 1.0  # the file
    assert Settings.resolve({}, {}, None, None).rate == 5.0  # the default
    # A setting no layer above gives comes from the file, also for a client.
    settings = Settings.resolve({}, {}, config, "acme")
    assert (settings.max_age, settings.reports) == (10, tmp_path / "acme-reports")


def test_where_to_post_is_one_setting_taken_whole_from_one_layer(config: ConfigFile) -> None:
    sandbox = "http://127.0.0.1:8080/rest"
    assert Settings.resolve({}, {}, config).endpoint() == "https://ropo24.fi/rest"
    from_env = Settings.resolve({}, {"ROPO_BASE_URL": sandbox}, config)
    assert (from_env.env, from_env.endpoint()) == (None, sandbox)
    typed = Settings.resolve({"env": "fi-test"}, {"ROPO_BASE_URL": sandbox}, config)
    assert (typed.base_url, typed.endpoint()) == (None, "https://rc.ropo24.fi/rest")
    with pytest.raises(ConfigError, match="give either --env or --base-url, not both"):
        Settings.resolve({"env": "fi-test", "base_url": sandbox}, {})
    with pytest.raises(ConfigError, match=r"^where should payments go\? .*--dry-run"):
        Settings.resolve({}, {}).endpoint()


def test_a_client_s_credentials_come_only_from_the_variables_it_names(config: ConfigFile) -> None:
    env = {"ROPO_CID": "9", "ROPO_APICODE": "other", "ACME_CID": "1000011"}
    with pytest.raises(ConfigError, match=r"^client acme: set ACME_APICODE in the environment"):
        Settings.resolve({}, env, config, "acme").credentials()
    chosen = Settings.resolve({}, {**env, "ACME_APICODE": SECRET}, config, "acme").credentials()
    assert (chosen.cid, chosen.apicode) == ("1000011", SECRET)
    with pytest.raises(ConfigError, match=r"^client acme: set ACME_CID in the environment"):
        Settings.resolve({}, {"ACME_APICODE": SECRET}, config, "acme").credentials()
    plain = Settings.resolve({}, env).credentials()
    assert (plain.cid, plain.apicode) == ("9", "other")
    with pytest.raises(ConfigError, match=r"^set ROPO_APICODE in the environment"):
        Settings.resolve({}, {"ROPO_CID": "9"}).credentials()


def test_no_command_takes_a_credential_on_the_command_line() -> None:
    for command in cli.commands.values():
        names = {p.name for p in command.params if isinstance(p, click.Option)}
        assert not names & {"cid", "apicode", "token"}, command.name


def test_the_apicode_shows_in_no_repr_dump_log_or_error(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYDANTIC_SETTINGS_DEBUG", "1")  # logs what every layer gave
    environ = {"ROPO_CID": "1000011", "ROPO_APICODE": SECRET, "ROPO_RATE": "0"}
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(SettingError) as refused:
            Settings.resolve({}, environ)
        settings = Settings.resolve({}, {**environ, "ROPO_RATE": "5"})
    shown = [
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        str(settings.model_dump()),
        repr(settings.credentials()),
        str(refused.value),
        caplog.text,
    ]
    assert caplog.text  # the debug log was on
    assert [text for text in shown if SECRET in text] == []
    assert settings.credentials().apicode == SECRET  # kept, only never shown


def test_a_refused_value_names_its_variable_or_its_option() -> None:
    with pytest.raises(SettingError) as from_env:
        Settings.resolve({}, {"ROPO_TODAY": "30.11.2026"})
    assert str(from_env.value) == (
        "ROPO_TODAY='30.11.2026' in the environment: '30.11.2026' is not a date like 2026-11-30"
    )
    with pytest.raises(SettingError) as typed:
        Settings.resolve({"today": "2026-13-01"}, {"ROPO_TODAY": "2026-11-20"})
    assert str(typed.value) == "--today: '2026-13-01' is not a date like 2026-11-30"


def test_today_is_the_settings_and_the_clock_s_one_source() -> None:
    fixed = Settings.resolve({}, {"ROPO_TODAY": "2026-11-20"})
    assert fixed.clock().today() == date(2026, 11, 20)
    assert fixed.rules(fixed.clock()).today == date(2026, 11, 20)
    typed = Settings.resolve({"today": "2026-01-02"}, {"ROPO_TODAY": "2026-11-20"})
    assert typed.clock().today() == date(2026, 1, 2)
    at = datetime(2027, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert Settings.resolve({}, {}).clock() == Clock()
    assert Clock(at=at).today() == date(2027, 3, 4)
    assert Clock(day=date(2026, 11, 20), at=at).calendar_day() == date(2027, 3, 4)


def test_a_run_is_stamped_and_judged_by_the_clock_it_is_given(tmp_path: Path) -> None:
    at = datetime(2026, 11, 21, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    report = run_import(DEMO_EXPORT, journal_path=tmp_path / "j.sqlite", clock=Clock(at=at))
    assert (report.started_at, report.finished_at, report.today) == (at, at, at.date())


def test_the_cli_judges_dates_as_of_ropo_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(
        cli, ["run", str(DEMO_EXPORT), "--dry-run"], env={"ROPO_TODAY": "2028-06-01"}
    )
    assert "dates judged as of 2028-06-01" in outcome.stdout
    assert "run with --max-age" in outcome.stdout  # the rows are too old as of that day
