"""Resolving from the page: the payments of a client waiting for a person, and marking them.

GET /unknown?client=NAME lists every payment of the client whose answer proved nothing, each
with "It is in Ropo One" and "It is not in Ropo One" buttons: form POSTs to /unknown/{id},
answered with a redirect to the page they came from (a run's results, or this list) saying
what was done. GET /api/unknown?client=NAME and POST /api/unknown/{id} with JSON
{"registered": true|false} do the same for scripts: 200 with the entry, 404 for an id that is
not waiting, 409 while another run holds the journal.

Marking is `ropo-import resolve`'s (journal/resolving.py): under the journal's run lock, with a
note saying it was marked on the page, by whom (the name given at upload) and on which day.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from importer.errors import JournalBusyError, JournalError
from importer.i18n import Words, words
from importer.journal import Journal, Unanswered
from importer.journal.resolving import INVOICE_FIELDS, Shown, mark, shown
from importer.web.app import Site, site_of
from importer.web.runs import Run
from importer.web.targets import Target

HOLDER = "the web page, resolving"  # what a run refused by this lock is told holds it
BUSY = (
    "Nothing was marked: another run is using this client's journal. Try again when it has ended."
)


def routes() -> list[Route]:
    return [
        Route("/unknown", listing, methods=["GET"]),
        Route("/unknown/{entry_id:int}", marking, methods=["POST"]),
        Route("/api/unknown", api_listing, methods=["GET"]),
        Route("/api/unknown/{entry_id:int}", api_marking, methods=["POST"]),
    ]


def waiting(target: Target) -> list[Unanswered]:
    """The client's payments waiting for a person, oldest first; none without a journal."""
    scope = target.scope
    if scope is None or not target.journal.is_file():
        return []
    book = Journal(target.journal, *scope, read_only=True)
    try:
        return book.unanswered()
    finally:
        book.close()


def of_run(run: Run) -> list[Unanswered]:
    """The waiting payments that came from this run's file (by its name)."""
    return [e for e in waiting(run.target) if Path(e.source_file).name == run.file_name]


def counts(site: Site) -> dict[str, int]:
    """How many payments wait for each client (slow: a worker thread); a client whose journal
    cannot be read counts none here, its own list says why."""
    found = {}
    for name, target in site.targets.items():
        try:
            found[name] = len(waiting(target))
        except JournalError:
            found[name] = 0
    return found


def rows(entries: list[Unanswered], w: Words) -> list[Shown]:
    return [shown(entry, w) for entry in entries]


def told(request: Request, w: Words) -> str | None:
    """What the last marking did, as the redirect after it says (query parameters)."""
    asked = request.query_params
    entry = asked.get("marked") or asked.get("gone") or ""
    if asked.get("busy"):
        return w(BUSY)
    if not entry.isdigit():
        return None
    if asked.get("gone"):
        return w("Payment {id} is not waiting any more: nothing was marked.", id=entry)
    if asked.get("registered") == "1":
        return w("Payment {id} marked as in Ropo One: it is never sent again.", id=entry)
    return w("Payment {id} marked as not in Ropo One: the next run sends it.", id=entry)


async def listing(request: Request) -> Response:
    from importer.web.pages import chosen_lang, page

    site = site_of(request)
    target = _target(site, request.query_params.get("client"))
    if target is None:
        return PlainTextResponse("404: no such client", status_code=404)
    w = words(chosen_lang(request, site.lang))
    try:
        found, error = await run_in_threadpool(waiting, target), None
    except JournalError as exc:
        found, error = [], str(exc)
    return page(
        request,
        "unknown.html",
        target=target,
        waiting=rows(found, w),
        told=told(request, w),
        error=error,
        back="",
    )


