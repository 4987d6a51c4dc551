"""A track's page: what the session is like, its values, the total, "Make my session".

``GET /t/ID`` shows the cover, the description, the timeline's picture
and chapters, the form and the total; its query may carry values (a
shared link: ``?profile=gentle&hold=45``) or a length to fit to
(``?length=20m``, the "Fit to my time" form without JavaScript). ``POST
/t/ID`` checks the form and redirects (303) to the session's page, or
shows the page again with the loader's message (4xx). For the page's
script: ``GET /t/ID/length?...`` plans those values and gives the total,
the picture, its description and the chapters as JSON (no rendering);
``GET /t/ID/fit?length=20m&profile=...`` fits the values to a length
(``cuecast.fit``, as ``cuecast plan --length``) and gives them with the
same.
A track that offers voices (the catalogue's ``voices``) has a voice choice
on its form, each voice with a short sample, ``GET /t/ID/voice/NAME.mp3``
(a fixed sentence in the script's language, made once and kept in the
speech cache's ``samples/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cuecast.errors import InputError
from cuecast.fit import Fitted, fit_length
from cuecast.picture import chapters, describe, timeline_svg
from cuecast.request import parse_length
from cuecast.script import describe_vars
from cuecast.timeline import Timeline
from cuecast.units import clock
from cuecast.web.jobs import QueueFull
from cuecast.web.library import BadChoice, Choice, TrackView
from cuecast.web.pages import error_page, page, rate_limited, track_of, web
from cuecast.web.sessions import Sessions

MAX_FIELDS = 64
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LENGTH_KEY = "length"


async def show(request: Request) -> Response:
    view = track_of(request)
    sessions = web(request).sessions
    query = dict(request.query_params)
    if len(query) > MAX_FIELDS:
        return error_page(request, 400, "Too many values.")
    query.pop(LENGTH_KEY, None)
    # a length button and the typed length both send "length": the first given wins
    length_text = next((v.strip() for v in request.query_params.getlist(LENGTH_KEY)
                        if v.strip()), "")
    fitted: Fitted | None = None
    try:
        if length_text:
            limited = await rate_limited(request, "plans")
            if limited is not None:
                return limited
            fitted = await run_in_threadpool(_fit, sessions, view,
                                             query.get("profile", view.default_profile),
                                             length_text)
            query = {"profile": query.get("profile", view.default_profile),
                     **_shown(view, fitted.values)}
        choice = await run_in_threadpool(sessions.library.choose, view, query)
    except BadChoice as bad:
        return _form(request, view, query.get("profile", view.default_profile), query, None,
                     bad, status=bad.status, length_text=length_text)
    try:
        timeline: Timeline | None = await run_in_threadpool(sessions.timeline, choice)
    except BadChoice:
        timeline = None
    return _form(request, view, choice.profile, choice.values, timeline,
                 fitted=fitted, length_text=length_text, voice=choice.voice)


async def make(request: Request) -> Response:
    view = track_of(request)
    limited = await rate_limited(request, "renders")
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
                     form, None, bad, status=bad.status, voice=form.get("voice", ""))
    try:
        await run_in_threadpool(sessions.start, choice)
    except QueueFull as full:
        return page(request, "busy.html", 503, headers={"Retry-After": str(full.retry_after_s)},
                    view=view, retry_after_s=full.retry_after_s)
    return RedirectResponse(request.url_for("session", track_id=view.id, key=choice.key),
                            status_code=303)


async def length(request: Request) -> Response:
    """The plan of these values: total, picture, description, chapters."""
    view = track_of(request)
    limited = await rate_limited(request, "plans", as_json=True)
    if limited is not None:
        return limited
    if len(request.query_params) > MAX_FIELDS:
        return JSONResponse({"error": "Too many values."}, 400)
    query = dict(request.query_params)
    sessions = web(request).sessions
    try:
        choice = await run_in_threadpool(sessions.library.choose, view, query)
        timeline = await run_in_threadpool(sessions.timeline, choice)
    except BadChoice as bad:
        return JSONResponse({"error": bad.message, "field": bad.field}, bad.status)
    return JSONResponse(_planned(view, choice, timeline))


async def fit(request: Request) -> Response:
    """Values that make the session as long as asked (or the nearest)."""
    view = track_of(request)
    limited = await rate_limited(request, "plans", as_json=True)
    if limited is not None:
        return limited
    query = request.query_params
    if set(query) - {LENGTH_KEY, "profile"}:
        return JSONResponse({"error": "This takes a length and a profile only."}, 400)
    sessions = web(request).sessions
    profile = query.get("profile", view.default_profile)
    try:
        fitted = await run_in_threadpool(_fit, sessions, view, profile,
                                         query.get(LENGTH_KEY, ""))
        choice = await run_in_threadpool(
            sessions.library.choose, view, {"profile": profile, **_shown(view, fitted.values)})
        timeline = await run_in_threadpool(sessions.timeline, choice)
    except BadChoice as bad:
        return JSONResponse({"error": bad.message, "field": bad.field}, bad.status)
    return JSONResponse({**_planned(view, choice, timeline), "reached": fitted.reached,
                         "message": fit_message(fitted)})


def _fit(sessions: Sessions, view: TrackView, profile: str, length_text: str) -> Fitted:
    """``cuecast.fit`` with this server's plans (cached per session key),
    from the profile's values, every field free: ``cuecast plan --profile P
    --length L`` chooses the same."""
    try:
        asked_s = parse_length(length_text.strip() or "?").seconds
    except InputError as err:
        text = err.message.split(": ", 1)[-1]
        raise BadChoice(f"Length: {text}. Write it like 20m, 45m or 1:00:00.",
                        LENGTH_KEY) from None
    if profile and profile not in view.profiles:
        raise BadChoice(f"There is no profile called '{profile[:40]}' for this session.")
    names = {f.name for f in view.fields}
    infos = [i for i in describe_vars(view.track.script, profile=profile or None,
                                      sets=view.track.sets,
                                      allow_outside=sessions.library.catalogue.allow_outside)
             if i.name in names]

    def planner(values: Mapping[str, str]) -> float:
        return sessions.total_s(sessions.library.choose(
            view, {"profile": profile, **_shown(view, values)}))

    return fit_length(asked_s, infos, planner)


def fit_message(fitted: Fitted) -> str:
    asked, got = clock(fitted.asked_s), clock(fitted.total_s)
    if fitted.reached:
        return f"Fitted to {asked}: these values make {got}."
    if not fitted.values:
        return f"This session cannot change its length; it is {got}."
    side = "shortest" if fitted.total_s > fitted.asked_s else "longest"
    return f"This session cannot be {asked} long. The {side} it can be is {got}: " \
           "these are its values."


def _shown(view: TrackView, values: Mapping[str, str]) -> dict[str, str]:
    """Fitted texts as the inputs show them (a duration in seconds: ``45``)."""
    out = {}
    for name, text in values.items():
        field = view.field(name)
        out[name] = text[:-1] if field is not None and field.kind == "duration" \
            and text.endswith("s") else text
    return out


def _planned(view: TrackView, choice: Choice, timeline: Timeline) -> dict[str, Any]:
    data = timeline.to_json()
    text = describe(data, view.title)
    return {"total_s": round(timeline.duration_s, 3), "total": clock(timeline.duration_s),
            "values": dict(choice.values), "picture": timeline_svg(data, text),
            "description": text, "chapters": chapters(data),
            "share": share_link(view, choice.profile, choice.values)}


def share_link(view: TrackView, profile: str, values: Mapping[str, str]) -> str:
    """The page's address with these values: a link to "my session"."""
    query = {"profile": profile, **{f.name: values.get(f.name, "") for f in view.fields}}
    return f"/t/{view.id}?{urlencode(query)}"


