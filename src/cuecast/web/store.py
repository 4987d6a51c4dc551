"""Finished sessions on disk, content-addressed, kept within a disk budget.

Takes a finished file and the key of the request that made it (see
``keys.session_key``: the script, the values and the options); gives the
file back for the same key, so the same request is served from disk and
never rendered twice. Files live at ``ROOT/files/KEY.mp3``; a render works
in ``ROOT/work/KEY/`` and its file is moved in when complete, so a file in
``files/`` is always whole. When the files pass the budget the least
recently used are deleted (a reader that already opened one keeps its
bytes: the kernel frees them on close). Keys come from the index, never
from a URL: a path is only ever built from a key the store made itself.

"Used" means the file's bytes were sent or its session was asked for
again (``use``); looking a key up (``get``: a session's page and the
status it polls every second) changes nothing, on disk or in the order.
The order is kept in memory, and on disk as the files' modification
times, so that it survives a restart; a use rewrites a file's time at
most once every ``TOUCH_EVERY_S`` (a player's range requests come many a
minute), so after a restart the order is right to within that.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections import OrderedDict
from pathlib import Path

KEY_RE = re.compile(r"^[0-9a-f]{32}$")
"""A session key: 128 bits of a sha256, in hex."""

SUFFIX = ".mp3"

TOUCH_EVERY_S = 60.0
"""A used file's modification time is rewritten at most this often."""


class Store:
    """The finished files, in least- to most-recently-used order."""

    def __init__(self, root: str | os.PathLike[str], budget_bytes: int) -> None:
        self.root = Path(root)
        self.budget_bytes = budget_bytes
        self.files = self.root / "files"
        self.work = self.root / "work"
        self._lock = threading.Lock()
        self._index: OrderedDict[str, int] = OrderedDict()
        self._touched: dict[str, float] = {}
        """When each file's modification time was last set (monotonic seconds)."""
        self.files.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.work, ignore_errors=True)  # a killed server's half-made renders
        self.work.mkdir(parents=True, exist_ok=True)
        self._load_index()

    def _load_index(self) -> None:
        found = []
        for entry in os.scandir(self.files):
            key = entry.name[: -len(SUFFIX)] if entry.name.endswith(SUFFIX) else ""
            if KEY_RE.match(key) and entry.is_file():
                st = entry.stat()
                found.append((st.st_mtime, key, st.st_size))
            else:  # not ours (or a temporary of a killed move): leave nothing unknown
                _unlink(Path(entry.path))
        for _, key, size in sorted(found):
            self._index[key] = size

    def get(self, key: str) -> Path | None:
        """The finished file for ``key``, or None; a look that writes nothing
        and leaves the order as it is."""
        with self._lock:
            if key not in self._index:
                return None
            path = self._path(key)
        if not path.is_file():  # deleted behind the store's back
            self._forget(key)
            return None
        return path

    def use(self, key: str) -> Path | None:
        """``get``, and the file is now the most recently used (its time on
        disk rewritten if it was set ``TOUCH_EVERY_S`` ago or more)."""
        with self._lock:
            if key not in self._index:
                return None
            self._index.move_to_end(key)
            now = time.monotonic()
            touch = now - self._touched.get(key, -TOUCH_EVERY_S) >= TOUCH_EVERY_S
            if touch:
                self._touched[key] = now
            path = self._path(key)
        try:
            if touch:
                os.utime(path)  # the order survives a restart
            elif not path.is_file():
                raise FileNotFoundError(path)
        except OSError:
            self._forget(key)
            return None
        return path

    def work_dir(self, key: str) -> Path:
        """A fresh, empty folder for rendering ``key``."""
        folder = self.work / self._checked(key)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def put(self, key: str, made: Path) -> Path:
        """Move the finished file ``made`` in under ``key``, drop the work
        folder and evict the least recently used files past the budget."""
        path = self._path(self._checked(key))
        os.replace(made, path)
        shutil.rmtree(self.work / key, ignore_errors=True)
        size = path.stat().st_size
        with self._lock:
            self._index[key] = size
            self._index.move_to_end(key)
            self._touched[key] = time.monotonic()  # moved in just now: its time is now
            evicted = self._over_budget(keep=key)
        for old in evicted:
            _unlink(self._path(old))
        return path

    def discard_work(self, key: str) -> None:
        shutil.rmtree(self.work / self._checked(key), ignore_errors=True)

    def used_bytes(self) -> int:
        with self._lock:
            return sum(self._index.values())

    def keys(self) -> list[str]:
        """Least recently used first."""
        with self._lock:
            return list(self._index)

    def _over_budget(self, keep: str) -> list[str]:
        total = sum(self._index.values())
        evicted = []
        for key in list(self._index):
            if total <= self.budget_bytes:
                break
            if key == keep:
                continue
            total -= self._index.pop(key)
            self._touched.pop(key, None)
            evicted.append(key)
        return evicted

    def _forget(self, key: str) -> None:
        with self._lock:
            self._index.pop(key, None)
            self._touched.pop(key, None)

    def _path(self, key: str) -> Path:
        return self.files / f"{key}{SUFFIX}"

    @staticmethod
    def _checked(key: str) -> str:
        if not KEY_RE.match(key):
            raise ValueError(f"not a session key: {key!r}")
        return key


def _unlink(path: Path) -> None:
    try:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass
