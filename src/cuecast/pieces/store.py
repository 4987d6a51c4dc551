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
a render trims when it saved a piece (``trim_if_grown``). The checking,
writing and trimming are ``cuecast.diskstore``'s (the clips' loudness
measurements are kept the same way, ``voices/cache.py``).
"""

from __future__ import annotations

import hashlib
import os
import struct

from cuecast.diskstore import (
    BUDGET_ENV,
    DEFAULT_BUDGET_MB,
    HEAD_BYTES,
    MAGIC,
    DiskStore,
    budget_bytes,
)
from cuecast.mp3frames import Template
from cuecast.voices.cache import cache_dir

__all__ = ["BUDGET_ENV", "DEFAULT_BUDGET_MB", "HEAD_BYTES", "MAGIC", "PieceStore", "budget_bytes"]


class PieceStore(DiskStore):
    """Encoded pieces on disk under ``root`` (default ``<cache>/pieces``)."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        super().__init__(root if root is not None else cache_dir() / "pieces", ".mp3p")

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


def _template_key(kbps: int, encoder: str) -> str:
    text = f"template\n{kbps}\n{encoder}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
