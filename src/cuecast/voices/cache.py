"""The speech cache: finished clips, content-addressed.

Takes a clip (float32 at ``SAMPLE_RATE``, already trimmed and levelled)
under a key; gives it back, or only its length from the file header (the
planner's path: ``cuecast plan`` stats and reads 44 bytes per line).

The key is a contract: it is the sha256 of the canonical JSON
(``sort_keys``, compact separators, ``ensure_ascii=False``) of::

    {"v": CACHE_FORMAT, "engine": NAME, "engine_version": VERSION,
     "voice": {"name", "rate", "pitch", "volume"}, "text": TEXT_AFTER_LEXICON,
     "rate": 44100}

Changing this layout changes every key; bump ``CACHE_FORMAT`` whenever the
clip processing (trim, level, resample) changes so old clips are not reused.

Clips are standard WAV files (mono, 16-bit, 44100 Hz, canonical 44-byte
header) at ``<dir>/<key[:2]>/<key>.wav``, written to a temporary file in the
same folder and renamed, so renders sharing a cache never see half a clip.
A file whose header or size is wrong is deleted and counts as a miss.

Beside the clips, ``<dir>/energies/`` keeps each clip's loudness
measurement (``loudness/energies.py``, keyed by the clip's samples) in a
``diskstore.DiskStore`` (checked, atomic, trimmed as the MP3 pieces are):
a render whose speech is cached measures no clip again, even with the
pieces deleted. ``cuecast cache clear`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cuecast.diskstore import DiskStore
from cuecast.memo import ClipMemo
from cuecast.script.model import VoiceSpec
from cuecast.units import SAMPLE_RATE

CACHE_FORMAT = 1
HEADER_BYTES = 44
ENERGIES = "energies"
"""The folder of the clips' loudness measurements, in the cache's."""


def cache_dir() -> Path:
    """``$CUECAST_CACHE_DIR``, else ``$XDG_CACHE_HOME/cuecast``, else
    ``~/.cache/cuecast``."""
    explicit = os.environ.get("CUECAST_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "cuecast"


def energy_store(root: str | os.PathLike | None = None) -> DiskStore:
    """The clips' loudness measurements (``loudness/energies.py``) kept in
    the speech cache ``root`` (default ``cache_dir()``): ``<root>/energies``."""
    return DiskStore(Path(root if root is not None else cache_dir()) / ENERGIES, ".energy")


def cache_key(engine: str, engine_version: str, voice: VoiceSpec, text: str) -> str:
    """The clip's key (see the module docstring: this layout is a contract)."""
    obj = {
        "v": CACHE_FORMAT,
        "engine": engine,
        "engine_version": engine_version,
        "voice": {
            "name": voice.name,
            "rate": voice.rate_wpm,
            "pitch": voice.pitch,
            "volume": voice.volume,
        },
        "text": text,
        "rate": SAMPLE_RATE,
    }
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def wav_header(n_samples: int) -> bytes:
    """Canonical 44-byte header for mono 16-bit PCM at ``SAMPLE_RATE``."""
    data_bytes = 2 * n_samples
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, 2 * SAMPLE_RATE, 2, 16)
        + b"data" + struct.pack("<I", data_bytes)
    )  # fmt: skip


def _samples_in(header: bytes, file_bytes: int) -> int | None:
    """Samples in a clip file with this header and size, or None if wrong."""
    if len(header) != HEADER_BYTES or file_bytes < HEADER_BYTES:
        return None
    data_bytes = file_bytes - HEADER_BYTES
    if data_bytes % 2 or header != wav_header(data_bytes // 2):
        return None
    return data_bytes // 2


class Cache:
    """Clips on disk under ``root`` (default ``cache_dir()``). With a
    ``memo`` (``cuecast.memo``), a clip loaded is kept there by its file's
    identity (path, size, modification time, inode): loaded again, it is
    not read and converted again while the file is the same."""

    def __init__(self, root: str | os.PathLike | None = None, *,
                 memo: ClipMemo | None = None) -> None:  # fmt: skip
        self.root = Path(root) if root is not None else cache_dir()
        self.memo = memo

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def length(self, key: str) -> int | None:
        """Samples in the clip, from its header only; None on a miss."""
        path = self.path(key)
        try:
            with open(path, "rb") as f:
                header = f.read(HEADER_BYTES)
                size = os.fstat(f.fileno()).st_size
        except OSError:
            return None
        n = _samples_in(header, size)
        if n is None:
            self._discard(path)
        return n

    def identity(self, key: str) -> str | None:
        """What names the clip file as it is now (path, size, modification
        time, inode: a clip rewritten is a new file), from a ``stat``, not a
        read; None on a miss."""
        path = self.path(key)
        try:
            st = path.stat()
        except OSError:
            return None
        return f"{path}\n{st.st_size}\n{st.st_mtime_ns}\n{st.st_ino}"

    def load(self, key: str) -> np.ndarray | None:
        """The clip as float32 in [-1, 1] (read-only when kept in ``memo``);
        None on a miss."""
        path = self.path(key)
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                ident = ("speech clip", str(path), st.st_size, st.st_mtime_ns, st.st_ino)
                kept = None if self.memo is None else self.memo.get(ident)
                if kept is not None:
                    return kept
                data = f.read()
        except OSError:
            return None
        if _samples_in(data[:HEADER_BYTES], len(data)) is None:
            self._discard(path)
            return None
        pcm = np.frombuffer(data, dtype="<i2", offset=HEADER_BYTES)
        clip = pcm.astype(np.float32)
        clip *= np.float32(1.0 / 32768.0)  # exact (a power of two): as dividing
        return clip if self.memo is None else self.memo.put(ident, clip)

    def store(self, key: str, clip: np.ndarray) -> int:
        """Write ``clip`` (float32) atomically; gives its length in samples."""
        pcm = np.clip(np.round(np.asarray(clip, dtype=np.float64) * 32768.0), -32768, 32767)
        data = wav_header(pcm.size) + pcm.astype("<i2").tobytes()
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".wav", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            self._discard(Path(tmp))
            raise
        return int(pcm.size)

    def info(self) -> tuple[int, int, Path]:
        """``(clips, bytes, root)``."""
        count = total = 0
        for path in self._clips():
            try:
                total += path.stat().st_size
            except OSError:
                continue
            count += 1
        return count, total, self.root

    def clear(self) -> int:
        """Delete every clip (and stray temporary files), the models
        rewritten for Piper (``piper-noise/``) and the built-in sounds kept
        (``sounds/``, ``cuecast.sounds``); gives how many clips."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for path in [*(self.root / "piper-noise").glob("*"), *(self.root / "sounds").glob("*")]:
            self._discard(path)
        for folder in self.root.iterdir():
            if not (folder.is_dir() and len(folder.name) == 2):
                continue
            for path in folder.glob("*.wav"):
                removed += not path.name.startswith(".tmp-")
                self._discard(path)
            try:
                folder.rmdir()
            except OSError:
                pass
        return removed

    def _clips(self) -> Iterator[Path]:
        if self.root.is_dir():
            yield from (p for p in self.root.glob("??/*.wav") if not p.name.startswith(".tmp-"))

    @staticmethod
    def _discard(path: Path) -> None:
        try:
            path.unlink()
        except OSError:
            pass
