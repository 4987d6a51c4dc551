"""``/``: the catalogue's tracks, each with its length and description."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cuecast.web.pages import page, web


async def index(request: Request) -> Response:
    sessions = web(request).sessions
    rows = []
    for view in sessions.library.tracks.values():
        try:
            total_s = sessions.known_total_s(sessions.library.choose(view, {}))
        except Exception:  # noqa: BLE001  a broken track still gets its link
            total_s = None
        rows.append((view, total_s))
    return page(request, "home.html", rows=rows)


routes = [Route("/", index, methods=["GET", "HEAD"])]
