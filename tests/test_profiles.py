"""Profiles: built-in ones load, a user's file works the same way, detection is by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from importer.engine.fields import transactions
from importer.errors import ProfileError, ReadError
from importer.export import open_export
from importer.mapping import guess_columns
from importer.profiles import builtin_profiles, choose_profile, load_profile

ROOT = Path(__file__).parent.parent


def test_builtin_profiles_cover_the_banks_of_the_issue() -> None:
    names = {profile.name for profile in builtin_profiles()}
    assert {"op", "op-legacy", "nordea", "nordea-legacy", "s-pankki", "danske"} <= names
    assert {"ktl", "camt054", "camt053", "generic"} <= names


def test_generic_recognises_op_headers_and_prefers_the_payment_date() -> None:
    headers = ("Kirjauspäivä", "Arvopäivä", "Määrä  EUROA", "Saaja/Maksaja", "Viite", "Viesti")
    assert guess_columns(headers, "op.csv") == {
        "reference": "Viite",
        "amount": "Määrä  EUROA",
        "value_date": "Arvopäivä",
        "booking_date": "Kirjauspäivä",
        "payer": "Saaja/Maksaja",
        "message": "Viesti",
    }


def test_generic_names_what_it_could_not_find() -> None:
    with pytest.raises(ProfileError) as raised:
        guess_columns(("Foo", "Bar"), "odd.csv")
    message = str(raised.value)
    assert "odd.csv: no column recognised for amount, a date, reference" in message
    assert "'Foo', 'Bar'" in message
    assert "--profile PATH" in message


def test_a_users_profile_file_reads_its_export(tmp_path: Path) -> None:
    profile = tmp_path / "kassa.toml"
    profile.write_text(
        'title = "Our cash book"\n'
        '[columns]\nreference = "Ref"\namount = ["Sum", "Summa"]\npaydate = "Day"\n'
        'message = "Note"\noptional = ["message"]\n'
        '[format]\ndate_format = "%d/%m/%Y"\ndecimal_mark = ","\n',
        encoding="utf-8",
    )
    export = tmp_path / "kassa.csv"
    export.write_text("Day;Summa;Ref\n02/11/2026;1 234,50;RF28 4100 72\n", encoding="utf-8")
    opened = open_export(export, str(profile))
    assert opened.profile.name == "kassa"
    (txn,) = transactions(opened)
    assert (str(txn.amount), txn.paydate.isoformat() if txn.paydate else None) == (
        "1234.50",
        "2026-11-02",
    )
    assert txn.reference == "RF28 4100 72"
    assert opened.columns.names == {"payment_date": "Day", "amount": "Summa", "reference": "Ref"}


def test_a_column_the_file_lacks_names_the_profile_and_what_was_found(tmp_path: Path) -> None:
    export = tmp_path / "x.csv"
    export.write_text("Day;Sum\n02.11.2026;5,00\n", encoding="utf-8")
    profile = tmp_path / "p.toml"
    profile.write_text('[columns]\nreference = "Ref"\namount = "Sum"\npaydate = "Day"\n')
    with pytest.raises(ProfileError) as raised:
        open_export(export, str(profile))
    assert str(raised.value) == (
        f"{export}: column 'Ref' for reference is not in the file (found: 'Day', 'Sum'); "
        f"fix the profile {profile} or choose another with --profile"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns]\namount = 'A'\n", "needs payment_date, value_date or booking_date"),
        ("[columns\n", "not valid TOML"),
        ("[columns]\namount='A'\npaydate='B'\ncolour='red'\n", "columns.colour"),
        ("reader = 'pdf'\n[columns]\namount='A'\npaydate='B'\nreference='C'\n", "reader"),
        (
            "billnum_in_message = 'Lasku \\d+'\n"
            "[columns]\namount='A'\npaydate='B'\nreference='C'\n",
            "billnum_in_message: .*exactly one group",
        ),
        (
            "[columns]\namount='A'\npaydate='B'\nreference='C'\n[format]\nthousands='_'\n",
            "thousands",
        ),
    ],
)
def test_bad_profile_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=message) as raised:
        load_profile(path)
    assert str(path) in str(raised.value)


def test_an_unknown_profile_name_lists_the_built_in_ones() -> None:
    with pytest.raises(ProfileError, match="no profile named 'handelsbanken'; the built-in"):
        choose_profile("handelsbanken")


def test_a_file_matching_two_profiles_names_both(tmp_path: Path) -> None:
    export = tmp_path / "both.csv"
    export.write_text("Kirjauspäivä;Määrä;Viite\n02.11.2026;5,00;410014\n", encoding="utf-8")
    profiles = []
    for name in ("first", "second"):
        path = tmp_path / f"{name}.toml"
        path.write_text(
            '[detect]\nheaders = ["Kirjauspäivä", "Viite"]\n'
            '[columns]\nbooking_date = "Kirjauspäivä"\namount = "Määrä"\nreference = "Viite"\n',
            encoding="utf-8",
        )
        profiles.append(load_profile(path))
    from importer.profiles import detect_profile

    with pytest.raises(ProfileError) as raised:
        detect_profile(export, "text", export.read_bytes(), tuple(profiles))
    assert "matches more than one profile (first, second); choose one with --profile NAME" in str(
        raised.value
    )


def test_a_forced_profile_of_another_kind_says_so() -> None:
    with pytest.raises(ReadError) as raised:
        open_export(ROOT / "sample_files" / "nordea.csv", "ktl")
    assert "the profile 'ktl' reads ktl files, but this is a text (CSV) file" in str(raised.value)


def test_generic_is_never_detected_but_can_be_asked_for(tmp_path: Path) -> None:
    export = tmp_path / "own.csv"
    export.write_text("Maksupäivä;Summa;Viite\n02.11.2026;5,00;410014\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="--profile generic"):
        open_export(export)
    (txn,) = transactions(open_export(export, "generic"))
    assert txn.reference == "410014"


def readme_toml(marker: str) -> str:
    """The README's TOML example that holds `marker`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [part.split("```", 1)[0] for part in readme.split("```toml\n")[1:]]
    [example] = [block for block in blocks if marker in block]
    return example


