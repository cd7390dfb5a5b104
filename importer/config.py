"""The config file, ropo-import.toml: defaults for every run, and named clients.

    env = "fi-prod"              # or base_url = "https://..."
    rate = 5
    reports = "reports"          # the folder for result workbooks
    lang = "fi"                  # fi, sv or en (default: the locale's, else English)

    [clients.acme]
    cid = "1000011"              # or cid_env = "ACME_ROPO_CID"
    apicode_env = "ACME_ROPO_APICODE"
    profile = "nordea"           # any default can be set again for one client

The file never holds an apicode: a client names the environment variable that does. Relative
paths are relative to the file's folder. A key the file may not hold, or a value of the wrong
kind (an unknown env, a profile that cannot be loaded), stops the run with a message naming
the file and the key, such as `clients.acme.env`: never blamed on the option it stands for.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from importer.defaults import CONFIG_NAME
from importer.errors import ConfigError, ProfileError
from importer.i18n import Lang
from importer.problems import Refusal, explain
from importer.profiles import choose_profile
from importer.settings import (
    BaseUrl,
    Concurrency,
    ConnectTimeout,
    CreditNotes,
    DirectDebits,
    EnvName,
    MaxAge,
    Rate,
    ReadTimeout,
)

PATH_KEYS = ("reports", "journal")


class Defaults(BaseModel):
    """Settings a config file may give, for all clients or for one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: EnvName | None = None
    base_url: BaseUrl | None = None
    profile: str | None = None
    reports: Path | None = None
    journal: Path | None = None
    rate: Rate | None = None
    concurrency: Concurrency | None = None
    connect_timeout: ConnectTimeout | None = None
    read_timeout: ReadTimeout | None = None
    max_age: MaxAge | None = None
    domestic_references: bool | None = None
    credit_notes: CreditNotes | None = None
    direct_debits: DirectDebits | None = None
    lang: Lang | None = None

    @model_validator(mode="after")
    def _one_endpoint(self) -> Defaults:
        if self.env and self.base_url:
            raise ValueError("give env or base_url, not both")
        return self

    def given(self) -> dict[str, Any]:
        """The settings this table sets."""
        return {k: v for k, v in self.model_dump(exclude_none=True).items() if k in DEFAULT_KEYS}


DEFAULT_KEYS = frozenset(Defaults.model_fields)


class Client(Defaults):
    """One client: its customer id and the environment variables holding its credentials."""

    cid: str | None = None
    cid_env: str | None = None
    apicode_env: str

    @model_validator(mode="after")
    def _one_cid(self) -> Client:
        if (self.cid is None) == (self.cid_env is None):
            raise ValueError("give the customer id as cid or name its variable with cid_env")
        return self


class ConfigFile(Defaults):
    """The whole file."""

    clients: dict[str, Client] = Field(default_factory=dict)
    path: Path | None = Field(default=None, exclude=True)

    def client(self, name: str) -> Client:
        if name not in self.clients:
            known = ", ".join(sorted(self.clients)) or "none"
            raise ConfigError(f"{self.path}: no client {name!r} (clients: {known})")
        return self.clients[name]


def load_config(path: Path | None, cwd: Path) -> ConfigFile:
    """The config file at `path`, or ./ropo-import.toml when there is one, or an empty one."""
    if path is None:
        path = cwd / CONFIG_NAME
        if not path.exists():
            return ConfigFile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: cannot be read ({exc})") from None
    _refuse_secrets(path, data)
    try:
        config = ConfigFile.model_validate(data)
    except ValidationError as exc:
        why = explain(exc, "the top level", keys=_settings, keyed=_is_key)
        raise ConfigError(f"config file {path}: {why}") from None
    config = _anchored(config.model_copy(update={"path": path}), path.parent)
    _check_profiles(config, path)
    return config


def _settings(error: Refusal) -> list[str]:
    """The keys of the table an unknown key was found in."""
    return sorted(Client.model_fields if "clients" in error.location else DEFAULT_KEYS)


def _is_key(error: Refusal) -> bool:
    """Whether the error is about one key's value, not a whole table's."""
    loc = error.location  # a model's own check (value_error) may be about a whole table
    return error.kind != "value_error" or (bool(loc) and loc[-1] in Client.model_fields)


def _check_profiles(config: ConfigFile, path: Path) -> None:
    """Load each profile the file names, so a wrong one is blamed on the file's key."""
    tables = [("", config), *((f"clients.{name}.", c) for name, c in config.clients.items())]
    for where, table in tables:
        if table.profile is None:
            continue
        try:
            choose_profile(table.profile)
        except ProfileError as exc:
            raise ConfigError(f"config file {path}: {where}profile: {exc}") from None


def _refuse_secrets(path: Path, data: Mapping[str, Any], where: str = "") -> None:
    for key, value in data.items():
        if key.lower() in ("apicode", "token", "password"):
            raise ConfigError(
                f"config file {path}: {where}{key}: secrets never go in the config file; put "
                "the apicode in an environment variable and name it with apicode_env"
            )
        if isinstance(value, Mapping):
            _refuse_secrets(path, value, f"{where}{key}.")


def _anchored(config: ConfigFile, folder: Path) -> ConfigFile:
    """Relative paths in the file are relative to its folder."""

    def fix(table: Defaults) -> dict[str, Any]:
        changes: dict[str, Any] = {
            key: folder / value
            for key in PATH_KEYS
            if (value := getattr(table, key)) is not None and not value.is_absolute()
        }
        profile = table.profile
        if profile and ((folder / profile).is_file() or _is_path(profile)):
            changes["profile"] = str(folder / profile)
        return changes

    clients = {name: c.model_copy(update=fix(c)) for name, c in config.clients.items()}
    return config.model_copy(update={**fix(config), "clients": clients})


def _is_path(profile: str) -> bool:
    """A profile given as a file's path rather than a built-in name (as choose_profile sees)."""
    return profile.lower().endswith(".toml") or "/" in profile or "\\" in profile
