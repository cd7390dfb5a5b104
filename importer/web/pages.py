"""The HTML pages: plain forms answered with redirects; nothing needs a script.

/ upload, /runs/{id} review (then sending, then results), /runs history, /login; /unknown
(resolving) is unknown.py's. Every POST
reads its form through `posted_form`, which refuses a missing or wrong form token (403): the
Guard has already refused another origin.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any, BinaryIO
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from importer.i18n import LANGS, Lang, words
from importer.profiles import builtin_names, builtin_profiles
from importer.web import events, unknown, view, wording
from importer.web.access import FORM_FIELD, SESSION_COOKIE
from importer.web.app import HERE, Site, named_run, site_of
from importer.web.runs import Run
from importer.web.targets import Target

LANG_COOKIE = "ropo_lang"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTED = ".csv, .txt, .xlsx, .xls, .ods, .xml, KTL"
Upload = tuple[str, BinaryIO, Target, str | None, str]
WHO_COOKIE = "ropo_who"  # the name last given, offered again on the next upload


def routes() -> list[Route]:
    return [
        Route("/login", login, methods=["GET"]),
        Route("/", start, methods=["GET"]),
        Route("/runs", history, methods=["GET"]),
        Route("/runs", upload, methods=["POST"]),
        Route("/runs/{run_id}", review, methods=["GET"]),
        Route("/runs/{run_id}/send", send, methods=["POST"]),
        Route("/runs/{run_id}/again", again, methods=["POST"]),
        Route("/runs/{run_id}/workbook", workbook, methods=["GET"]),
        Route("/runs/{run_id}/plan.xlsx", plan_workbook, methods=["GET"]),
    ]


@cache
def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html
    found.env.globals.update(wording.GLOBALS)
    return found


async def login(request: Request) -> Response:
    site = site_of(request)
    session = site.access.login(request.query_params.get("token", ""))
    if session is None:
        return PlainTextResponse("401: this login address is not valid", status_code=401)
    # 303 to the page: the token leaves the address bar and the history's last entry.
    response = RedirectResponse("/", status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, session, httponly=True, samesite="strict", path="/", secure=secure
    )
    return response


async def start(request: Request) -> Response:
    site = site_of(request)
    return page(
        request,
        "upload.html",
        targets=list(site.targets.values()),
        profiles=[(p.name, p.title) for p in builtin_profiles()],
        accepted=ACCEPTED,
        demo=site.demo_export is not None,
        max_mb=site.max_upload // 1_000_000,
        who=request.cookies.get(WHO_COOKIE, ""),
        waiting=await run_in_threadpool(unknown.counts, site),
    )


async def upload(request: Request) -> Response:
    site = site_of(request)
    try:
        found = await read_upload(request, site, check_form_token=True)
        if isinstance(found, Response):
            return found
        run = await run_in_threadpool(site.store.add, *found)
    finally:
        await request.close()  # the upload's spooled file
    response = RedirectResponse(f"/runs/{run.id}", status_code=303)
    if run.who:
        response.set_cookie(WHO_COOKIE, run.who, httponly=True, samesite="strict", path="/")
    return response


async def history(request: Request) -> Response:
    site = site_of(request)
    runs = site.store.runs()
    again = {r.id for r in runs if site.store.earlier(r)}
    waiting = await run_in_threadpool(unknown.counts, site)
    return page(
        request,
        "history.html",
        runs=runs,
        again=again,
        waiting={name: n for name, n in waiting.items() if n},
    )


async def review(request: Request) -> Response:
    site = site_of(request)
    run = found_run(request)
    if isinstance(run, Response):
        return run
    if run.stale:  # loaded after a restart: planned again, as the journal may know more now
        await run_in_threadpool(site.store.replan, run)
    w = words(chosen_lang(request, site.lang))
    problems_only = request.query_params.get("problems") == "1"
    page_no = _page(request.query_params.get("page", "0"))
    report = run.report
    table, count = (
        view.rows(report, w, problems_only=problems_only, page=page_no)
        if report is not None
        else ([], 0)
    )
    context: dict[str, Any] = {
        "run": run,
        "report": report,
        "table": table,
        "count": count,
        "page_no": page_no,
        "pages": max(1, -(-count // view.PAGE_ROWS)),
        "problems_only": problems_only,
        "earlier": site.store.earlier(run),
        "already": request.query_params.get("already") == "1",
    }
    if run.refused is not None:
        context["profiles"] = [(p.name, p.title) for p in builtin_profiles()]
    if run.plan is not None:
        context["fates"] = view.fates(run.plan)
        context["sending"] = view.to_send(run.plan)
    if run.result is not None:
        context["outcomes"] = view.outcomes(run.result)
    if run.state == "sending":
        context["live"] = events.snapshot(run, w)
    if run.state in ("done", "stopped", "interrupted"):
        found = await run_in_threadpool(_waiting_of, run)
        context.update(waiting=unknown.rows(found, w), told=unknown.told(request, w))
    name = {"sending": "sending.html", "done": "results.html", "stopped": "results.html"}
    if report is None and run.refused is None:  # loaded after a restart: its counts only
        return page(request, "kept.html", **context)
    return page(request, name.get(run.state, "review.html"), **context)


def _waiting_of(run: Run) -> list[Any]:
    """The run's payments waiting to be resolved; none when its journal cannot be read (the
    client's own list says why)."""
    from importer.errors import JournalError

    try:
        return unknown.of_run(run)
    except JournalError:
        return []


