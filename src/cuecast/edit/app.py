"""The editor's app: the page, its assets, and the JSON it talks to.

Takes a folder, the render options (engine, voice...) and the secret
token; gives a Starlette app behind ``TokenGuard`` (the link's secret)
and the listener's page's ``Guard`` (body size, security headers). Every
file a request names is a name in the folder, checked by
``files.Folder.resolve``; audio is looked up by a check's key and a
number, never by a path. Blocking work (checks, speech, mixing) runs in
the thread pool.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from importlib.resources import files as package_files
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from cuecast.edit.check import Checked, Checker
from cuecast.edit.files import Conflict, Folder, NotFound, PathRefused
from cuecast.edit.hear import Pieces, Renders, line_audio
from cuecast.edit.token import TokenGuard
from cuecast.errors import CuecastError
from cuecast.request import Options
from cuecast.web.guard import Guard, RateLimits

MAX_BODY_BYTES = 2 * 1024 * 1024
_KEY = re.compile(r"^[0-9a-f]{32}$")
_STATIC = {
    "edit.js": "text/javascript", "edit.css": "text/css",
    "codemirror/codemirror.js": "text/javascript", "codemirror/codemirror.css": "text/css",
    "codemirror/yaml.js": "text/javascript", "codemirror/search.js": "text/javascript",
    "codemirror/searchcursor.js": "text/javascript", "codemirror/dialog.js": "text/javascript",
    "codemirror/dialog.css": "text/css", "codemirror/LICENSE": "text/plain",
}  # fmt: skip
"""The only files served from the package, by fixed name."""


@dataclass(frozen=True)
class Editor:
    """What the routes use: set on ``app.state.editor``."""

    folder: Folder
    checker: Checker
    pieces: Pieces
    renders: Renders


def create_app(folder: str | os.PathLike[str], options: Options, token: str) -> Starlette:
    opened = Folder(folder)
    app = Starlette(
        routes=_routes(),
        middleware=[Middleware(TokenGuard, token=token),
                    Middleware(Guard, max_body_bytes=MAX_BODY_BYTES, limits=RateLimits({}))],
        exception_handlers={HTTPException: _http_error},  # type: ignore[dict-item]
    )
    app.state.editor = Editor(opened, Checker(opened, options), Pieces(), Renders(options))
    return app


def _editor(request: Request) -> Editor:
    return request.app.state.editor


Handler = Callable[[Request], Awaitable[Response]]


def _answers(handler: Callable[[Request], Awaitable[Any]]) -> Handler:
    """Runs a route; a dict is JSON, cuecast's errors are JSON with a status."""

    async def route(request: Request) -> Response:
        try:
            result = await handler(request)
        except Conflict as err:
            return JSONResponse({"error": err.message, "conflict": {
                "text": err.disk_text, "version": err.disk_version}}, 409)
        except PathRefused as err:
            return JSONResponse({"error": err.message}, 403)
        except NotFound as err:
            return JSONResponse({"error": err.message}, 404)
        except CuecastError as err:
            return JSONResponse({"error": str(err)}, 400)
        return result if isinstance(result, Response) else JSONResponse(result)

    return route


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, "the request is not JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the request is not a JSON object")
    return body


# -- the page and its files ------------------------------------------------------------


def _asset(name: str) -> bytes:
    return package_files("cuecast.edit").joinpath("static", *name.split("/")).read_bytes()


