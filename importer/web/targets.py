"""The clients the page can send for, each resolved as `ropo-import run --client NAME` would.

The settings file's clients, or without any, the one the environment names (ROPO_CID, ...).
A client whose credentials are missing is still listed, with why it cannot send: its files
can be reviewed against the journal all the same. The apicode stays in `api`, which no page
or answer renders.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from importer.clock import Clock
from importer.config import ConfigFile
from importer.defaults import ENVIRONMENTS
from importer.errors import ConfigError
from importer.settings import ApiSettings, Settings, describe_endpoint
from importer.validation import Rules

DEFAULT = "default"  # the client of a settings file without clients: the environment's


@dataclass(frozen=True)
class Target:
    """One client: where its payments go, as whom, and with which rules and journal."""

    name: str
    environment: str  # "fi-prod (https://ropo24.fi/rest)", shown beside the client
    cid: str | None
    production: bool
    api: ApiSettings | None  # None: it cannot send (see `refused`)
    journal: Path
    rules: Callable[[Clock], Rules]
    profile: str | None = None
    refused: str | None = None  # why it cannot send, in the settings' words
    endpoint: str | None = None  # its canonical base URL, when known without credentials

    @property
    def scope(self) -> tuple[str, str] | None:
        """The journal scope (endpoint, customer id) its payments are recorded under, when
        both are known: what resolving needs (no apicode)."""
        endpoint = self.api.base_url if self.api is not None else self.endpoint
        return (endpoint, self.cid) if endpoint and self.cid else None


def resolve_targets(
    config: ConfigFile,
    environ: Mapping[str, str],
    journal_of: Callable[[Path | None], Path],
    typed: Mapping[str, object] | None = None,
) -> dict[str, Target]:
    """Every client of `config` (or the environment's one), by name. `journal_of` turns the
    journal setting into its path as the command line does; `typed` are the serve command's
    own settings (the language), above every layer."""
    names: list[str | None] = list(sorted(config.clients)) or [None]
    return {
        name or DEFAULT: _target(name, config, environ, journal_of, typed or {}) for name in names
    }


def _target(
    name: str | None,
    config: ConfigFile,
    environ: Mapping[str, str],
    journal_of: Callable[[Path | None], Path],
    typed: Mapping[str, object],
) -> Target:
    shown = name or DEFAULT
    try:
        settings = Settings.resolve(typed, environ, config, name)
    except ConfigError as exc:
        return Target(shown, "?", None, False, None, journal_of(None), _no_rules, refused=str(exc))
    journal = journal_of(settings.journal)
    try:
        endpoint = settings.endpoint(dry_run_hint=False)
    except ConfigError as exc:
        return Target(
            shown,
            "?",
            settings.cid,
            False,
            None,
            journal,
            _rules(settings),
            settings.profile,
            str(exc),
        )
    api: ApiSettings | None = None
    refused = None
    try:
        api = settings.api()
    except ConfigError as exc:
        refused = str(exc)
    return Target(
        shown,
        describe_endpoint(endpoint),
        settings.cid,
        is_production(endpoint),
        api,
        journal,
        _rules(settings),
        settings.profile,
        refused,
        endpoint,
    )


def gone_target(
    name: str, environment: str, cid: str | None, production: bool, folder: Path
) -> Target:
    """A client a run was recorded for that the settings no longer name: its runs are shown,
    never sent; planned again, against no journal."""
    return Target(
        name,
        environment,
        cid,
        production,
        None,
        folder / "no-journal.sqlite",
        _no_rules,
        refused=f"client {name!r} is not in the settings any more",
    )


def is_production(endpoint: str) -> bool:
    """A documented production host: the page labels it so that nobody sends there by mistake."""
    return any(url == endpoint for env, url in ENVIRONMENTS.items() if env.endswith("-prod"))


def _rules(settings: Settings) -> Callable[[Clock], Rules]:
    """The client's rules as of the server's clock, or of its `today` setting (ROPO_TODAY)."""

    def rules(clock: Clock) -> Rules:
        fixed = Clock(day=settings.today, at=clock.at) if settings.today else clock
        return settings.rules(fixed)

    return rules


def _no_rules(clock: Clock) -> Rules:
    return Rules(today=clock.today())


@contextlib.contextmanager
def demo_target() -> Iterator[tuple[Target, Path]]:
    """The built-in sandbox on a loopback port with a demo client and a scratch journal, and
    the demo export to offer: `serve --demo`, with nothing but this tool."""
    import tempfile

    from importer.demo import DEMO_CID, DEMO_DAY, DEMO_EXPORT, DEMO_LEDGER, DEMO_RATE, sample_files
    from importer.sandbox import Ledger, SandboxServer, SandboxState
    from importer.settings import Credentials

    samples = sample_files()
    state = SandboxState(Ledger.load(samples / DEMO_LEDGER))
    with SandboxServer(state) as server, tempfile.TemporaryDirectory() as scratch:
        api = ApiSettings(server.base_url, Credentials(DEMO_CID, state.apicode), rate=DEMO_RATE)
        yield (
            Target(
                "demo",
                describe_endpoint(server.base_url),
                DEMO_CID,
                False,
                api,
                Path(scratch) / "journal.sqlite",
                lambda clock: Rules(today=DEMO_DAY),  # the demo export's day, as `demo` judges
            ),
            samples / DEMO_EXPORT,
        )
