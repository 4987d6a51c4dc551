"""An MP3 made of pieces: cut, encoded in parallel, cached, joined.

Takes the streamed mix (float32 blocks) and the MP3 settings; writes the
joined file (Info frame, frames; no tags: ``encode.py`` adds them) and
says what it did. ``cuts.py`` says where the pieces are, ``store.py``
keeps them, ``mp3frames.py`` joins them.

Each sound piece is looked up in the cache by its key; a miss is encoded
by its own ffmpeg (``encode_piece``), on an executor: by default threads,
one per core, each waiting on its ffmpeg process, which is where the work
is (measured on two cores: a process pool costs a Python start per worker
and a copy of every sample through a pipe, for the same parallel
encoding). Any ``concurrent.futures.Executor`` will do: a process pool, or
Dask's (``publish --cluster``), since a job is plain data and
``encode_piece`` a module-level function. At most ``2 x workers`` pieces
are in flight, so memory stays flat however long the track.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from cuecast import ffmpeg
from cuecast.errors import EncodeError
from cuecast.loudness.settings import Loudness
from cuecast.mp3frames import FRAME_SAMPLES, Joiner, Template, frame_spans
from cuecast.pieces.cuts import Cutter, Piece, piece_key
from cuecast.pieces.meter import FrameLevels, measure_piece, track_loudness
from cuecast.pieces.store import PieceStore

MIN_PIECED_SAMPLES = 16 * FRAME_SAMPLES
"""Shorter tracks are not worth cutting (``encode.py`` encodes them whole)."""

TEMPLATE_FRAMES = 64
"""Frames of silence encoded once per setting for the Info frame and the
silent frames. Both paddings must occur among the middle frames: at 44.1
kHz a CBR stream's longest run of one kind is 48 frames (64 kbit/s: all
but one frame in 49 padded), 24 at 128 kbit/s, at most 16 at the others."""


@dataclass(frozen=True)
class PieceJob:
    """What a worker needs to encode one piece: plain data, so it travels."""

    pcm: bytes
    kbps: int
    keep_first: int
    keep_frames: int | None
    ffmpeg_exe: str | None = None
    measure: bool = False
    """Also measure the frames kept (``meter.measure_piece``)."""


@dataclass
class Stats:
    """What a pieced encode did."""

    pieces: int = 0
    silent: int = 0
    cached: int = 0
    encoded: int = 0
    frames: int = 0
    missing: list[str] = field(default_factory=list)
    """Keys of the sound pieces not in the cache (``encode=False``)."""
    sequence: str = ""
    """The sha256 of the pieces in order: the joined file's audio is a
    function of it (and the encoder's)."""
    loudness: Loudness | None = None
    """The joined track's loudness as a player decodes it (with ``measure``)."""


def encode_piece(job: PieceJob) -> tuple[bytes, FrameLevels | None]:
    """Encode one piece and keep its frames, measured if asked (runs in a
    worker)."""
    exe = job.ffmpeg_exe or ffmpeg.ffmpeg_exe()
    try:
        proc = ffmpeg.run(ffmpeg.mp3_piece_args(job.kbps), input_bytes=job.pcm,
                          timeout_s=ffmpeg.ffmpeg_timeout_s(), exe=exe)  # fmt: skip
    except (OSError, TimeoutError) as exc:
        raise EncodeError(f"encoding a piece of the mp3: {exc}") from exc
    except Exception as exc:  # subprocess.TimeoutExpired
        raise EncodeError(f"encoding a piece of the mp3: ffmpeg did not finish ({exc})") from exc
    if proc.returncode != 0:
        raise ffmpeg.failure("encoding a piece of the mp3", proc)
    data = proc.stdout
    spans = list(frame_spans(data))
    stop = len(spans) if job.keep_frames is None else job.keep_first + job.keep_frames
    if stop > len(spans) or job.keep_first >= len(spans):
        raise EncodeError(f"encoding a piece of the mp3: ffmpeg gave {len(spans)} frames, "
                          f"expected at least {stop}")
    lo = spans[job.keep_first][0]
    hi = spans[stop - 1][0] + spans[stop - 1][1]
    levels = measure_piece(data, job.keep_first, stop - job.keep_first, exe) \
        if job.measure else None
    return data[lo:hi], levels


def entry(frames: bytes, levels: FrameLevels | None) -> bytes:
    """A piece as the cache keeps it: its levels (if measured), its frames."""
    return (b"L" + levels.to_bytes() if levels is not None else b"N") + frames


def from_entry(data: bytes) -> tuple[bytes, FrameLevels | None]:
    if data[:1] == b"L":
        levels, used = FrameLevels.from_bytes(data[1:])
        return data[1 + used :], levels
    if data[:1] == b"N":
        return data[1:], None
    raise EncodeError("a cached piece has an unknown layout")


def encoder_settings(kbps: int, exe: str) -> list[str]:
    """What a piece's bytes depend on besides its samples: ffmpeg's version
    and the arguments (part of every key)."""
    return [ffmpeg.version_line(exe), *ffmpeg.mp3_piece_args(kbps)]


def template(kbps: int, exe: str, store: PieceStore) -> Template:
    """The Info frame and silent frames of this encoder at ``kbps``: from
    the cache, else from encoding a little silence into a file once."""
    version = ffmpeg.version_line(exe)
    found = store.template(kbps, version)
    if found is not None:
        return found
    silence = np.zeros(TEMPLATE_FRAMES * FRAME_SAMPLES, dtype="<f4").tobytes()
    with tempfile.TemporaryDirectory(prefix="cuecast-mp3-") as tmp:
        out = os.path.join(tmp, "template.mp3")
        proc = ffmpeg.run(ffmpeg.mp3_template_args(kbps, out), input_bytes=silence, exe=exe,
                          timeout_s=ffmpeg.ffmpeg_timeout_s())  # fmt: skip
        if proc.returncode != 0:
            raise ffmpeg.failure("encoding silence for the mp3 header", proc)
        with open(out, "rb") as f:
            made = Template.from_file(f.read())
    store.save_template(kbps, version, made)
    return made


@contextmanager
def local_executor(workers: int | None = None) -> Iterator[cf.Executor]:
    """One thread per core, each driving an ffmpeg process."""
    n = workers or os.cpu_count() or 1
    with cf.ThreadPoolExecutor(max_workers=n, thread_name_prefix="cuecast-mp3") as ex:
        try:
            yield ex
        except BaseException:
            ex.shutdown(wait=False, cancel_futures=True)
            raise


def write_pieced(
    pcm_blocks: Iterable[np.ndarray],
    f: BinaryIO,
    *,
    kbps: int,
    total_samples: int,
    store: PieceStore | None = None,
    executor: cf.Executor | None = None,
    workers: int | None = None,
    audio_out: Callable[[bytes], None] | None = None,
    encode_missing: bool = True,
    measure: bool = False,
) -> Stats:
    """Write the MP3 of ``pcm_blocks`` (float32, gain applied and clipped,
    ``total_samples`` in all) to ``f``: Info frame and frames, no tags.
    ``audio_out`` gets the audio frames too, in order, as they are joined.
    With ``encode_missing`` False nothing is encoded: the pieces not in the
    cache are listed in ``Stats.missing`` and, if there are any, what was
    written to ``f`` is not a file (a dry run: what would a render cost?).
    With ``measure`` the track's loudness as a player decodes it is put
    together from its pieces' levels (``meter.py``; each piece is measured
    once, when it is encoded): ``Stats.loudness``."""
    store = store or PieceStore()
    exe = ffmpeg.ffmpeg_exe()
    settings = encoder_settings(kbps, exe)
    joiner = Joiner(f, template(kbps, exe, store), audio_out)
    levels: list[FrameLevels] | None = [] if measure else None
    if executor is None and encode_missing:
        with local_executor(workers) as ex:
            stats = _join(pcm_blocks, joiner, kbps, total_samples, store, ex, settings, exe,
                          levels)  # fmt: skip
    else:
        stats = _join(pcm_blocks, joiner, kbps, total_samples, store, executor, settings, exe,
                      levels)  # fmt: skip
    if stats.missing:
        return stats
    joiner.finish(total_samples)
    stats.frames = joiner.frames
    if levels is not None:
        stats.loudness = track_loudness(levels, total_samples)
    store.trim()
    return stats


def _cached(store: PieceStore, key: str, measured: bool) -> tuple[bytes, FrameLevels | None] | None:
    """A piece from the cache; a piece kept without its levels counts as
    missing for a render that measures (it is encoded and measured again)."""
    data = store.load(key)
    if data is None:
        return None
    try:
        frames, levels = from_entry(data)
    except EncodeError:
        return None
    if measured and levels is None:
        return None
    return frames, levels


def _join(pcm_blocks: Iterable[np.ndarray], joiner: Joiner, kbps: int, total: int,
          store: PieceStore, executor: cf.Executor | None, settings: list[str],
          exe: str, levels: list[FrameLevels] | None) -> Stats:
    stats = Stats()
    sequence = hashlib.sha256()
    cutter = Cutter(total)
    made_type = tuple[bytes, FrameLevels | None]
    queue: deque[tuple[Piece, str, made_type | cf.Future[made_type] | None]] = deque()
    # pieces in flight at most: one more than the workers keeps them busy;
    # each holds up to 3.5 MB of samples and, measured, its decoded audio
    limit = 1 + max(1, getattr(executor, "_max_workers", None) or os.cpu_count() or 1)
    in_flight = 0

    def settle(block: bool) -> None:
        nonlocal in_flight
        while queue:
            piece, key, made = queue[0]
            if isinstance(made, cf.Future):
                if not block and not made.done() and in_flight < limit:
                    return
                frames, measured = made.result()
                in_flight -= 1
                store.save(key, entry(frames, measured))
            else:
                frames, measured = made if made is not None else (b"", None)
            queue.popleft()
            if piece.silent:
                n = joiner.add(joiner.template.silence(piece.frames or 0))
                measured = FrameLevels.silence(n)
            else:
                joiner.add(frames)
            if levels is not None and measured is not None:
                levels.append(measured)

    def take(pieces: Iterable[Piece]) -> None:
        nonlocal in_flight
        for piece in pieces:
            stats.pieces += 1
            if piece.silent:
                stats.silent += 1
                sequence.update(f"silence {piece.frames}\n".encode())
                queue.append((piece, "", None))
                continue
            key = piece_key(piece, settings)
            sequence.update(f"{key}\n".encode())
            cached = _cached(store, key, levels is not None)
            if cached is not None:
                stats.cached += 1
                queue.append((piece, key, cached))
            elif executor is None:
                stats.missing.append(key)
                queue.append((piece, key, (b"", None)))
            else:
                stats.encoded += 1
                job = PieceJob(piece.pcm, kbps, piece.keep_first, piece.frames, exe,
                               measure=levels is not None)
                queue.append((piece, key, executor.submit(encode_piece, job)))
                in_flight += 1
            settle(block=False)

    try:
        for block in pcm_blocks:
            take(cutter.feed(block))
        take(cutter.end())
        settle(block=True)
        stats.sequence = sequence.hexdigest()
    except BaseException:
        for _, _, made in queue:
            if isinstance(made, cf.Future):
                made.cancel()
        raise
    return stats
