"""A track's page: its values as labelled inputs, the total, "Make my session".

``GET /t/ID`` shows the form; ``POST /t/ID`` checks it and redirects (303)
to the session's page, or shows the page again with the loader's message
(4xx); ``GET /t/ID/length?...`` gives the total length of those values as
JSON, for the page's live total.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cuecast.web.jobs import QueueFull
from cuecast.web.library import BadChoice, TrackView, clock
from cuecast.web.pages import page, rate_limited, track_of, web

MAX_FIELDS = 64
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def show(request: Request) -> Response:
    view = track_of(request)
    sessions = web(request).sessions
    choice = await run_in_threadpool(sessions.library.choose, view, {})
    try:
        total_s: float | None = await run_in_threadpool(sessions.total_s, choice)
    except BadChoice:
        total_s = None
    return _form(request, view, choice.profile, choice.values, total_s)


async def make(request: Request) -> Response:
    view = track_of(request)
    limited = rate_limited(request, "renders")
    if limited is not None:
        return limited
    form = await _form_fields(request)
    if isinstance(form, Response):
        return form
    sessions = web(request).sessions
    try:
        choice = await run_in_threadpool(sessions.library.choose, view, form)
    except BadChoice as bad:
        return _form(request, view, form.get("profile", view.default_profile),
                     form, None, bad, status=bad.status)
    try:
        await run_in_threadpool(sessions.start, choice)
    except QueueFull as full:
        return page(request, "busy.html", 503, headers={"Retry-After": str(full.retry_after_s)},
                    view=view, retry_after_s=full.retry_after_s)
    return RedirectResponse(request.url_for("session", track_id=view.id, key=choice.key),
                            status_code=303)


async def length(request: Request) -> Response:
    view = track_of(request)
    limited = rate_limited(request, "plans", as_json=True)
    if limited is not None:
        return limited
    if len(request.query_params) > MAX_FIELDS:
        return JSONResponse({"error": "Too many values."}, 400)
    query = dict(request.query_params)
    sessions = web(request).sessions
    try:
        choice = await run_in_threadpool(sessions.library.choose, view, query)
        total_s = await run_in_threadpool(sessions.total_s, choice)
    except BadChoice as bad:
        return JSONResponse({"error": bad.message, "field": bad.field}, bad.status)
    return JSONResponse({"total_s": round(total_s, 3), "total": clock(total_s),
                         "values": dict(choice.values)})


async def _form_fields(request: Request) -> dict[str, str] | Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORM_TYPES:
        return page(request, "error.html", 415,
                    message="This page takes its form, sent by the browser.")
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except Exception:  # noqa: BLE001  the form parser's errors: a malformed body
        return page(request, "error.html", 400, message="That form could not be read.")
    if any(isinstance(v, UploadFile) for v in form.values()):
        return page(request, "error.html", 400, message="This form takes no files.")
    return {k: str(v) for k, v in form.items()}


def _form(request: Request, view: TrackView, profile: str, values: Mapping[str, str],
          total_s: float | None, bad: BadChoice | None = None, status: int = 200) -> Response:
    shown = {f.name: values.get(f.name, f.values.get(profile, "")) for f in view.fields}
    return page(request, "track.html", status, view=view, profile=profile, values=shown,
                total_s=total_s, error=bad.message if bad else None,
                error_field=bad.field if bad else None,
                profile_values={p: {f.name: f.values.get(p, "") for f in view.fields}
                                for p in ("", *view.profiles)})


routes = [
    Route("/t/{track_id}", show, methods=["GET", "HEAD"], name="track"),
    Route("/t/{track_id}", make, methods=["POST"]),
    Route("/t/{track_id}/length", length, methods=["GET"], name="length"),
]


