"""Pieces encoded, and measured, many to one ffmpeg.

Takes a ``BatchJob`` (the samples of a few sound pieces and the MP3
settings: plain data, so a process pool or Dask can run it); gives each
piece's kept frames and, if asked, its levels (``meter.FrameLevels``).

Starting ffmpeg costs about 20 ms of CPU, as much as encoding a few
seconds of speech; encoding each piece by a process of its own cost more
than the encoding (measured on the 60-minute benchmark: 177 pieces, 354
processes with their decoding, about half of a warm render's CPU). One
ffmpeg run per batch encodes them all: input ``i`` is encoded by a
libmp3lame of its own into output ``i`` (``ffmpeg.mp3_batch_args``), so a
piece's bytes are exactly those of encoding it alone, whatever else is in
its batch: the cache keys and entries do not depend on how pieces were
batched. Measured, each encode is then decoded in this worker
(``meter.decode``: libmpg123, the same samples as decoding it alone,
``meter.measure_piece``) and K-weighted (``meter.piece_levels``). Until
2026-12 ffmpeg's loopback decoder (``-dec``) decoded them in the same run:
its threads handed each 1152-sample frame to each other (365,748 futex
calls for the seed's 42,686 frames): 3-5 times libmpg123's CPU.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from cuecast import ffmpeg
from cuecast.errors import EncodeError
from cuecast.mp3frames import frame_spans
from cuecast.pieces.meter import FrameLevels, decode, piece_levels

WHAT = "encoding pieces of the mp3"


@dataclass(frozen=True)
class PieceJob:
    """One piece of a batch: the samples it is encoded from and which of
    its encoded frames are kept."""

    keep_first: int
    keep_frames: int | None
    """None: every frame from ``keep_first`` (the track's last piece)."""
    pcm: bytes = b""
    """The samples: float32 little-endian bytes, or none if ``pcm_fd`` holds them."""
    pcm_fd: int | None = None
    """A memory file of this process holding the samples (``spill``: a
    batch run by threads of the process that gathered it keeps no copy of
    its samples on the heap). Not plain data: only for a thread pool."""


@dataclass(frozen=True)
class BatchJob:
    """What a worker needs to encode a few pieces: plain data, so it
    travels (unless its pieces were spilled)."""

    pieces: tuple[PieceJob, ...]
    kbps: int
    ffmpeg_exe: str | None = None
    measure: bool = False
    """Also measure the frames kept (``meter.piece_levels``)."""


def can_spill() -> bool:
    """Whether this platform has memory files (Linux)."""
    return hasattr(os, "memfd_create")


def spill(pcm: bytes) -> int:
    """A memory file holding ``pcm`` (the caller closes it once the batch is
    done); EncodeError if there is no room for it."""
    try:
        fd = os.memfd_create("cuecast-piece")
    except OSError as exc:
        raise EncodeError(f"{WHAT}: {exc}") from exc
    try:
        _write_all(fd, pcm)
    except OSError as exc:
        os.close(fd)
        raise EncodeError(f"{WHAT}: {exc}") from exc
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


Made = tuple[bytes, FrameLevels | None]
"""A piece's kept frames and, measured, their levels."""


def encode_batch(job: BatchJob) -> list[Made]:
    """Encode every piece of ``job`` (and measure it, if asked) with one
    ffmpeg; the pieces in order (runs in a worker). EncodeError if ffmpeg
    fails or its memory files cannot be made (out of memory or file
    descriptors)."""
    if not job.pieces:
        return []
    exe = job.ffmpeg_exe or ffmpeg.ffmpeg_exe()
    try:
        return _encode(job, exe)
    except OSError as exc:
        raise EncodeError(f"{WHAT}: {exc}") from exc


def _encode(job: BatchJob, exe: str) -> list[Made]:
    n = len(job.pieces)
    with _scratch() as files:
        inputs = [f"/dev/fd/{p.pcm_fd}" if p.pcm_fd is not None else files.new(f"in{i}", p.pcm)
                  for i, p in enumerate(job.pieces)]  # fmt: skip
        outputs = [files.new(f"out{i}") for i in range(n)]
        args = ffmpeg.mp3_batch_args(job.kbps, inputs, outputs)
        spilled = [p.pcm_fd for p in job.pieces if p.pcm_fd is not None]
        _run(args, exe, [*files.fds, *spilled])
        made = []
        for i, piece in enumerate(job.pieces):
            data = files.read(outputs[i])
            lo, hi, first, kept = _kept(data, piece)
            levels = None
            if job.measure:  # the whole encode, its lead-in too, decoded as it is joined
                levels = piece_levels(decode(data, exe, outputs[i]), first, kept)
            made.append((data[lo:hi], levels))
        return made


def _run(args: list[str], exe: str, fds: Sequence[int]) -> None:
    try:
        proc = ffmpeg.run(args, exe=exe, timeout_s=ffmpeg.ffmpeg_timeout_s(), pass_fds=fds)
    except subprocess.TimeoutExpired as exc:
        raise EncodeError(f"{WHAT}: ffmpeg did not finish ({exc})") from exc
    except OSError as exc:
        raise EncodeError(f"{WHAT}: {exc}") from exc
    if proc.returncode != 0:
        raise ffmpeg.failure(WHAT, proc)


def _kept(data: bytes, piece: PieceJob) -> tuple[int, int, int, int]:
    """Where the kept frames are in a piece's encode: byte range, first
    frame and how many."""
    spans = list(frame_spans(data))
    stop = len(spans) if piece.keep_frames is None else piece.keep_first + piece.keep_frames
    if stop > len(spans) or piece.keep_first >= len(spans):
        raise EncodeError(f"{WHAT}: ffmpeg gave {len(spans)} frames, expected at least {stop}")
    lo = spans[piece.keep_first][0]
    hi = spans[stop - 1][0] + spans[stop - 1][1]
    return lo, hi, piece.keep_first, stop - piece.keep_first


class _MemoryFiles:
    """Files in memory, each ffmpeg's to open as ``/dev/fd/N`` (Linux)."""

    def __init__(self) -> None:
        self.fds: list[int] = []

    def new(self, name: str, data: bytes = b"") -> str:
        fd = os.memfd_create(f"cuecast-{name}")  # close-on-exec, passed on explicitly
        self.fds.append(fd)
        _write_all(fd, data)
        return f"/dev/fd/{fd}"

    def read(self, path: str) -> bytes:
        fd = int(path.rsplit("/", 1)[1])
        size = os.fstat(fd).st_size
        parts, at = [], 0
        while at < size:
            part = os.pread(fd, size - at, at)
            if not part:
                break
            parts.append(part)
            at += len(part)
        return b"".join(parts) if len(parts) != 1 else parts[0]

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds.clear()


class _FolderFiles:
    """Files in a temporary folder (where there are no memory files)."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="cuecast-pieces-")
        self.fds: list[int] = []

    def new(self, name: str, data: bytes = b"") -> str:
        path = os.path.join(self._dir.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def read(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def close(self) -> None:
        self._dir.cleanup()


@contextmanager
def _scratch() -> Iterator[_MemoryFiles | _FolderFiles]:
    files: _MemoryFiles | _FolderFiles
    files = _MemoryFiles() if can_spill() else _FolderFiles()
    try:
        yield files
    finally:
        files.close()
