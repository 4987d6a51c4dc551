"""Bytes kept on disk by key: checked on reading, written atomically, trimmed.

Takes bytes under a key (a hex digest); gives them back, checked. Entries
live at ``<root>/<key[:2]>/<key><suffix>`` as::

    b"CCP1" | sha256 of the data (32 bytes) | data

written to a temporary file in the same folder and renamed, so a process
killed at any point (``kill -9`` too) leaves either no entry or a whole
one, and two writing the same entry at once both leave a whole one. On
reading, an entry whose hash does not match (a disk error, a file cut short
by a power cut) is deleted and counts as a miss.

What cuecast keeps this way beside its speech clips (``voices/cache.py``):
the encoded MP3 pieces (``pieces/store.py``) and the clips' loudness
measurements (``voices/cache.py``: ``energy_store``). Each folder is kept
within ``$CUECAST_PIECE_CACHE_MB`` (default 1024 MB): ``trim`` deletes the
least recently used (by modification time, which a read refreshes) until
they fit, and temporary files left by killed processes; a render trims a
store it saved to (``trim_if_grown``), unless this process listed the
folder less than ``RELIST_S`` ago and its size since (as listed, plus what
this process saved) is within the budget: a server's sessions each save a
few pieces and measurements, and listing a folder of thousands of entries
after each of them cost more than the session's levelling. What other
processes save meanwhile is counted at the next listing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path

from cuecast.errors import EncodeError

MAGIC = b"CCP1"
HEAD_BYTES = len(MAGIC) + 32
DEFAULT_BUDGET_MB = 1024
BUDGET_ENV = "CUECAST_PIECE_CACHE_MB"
TEMP_PREFIX = ".tmp-"
STALE_TEMP_S = 3600.0
"""A temporary file this old is debris of a killed render."""
TOUCH_AFTER_S = 600.0
"""A read refreshes an entry's time only if it is older than this (one
``utime`` per entry per render would be most of a warm render's syscalls)."""


RELIST_S = 60.0
"""A folder listed (by ``trim``) this recently is not listed again to
trim it while its known size is within the budget (``trim_if_grown``)."""

_sizes: dict[Path, tuple[int, float]] = {}
"""Folder -> (its bytes as last listed plus those saved since by this
process, when it was listed: ``time.monotonic``)."""
_sizes_lock = threading.Lock()


def budget_bytes() -> int:
    """``$CUECAST_PIECE_CACHE_MB`` in bytes (default 1024 MB)."""
    raw = os.environ.get(BUDGET_ENV, "").strip()
    if not raw:
        return DEFAULT_BUDGET_MB << 20
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not 0 <= mb < 1e9:
        raise EncodeError(f"{BUDGET_ENV}={raw!r} is not a number of megabytes (0 or more)")
    return int(mb * (1 << 20))


class DiskStore:
    """Entries on disk under ``root``, named ``<key><suffix>``."""

    def __init__(self, root: str | os.PathLike, suffix: str) -> None:
        self.root = Path(root)
        self.suffix = suffix
        self.wrote = False
        """Whether this store saved an entry (since its last ``trim``)."""

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{self.suffix}"

    def load(self, key: str) -> bytes | None:
        """The entry's data, or None (a miss, or a bad entry, deleted)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        body = data[HEAD_BYTES:]
        if data[: len(MAGIC)] != MAGIC or hashlib.sha256(body).digest() != data[len(MAGIC) :
                                                                                HEAD_BYTES]:
            _unlink(path)
            return None
        self._touch(path)
        return body

    def save(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, atomically. A cache that cannot be
        written (a full disk, no permission) is no error: the render goes on."""
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=self.suffix, dir=path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + hashlib.sha256(data).digest() + data)
            os.replace(tmp, path)
            self.wrote = True
            _grown(self.root, HEAD_BYTES + len(data))
        except OSError:
            _unlink(Path(tmp))
        except BaseException:
            _unlink(Path(tmp))
            raise

    def entries(self) -> list[tuple[Path, int, float]]:
        """``(path, bytes, mtime)`` of every entry."""
        out: list[tuple[Path, int, float]] = []
        if not self.root.is_dir():
            return out
        for path in self.root.glob(f"??/*{self.suffix}"):
            if path.name.startswith(TEMP_PREFIX):
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            out.append((path, st.st_size, st.st_mtime))
        return out

    def info(self) -> tuple[int, int, Path]:
        """``(entries, bytes, root)``."""
        entries = self.entries()
        return len(entries), sum(size for _, size, _ in entries), self.root

    def trim(self, budget: int | None = None, now_s: float | None = None) -> int:
        """Delete the least recently used entries past ``budget`` bytes
        (default ``budget_bytes()``) and stale temporary files; gives how
        many entries were deleted."""
        budget = budget_bytes() if budget is None else budget
        now_s = time.time() if now_s is None else now_s
        self.wrote = False
        if self.root.is_dir():
            for tmp in self.root.glob(f"??/{TEMP_PREFIX}*"):
                try:
                    if now_s - tmp.stat().st_mtime > STALE_TEMP_S:
                        _unlink(tmp)
                except OSError:
                    continue
        listed_s = time.monotonic()
        entries = sorted(self.entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        removed = 0
        for path, size, _ in entries:
            if total <= budget:
                break
            _unlink(path)
            total -= size
            removed += 1
        with _sizes_lock:
            _sizes[self.root] = (total, listed_s)
        return removed

    def trim_if_grown(self) -> int:
        """``trim``, if this store saved anything since it last trimmed: a
        render that only read entries cannot have grown the cache, and
        listing a large cache (every entry's ``stat``) costs more than the
        render of a session whose pieces are all cached. Not if this process
        listed the folder less than ``RELIST_S`` ago and it is still within
        the budget, counting what this process saved since."""
        if not self.wrote:
            return 0
        with _sizes_lock:
            known = _sizes.get(self.root)
        if known is not None and time.monotonic() - known[1] < RELIST_S \
                and known[0] <= budget_bytes():
            self.wrote = False
            return 0
        return self.trim()

    def clear(self) -> int:
        """Delete every entry; gives how many."""
        entries = self.entries()
        for path, _, _ in entries:
            _unlink(path)
        self.trim(budget=0, now_s=float("inf"))
        return len(entries)

    @staticmethod
    def _touch(path: Path) -> None:
        try:
            if time.time() - path.stat().st_mtime > TOUCH_AFTER_S:
                os.utime(path)
        except OSError:
            pass


def _grown(root: Path, nbytes: int) -> None:
    """Count ``nbytes`` saved under ``root`` by this process (``_sizes``)."""
    with _sizes_lock:
        known = _sizes.get(root)
        if known is not None:
            _sizes[root] = (known[0] + nbytes, known[1])


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