async def marking(request: Request) -> Response:
    """A button of the list: mark one payment, then back to the page it was pressed on."""
    from importer.web.pages import WHO_COOKIE, posted_form

    site = site_of(request)
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    named = str(form.get("client") or "")
    if not named and len(site.targets) > 1:  # an id is a client's journal's own: never guessed
        return PlainTextResponse("400: name the client", status_code=400)
    target = _target(site, named)
    if target is None:
        return PlainTextResponse("404: no such client", status_code=404)
    if form.get("registered") not in ("0", "1"):  # never a default: each one sends or not
        return PlainTextResponse("400: registered is 1 or 0", status_code=400)
    entry_id = int(request.path_params["entry_id"])
    registered = form.get("registered") == "1"
    who = request.cookies.get(WHO_COOKIE, "")
    said: dict[str, str | int] = {}
    try:
        done = await run_in_threadpool(_mark, site, target, entry_id, registered, who)
    except JournalBusyError:
        said = {"busy": 1}
    except JournalError as exc:  # nothing was marked: the list says why, as when it is read
        from importer.web.pages import page

        return page(request, "unknown.html", 500, target=target, waiting=[], told=None,
                    error=str(exc), back="")  # fmt: skip
    else:
        said = {"marked": entry_id, "registered": int(registered)} if done else {"gone": entry_id}
    back = site.store.get(str(form.get("back") or ""))  # only a run of ours: no open redirect
    if back is not None:
        return RedirectResponse(f"/runs/{back.id}?{urlencode(said)}", status_code=303)
    listed = urlencode({"client": target.name, **said})
    return RedirectResponse(f"/unknown?{listed}", status_code=303)


async def api_listing(request: Request) -> Response:
    site = site_of(request)
    target = _target(site, request.query_params.get("client"))
    if target is None:
        return JSONResponse({"error": "no such client"}, status_code=404)
    try:
        found = await run_in_threadpool(waiting, target)
    except JournalError as exc:
        return JSONResponse({"error": str(exc)}, status_code=500)
    return JSONResponse([described(entry) for entry in found])


async def api_marking(request: Request) -> Response:
    site = site_of(request)
    if not request.scope.get("state", {}).get("bearer"):  # a browser posts the form instead
        return JSONResponse({"error": "use the page's form, or the bearer token"}, status_code=403)
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("registered"), bool):
        return JSONResponse({"error": 'send {"registered": true} or false'}, status_code=400)
    named = body.get("client") or request.query_params.get("client")
    if not named and len(site.targets) > 1:  # an id is a client's journal's own: never guessed
        return JSONResponse({"error": "name the client: ?client=NAME"}, status_code=400)
    target = _target(site, named)
    if target is None:
        return JSONResponse({"error": "no such client"}, status_code=404)
    entry_id, registered = int(request.path_params["entry_id"]), body["registered"]
    try:
        found = await run_in_threadpool(waiting, target)
    except JournalError as exc:
        return JSONResponse({"error": str(exc)}, status_code=500)
    entry = next((e for e in found if e.id == entry_id), None)
    if entry is None:
        return JSONResponse({"error": f"no payment waiting has id {entry_id}"}, status_code=404)
    try:
        done = await run_in_threadpool(_mark, site, target, entry_id, registered, "")
    except JournalBusyError as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    except JournalError as exc:
        return JSONResponse({"error": str(exc)}, status_code=500)
    if not done:  # marked by someone else meanwhile
        return JSONResponse({"error": f"no payment waiting has id {entry_id}"}, status_code=404)
    return JSONResponse({**described(entry), "registered": registered, "client": target.name})


def described(entry: Unanswered) -> dict[str, Any]:
    """A waiting payment as the API shows it: money as a string, the file by its name."""
    request = entry.request
    found = {
        "id": entry.id,
        "invoice": {k: request[k] for k in INVOICE_FIELDS if k in request},
        "amount": str(Decimal(str(request["amount"]))),
        "paydate": request["paydate"],
        "file": Path(entry.source_file).name,
        "line": entry.source_row,
        "sent_at": entry.sent_at,
        "message": entry.message,
    }
    if request.get("creditnotebillnum"):
        found["creditnotebillnum"] = request["creditnotebillnum"]
    return found


def _mark(site: Site, target: Target, entry_id: int, registered: bool, who: str) -> bool:
    """Mark one payment as resolve does; False when it is not waiting (JournalBusyError when
    another run holds the journal: nothing is marked)."""
    scope = target.scope
    if scope is None or not target.journal.is_file():
        return False
    book = Journal(target.journal, *scope)
    try:
        day = site.store.clock.calendar_day()
        marks = [(entry_id, registered)]
        done = mark(book, marks, day, holder=HOLDER, on_page=True, who=who)
    finally:
        book.close()
    return bool(done.done)


def _target(site: Site, name: object) -> Target | None:
    """The client named; the only one when none is named and there is one (with several, a
    list shows the first, and marking needs the name: the form carries it)."""
    if not name:
        return next(iter(site.targets.values()), None)
    return site.targets.get(str(name))
