"""The JSON API beside the pages, for scripts: the same runs, the same store, bearer token.

POST /api/runs (multipart `file`, optional `client`, `profile`, `who`) plans a run: 201 with its id,
state and the counts and sums per fate; GET /api/runs/{id} its state; POST
/api/runs/{id}/send starts it (202), 409 when it was already sent; POST /api/runs/{id}/stop
stops a sending run after the requests in flight (202), 409 when it is not sending; GET
/api/runs/{id}/workbook the workbook once done. A run loaded after a restart answers with its
recorded counts (`outcomes`), or planned again. Money is a string ("125.00"), never a float.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from importer.web import view
from importer.web.app import named_run, site_of
from importer.web.pages import WORKBOOK_TYPE, posted_form, read_upload
from importer.web.runs import Run


def routes() -> list[Route]:
    return [
        Route("/api/runs", create, methods=["POST"]),
        Route("/api/runs/{run_id}", show, methods=["GET"]),
        Route("/api/runs/{run_id}/send", send, methods=["POST"]),
        Route("/api/runs/{run_id}/stop", stop, methods=["POST"]),
        Route("/api/runs/{run_id}/workbook", workbook, methods=["GET"]),
    ]


async def create(request: Request) -> Response:
    site = site_of(request)
    try:
        upload = await read_upload(request, site, check_form_token=not _bearer(request))
        if isinstance(upload, Response):
            return upload
        run = await run_in_threadpool(site.store.add, *upload)
    finally:
        await request.close()  # the upload's spooled file
    return JSONResponse(described(run), status_code=201 if run.plan is not None else 422)


async def show(request: Request) -> Response:
    run = named_run(request)
    if run is None:
        return JSONResponse({"error": "no such run"}, status_code=404)
    if run.stale:  # loaded after a restart: the journal may know more now
        await run_in_threadpool(site_of(request).store.replan, run)
    return JSONResponse(described(run))


async def posted_run(request: Request) -> Run | Response:
    """The run a POST names: a browser's session shows its form token, as for every form;
    404 for a run this server does not know."""
    if not _bearer(request):
        form = await posted_form(request)
        if isinstance(form, Response):
            return form
    run = named_run(request)
    return JSONResponse({"error": "no such run"}, status_code=404) if run is None else run


async def send(request: Request) -> Response:
    site = site_of(request)
    run = await posted_run(request)
    if isinstance(run, Response):
        return run
    if run.stale:  # loaded after a restart: what it sends is planned now, as the page shows
        await run_in_threadpool(site.store.replan, run)
    if not site.store.send(run.id):
        why = run.target.refused if run.target.api is None else "the run was already sent"
        if run.state == "interrupted":
            why = "the server stopped while sending it: upload the file again to send the rest"
        return JSONResponse({**described(run), "error": why}, status_code=409)
    return JSONResponse(described(run), status_code=202)


async def stop(request: Request) -> Response:
    """Stop after the requests in flight, as the page's button: 202, or 409 when not sending."""
    site = site_of(request)
    run = await posted_run(request)
    if isinstance(run, Response):
        return run
    if not site.store.stop(run.id):
        return JSONResponse({**described(run), "error": "the run is not sending"}, status_code=409)
    return JSONResponse(described(run), status_code=202)


async def workbook(request: Request) -> Response:
    run = named_run(request)
    if run is None:
        return JSONResponse({"error": "no such run"}, status_code=404)
    if run.workbook is None:
        return JSONResponse({"error": "no workbook yet", "state": run.state}, status_code=409)
    return FileResponse(run.workbook, media_type=WORKBOOK_TYPE, filename=run.workbook.name)


def described(run: Run) -> dict[str, Any]:
    """A run as the API shows it: never the apicode, never a path of the server."""
    found: dict[str, Any] = {
        "id": run.id,
        "state": run.state,
        "file": run.file_name,
        "sha256": run.sha256,
        "client": run.target.name,
        "who": run.who,
        "environment": run.target.environment,
        "uploaded_at": run.uploaded_at.isoformat(),
        "progress": {"done": run.progress.done, "total": run.progress.total},
    }
    if run.state == "interrupted":
        found["message"] = (
            "the server stopped while sending; what was sent is in the journal: upload the "
            "file again to send the rest, or resolve the unknown ones"
        )
    if run.refused or run.note:
        found["message"] = run.refused or run.note
    if run.plan is not None:
        found["plan"] = {line.name: _line(line) for line in view.fates(run.plan)}
        found["balanced"] = run.plan.balanced
    if run.result is not None:
        found["outcomes"] = {line.name: _line(line) for line in view.outcomes(run.result)}
        found["balanced"] = run.result.balanced
    elif run.plan is None and run.kept is not None:  # loaded: what its record kept
        sent = run.state in ("done", "stopped")
        found["outcomes" if sent else "plan"] = {line.name: _line(line) for line in run.kept.lines}
        found["balanced"] = run.kept.balanced
    if run.workbook is not None:
        found["workbook"] = run.workbook.name
    return found


def _line(line: view.Line) -> dict[str, Any]:
    return {"rows": line.rows, "sum": str(line.total)}


def _bearer(request: Request) -> bool:
    return bool(request.scope.get("state", {}).get("bearer"))
