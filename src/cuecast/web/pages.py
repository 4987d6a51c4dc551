"""What every page shares: the app's state, the templates, small helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from cuecast.catalogue import Catalogue
from cuecast.units import clock
from cuecast.web.guard import RateLimits, client_of
from cuecast.web.library import TrackView
from cuecast.web.sessions import Sessions

templates = jinja2.Environment(
    loader=jinja2.PackageLoader("cuecast.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["clock"] = clock


@dataclass(frozen=True)
class Web:
    """What the routes use: set on ``app.state.web``."""

    catalogue: Catalogue
    sessions: Sessions
    limits: RateLimits


def web(request: Request) -> Web:
    return request.app.state.web


def page(request: Request, name: str, status: int = 200,
         headers: Mapping[str, str] | None = None, **context: Any) -> Response:
    html = templates.get_template(name).render(
        series=web(request).catalogue.series, **context)
    return HTMLResponse(html, status, headers=dict(headers or {}))


ERROR_TITLES = {
    400: "Request not understood", 404: "Not found", 405: "Not allowed here",
    409: "Still being made", 415: "Request not understood", 429: "Too many requests",
    500: "Something went wrong",
}
"""What an error page's title and heading say happened, by status: a screen
reader's first words on it (the series follows in the title)."""


def error_title(status: int) -> str:
    if status in ERROR_TITLES:
        return ERROR_TITLES[status]
    try:
        phrase = HTTPStatus(status).phrase  # "Payload Too Large" -> "Payload too large"
    except ValueError:
        return "Error"
    return phrase[:1] + phrase[1:].lower()


def error_page(request: Request, status: int, message: str,
               headers: Mapping[str, str] | None = None) -> Response:
    """The error page for ``status``: ``message`` says what to do, its
    title what happened ("Not found · SERIES")."""
    return page(request, "error.html", status, headers=headers, message=message,
                what=error_title(status))


def track_of(request: Request) -> TrackView:
    """The track named in the URL: looked up in the catalogue, never a path."""
    view = web(request).sessions.library.get(request.path_params["track_id"])
    if view is None:
        raise HTTPException(404, "There is no such session in this catalogue.")
    return view


async def rate_limited(request: Request, name: str, *,
                       as_json: bool = False) -> Response | None:  # fmt: skip
    wait_s = await web(request).limits.allow(name, client_of(request.scope))
    if not wait_s:
        return None
    message = "Too many requests; please wait a moment and try again."
    headers = {"Retry-After": str(wait_s)}
    if as_json:
        return JSONResponse({"error": message}, 429, headers=headers)
    return error_page(request, 429, message, headers)