def test_the_readmes_settings_file_example_loads(tmp_path: Path) -> None:
    from importer.config import load_config
    from importer.settings import Settings

    (tmp_path / "ropo-import.toml").write_text(readme_toml("[clients."), encoding="utf-8")
    config = load_config(None, tmp_path)
    settings = Settings.resolve({}, {"ACME_ROPO_APICODE": "x"}, config, "acme")
    assert settings.reports == tmp_path / "reports" / "acme"
    assert settings.env == "fi-prod"
    assert settings.credentials().cid == "1000011"


def test_the_readmes_profile_example_loads(tmp_path: Path) -> None:
    example = readme_toml("[columns]")
    path = tmp_path / "cash-book.toml"
    path.write_text(example, encoding="utf-8")
    profile = load_profile(path)
    assert profile.wanted("payment_date") == ("Pvm",)
    assert profile.option("reference").strip_prefix == "ref="


def test_only_the_date_that_is_sent_must_be_readable(tmp_path: Path) -> None:
    from importer.models import Outcome
    from importer.pipeline import run_import
    from tests.conftest import RULES

    export = tmp_path / "x.csv"
    export.write_text(
        "Maksupäivä;Kirjauspäivä;Summa;Viite\n"
        "02.11.2026;31.11.2026;5,00;410014\n"  # an impossible booking date, a good payment date
        "31.11.2026;02.11.2026;5,00;410027\n",  # an impossible payment date: not sent
        encoding="utf-8",
    )
    journal = tmp_path / "j.sqlite"
    report = run_import(export, journal_path=journal, profile="generic", rules=RULES, dry_run=True)
    first, second = report.results
    assert first.code == "dry-run"
    assert first.payment is not None
    assert first.payment.paydate.isoformat() == "2026-11-02"
    assert (second.outcome, second.code) == (Outcome.INVALID, "bad-date")
    assert second.message.startswith("column 'Maksupäivä', value '31.11.2026': it is not a real")
