"""ropo-import sandbox: the local Ropo One simulator, with faults when asked.

The sandbox (starlette, uvicorn) is imported when the command runs, or when its help lists
the fault modes, never by the rest of the command line.
"""

from __future__ import annotations

from pathlib import Path

import click


class _WithModes(click.Command):
    """A command whose help ends with the fault modes, read from the sandbox when shown."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from importer.sandbox.faults import MODES

        self.epilog = (
            "\b\nFault modes (--fault MODE[=SHARE]; SHARE of payment requests, 1 when left out):\n"
            + "\n".join(f"  {mode:<17}{what}" for mode, what in MODES.items())
        )
        super().format_epilog(ctx, formatter)


def _faults(
    context: click.Context, parameter: click.Parameter, values: tuple[str, ...]
) -> dict[str, float]:
    """--fault MODE[=SHARE], repeatable: the modes and their shares, each mode once."""
    from importer.sandbox.faults import Faults, parse_fault

    modes: dict[str, float] = {}
    for value in values:
        try:
            mode, share = parse_fault(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), context, parameter) from None
        if mode in modes:
            raise click.BadParameter(f"{mode} is given twice", context, parameter)
        modes[mode] = share
    try:
        Faults(modes=modes)
    except ValueError as exc:  # together, the shares are more than every request
        raise click.BadParameter(str(exc), context, parameter) from None
    return modes


@click.command(cls=_WithModes)
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
@click.option("--port", default=8080, show_default=True, help="0 picks a free port.")
@click.option("--ledger", type=click.Path(path_type=Path), help="Invoices CSV to start from.")
@click.option(
    "--token-lifetime",
    default=7200.0,
    show_default=True,
    help="Seconds a token stays valid (shorter for tests).",
)
@click.option("--seed", default=0, show_default=True, help="Seed for the random faults.")
@click.option("--latency", default=0.0, show_default=True, help="Seconds added to each answer.")
@click.option("--rate-cap", type=float, help="Payments per second before answering 429.")
@click.option(
    "--fail-rate", default=0.0, show_default=True, help="Share answered 503, not processed."
)
@click.option(
    "--drop-rate",
    default=0.0,
    show_default=True,
    help="Share applied and then cut off before the answer (the ambiguous case; = --fault cut).",
)
@click.option(
    "--fault",
    "modes",
    multiple=True,
    callback=_faults,
    metavar="MODE[=SHARE]",
    help="Answer this share of payment requests with a fault mode (below); repeatable.",
)
@click.option(
    "--trickle-seconds",
    default=0.5,
    show_default=True,
    help="Pause between the bytes of a 'trickle' answer.",
)
def sandbox(
    host: str,
    port: int,
    ledger: Path | None,
    token_lifetime: float,
    seed: int,
    latency: float,
    rate_cap: float | None,
    fail_rate: float,
    drop_rate: float,
    modes: dict[str, float],
    trickle_seconds: float,
) -> int:
    """Run a local Ropo One simulator on loopback, with faults when asked.

    Every customer id in the ledger logs in with the apicode 'sandbox'. GET /sandbox/applied
    lists how often each payment was applied.

    \b
    Example:
      ropo-import sandbox --port 8080
      ROPO_CID=1000011 ROPO_APICODE=sandbox \\
        ropo-import run sample_files/demo-bank-export.csv --base-url http://127.0.0.1:8080/rest
      ropo-import sandbox --latency 0.05 --rate-cap 20 --fail-rate 0.1 --drop-rate 0.05
      ropo-import sandbox --fault gateway-504=0.1 --fault cut=0.05
    """
    from importer.demo import sample_files
    from importer.sandbox import Ledger, SandboxState
    from importer.sandbox.faults import Faults
    from importer.sandbox.server import serve

    try:
        faults = Faults(seed, latency, rate_cap, fail_rate, drop_rate, modes, trickle_seconds)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    state = SandboxState(
        Ledger.load(ledger or sample_files() / "sandbox-ledger.csv"),
        token_lifetime=token_lifetime,
        faults=faults,
    )

    def announce(url: str) -> None:
        click.echo(f"Ropo One sandbox on {url} (Ctrl-C stops it)", err=True)

    serve(state, host, port, announce)
    return 0
