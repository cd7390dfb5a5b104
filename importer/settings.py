"""Where to post, as whom, and how: every setting of run, inspect and resolve, resolved once.

`Settings` is built once by the CLI and passed down; nothing else reads os.environ. Each
setting comes from the first of these that gives it (README "Settings file and clients"):

    the command line > the environment > the client's table > the settings file > the default

The environment gives ROPO_BASE_URL, ROPO_RATE, ROPO_TODAY, ROPO_CID and ROPO_APICODE.
The language (lang: fi, sv or en) not set anywhere is the locale's (LANG=fi_FI.UTF-8 gives
Finnish), else English.
Where to post (env or base_url) is one setting: the first layer that names either wins
whole. Credentials come only from the environment (ROPO_CID, ROPO_APICODE, or the variables
a client names), never from the command line, where other users of the machine could read
them; the apicode is a SecretStr and shows in no repr, dump or message.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from importer import i18n
from importer.clock import Clock
from importer.defaults import CONFIG_NAME, CONNECT_TIMEOUT, MAX_AGE_DAYS, READ_TIMEOUT
from importer.defaults import ENVIRONMENTS as ENVIRONMENTS
from importer.errors import ConfigError
from importer.i18n import Lang, choose_lang
from importer.limiter import DEFAULT_RATE, concurrency_for
from importer.problems import Refusal, refusal

if TYPE_CHECKING:
    from importer.config import ConfigFile
    from importer.validation import Rules

# The variables the environment layer reads, by setting.
ENVIRONMENT = {
    "base_url": "ROPO_BASE_URL",
    "rate": "ROPO_RATE",
    "today": "ROPO_TODAY",
    "cid": "ROPO_CID",
    "apicode": "ROPO_APICODE",
}
CREDENTIALS = ("cid", "apicode")
ENDPOINT = ("env", "base_url")


def _known_env(env: str) -> str:
    if env not in ENVIRONMENTS:
        raise ValueError(f"is not one of {', '.join(sorted(ENVIRONMENTS))}")
    return env


def _usable_url(url: str) -> str:
    try:
        return check_base_url(url)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


# Each setting's bounds, declared once for the settings file (config.py) and for Settings.
EnvName = Annotated[str, AfterValidator(_known_env)]
BaseUrl = Annotated[str, AfterValidator(_usable_url)]
Rate = Annotated[float, Field(ge=0.1, le=10_000)]
Concurrency = Annotated[int, Field(ge=1, le=64)]
ConnectTimeout = Annotated[float, Field(ge=0.1)]
ReadTimeout = Annotated[float, Field(ge=1)]
MaxAge = Annotated[int, Field(ge=0)]
CreditNotes = Literal["note", "send"]
DirectDebits = Literal["skip", "send"]


class SettingError(ConfigError):
    """A setting's value refused, with where it came from: the CLI names the option typed or
    the variable set (ROPO_RATE=0 is not blamed on a --rate nobody typed)."""

    def __init__(self, name: str, value: Any, variable: str | None, why: str) -> None:
        self.name, self.value, self.variable, self.why = name, value, variable, why
        self.option = "--" + name.replace("_", "-")
        where = f"{variable}={value!r} in the environment" if variable else self.option
        super().__init__(f"{where}: {why}")


class Settings(BaseSettings):
    """Every setting of run, inspect and resolve. Build it with Settings.resolve()."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    env: EnvName | None = None
    base_url: BaseUrl | None = None
    client: str | None = None  # a client of the settings file: its table and credentials
    cid: str | None = None
    apicode: SecretStr | None = None
    cid_variable: str = "ROPO_CID"  # where cid and apicode are read: named in messages
    apicode_variable: str = "ROPO_APICODE"
    profile: str | None = None
    reports: Path = Path("reports")
    journal: Path | None = None  # None: the user's journal (cli/options.py journal_path)
    wait: float = Field(default=0.0, ge=0)
    rate: Rate = DEFAULT_RATE
    concurrency: Concurrency | None = None
    connect_timeout: ConnectTimeout = CONNECT_TIMEOUT
    read_timeout: ReadTimeout = READ_TIMEOUT
    max_age: MaxAge = MAX_AGE_DAYS
    allow_future: bool = False
    allow_identical: bool = False
    domestic_references: bool = False
    credit_notes: CreditNotes = "note"
    direct_debits: DirectDebits = "skip"
    today: date | None = None  # the day dates are judged against; None: the computer's date
    lang: Lang = "en"  # the words of the summary and the workbook; resolve() asks the locale

    @field_validator("today", mode="before")
    @classmethod
    def _iso_day(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return datetime.strptime(value, "%Y-%m-%d").date()
            except ValueError:
                raise ValueError(f"{value!r} is not a date like 2026-11-30") from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        *_sources: PydanticBaseSettingsSource,
        **_named: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Settings(...) alone takes only its arguments: no variable, no .env file; the layers
        come from resolve()."""
        return (init_settings,)

    @classmethod
    def resolve(
        cls,
        command_line: Mapping[str, Any],
        environ: Mapping[str, str],
        config: ConfigFile | None = None,
        client: str | None = None,
    ) -> Settings:
        """The settings from each layer, the first that gives a setting winning.

        `command_line` holds only what was typed; `config` is the loaded settings file.
        A refused value raises SettingError naming its option or variable.
        """
        typed = dict(command_line)
        if all(typed.get(key) for key in ENDPOINT):
            raise ConfigError("give either --env or --base-url, not both")
        layers = [
            _endpoint_whole(typed),
            _environment(environ, credentials=client is None),
            _client_table(config, client, environ),
            config.given() if config is not None else {},
            # Below every setting, the language of the user's locale (LANG=fi_FI.UTF-8: Finnish).
            {"lang": choose_lang(None, environ)},
        ]

        # pydantic-settings asks the class for its sources: the layers of this resolution (what
        # was typed, the client named, the file loaded) make a class of their own.
        class Resolved(cls):  # type: ignore[valid-type,misc]
            @classmethod
            def settings_customise_sources(
                cls,
                settings_cls: type[BaseSettings],
                *_sources: PydanticBaseSettingsSource,
                **_named: PydanticBaseSettingsSource,
            ) -> tuple[PydanticBaseSettingsSource, ...]:
                return tuple(_Layer(settings_cls, layer) for layer in layers)

        Resolved.__name__ = Resolved.__qualname__ = cls.__name__
        try:
            return Resolved()
        except ValidationError as exc:
            raise _refused(refusal(exc), layers, config) from None

    def endpoint(self, *, dry_run_hint: bool = True) -> str:
        """The API's base URL, or a message saying how to give one."""
        if self.env:
            return ENVIRONMENTS[self.env]
        if self.base_url:
            return self.base_url
        raise ConfigError(
            "where should payments go? Give --env (fi-test, fi-prod, ...) or "
            "--base-url URL, or set ROPO_BASE_URL"
            + ("; use --dry-run to post nothing" if dry_run_hint else "")
        )

    def customer_id(self) -> str | None:
        """The customer id; a client's, or ROPO_CID's (None when unset)."""
        if self.client is not None and not self.cid:
            raise ConfigError(
                f"client {self.client}: set {self.cid_variable} in the environment "
                f"(named in {CONFIG_NAME})"
            )
        return self.cid

    def credentials(self) -> Credentials:
        """The customer id and apicode, or a message naming the variables to set."""
        cid = self.customer_id()
        if self.client is not None and self.apicode is None:
            raise ConfigError(
                f"client {self.client}: set {self.apicode_variable} in the environment to its "
                f"apicode (named by apicode_env in {CONFIG_NAME})"
            )
        missing = [
            variable
            for variable, value in ((self.cid_variable, cid), (self.apicode_variable, self.apicode))
            if not value
        ]
        if cid is None or self.apicode is None:
            raise ConfigError(
                f"set {' and '.join(missing)} in the environment (the customer id and apicode "
                "from Ropo support); they are never taken from the command line"
            )
        return Credentials(cid=cid, apicode=self.apicode.get_secret_value())

    def api(self) -> ApiSettings:
        """How to talk to Ropo One: needs the endpoint and the credentials."""
        return ApiSettings(
            base_url=self.endpoint(),
            credentials=self.credentials(),
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            rate=self.rate,
            concurrency=self.concurrency,
        )

    def clock(self) -> Clock:
        """The clock of this run: `today` fixes the day dates are judged against."""
        return Clock(day=self.today)

    def words(self) -> i18n.Words:
        """The words of this run's summary and workbook, in its language."""
        return i18n.words(self.lang)

    def rules(self, clock: Clock) -> Rules:
        """The validation rules these settings ask for, as of the clock's today."""
        from importer.validation import Rules

        return Rules(
            clock.today(),
            self.max_age,
            self.allow_future,
            self.allow_identical,
            self.domestic_references,
            send_credit_notes=self.credit_notes == "send",
            send_direct_debits=self.direct_debits == "send",
        )


class _Layer(PydanticBaseSettingsSource):
    """One layer of settings, already read: the command line, the environment, a table."""

    def __init__(self, settings_cls: type[BaseSettings], values: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self.values = dict(values)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


def _endpoint_whole(layer: dict[str, Any]) -> dict[str, Any]:
    """A layer that names env or base_url names both (the other None), so that it replaces
    a lower layer's endpoint whole instead of joining it."""
    if any(layer.get(key) for key in ENDPOINT):
        return {**{key: None for key in ENDPOINT}, **layer}
    return {key: value for key, value in layer.items() if key not in ENDPOINT}


def _environment(environ: Mapping[str, str], *, credentials: bool) -> dict[str, Any]:
    """The ROPO_ variables that are set; the credentials only when no client is named (a
    client's come from the variables its table names)."""
    found: dict[str, Any] = {}
    for name, variable in ENVIRONMENT.items():
        value = environ.get(variable, "")
        value = value if name == "apicode" else value.strip()
        if value and (credentials or name not in CREDENTIALS):
            # Secret from the moment it is read: pydantic-settings' debug log shows each layer.
            found[name] = SecretStr(value) if name == "apicode" else value
    return _endpoint_whole(found)


def _client_table(
    config: ConfigFile | None, client: str | None, environ: Mapping[str, str]
) -> dict[str, Any]:
    """The client's own settings and where its credentials are read."""
    if config is None or client is None:
        return {}
    table = config.client(client)
    cid = table.cid or environ.get(table.cid_env or "", "").strip()
    apicode = environ.get(table.apicode_env, "")
    found: dict[str, Any] = {
        **table.given(),
        "client": client,
        "cid_variable": table.cid_env or "cid",
        "apicode_variable": table.apicode_env,
    }
    found |= {"cid": cid} if cid else {}
    found |= {"apicode": SecretStr(apicode)} if apicode else {}
    return _endpoint_whole(found)


def _refused(
    error: Refusal, layers: list[dict[str, Any]], config: ConfigFile | None
) -> ConfigError:
    """The first refused setting, blamed on the layer that gave it."""
    name = str(error.location[0]) if error.location else ""
    if name not in Settings.model_fields:
        return ConfigError(error.why)
    value = "***" if name in CREDENTIALS else error.value
    why = f"{value!r} {error.why}" if error.why.startswith("is ") else error.why
    command_line, environment, *_tables = layers
    if name in command_line:
        return SettingError(name, value, None, why)
    if name in environment:
        return SettingError(name, value, ENVIRONMENT[name], why)
    where = config.path if config is not None else CONFIG_NAME
    return ConfigError(f"config file {where}: {name} = {value!r}: {why}")


@dataclass(frozen=True)
class Credentials:
    """A Ropo One customer id and its apicode; the apicode never shows in a repr."""

    cid: str
    apicode: str = field(repr=False)


@dataclass(frozen=True)
class ApiSettings:
    """How to talk to Ropo One."""

    base_url: str
    credentials: Credentials
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    max_attempts: int = 5
    max_retry_seconds: float = 120.0
    # Answers of 429 do not use up max_attempts (the server is answering): they get this long.
    max_throttle_seconds: float = 600.0
    # The whole request, body included (read_timeout restarts on every byte); None: 30 s
    # above read_timeout.
    request_deadline: float | None = None
    rate: float = DEFAULT_RATE  # requests started per second (Ropo One publishes no limit)
    concurrency: int | None = None  # requests in flight at once; None: enough for the rate

    @property
    def in_flight(self) -> int:
        return self.concurrency or concurrency_for(self.rate)

    @property
    def deadline(self) -> float:
        """Seconds one request may take from sending to its last byte."""
        return self.request_deadline or self.read_timeout + 30.0


def describe_endpoint(base_url: str) -> str:
    """'fi-test (https://rc.ropo24.fi/rest)', or what else the base URL is."""
    for name, url in ENVIRONMENTS.items():
        if url == base_url:
            return f"{name} ({url})"
    host = urlsplit(base_url).hostname or ""
    where = "a sandbox on this machine" if is_loopback(host) else "another endpoint"
    return f"{where} ({base_url})"


def check_base_url(url: str) -> str:
    """An https URL, or http only on this machine (the sandbox): tokens never go out in clear."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL {url!r} is not an http(s) URL such as https://ropo24.fi/rest")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"base URL {url!r} uses plain http to another machine; use https "
            "(plain http is allowed only for a sandbox on this machine)"
        )
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    """localhost, or any loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