async def home(request: Request) -> Response:
    return Response(_asset("edit.html"), media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


async def no_icon(request: Request) -> Response:
    return Response(status_code=204)


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    kind = _STATIC.get(name)
    if kind is None:
        raise HTTPException(404)
    return Response(_asset(name), media_type=f"{kind}; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})  # fmt: skip


# -- files -----------------------------------------------------------------------------


@_answers
async def list_files(request: Request) -> dict[str, Any]:
    folder = _editor(request).folder
    return {"folder": folder.root.name, "files": [asdict(e) for e in folder.list()]}


@_answers
async def open_file(request: Request) -> dict[str, Any]:
    folder = _editor(request).folder
    return _opened(folder, folder.open(request.query_params.get("name")))


def _opened(folder: Folder, opened: Any) -> dict[str, Any]:
    return {**asdict(opened), "can_undo": folder.can_undo(opened.name)}


@_answers
async def save(request: Request) -> dict[str, Any]:
    body, folder = await _json(request), _editor(request).folder
    version = await run_in_threadpool(folder.save, body.get("name"), body.get("text"),
                                      str(body.get("version", "")))  # fmt: skip
    return {"version": version, "can_undo": True}


@_answers
async def undo(request: Request) -> dict[str, Any]:
    body, folder = await _json(request), _editor(request).folder
    return _opened(folder, folder.undo(body.get("name")))


@_answers
async def create(request: Request) -> dict[str, Any]:
    body, folder = await _json(request), _editor(request).folder
    return _opened(folder, folder.create(body.get("name")))


@_answers
async def duplicate(request: Request) -> dict[str, Any]:
    body, folder = await _json(request), _editor(request).folder
    return _opened(folder, folder.duplicate(body.get("name"), body.get("to")))


@_answers
async def rename(request: Request) -> dict[str, Any]:
    body, folder = await _json(request), _editor(request).folder
    return _opened(folder, folder.rename(body.get("name"), body.get("to")))


# -- the live check and hearing --------------------------------------------------------


@_answers
async def check(request: Request) -> dict[str, Any]:
    body, editor = await _json(request), _editor(request)
    name, text = body.get("name"), body.get("text")
    editor.folder.resolve(name)
    if not isinstance(text, str):
        raise HTTPException(400, "the text to check is missing")
    report = await run_in_threadpool(editor.checker.check, str(name), text)
    return report


def _checked(request: Request) -> Checked:
    key = request.path_params["key"]
    checked = _editor(request).checker.get(key) if _KEY.match(key) else None
    if checked is None:
        raise HTTPException(404, "that check is no longer kept; check again")
    return checked


def _wav(data: bytes) -> Response:
    return Response(data, media_type="audio/wav",
                    headers={"Cache-Control": "private, max-age=600"})  # fmt: skip


@_answers
async def line(request: Request) -> Response:
    checked = _checked(request)
    _event, data = await run_in_threadpool(line_audio, checked, request.path_params["line"])
    return _wav(data)


@_answers
async def play_from(request: Request) -> Response:
    """The timeline from a point (milliseconds) to the end, as one WAV streamed."""
    checked, pieces = _checked(request), _editor(request).pieces
    start_s = request.path_params["at_ms"] / 1000
    return StreamingResponse(pieces.stream(checked, start_s), media_type="audio/wav",
                             headers={"Cache-Control": "no-store"})  # fmt: skip


@_answers
async def render(request: Request) -> dict[str, Any]:
    body, editor = await _json(request), _editor(request)
    path = editor.folder.resolve(body.get("name"))
    editor.folder.open(body.get("name"))  # there, readable, a script
    return editor.renders.start(str(body.get("name")), path, editor.folder.root).to_json()


@_answers
async def render_state(request: Request) -> dict[str, Any]:
    job = _editor(request).renders.jobs.get(request.path_params["job"])
    if job is None:
        raise HTTPException(404, "no such render")
    return job.to_json()


async def _http_error(request: Request, exc: HTTPException) -> Response:
    return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)


def _routes() -> list[Route]:
    return [
        Route("/", home),
        Route("/favicon.ico", no_icon),
        Route("/static/{name:path}", static),
        Route("/api/files", list_files),
        Route("/api/file", open_file),
        Route("/api/save", save, methods=["POST"]),
        Route("/api/undo", undo, methods=["POST"]),
        Route("/api/new", create, methods=["POST"]),
        Route("/api/duplicate", duplicate, methods=["POST"]),
        Route("/api/rename", rename, methods=["POST"]),
        Route("/api/check", check, methods=["POST"]),
        Route("/api/render", render, methods=["POST"]),
        Route("/api/render/{job:str}", render_state),
        Route("/audio/line/{key:str}/{line:int}.wav", line),
        Route("/audio/from/{key:str}/{at_ms:int}.wav", play_from),
    ]