async def voice_sample(request: Request) -> Response:
    """A voice the track offers, saying a fixed sentence in its language."""
    from cuecast import samples
    from cuecast.voices.cache import cache_dir

    view = track_of(request)
    voice = request.path_params["voice"]
    if voice not in view.voices:
        raise HTTPException(404, "This session offers no such voice.")
    limited = await rate_limited(request, "plans")
    if limited is not None:
        return limited
    path = await run_in_threadpool(samples.sample_file, cache_dir() / "samples", voice,
                                   view.language)  # fmt: skip
    return FileResponse(path, media_type="audio/mpeg",
                        headers={"Cache-Control": "public, max-age=86400"})


async def _form_fields(request: Request) -> dict[str, str] | Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORM_TYPES:
        return error_page(request, 415, "This page takes its form, sent by the browser.")
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except Exception:  # noqa: BLE001  the form parser's errors: a malformed body
        return error_page(request, 400, "That form could not be read.")
    if any(isinstance(v, UploadFile) for v in form.values()):
        return error_page(request, 400, "This form takes no files.")
    return {k: str(v) for k, v in form.items()}


def _form(request: Request, view: TrackView, profile: str, values: Mapping[str, str],
          timeline: Timeline | None, bad: BadChoice | None = None, status: int = 200, *,
          fitted: Fitted | None = None, length_text: str = "", voice: str = "") -> Response:
    shown = {f.name: values.get(f.name, f.values.get(profile, "")) for f in view.fields}
    data = timeline.to_json() if timeline is not None else None
    text = describe(data, view.title) if data is not None else ""
    chosen = voice if voice in view.voices else (view.voices[0] if view.voices else "")
    return page(request, "track.html", status, view=view, profile=profile, values=shown,
                voice=chosen,
                total_s=timeline.duration_s if timeline is not None else None,
                picture=timeline_svg(data, text) if data is not None else None,
                description=text, chapters=chapters(data) if data is not None else [],
                error=bad.message if bad else None,
                error_field=bad.field if bad else None,
                fitted=fit_message(fitted) if fitted else None, length_text=length_text,
                lengths=[(_length_label(s), _length_value(s)) for s in view.lengths_s],
                share=share_link(view, profile, shown),
                profile_values={p: {f.name: f.values.get(p, "") for f in view.fields}
                                for p in ("", *view.profiles)})


def _length_label(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else clock(seconds)


def _length_value(seconds: float) -> str:
    return f"{seconds / 60:g}m" if seconds % 60 == 0 else f"{seconds:g}s"


routes = [
    Route("/t/{track_id}", show, methods=["GET", "HEAD"], name="track"),
    Route("/t/{track_id}", make, methods=["POST"]),
    Route("/t/{track_id}/length", length, methods=["GET"], name="length"),
    Route("/t/{track_id}/fit", fit, methods=["GET"], name="fit"),
    Route("/t/{track_id}/voice/{voice}.mp3", voice_sample, methods=["GET", "HEAD"],
          name="voice_sample"),
]
