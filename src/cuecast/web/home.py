"""``/``: one card per track (cover, length, description, the timeline's
picture), and what is kept on this device; ``/kept``: the sessions kept on
this device (the page's script lists and plays them from the browser's
storage, with no network)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cuecast.picture import describe, timeline_svg
from cuecast.web.library import TrackView
from cuecast.web.pages import page, web


async def index(request: Request) -> Response:
    sessions = web(request).sessions
    cards: list[tuple[TrackView, float | None, str | None, str]] = []
    for view in sessions.library.tracks.values():
        try:
            timeline = sessions.known_timeline(sessions.library.choose(view, {}))
        except Exception:  # noqa: BLE001  a broken track still gets its card
            timeline = None
        if timeline is None:  # not planned yet: the page's script asks for it
            cards.append((view, None, None, ""))
            continue
        data = timeline.to_json()
        text = describe(data, view.title)
        cards.append((view, timeline.duration_s, timeline_svg(data, text), text))
    return page(request, "home.html", cards=cards)


async def kept(request: Request) -> Response:
    return page(request, "kept.html")


routes = [Route("/", index, methods=["GET", "HEAD"]),
          Route("/kept", kept, methods=["GET", "HEAD"], name="kept")]
