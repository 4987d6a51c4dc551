"""The piece cache: encoded MP3 pieces under the speech cache's folder.

Takes a piece's frames (bytes) under a key (``cuts.piece_key``: the sha256
of what the piece encodes); gives them back, checked. Entries live at
``<cache>/pieces/<key[:2]>/<key>.mp3p``, beside the speech clips
(``voices/cache.py``: ``$CUECAST_CACHE_DIR``), as::

    b"CCP1" | sha256 of the frames (32 bytes) | frames

written to a temporary file in the same folder and renamed, so a render
killed at any point (``kill -9`` too) leaves either no entry or a whole
one, and two renders writing the same piece at once both leave a whole
one (the same bytes: a piece's bytes depend only on its key). On reading,
an entry whose hash does not match (a disk error, a file cut short by a
power cut) is deleted and counts as a miss.

The pieces are kept within ``$CUECAST_PIECE_CACHE_MB`` (default 1024 MB):
``trim`` deletes the least recently used (by modification time, which a
read refreshes) until they fit, and temporary files left by killed renders;
a render trims when it saved a piece (``trim_if_grown``).
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import time
from pathlib import Path

from cuecast.errors import EncodeError
from cuecast.mp3frames import Template
from cuecast.voices.cache import cache_dir

MAGIC = b"CCP1"
HEAD_BYTES = len(MAGIC) + 32
DEFAULT_BUDGET_MB = 1024
BUDGET_ENV = "CUECAST_PIECE_CACHE_MB"
TEMP_PREFIX = ".tmp-"
STALE_TEMP_S = 3600.0
"""A temporary file this old is debris of a killed render."""
TOUCH_AFTER_S = 600.0
"""A read refreshes an entry's time only if it is older than this (one
``utime`` per piece per render would be most of a warm render's syscalls)."""


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


class PieceStore:
    """Encoded pieces on disk under ``root`` (default ``<cache>/pieces``)."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir() / "pieces"
        self.wrote = False
        """Whether this store saved an entry (since its last ``trim``)."""

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.mp3p"

    def load(self, key: str) -> bytes | None:
        """The piece's frames, or None (a miss, or a bad entry, deleted)."""
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

    def save(self, key: str, frames: bytes) -> None:
        """Store ``frames`` under ``key``, atomically. A cache that cannot be
        written (a full disk, no permission) is no error: the render goes on."""
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".mp3p", dir=path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + hashlib.sha256(frames).digest() + frames)
            os.replace(tmp, path)
            self.wrote = True
        except OSError:
            _unlink(Path(tmp))
        except BaseException:
            _unlink(Path(tmp))
            raise

    def template(self, kbps: int, encoder: str) -> Template | None:
        """The encoder's Info frame and silent frames, if stored."""
        data = self.load(_template_key(kbps, encoder))
        if data is None or len(data) < 12:
            return None
        sizes = struct.unpack_from("<III", data)
        if 12 + sum(sizes) != len(data):
            return None
        a, b = 12 + sizes[0], 12 + sizes[0] + sizes[1]
        return Template(data[12:a], data[a:b], data[b:])

    def save_template(self, kbps: int, encoder: str, template: Template) -> None:
        parts = (template.info, template.silent, template.silent_padded)
        head = struct.pack("<III", *(len(p) for p in parts))
        self.save(_template_key(kbps, encoder), head + b"".join(parts))

    def entries(self) -> list[tuple[Path, int, float]]:
        """``(path, bytes, mtime)`` of every entry."""
        out: list[tuple[Path, int, float]] = []
        if not self.root.is_dir():
            return out
        for path in self.root.glob("??/*.mp3p"):
            if path.name.startswith(TEMP_PREFIX):
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            out.append((path, st.st_size, st.st_mtime))
        return out

    def info(self) -> tuple[int, int, Path]:
        """``(pieces, bytes, root)``."""
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
        entries = sorted(self.entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        removed = 0
        for path, size, _ in entries:
            if total <= budget:
                break
            _unlink(path)
            total -= size
            removed += 1
        return removed

    def trim_if_grown(self) -> int:
        """``trim``, if this store saved anything since it last trimmed: a
        render that only read pieces cannot have grown the cache, and
        listing a large cache (every entry's ``stat``) costs more than the
        render of a session whose pieces are all cached."""
        return self.trim() if self.wrote else 0

    def clear(self) -> int:
        """Delete every piece; gives how many."""
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


def _template_key(kbps: int, encoder: str) -> str:
    text = f"template\n{kbps}\n{encoder}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
