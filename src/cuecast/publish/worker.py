"""One track's render on a worker: a ``TrackJob`` in, the files' bytes out.

Runs in a local process or on a Dask worker, which may be another machine:
the job's input files are written to a fresh temporary folder, the track
is rendered there through the library (``cuecast.pipeline.render``), and
the track, its timeline and captions come back as bytes. The temporary
folder's path is taken out of everything that comes back (the timeline
names included files relative to the job's root, errors name the files on
the publishing machine), so the bytes do not depend on where it ran.
Nothing is raised: a failure comes back as a ``TrackResult`` with an error.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

from cuecast.errors import CuecastError
from cuecast.publish.inputs import TrackJob


@dataclass(frozen=True)
class Failure:
    """Why a track failed, located in the publishing machine's files."""

    message: str
    file: str | None
    line: int | None
    column: int | None
    exit_code: int

    def __str__(self) -> str:
        return str(CuecastError(self.message, file=self.file, line=self.line,
                                column=self.column))  # fmt: skip


@dataclass(frozen=True)
class TrackResult:
    id: str
    input_hash: str
    files: tuple[tuple[str, bytes], ...] = ()
    """(file name, content): the track first, then its timeline and captions."""
    duration_s: float = 0.0
    render_s: float = 0.0
    failure: Failure | None = None


def render_job(job: TrackJob) -> TrackResult:
    """Render ``job`` in a temporary folder; its files' bytes, or the failure."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cuecast-publish-") as tmp:
        root = os.path.join(tmp, "in")
        try:
            _unpack(job, root)
            files, duration_s = _render(job, root, os.path.join(tmp, "out"))
        except CuecastError as err:
            return TrackResult(job.id, job.input_hash, failure=_failure(err, root, job.root))
        except Exception as err:  # a bug must not stop the other tracks
            failure = Failure(f"{type(err).__name__}: {err}", None, None, None, 1)
            return TrackResult(job.id, job.input_hash, failure=failure)
    return TrackResult(job.id, job.input_hash, files, duration_s, time.monotonic() - started)


def _unpack(job: TrackJob, root: str) -> None:
    for rel, data in job.files:
        path = os.path.normpath(os.path.join(root, rel))
        if os.path.commonpath([path, root]) != root:  # never write outside the folder
            raise CuecastError(f"a job's file '{rel}' points outside its folder")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def _render(job: TrackJob, root: str, out_dir: str) -> tuple[tuple[tuple[str, bytes], ...], float]:
    from cuecast.pipeline import render
    from cuecast.request import Options

    os.makedirs(out_dir)
    meta = dict(job.options["meta"])
    if meta.get("cover"):
        meta["cover"] = os.path.join(root, meta["cover"])
    voice = job.options.get("voice")
    if voice and voice.lower().endswith(".onnx"):
        voice = os.path.join(root, voice)
    recordings = job.options.get("recordings")
    if recordings:  # a folder: made even when it came with no files
        recordings = os.path.join(root, recordings)
        os.makedirs(recordings, exist_ok=True)
    options = Options(**{**job.options, "meta": meta, "voice": voice, "recordings": recordings})
    out = os.path.join(out_dir, f"{job.id}.{job.fmt}")
    result = render(os.path.join(root, job.script), out, options)
    files = []
    for path in (result.path, result.timeline_path, *result.extra_paths):
        with open(path, "rb") as f:
            data = f.read()
        if path != result.path:  # text sidecars: name included files from the job's root
            data = data.replace((root + os.sep).encode(), b"")
        files.append((os.path.basename(path), data))
    return tuple(files), result.timeline.duration_s


def _failure(err: CuecastError, tmp_root: str, job_root: str) -> Failure:
    def local(text: str) -> str:
        return text.replace(tmp_root, job_root)

    return Failure(local(err.message) + (f". {err.hint}" if err.hint else ""),
                   local(err.file) if err.file else None, err.line, err.column,
                   err.exit_code)  # fmt: skip
