"""The config file, ropo-import.toml: defaults for every run, and named clients.

    env = "fi-prod"              # or base_url = "https://..."
    rate = 5
    reports = "reports"          # the folder for result workbooks

    [clients.acme]
    cid = "1000011"              # or cid_env = "ACME_ROPO_CID"
    apicode_env = "ACME_ROPO_APICODE"
    profile = "nordea"           # any default can be set again for one client

The file never holds an apicode: a client names the environment variable that does. Relative
paths are relative to the file's folder. A key the file may not hold, or a value of the wrong
kind, stops the run with a message naming the file and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from importer.errors import ConfigError
from importer.settings import Credentials, credentials_from

CONFIG_NAME = "ropo-import.toml"
PATH_KEYS = ("reports", "journal")


class Defaults(BaseModel):
    """Settings a config file may give, for all clients or for one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    base_url: str | None = None
    profile: str | None = None
    reports: Path | None = None
    journal: Path | None = None
    rate: float | None = Field(default=None, ge=0.1, le=10_000)
    concurrency: int | None = Field(default=None, ge=1, le=64)
    connect_timeout: float | None = Field(default=None, ge=0.1)
    read_timeout: float | None = Field(default=None, ge=1)
    max_age: int | None = Field(default=None, ge=0)
    domestic_references: bool | None = None

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

    def customer_id(self, name: str, environ: Mapping[str, str]) -> str:
        cid = self.cid or environ.get(self.cid_env or "", "").strip()
        if not cid:
            raise ConfigError(
                f"client {name}: set {self.cid_env} in the environment (named in {CONFIG_NAME})"
            )
        return cid

    def credentials(self, name: str, environ: Mapping[str, str]) -> Credentials:
        """The client's customer id and apicode, read from the environment variables it names."""
        cid = self.customer_id(name, environ)
        apicode = environ.get(self.apicode_env, "")
        if not apicode:
            raise ConfigError(
                f"client {name}: set {self.apicode_env} in the environment to its apicode "
                f"(named by apicode_env in {CONFIG_NAME})"
            )
        return Credentials(cid=cid, apicode=apicode)


class ConfigFile(Defaults):
    """The whole file."""

    clients: dict[str, Client] = Field(default_factory=dict)
    path: Path | None = Field(default=None, exclude=True)

    def settings(self, client: str | None) -> dict[str, Any]:
        """The file's defaults with the client's own settings over them."""
        chosen = self.given()
        if client is not None:
            own = self.client(client).given()
            if "env" in own or "base_url" in own:  # where to post is one setting, not two
                chosen.pop("env", None)
                chosen.pop("base_url", None)
            chosen |= own
        return chosen

    def credentials(self, client: str | None, environ: Mapping[str, str]) -> Credentials:
        """The client's credentials, or ROPO_CID and ROPO_APICODE when no client is named."""
        if client is None:
            return credentials_from(environ)
        return self.client(client).credentials(client, environ)

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
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        why = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            allowed = sorted(Client.model_fields if "clients" in error["loc"] else DEFAULT_KEYS)
            why = f"not a setting; the settings are {', '.join(allowed)}"
        if error["type"] not in ("missing", "value_error"):
            where += f" = {error['input']!r}"  # the key's own value, as the file has it
        raise ConfigError(f"config file {path}: {where or 'the top level'}: {why}") from None
    return _anchored(config.model_copy(update={"path": path}), path.parent)


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
        if table.profile and (folder / table.profile).is_file():
            changes["profile"] = str(folder / table.profile)
        return changes

    clients = {name: c.model_copy(update=fix(c)) for name, c in config.clients.items()}
    return config.model_copy(update={**fix(config), "clients": clients})
