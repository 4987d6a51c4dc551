"""One fingerprint of what a render reads: its content, not its file times.

Takes a render's inputs: the script (a path or a ``ScriptMapping``), its
options as plain data (``Options.as_dict()``), and the files it reads
(``script.reads``: includes, sounds, cover, voice model, recordings) or
those files' bytes; gives a ``Fingerprint``: the SHA-256 of one canonical
JSON document holding the versions (``versions.versions()``: cuecast, the
engines, ffmpeg), the options, and each file's path (relative to the
files' common folder) with the SHA-256 of its content. The same inputs
give the same fingerprint in any process and on any machine with the same
versions; a changed byte in any file (whatever its size or time), option
or version gives another.

Publish keys its tracks with it (``publish/inputs.py``), the listener's
page its sessions (``web/library.py``); ``digest`` is the same hashing for
other keys (the piece cache: a document and the bytes it encodes).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cuecast.errors import InputError
from cuecast.script.load import ScriptMapping, ScriptSource, ScriptText, load
from cuecast.script.reads import files_read
from cuecast.versions import versions

FORMAT = 2
"""The document's layout (1 was publish's own). Changing it changes every
fingerprint: every published track renders again, every stored session is
made again."""

UNHASHED_OPTIONS = ("jobs",)
"""Options that never change the bytes (how many speech processes run)."""

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Fingerprint:
    """What a render depends on, hashed."""

    digest: str
    """Hex SHA-256 of ``document``."""
    document: str
    """The canonical JSON that was hashed (to see what changed between two)."""

    def __str__(self) -> str:
        return self.digest


def canonical(document: object) -> bytes:
    """``document`` as canonical JSON (sorted keys, no spaces, UTF-8;
    tuples as lists, sets sorted, paths and anything else as text)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_jsonable).encode("utf-8")  # fmt: skip


def digest(document: object, *blobs: bytes) -> str:
    """Hex SHA-256 of ``canonical(document)`` and, after a newline each,
    ``blobs`` (the bytes a key stands for, e.g. the samples a piece encodes)."""
    h = hashlib.sha256(canonical(document))
    for blob in blobs:
        h.update(b"\n")
        h.update(blob)
    return h.hexdigest()


def file_digest(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's content, read in chunks; ``InputError`` naming
    the file when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    except OSError as e:
        raise InputError(f"cannot read the file: {e.strerror}", file=os.fspath(path)) from None
    return h.hexdigest()


def of_contents(files: Iterable[tuple[str, bytes]], options: Mapping[str, Any], *,
                script: str) -> Fingerprint:  # fmt: skip
    """The fingerprint of a render whose input files are given as
    ``(relative path, bytes)`` (a publish job), ``script`` among them."""
    hashes = {path: hashlib.sha256(data).hexdigest() for path, data in files}
    return _fingerprint(script, hashes, options)


def of_files(paths: Iterable[str], options: Mapping[str, Any], *,
             script: str | ScriptMapping) -> Fingerprint:  # fmt: skip
    """The fingerprint of a render that reads the files at ``paths`` (real
    paths, as ``script.reads.files_read`` gives them); ``script`` is its
    script's path (one of them) or its mapping (hashed as data)."""
    paths = sorted({os.path.realpath(p) for p in paths})
    root = os.path.commonpath([os.path.dirname(p) for p in paths]) if paths else ""
    hashes = {os.path.relpath(p, root): file_digest(p) for p in paths}
    if isinstance(script, ScriptMapping):
        hashes[script.name] = digest(script.data)
        return _fingerprint(script.name, hashes, options)
    return _fingerprint(os.path.relpath(os.path.realpath(script), root), hashes, options)


def of_render(script: ScriptSource, options: Mapping[str, Any]) -> Fingerprint:
    """The fingerprint of rendering ``script`` with ``options`` (as
    ``Options.as_dict()`` gives them): the script is loaded as the render
    loads it, to find every file it reads."""
    if isinstance(script, ScriptText):  # the editor's unsaved text has no files to hash yet
        raise InputError(f"{script.path}: save the text before fingerprinting its render")
    source = script if isinstance(script, ScriptMapping) else os.fspath(script)
    loaded = load(source, profile=options.get("profile"), sets=options.get("sets"),
                  allow_outside=bool(options.get("allow_outside")))  # fmt: skip
    meta = options.get("meta") or {}
    extra = (meta.get("cover"), options.get("voice"), options.get("recordings"))
    paths = files_read(loaded, [p for p in extra if p and os.path.isabs(p)])
    if isinstance(source, ScriptMapping):  # its steps' source is the mapping, not a file
        paths = tuple(p for p in paths if p != os.path.realpath(source.name))
    return of_files(paths, options, script=source)


def _fingerprint(script: str, hashes: Mapping[str, str],
                 options: Mapping[str, Any]) -> Fingerprint:  # fmt: skip
    document = canonical({
        "format": FORMAT,
        "versions": versions(),
        "script": script,
        "files": dict(hashes),
        "options": {k: v for k, v in options.items() if k not in UNHASHED_OPTIONS},
    })
    return Fingerprint(hashlib.sha256(document).hexdigest(), document.decode("utf-8"))


def _jsonable(value: object) -> object:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Path):
        return os.fspath(value)
    return str(value)
