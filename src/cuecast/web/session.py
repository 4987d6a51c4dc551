"""A session's page: progress while it is made, then the player and the download.

``/t/ID/s/KEY`` is the page (it refreshes itself without JavaScript, and
is updated from ``.../status`` with it); ``.../live.mp3`` is the audio
while it is made (``live``), or the finished file once it is;
``.../session.mp3`` is the finished file for the player (ranges, so it
seeks) and ``.../download`` the same file as an attachment. A key is only
looked up, in the queue and the store, never turned into a path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from cuecast.web.jobs import Job
from cuecast.web.live import finished_file
from cuecast.web.pages import page, track_of, web
from cuecast.web.store import KEY_RE


class SessionFile(FileResponse):
    """A finished session's file, read a mebibyte at a time: Starlette reads
    a file by 64 KiB, each read a hop to a worker thread, and a 20-minute
    session (14 MB) took 200 of them per download (about 45 ms of the
    server's CPU each time, with a hundred listeners downloading).

    A listener who goes part way is read for no further: Starlette's
    FileResponse waits for the disconnect beside the sending (uvicorn speaks
    ASGI 2.3) and stops reading then (tests/web/test_dropped_download.py;
    a server that never said so would have the file read to its end)."""

    chunk_size = 1024 * 1024


GONE = "This session is not here any more (finished sessions are kept for a while). " \
       "Make it again from its page."


def _lookup(request: Request, *, use: bool = False) -> tuple[Path | None, Job | None]:
    """The session's stored file and its job. ``use``: the file's bytes are
    to be sent (its place in the store's order); the page and its status
    polls only look, and write nothing."""
    key = request.path_params["key"]
    if not KEY_RE.match(key):
        raise HTTPException(404, GONE)
    sessions = web(request).sessions
    job = sessions.job(key)
    stored = sessions.finished(key, use=use)
    if stored is None and job is None:
        raise HTTPException(404, GONE)
    return stored, job


async def show(request: Request) -> Response:
    view = track_of(request)
    stored, job = _lookup(request)
    base = f"/t/{view.id}/s/{request.path_params['key']}/"
    if stored is not None:
        return page(request, "session.html", view=view, state="done", base=base,
                    size_mb=stored.stat().st_size / 1e6, job=None, position=0)
    assert job is not None
    status = 500 if job.state == "failed" else 200
    position = web(request).sessions.position(job)
    return page(request, "session.html", status, view=view, state=job.state, job=job,
                base=base, size_mb=0.0, position=position)


async def status(request: Request) -> Response:
    track_of(request)
    stored, job = _lookup(request)
    if stored is not None or job is None:
        return JSONResponse({"state": "done", "fraction": 1.0, "live": True})
    return JSONResponse({
        "state": job.state, "stage": job.stage, "fraction": round(job.fraction, 4),
        "live": job.state == "running" and job.stage == "audio",
        "position": web(request).sessions.position(job), "error": job.error,
    }, headers={"Cache-Control": "no-store"})


async def live(request: Request) -> Response:
    track_of(request)
    stored, job = _lookup(request, use=True)
    if stored is not None or job is None or job.state == "done":
        return _file(stored, job)
    if job.state == "failed":
        raise HTTPException(500, f"This session could not be made: {job.error}")
    return StreamingResponse(_live_then_file(job), media_type="audio/mpeg",
                             headers={"Cache-Control": "no-store"})


async def audio(request: Request) -> Response:
    track_of(request)
    stored, job = _lookup(request, use=True)
    return _file(stored, job)


async def download(request: Request) -> Response:
    view = track_of(request)
    stored, job = _lookup(request, use=True)
    name = f"{view.id}-{request.path_params['key'][:8]}.mp3"
    return _file(stored, job, filename=name)


async def _live_then_file(job: Job) -> AsyncIterator[bytes]:
    """The encoder's audio as it comes; the whole finished file instead if
    the encoder gave none (a session rendered on a cluster). Waits on the
    event loop, holding no thread."""
    sent = 0
    async for chunk in job.live.follow_async():
        sent += len(chunk)
        yield chunk
    if not sent and job.state == "done" and job.result is not None:  # final once closed
        chunks = finished_file(job.result, skip=0)
        while chunk := await run_in_threadpool(next, chunks, b""):
            yield chunk


def _file(stored: Path | None, job: Job | None, filename: str | None = None) -> Response:
    path = stored or (job.result if job is not None and job.state == "done" else None)
    if path is None or not path.exists():
        raise HTTPException(409 if job is not None and job.state != "failed" else 404,
                            "This session is still being made." if job is not None
                            and job.state in ("queued", "running") else GONE)
    return SessionFile(path, media_type="audio/mpeg", filename=filename,
                       content_disposition_type="attachment" if filename else "inline",
                       headers={"Cache-Control": "private, max-age=86400"})


routes = [
    Route("/t/{track_id}/s/{key}", show, methods=["GET", "HEAD"], name="session"),
    Route("/t/{track_id}/s/{key}/status", status, methods=["GET"]),
    Route("/t/{track_id}/s/{key}/live.mp3", live, methods=["GET"]),
    Route("/t/{track_id}/s/{key}/session.mp3", audio, methods=["GET", "HEAD"]),
    Route("/t/{track_id}/s/{key}/download", download, methods=["GET", "HEAD"]),
]
