"""Atomic file output: write beside the target, fsync, rename into place.

A reader of the target sees either the old file or the complete new one,
never a partial write. Temporary files are named
``.NAME.cuecast-tmp-<pid>-<hex>.EXT`` in the target's folder (same file
system, so ``os.replace`` is atomic); any left by a killed run are removed
by the next run once they are an hour old.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import time

from cuecast.errors import EncodeError

TEMP_MARK = ".cuecast-tmp-"
STALE_AFTER_S = 3600.0
"""Our temporary files older than this are debris of a killed run."""

_TEMP_RE = re.compile(r"^\..*\.cuecast-tmp-\d+-[0-9a-f]+")


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
        self.base = os.path.join(folder, f".{stem}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")
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


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; EncodeError on failure."""
    clean_stale_temps(os.path.dirname(os.path.abspath(path)))
    with TempFile(path, os.path.splitext(path)[1]) as tmp:
        try:
            with open(tmp.path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        except OSError as exc:
            raise EncodeError(f"cannot write {path}: {os_error_text(exc)}") from exc
        tmp.commit()


def clean_stale_temps(folder: str, now_s: float | None = None) -> list[str]:
    """Delete our temporary files in ``folder`` older than an hour; the
    paths deleted. Never raises."""
    now_s = time.time() if now_s is None else now_s
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not _TEMP_RE.match(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and (
                now_s - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
            ):
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            continue
    return removed
