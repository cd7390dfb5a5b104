"""Live progress: a run's send as server-sent events, and the button that stops it.

GET /runs/{id}/events streams `progress` events (n of N, the rate, the time left, the running
counts per outcome, the state, and the same in words of the page's language) while the run is
sending, then one `end` event with the final state and the address to go to. Everything is
read off the run's `Progress` (runs.py), which the send thread updates; the stream only reads,
so closing the tab changes nothing and a reopened page streams the same state.

POST /runs/{id}/stop ("stop after the requests in flight") sets the run's halt event: the send
starts no new request, the rows never started end `skipped`/`not-sent` as when Ctrl-C stops a
command-line run, and the run ends `stopped`. It is a form like the others: the Guard checks
its origin, `posted_form` its form token.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from importer.i18n import Words, words
from importer.models import Outcome
from importer.problems import WENT_OUT
from importer.web.app import site_of
from importer.web.runs import Run

POLL = 0.25  # seconds between looks at the run's progress
QUIET = 2.0  # seconds without news after which the rate and time left are sent again


def routes() -> list[Route]:
    return [
        Route("/runs/{run_id}/events", events, methods=["GET"]),
        Route("/runs/{run_id}/stop", stop, methods=["POST"]),
    ]


def snapshot(run: Run, w: Words, now: float | None = None) -> dict[str, Any]:
    """What the page shows of a run's progress, as numbers and as words."""
    progress = run.progress
    done = progress.done
    # Before the send has read the file again, the plan says how many rows it has.
    total = progress.total or (run.plan.rows_read if run.plan is not None else 0)
    elapsed = (time.monotonic() if now is None else now) - progress.started
    went_out = sum(progress.counts[name] for name in WENT_OUT)
    rate = went_out / elapsed if went_out and elapsed > 0 else None
    left = max(total - done, 0) / rate if rate else None
    every = progress.counts + Counter({Outcome.SKIPPED.value: progress.settled})
    counts = {name: n for name, n in sorted(every.items()) if n}  # they add up to `done`
    pace = []
    if rate is not None:
        pace.append(w("{rate} payments a second", rate=_decimal(rate, w)))
    if left is not None and run.state == "sending":
        pace.append(w("about {time} left", time=_duration(left)))
    return {
        "state": run.state,
        "done": done,
        "total": total,
        "rate": None if rate is None else round(rate, 2),
        "left": None if left is None else round(left),
        "counts": counts,
        "stopping": progress.halt.is_set() and run.state == "sending",
        "shown": {
            "line": w("Sending: {done} of {total} rows", done=done, total=total),
            "pace": ", ".join(pace),
            "counts": [f"{w(name)}: {n}" for name, n in counts.items()],
        },
    }


async def stream(
    run: Run,
    w: Words,
    poll: float = POLL,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[str]:
    """The run's events until its send ends: `progress` whenever a count moves (and every
    QUIET seconds for the time left), then `end`."""
    last: tuple[object, ...] | None = None
    told = 0.0
    while True:
        now = clock()
        ending = run.state != "sending"  # read first: the counts are final by then
        shown = snapshot(run, w, now)
        news = (shown["state"], shown["done"], shown["total"], shown["stopping"])
        if news != last or now - told >= QUIET:
            yield _event("progress", shown)
            last, told = news, now
        if ending:
            yield _event("end", {"state": shown["state"], "url": f"/runs/{run.id}"})
            return
        await asyncio.sleep(poll)


async def events(request: Request) -> Response:
    from importer.web.pages import chosen_lang, found_run

    site = site_of(request)
    run = found_run(request)
    if isinstance(run, Response):
        return run
    w = words(chosen_lang(request, site.lang))
    return StreamingResponse(
        stream(run, w),
        media_type="text/event-stream",
        headers={"x-accel-buffering": "no"},  # a proxy in front must pass each event on
    )


async def stop(request: Request) -> Response:
    """Stop after the requests in flight; a run not sending is left as it is."""
    from importer.web.pages import posted_run

    posted = await posted_run(request)
    if isinstance(posted, Response):
        return posted
    run, _form = posted
    site_of(request).store.stop(run.id)  # a run not sending is left as it is
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _decimal(value: float, w: Words) -> str:
    text = f"{value:.1f}"
    return text if w.lang == "en" else text.replace(".", ",")


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