async def send(request: Request) -> Response:
    site = site_of(request)
    posted = await posted_run(request)
    if isinstance(posted, Response):
        return posted
    run, _form = posted
    if run.stale:  # a review from before a restart: plan it again and show it, send nothing
        await run_in_threadpool(site.store.replan, run)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)
    started = site.store.send(run.id, chosen_lang(request, site.lang))
    # A reload, a double click or a second tab lands here too: it sends nothing, and says so
    # (a client without credentials is told so on the review page itself).
    told = "" if started or run.target.api is None else "?already=1"
    return RedirectResponse(f"/runs/{run.id}{told}", status_code=303)


async def again(request: Request) -> Response:
    """A file that was not recognised, read again as the profile the accountant chose."""
    site = site_of(request)
    posted = await posted_run(request)
    if isinstance(posted, Response):
        return posted
    run, form = posted
    profile = str(form.get("profile") or "")
    if run.removed:
        return PlainTextResponse("404: no such run", status_code=404)
    if profile not in builtin_names():
        return _bad(request, f"no profile {profile!r}")
    read = await run_in_threadpool(site.store.again, run, profile)
    return RedirectResponse(f"/runs/{read.id}", status_code=303)


async def workbook(request: Request) -> Response:
    run = named_run(request)
    if run is None or run.workbook is None:
        return PlainTextResponse("404: no workbook for this run", status_code=404)
    return FileResponse(run.workbook, media_type=WORKBOOK_TYPE, filename=run.workbook.name)


async def plan_workbook(request: Request) -> Response:
    """The plan as the workbook `run --dry-run` writes: its Needs attention sheet holds the
    problem rows, to correct and import again."""
    from importer.workbook import stream_workbook

    site = site_of(request)
    run = named_run(request)
    if run is None or run.plan is None:
        return PlainTextResponse("404: no plan for this run", status_code=404)
    book = io.BytesIO()
    await run_in_threadpool(stream_workbook, run.plan, book, chosen_lang(request, site.lang))
    stem = run.file_name.rsplit(".", 1)[0]
    # As FileResponse names the other download: a header is Latin-1, so a name with any
    # other letter (Łódź) goes as RFC 6266's filename*.
    name = f"{stem}-plan.xlsx"
    quoted = quote(name)
    named = f'filename="{name}"' if quoted == name else f"filename*=utf-8''{quoted}"
    return Response(
        book.getvalue(),
        media_type=WORKBOOK_TYPE,
        headers={"content-disposition": f"attachment; {named}"},
    )


async def posted_form(request: Request) -> FormData | Response:
    """The form of a POST, once its form token is right; else a 403. One file at most."""
    form = await request.form(max_files=1, max_fields=16)
    session = request.scope.get("state", {}).get("session", "")
    given = form.get(FORM_FIELD)
    if not isinstance(given, str) or not site_of(request).access.form_ok(session, given):
        return PlainTextResponse("403: the form is out of date; reload the page", status_code=403)
    return form


async def posted_run(request: Request) -> tuple[Run, FormData] | Response:
    """The run a POST names and its form, once the form token is right (else 403); 404 for
    a run the store does not have."""
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    run = found_run(request)
    if isinstance(run, Response):
        return run
    return run, form


def found_run(request: Request) -> Run | Response:
    """The run the address names, or the page's 404."""
    run = named_run(request)
    if run is None:
        return PlainTextResponse("404: no such run", status_code=404)
    return run


async def read_upload(request: Request, site: Site, *, check_form_token: bool) -> Upload | Response:
    """The uploaded file (or the demo export), its client and profile, from a form."""
    form = await (posted_form(request) if check_form_token else request.form(max_files=1))
    if isinstance(form, Response):
        return form
    client = str(form.get("client") or next(iter(site.targets)))
    target = site.targets.get(client)
    if target is None:
        return _bad(request, f"no client {client!r}")
    profile = str(form.get("profile") or "") or None
    who = " ".join(str(form.get("who") or "").split())[:80]
    # Only a built-in profile's name: a path from a browser would read the server's files.
    if profile is not None and profile not in builtin_names():
        return _bad(request, f"no profile {profile!r}")
    file = form.get("file")
    if form.get("demo") and site.demo_export is not None:
        data = io.BytesIO(site.demo_export.read_bytes())
        return site.demo_export.name, data, target, profile, who
    if not isinstance(file, UploadFile) or not file.filename:
        return _bad(request, "choose the bank export to upload")
    return file.filename, file.file, target, profile, who


def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """A page in the reader's language, with the form token its forms carry."""
    site = site_of(request)
    lang = chosen_lang(request, site.lang)
    session = request.scope.get("state", {}).get("session", "")
    response = templates().TemplateResponse(
        request,
        name,
        {
            "w": words(lang),
            "lang": lang,
            "langs": LANGS,
            "form_token": site.access.form_token(session) if session else "",
            "form_field": FORM_FIELD,
            **context,
        },
        status_code=status,
    )
    asked = request.query_params.get("lang")
    if asked in LANGS:
        response.set_cookie(LANG_COOKIE, asked, httponly=True, samesite="strict", path="/")
    return response


def chosen_lang(request: Request, default: Lang) -> Lang:
    """?lang=, else the switch's cookie, else the browser's Accept-Language, else `default`."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        for lang in LANGS:
            if value == lang:
                return lang
    return accepted_lang(request.headers.get("accept-language", "")) or default


def accepted_lang(header: str) -> Lang | None:
    """The first of fi, sv, en in an Accept-Language header, by its q-values."""
    ranked = []
    for order, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-q, order, tag.split("-")[0].strip().lower()))
    for _q, _order, code in sorted(ranked):
        for lang in LANGS:
            if code == lang:
                return lang
    return None


def _bad(request: Request, why: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": why}, status_code=400)
    return PlainTextResponse(f"400: {why}", status_code=400)


def _page(text: str) -> int:
    return int(text) if text.isdigit() else 0
