"""A catalogue track -> everything its render reads, as bytes, and its hash.

Takes the catalogue and a track; gives a ``TrackJob``: the script and
every file the render reads (files it includes or plays, its cover, a
voice model, a folder of recordings, the series cover), each as bytes
under a path relative to their common folder, the render options pointing
at those relative paths, and the input hash that decides whether the
track must be rendered again. A job is plain picklable data, so it can be
sent to a process or a Dask worker with no shared file system.

The input hash is the render's fingerprint (``cuecast.fingerprint``): the
SHA-256 of canonical JSON holding the versions of cuecast, the engines,
voices and ffmpeg, the options, and each input file's path and SHA-256,
the same one the listener's page keys its sessions with.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cuecast.catalogue import Catalogue, Track
from cuecast.catalogue.options import track_option_fields
from cuecast.errors import InputError
from cuecast.fingerprint import of_contents
from cuecast.script import load
from cuecast.script.reads import files_read

MAX_INPUT_BYTES = 512_000_000
"""All of one track's input files together; they travel to the worker in memory."""


@dataclass(frozen=True)
class TrackJob:
    """What a worker needs to render one track, with no access to our disk."""

    id: str
    files: tuple[tuple[str, bytes], ...]
    """(path relative to the job's root, content) of every input file."""
    script: str
    """The script's path among ``files``."""
    options: Mapping[str, Any]
    """``cuecast.request.Options`` as keyword arguments (``Options.as_dict``,
    plain data for a worker); paths in ``meta['cover']`` and
    ``voice`` are relative to the job's root."""
    fmt: str
    input_hash: str
    root: str
    """The job's root on the publishing machine (to name files in errors)."""


@dataclass(frozen=True)
class TrackInfo:
    """What the feed and page need to know of a track's script."""

    title: str
    description: str | None
    subtitle: str | None


def make_job(catalogue: Catalogue, track: Track, **overrides: Any) -> tuple[TrackJob, TrackInfo]:
    """The job for ``track`` and its script's title and description;
    ``overrides`` replace render options."""
    options = {**track_option_fields(catalogue, track), **overrides}
    script = catalogue.scripts.get(track.id) or load(
        track.script, profile=track.profile, sets=track.sets,
        allow_outside=catalogue.allow_outside)  # fmt: skip
    extra = (options["meta"].get("cover"), options["voice"], options.get("recordings"))
    paths = {os.path.realpath(track.script), *files_read(script, extra)}
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    files = tuple(sorted((os.path.relpath(p, root), _read(p)) for p in paths))
    if sum(len(data) for _, data in files) > MAX_INPUT_BYTES:
        raise InputError(f"track '{track.id}': its input files together are larger than "
                         f"{MAX_INPUT_BYTES // 1_000_000} MB", file=str(catalogue.path),
                         line=track.line)  # fmt: skip
    options = _relative_options(options, root)
    fmt = options["fmt"] or "mp3"
    script_rel = os.path.relpath(os.path.realpath(track.script), root)
    job = TrackJob(track.id, files, script_rel, options, fmt,
                   input_hash(files, script_rel, options), root)  # fmt: skip
    meta = script.meta
    info = TrackInfo(track.title or meta.title, meta.description, meta.subtitle)
    return job, info


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"cannot read the file: {e.strerror}", file=path) from None


def _relative_options(options: dict[str, Any], root: str) -> dict[str, Any]:
    meta = dict(options["meta"])
    if meta.get("cover") and os.path.isabs(meta["cover"]):
        meta["cover"] = os.path.relpath(os.path.realpath(meta["cover"]), root)
    moved = {key: _relative(options.get(key), root) for key in ("voice", "recordings")}
    return {**options, "meta": meta, **moved}


def _relative(path: str | None, root: str) -> str | None:
    """An absolute path under the job's root, relative to it (the worker
    lays the files out under a root of its own)."""
    if path and os.path.isabs(path):
        return os.path.relpath(os.path.realpath(path), root)
    return path


def input_hash(files: tuple[tuple[str, bytes], ...], script: str,
               options: Mapping[str, Any]) -> str:  # fmt: skip
    """The track's fingerprint (``cuecast.fingerprint``) from its files' bytes."""
    return of_contents(files, options, script=script).digest
