"""The app: routes from each page module, the guard in front, errors as pages.

Takes a loaded catalogue and the server's ``Settings``; gives a Starlette
app. Every error a request can cause is answered with a page (or JSON for
the JSON routes) and a 4xx/5xx status; a bug is a plain 500 page, never a
traceback, and the server goes on serving.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from cuecast.catalogue import Catalogue
from cuecast.web import assets, home, session, track
from cuecast.web.guard import Guard, RateLimits
from cuecast.web.library import Library
from cuecast.web.pages import Web, error_page
from cuecast.web.sessions import Sessions, Settings

log = logging.getLogger("cuecast.web")


def create_app(catalogue: Catalogue, settings: Settings, *, warm: bool = True) -> Starlette:
    """The app for ``catalogue``; ``warm`` plans every track in the background
    at start-up (the home page's lengths, and a warm speech cache)."""
    sessions = Sessions(Library(catalogue), settings)
    limits = RateLimits({"requests": settings.requests_per_minute,
                         "renders": settings.renders_per_minute,
                         "plans": settings.plans_per_minute})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=sessions.warm, name="cuecast-warm", daemon=True).start()
        yield
        sessions.close()

    app = Starlette(
        routes=[*home.routes, *track.routes, *session.routes, *assets.routes],
        middleware=[Middleware(Guard, max_body_bytes=settings.max_body_bytes,
                               limits=limits)],
        exception_handlers={HTTPException: _http_error, Exception: _bug},  # type: ignore[dict-item]
        lifespan=lifespan,
    )
    app.state.web = Web(catalogue, sessions, limits)
    return app


async def _http_error(request: Request, exc: HTTPException) -> Response:
    messages = {404: "There is nothing here.", 405: "That cannot be done here."}
    text = exc.detail if exc.detail and exc.detail not in ("Not Found", "Method Not Allowed") \
        else messages.get(exc.status_code, "That request could not be answered.")
    return error_page(request, exc.status_code, text, exc.headers)


async def _bug(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500, "Something went wrong on our side. "
                      "Please try again in a moment.")
