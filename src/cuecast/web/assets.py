"""The pages' own files: styles, script, service worker, app manifest, icons, covers.

``/app.css``, ``/app.js``, ``/sw.js`` (the service worker, at the root so
that it may keep every page), ``/icon-192.png`` and ``/icon-512.png`` are
fixed names read once from the package; ``/manifest.webmanifest`` is the
series' (its title, language and colours) and ``/t/ID/cover`` a track's
cover (the script's own, else the series'), looked up by the track's id.
Nothing in a URL names a file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cuecast.web.pages import track_of, web

_ASSETS = {
    "/app.css": ("app.css", "text/css; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/sw.js": ("sw.js", "text/javascript; charset=utf-8"),
    "/icon-192.png": ("icon-192.png", "image/png"),
    "/icon-512.png": ("icon-512.png", "image/png"),
}
_BODIES = {url: (files("cuecast.web").joinpath("templates").joinpath(name).read_bytes(), kind)
           for url, (name, kind) in _ASSETS.items()}
THEME = "#0b5c8a"
BACKGROUND = "#fbfaf7"


async def asset(request: Request) -> Response:
    body, kind = _BODIES[request.url.path]
    # the service worker is checked for updates on every visit; the rest for an hour
    cache = "no-cache" if request.url.path == "/sw.js" else "public, max-age=3600"
    return Response(body, media_type=kind, headers={"Cache-Control": cache})


async def manifest(request: Request) -> Response:
    """The web app manifest: installable, opens on the list of sessions."""
    series = web(request).catalogue.series
    return JSONResponse({
        "name": series.title,
        "short_name": series.title[:24],
        "description": series.description[:300],
        "lang": series.language,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND,
        "theme_color": THEME,
        "icons": [{"src": f"/icon-{n}.png", "sizes": f"{n}x{n}", "type": "image/png",
                   "purpose": "any"} for n in (192, 512)],
    }, media_type="application/manifest+json", headers={"Cache-Control": "public, max-age=3600"})


async def cover(request: Request) -> Response:
    view = track_of(request)
    path = view.cover
    if path is None:
        raise HTTPException(404, "This session has no cover.")
    kind = "image/png" if Path(path).suffix.lower() == ".png" else "image/jpeg"
    return Response(Path(path).read_bytes(), media_type=kind,
                    headers={"Cache-Control": "public, max-age=3600"})


routes = [
    *(Route(url, asset, methods=["GET", "HEAD"]) for url in _ASSETS),
    Route("/manifest.webmanifest", manifest, methods=["GET", "HEAD"]),
    Route("/t/{track_id}/cover", cover, methods=["GET", "HEAD"], name="cover"),
]
