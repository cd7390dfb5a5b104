"""ropo-import inspect and ropo-import profiles: how a file is read, before anything is sent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from importer.cli.options import lang_option, rule_options, settings_options

if TYPE_CHECKING:
    from importer.settings import Settings

_SHOWN_COUNTS = (
    "rows",
    "incoming",
    "outgoing",
    "pending",
    "with reference",
    "without reference",
    "ready to post",
    "invalid",
)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--profile", metavar="NAME|PATH", help="Skip recognition and use this profile.")
@click.option("--rows", default=10, show_default=True, help="How many rows to preview.")
@lang_option
@rule_options
@settings_options
def inspect(file: Path, rows: int, settings: Settings) -> int:
    """Show how FILE is read: format, profile, columns, counts and the first rows.

    Needs no credentials and sends nothing.

    \b
    Example:
      ropo-import inspect sample_files/camt054-viitemaksut.xml
    """
    from rich.console import Console

    from importer import json_decimal
    from importer.cli.render import problem_line
    from importer.inspection import inspect_export
    from importer.report import amount_text
    from importer.validation import Valid

    seen = inspect_export(file, settings.profile, rows, settings.rules(settings.clock()))
    export, w = seen.export, settings.words()
    console = Console(highlight=False, soft_wrap=True)
    where = "" if export.profile.source == "built-in" else f" from {export.profile.source}"
    console.print(f"[bold]{export.table.file}[/bold]", markup=True)
    console.print(w("read as:  {form}", form=export.table.form), markup=False)
    profile = f"{export.profile.name} ({export.profile.title}){where}"
    console.print(w("profile:  {profile}", profile=profile), markup=False)
    console.print(w("columns:  {columns}", columns=export.columns.describe()), markup=False)
    counts = seen.counts
    console.print(
        w(
            "rows {rows}: incoming {incoming} ({amount}), outgoing {outgoing}, pending "
            "{pending}, with reference {named}, without reference {unnamed}",
            rows=counts["rows"],
            incoming=counts["incoming"],
            amount=amount_text(seen.incoming_total, w),
            outgoing=counts["outgoing"],
            pending=counts["pending"],
            named=counts["with reference"],
            unnamed=counts["without reference"],
        ),
        markup=False,
    )
    others = {k: v for k, v in counts.items() if k not in _SHOWN_COUNTS}
    if others:
        also = ", ".join(f"{w(k)} {v}" for k, v in others.items())
        console.print(w("also: {counts}", counts=also), markup=False)
    console.print(w("first {n} rows as they would be posted:", n=len(seen.preview)), markup=False)
    for checked in seen.preview:
        if isinstance(checked, Valid):
            body = json_decimal.dumps(checked.payment.body())
            line = w("line {line}: POST /jobs/payment {body}", line=checked.row.line, body=body)
            console.print(f"  {line}", markup=False)
        else:
            console.print(f"  {problem_line(checked, w)}", markup=False)
    return 0


@click.command()
def profiles() -> int:
    """List the built-in bank export profiles that FILE is recognised against.

    \b
    Example:
      ropo-import profiles
      ropo-import run export.csv --profile nordea
    """
    from importer.profiles import builtin_profiles

    lines = []
    for profile in builtin_profiles():
        detect = profile.detect
        if profile.guess_columns:
            how = "nothing: ask for it with --profile generic"
        elif detect.xml_root:
            how = f"XML <{detect.xml_root}>"
        elif profile.reader == "ktl":
            how = "90-character records, a batch record 0 first"
        elif detect.first_line:
            how = f"a first line matching {detect.first_line}"
        else:
            how = "header " + " | ".join(" or ".join(group) for group in detect.groups())
        refused = "  (recognised, then refused with the reason)" if profile.refuse else ""
        lines += [f"{profile.name:<14} {profile.title}{refused}", f"{'':<14} detected by {how}"]
    click.echo("\n".join(lines))
    return 0
