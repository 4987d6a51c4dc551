"""``/app.css`` and ``/app.js``: the pages' only assets, from the package.

Fixed names read once from the package; nothing in a URL names a file.
"""

from __future__ import annotations

from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_ASSETS = {
    "/app.css": ("app.css", "text/css; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
}
_BODIES = {url: (files("cuecast.web").joinpath("templates").joinpath(name).read_bytes(), kind)
           for url, (name, kind) in _ASSETS.items()}


async def asset(request: Request) -> Response:
    body, kind = _BODIES[request.url.path]
    return Response(body, media_type=kind, headers={"Cache-Control": "public, max-age=3600"})


routes = [Route(url, asset, methods=["GET", "HEAD"]) for url in _ASSETS]
