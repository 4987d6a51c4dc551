"""Atomic file output: write beside the target, fsync, rename into place.

A reader of the target sees either the old file or the complete new one,
never a partial write. Temporary files are named
``.NAME.cuecast-tmp-<pid>-<host><hex>.EXT`` in the target's folder (same
file system, so ``os.replace`` is atomic): hidden, and never a name cuecast
reads as output. One left by a killed run (``kill -9``, a power cut) is
removed by a later run writing into that folder once the process that made
it is gone: at once if it was made on this machine (``<host>`` is a tag of
the host name) and its pid is no longer running, else when it is an hour
old, so a run on another machine sharing the folder is never disturbed.

A render writes several files: the track and, beside it, the timeline and
captions. ``Batch`` keeps them together: every file is written to its
temporary first, and only when all are complete are they renamed, the
sidecars first and the track last. A render that fails at any point leaves
all the previous files as they were; the only window for a mix is between
those renames (microseconds), and there it is a new timeline beside the old
track, never a new track with an old timeline.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import socket
import time

from cuecast.errors import EncodeError

TEMP_MARK = ".cuecast-tmp-"
STALE_AFTER_S = 3600.0
"""Our temporary files older than this are debris of a killed run."""

_TEMP_RE = re.compile(r"^\..*\.cuecast-tmp-(\d+)-([0-9a-f]+)")


def host_tag() -> str:
    """Four hex digits naming this machine in temporary file names."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:4]


def os_error_text(exc: OSError) -> str:
    """A short, actionable reason for an OSError."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full (no space left on device)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.ENOENT:
        return "the folder does not exist"
    return exc.strerror or str(exc)


class TempFile:
    """A temporary file beside ``target``; ``commit`` renames it into place.

    Leaving the ``with`` block without ``commit`` (an exception, Ctrl-C)
    deletes it and every ``sibling`` path, so nothing partial is left.
    """

    def __init__(self, target: str, suffix: str) -> None:
        self.target = os.path.abspath(target)
        folder, name = os.path.split(self.target)
        stem = os.path.splitext(name)[0] or name
        tag = f"{os.getpid()}-{host_tag()}{secrets.token_hex(4)}"
        self.base = os.path.join(folder, f".{stem}{TEMP_MARK}{tag}")
        self.path = self.base + suffix
        self._extra: list[str] = []
        self._committed = False

    def __enter__(self) -> TempFile:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            folder = os.path.dirname(self.target)
            raise EncodeError(f"cannot write to the folder {folder}: {os_error_text(exc)}") from exc
        os.close(fd)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        paths = self._extra if self._committed else [*self._extra, self.path]
        for path in paths:
            try:
                os.unlink(path)
            except OSError:
                pass

    def sibling(self, suffix: str) -> str:
        """Another temporary path of this run, removed on exit."""
        path = self.base + suffix
        self._extra.append(path)
        return path

    def commit(self) -> None:
        """fsync the file, rename it over the target, fsync the folder."""
        try:
            _fsync_path(self.path, os.O_RDONLY)
            os.replace(self.path, self.target)
        except OSError as exc:
            raise EncodeError(f"cannot write {self.target}: {os_error_text(exc)}") from exc
        self._committed = True
        try:
            _fsync_path(os.path.dirname(self.target), os.O_RDONLY)
        except OSError:
            pass  # some file systems cannot fsync a directory; the rename stands


def _fsync_path(path: str, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_writable(path: str) -> None:
    """EncodeError now if a file cannot be written beside ``path`` (a missing
    or read-only folder), rather than after the work of making it."""
    with TempFile(path, ".probe"):
        pass


def make_folder(path: str) -> None:
    """Create the folder ``path`` goes in, with its parents, if missing;
    EncodeError if it cannot be made (read-only, a file in the way)."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        why = "a file of that name is in the way" if isinstance(exc, FileExistsError) else None
        raise EncodeError(
            f"cannot write to the folder {folder}: {why or os_error_text(exc)}"
        ) from exc


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; EncodeError on failure."""
    with Batch() as batch:
        batch.write_text(path, text)
        batch.commit()


def clean_stale_temps(folder: str, now_s: float | None = None) -> list[str]:
    """Delete our temporary files in ``folder`` whose run is over (see the
    module docstring); the paths deleted. Never raises."""
    now_s = time.time() if now_s is None else now_s
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_RE.match(entry.name)
        if match is None:
            continue
        try:
            if entry.is_file(follow_symlinks=False) and (
                _run_is_over(int(match.group(1)), match.group(2))
                or now_s - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
            ):
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            continue
    return removed


def _run_is_over(pid: int, tag: str) -> bool:
    """True if the temporary file was made on this machine by a process
    that no longer runs (a reused pid only delays the clean-up)."""
    if pid == os.getpid() or not tag.startswith(host_tag()) or len(tag) != 12:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists but is not ours to signal
    return False


class Batch:
    """Files that appear together: the sidecars of a track.

    ``write_text`` writes each to a complete, fsynced temporary file;
    ``commit`` renames them all into place (call it just before the track's
    own rename, e.g. as ``encode``'s ``before_commit``). Leaving the
    ``with`` block without ``commit`` deletes every temporary file.
    """

    def __init__(self) -> None:
        self._temps: list[TempFile] = []

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        for tmp in self._temps:
            tmp.__exit__(exc_type, exc, tb)

    def write_text(self, path: str, text: str) -> str:
        """Stage ``text`` (UTF-8) for ``path``; gives ``path``."""
        clean_stale_temps(os.path.dirname(os.path.abspath(path)))
        tmp = TempFile(path, os.path.splitext(path)[1])
        tmp.__enter__()
        self._temps.append(tmp)
        _write(tmp.path, text, path)
        return path

    def commit(self) -> None:
        """Rename every staged file into place, in the order staged."""
        for tmp in self._temps:
            tmp.commit()


def _write(tmp_path: str, text: str, target: str) -> None:
    try:
        with open(tmp_path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise EncodeError(f"cannot write {target}: {os_error_text(exc)}") from exc
