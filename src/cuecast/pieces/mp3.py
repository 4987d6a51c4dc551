"""An MP3 made of pieces: cut, encoded in parallel, cached, joined.

Takes the streamed mix (float32 blocks) and the MP3 settings; writes the
joined file (Info frame, frames; no tags: ``encode.py`` adds them) and
says what it did. ``cuts.py`` says where the pieces are, ``store.py``
keeps them, ``mp3frames.py`` joins them.

Each sound piece is looked up in the cache by its key (a piece met again
while its first place in this render is still being encoded waits for
that one: each distinct piece is encoded once; a piece another render
of this process is encoding at that moment, ``IN_FLIGHT``, is waited for
too, not encoded twice); the misses are
encoded (and measured) in batches, many pieces to one ffmpeg
(``batch.py``: a piece's bytes and levels are those of encoding it alone),
on an executor: by default threads, one per core, each waiting on its
ffmpeg process, which is where the work is (measured on two cores: a
process pool costs a Python start per worker and a copy of every sample
through a pipe, for the same parallel encoding). Any
``concurrent.futures.Executor`` will do: a process pool, or Dask's
(``publish --cluster``), since a job is plain data and ``encode_batch`` a
module-level function. ``_Batcher`` says when a batch goes.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import numpy as np

from cuecast import ffmpeg
from cuecast.blocks import Stretch
from cuecast.errors import EncodeError
from cuecast.loudness.settings import Loudness
from cuecast.mp3frames import FRAME_SAMPLES, Joiner, Template
from cuecast.pieces.batch import BatchJob, Made, PieceJob, can_spill, encode_batch, spill
from cuecast.pieces.cuts import Cuts, Cutter, Piece, piece_key
from cuecast.pieces.meter import FrameLevels, track_loudness
from cuecast.pieces.store import PieceStore
from cuecast.pieces.stretches import RECIPES, SPAN_STRETCHES, Recipes, Record, record_key
from cuecast.units import SAMPLE_RATE

MIN_PIECED_SAMPLES = 16 * FRAME_SAMPLES
"""Shorter tracks are not worth cutting (``encode.py`` encodes them whole)."""

TEMPLATE_FRAMES = 64
"""Frames of silence encoded once per setting for the Info frame and the
silent frames. Both paddings must occur among the middle frames: at 44.1
kHz a CBR stream's longest run of one kind is 48 frames (64 kbit/s: all
but one frame in 49 padded), 24 at 128 kbit/s, at most 16 at the others."""

BATCH_SAMPLES = 40 * SAMPLE_RATE
"""A batch is sent to its ffmpeg once it holds this much audio (40 s, 7
MB of float32: starting ffmpeg then costs a small part of the batch's
encoding, and the batches out stay small in memory). 20 s and 16 pieces
until 2026-12-06: the seed's warm render ran 29 ffmpegs, now 17, 0.2 s
less CPU and 0.16 s less wall (quiet machine, 6 rounds; the same bytes:
a piece is encoded by an encoder of its own whatever its batch)..."""

BATCH_PIECES = 32
"""... or this many pieces."""

EAGER_SAMPLES = 8 * SAMPLE_RATE
"""A worker with nothing to do gets the batch being gathered once it holds
this much audio (the first batch of a track goes at once, whatever it holds)."""


@dataclass
class Stats:
    """What a pieced encode did."""

    pieces: int = 0
    silent: int = 0
    cached: int = 0
    encoded: int = 0
    repeated: int = 0
    """Sound pieces the same (same key) as one this render encodes at an
    earlier place, still in flight there: encoded once, joined twice."""
    shared: int = 0
    """Sound pieces another render of this process was encoding when this
    one met them (``IN_FLIGHT``): taken from that encode, not encoded again."""
    replayed: int = 0
    """Sound pieces found by their stretch's recipe (``stretches.py``): not
    mixed, cut nor hashed (counted among ``cached`` or ``repeated`` too)."""
    frames: int = 0
    missing: list[str] = field(default_factory=list)
    """Keys of the sound pieces not in the cache (``encode=False``), each once."""
    sequence: str = ""
    """The sha256 of the pieces in order: the joined file's audio is a
    function of it (and the encoder's)."""
    loudness: Loudness | None = None
    """The joined track's loudness as a player decodes it (with ``measure``)."""


LEVELS = b"M"
"""An entry's first byte when it holds levels (``b"N"``: none). It names
how they were measured: ``b"L"`` entries hold levels K-weighted a whole
piece at once, ``b"K"`` ones levels of a piece decoded by ffmpeg and
K-weighted in float32 blocks (before ``meter.decode`` and
``meter.piece_levels`` in double precision: the same loudness, not the
same bits), so their frames serve, their levels are measured again (a
render's loudness does not depend on which pieces the cache had)."""
OLD_LEVELS = (b"L", b"K")


def entry(frames: bytes, levels: FrameLevels | None) -> bytes:
    """A piece as the cache keeps it: its levels (if measured), its frames."""
    return (LEVELS + levels.to_bytes() if levels is not None else b"N") + frames


def from_entry(data: bytes) -> tuple[bytes, FrameLevels | None]:
    tag = data[:1]
    if tag == LEVELS:  # read through a view: the entry is not copied to read its levels
        levels, used = FrameLevels.from_bytes(memoryview(data)[1:])
        return data[1 + used :], levels
    if tag in OLD_LEVELS:
        _, used = FrameLevels.from_bytes(memoryview(data)[1:])
        return data[1 + used :], None
    if tag == b"N":
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
    pcm_blocks: Iterable[np.ndarray | Stretch],
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
    recipes: Recipes | None = None,
) -> Stats:
    """Write the MP3 of ``pcm_blocks`` (float32, gain applied and clipped,
    ``total_samples`` in all) to ``f``: Info frame and frames, no tags.
    Some of it may come as ``blocks.Stretch``es, named by their recipe:
    one whose pieces ``recipes`` (default ``stretches.RECIPES``, and the
    records in ``store``) knows is not mixed (``stretches.py``).
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
    recipes = RECIPES if recipes is None else recipes
    if executor is None and encode_missing:
        with local_executor(workers) as ex:
            stats = _join(pcm_blocks, joiner, kbps, total_samples, store, ex, settings, exe,
                          levels, recipes)  # fmt: skip
    else:
        stats = _join(pcm_blocks, joiner, kbps, total_samples, store, executor, settings, exe,
                      levels, recipes)  # fmt: skip
    if stats.missing:
        return stats
    joiner.finish(total_samples)
    stats.frames = joiner.frames
    if levels is not None:
        stats.loudness = track_loudness(levels, total_samples)
    store.trim_if_grown()
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


class _Batch:
    """Sound pieces gathered for one ffmpeg run, then its future."""

    def __init__(self) -> None:
        self.jobs: list[PieceJob] = []
        self.samples = 0
        self.future: cf.Future[list[Made]] | None = None
        self.keys: list[str] = []
        """Its pieces' keys, in order (``IN_FLIGHT`` lists them once it is out)."""
        self.left = 0
        """Pieces of it not yet joined."""
        self.fds: list[int] = []
        """Memory files holding its samples (``batch.spill``), closed once it is done."""

    def close(self, _: object = None) -> None:
        fds, self.fds = self.fds, []
        for fd in fds:
            os.close(fd)


class InFlight:
    """The sound pieces being encoded by the renders of this process at this
    moment, by key: where each one's frames (and levels) will be, so that a
    render meeting a piece another render is encoding (listeners of the
    page asking at once for sessions sharing a countdown, a chime, a new
    line) waits for that encode instead of running another. Thread-safe.

    A piece is listed from when its batch goes to the executor until that
    batch is done (made, failed or cancelled): a piece still gathering in
    its render's batch is not listed (waiting for it could wait on a render
    that waits in turn), and nothing stays listed once done: what lasts is
    the piece cache. A render taking a piece from another's batch that
    failed or was cancelled encodes the piece itself.

    Only batches run by ``concurrent.futures`` futures are listed (a thread
    or process pool, the page's shared executor), under the key and
    whether the batch measures (a render measuring needs the levels)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pieces: dict[tuple[str, bool], _Slot] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._pieces)

    def find(self, key: str, measure: bool) -> _Slot | None:
        """Where the piece ``key`` is being encoded by a batch that is out,
        if one is (and measures, when ``measure``)."""
        with self._lock:
            found = self._pieces.get((key, True))
            if found is None and not measure:
                found = self._pieces.get((key, False))
            return found

    def add(self, batch: _Batch, measure: bool) -> None:
        """List the pieces of ``batch`` (just submitted) until it is done."""
        future = batch.future
        if not isinstance(future, cf.Future):
            return
        mine: list[tuple[str, bool]] = []
        with self._lock:
            for index, key in enumerate(batch.keys):
                name = (key, measure)
                if name not in self._pieces:
                    self._pieces[name] = _Slot(batch, index)
                    mine.append(name)

        def done(_: object) -> None:
            with self._lock:
                for name in mine:
                    slot = self._pieces.get(name)
                    if slot is not None and slot.batch is batch:
                        del self._pieces[name]

        future.add_done_callback(done)  # at once if it is done already


@dataclass(frozen=True)
class _Slot:
    """A piece's place in a batch."""

    batch: _Batch
    index: int


class _Batcher:
    """Gathers the pieces to encode into batches and hands them to the
    executor (``poke``): a full batch (``BATCH_SAMPLES``, ``BATCH_PIECES``)
    as soon as fewer than ``workers + 1`` batches are out; one holding
    ``EAGER_SAMPLES`` as soon as a worker has nothing to do; the track's
    first at once, so its first piece goes out alone, promptly (a
    listener's first bytes). While the workers are busy the pieces gather
    into larger batches (fewer ffmpeg runs); once a full batch waits, the
    mixer waits (``blocked``): memory stays flat however long the track.
    On a thread pool the samples wait in memory files, not on the heap."""

    def __init__(self, executor: cf.Executor, kbps: int, exe: str, measure: bool,
                 in_flight: InFlight | None = None) -> None:
        self.executor = executor
        self.in_flight = in_flight
        self.kbps, self.exe, self.measure = kbps, exe, measure
        self.workers = max(1, getattr(executor, "_max_workers", None) or os.cpu_count() or 1)
        self.limit = self.workers + 1
        self.spill = isinstance(executor, cf.ThreadPoolExecutor) and can_spill()
        self.gathering: _Batch | None = None
        self.out: list[_Batch] = []
        """Submitted and not yet joined, in order."""
        self.started = False

    def add(self, piece: Piece, key: str) -> _Slot:
        batch = self.gathering = self.gathering or _Batch()
        batch.keys.append(key)
        if self.spill:
            fd = spill(piece.pcm)
            batch.fds.append(fd)
            batch.jobs.append(PieceJob(piece.keep_first, piece.frames, pcm_fd=fd))
        else:
            batch.jobs.append(PieceJob(piece.keep_first, piece.frames, piece.pcm))
        batch.samples += len(piece.pcm) // 4
        batch.left += 1
        slot = _Slot(batch, len(batch.jobs) - 1)
        self.poke()
        return slot

    def poke(self) -> None:
        """Submit the batch being gathered if it is time."""
        batch = self.gathering
        if batch is None or len(self.out) >= self.limit:
            return
        if self.blocked() or not self.started:
            self.submit()
        elif batch.samples >= EAGER_SAMPLES and self.running() < self.workers:
            self.submit()

    def blocked(self) -> bool:
        """Whether the batch being gathered is full (and waits for room)."""
        batch = self.gathering
        return batch is not None and (batch.samples >= BATCH_SAMPLES
                                      or len(batch.jobs) >= BATCH_PIECES)  # fmt: skip

    def running(self) -> int:
        return sum(1 for b in self.out if b.future is not None and not b.future.done())

    def submit(self) -> None:
        batch, self.gathering = self.gathering, None
        if batch is None:
            return
        job = BatchJob(tuple(batch.jobs), self.kbps, self.exe, self.measure)
        batch.jobs = []  # the job holds the samples now, until it is done
        batch.future = self.executor.submit(encode_batch, job)
        batch.future.add_done_callback(batch.close)
        if self.in_flight is not None:
            self.in_flight.add(batch, self.measure)
        self.out.append(batch)
        self.started = True

    def take(self, slot: _Slot, block: bool) -> Made | None:
        """The piece of ``slot`` if its batch is done (or ``block``), else None."""
        batch = slot.batch
        if batch.future is None:
            if not block:
                return None
            self.submit()
        assert batch.future is not None
        if not block and not batch.future.done() and not self.blocked():
            return None
        made = batch.future.result()[slot.index]
        batch.left -= 1
        if batch.left == 0:
            self.out.remove(batch)
        return made

    def take_shared(self, slot: _Slot, block: bool) -> Made | None:
        """The piece of ``slot``, in another render's batch, once that batch is
        done (or ``block``, or this render's batch being gathered is full),
        else None. Raises if that batch failed or was cancelled."""
        future = slot.batch.future
        assert future is not None  # listed once out
        if not block and not future.done() and not self.blocked():
            return None
        return future.result()[slot.index]

    def cancel(self) -> None:
        for batch in self.out:
            if batch.future is not None:
                batch.future.cancel()
        if self.gathering is not None:
            self.gathering.close()


@dataclass(frozen=True)
class _Again:
    """A piece the same as one encoded for an earlier place of this render:
    joined from that one's frames once it is made."""


_AGAIN = _Again()


@dataclass(frozen=True)
class _Shared:
    """A piece another render is encoding (``InFlight``): joined from its
    frames once made, or encoded here if that encode fails."""

    slot: _Slot
    piece: Piece


IN_FLIGHT = InFlight()
"""This process's pieces in flight, shared by its renders."""


@dataclass
class _Span:
    """A record being made over stretches mixed one after the other."""

    enter: tuple[int | None]
    """How the cutter stood at its start (``Cutter.entry``)."""
    start: int
    end: int = 0
    recipes: list[str] = field(default_factory=list)
    settled: list[Piece] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def _shape(piece: Piece) -> Piece:
    """A piece without its samples: where it is, all a record keeps of it
    (``Cutter.recorded``). A ``_Span`` kept the pieces themselves, and with
    them every mixed block they view and their bytes for the encoder, for
    up to ``SPAN_STRETCHES`` stretches: 29 MB at the seed's peak."""
    return replace(piece, samples=()) if piece.samples else piece


@dataclass(frozen=True)
class _Queued:
    """A piece waiting its turn to be joined (its samples are not kept,
    but while another render encodes it: ``_Shared``)."""

    silent: bool
    frames: int | None
    key: str
    made: Made | _Slot | _Again | _Shared | None


def _join(pcm_blocks: Iterable[np.ndarray | Stretch], joiner: Joiner, kbps: int, total: int,
          store: PieceStore, executor: cf.Executor | None, settings: list[str],
          exe: str, levels: list[FrameLevels] | None, recipes: Recipes) -> Stats:
    stats = Stats()
    sequence = hashlib.sha256()
    cutter = Cutter(total)
    queue: deque[_Queued] = deque()
    batcher = (_Batcher(executor, kbps, exe, levels is not None, IN_FLIGHT)
               if executor is not None else None)  # fmt: skip
    waiting: dict[str, int] = {}
    """Keys this render encodes (or, dry, misses), not yet joined: how many
    later places wait for the same piece (``_Again``)..."""
    made_for: dict[str, Made] = {}
    """... and the frames of those joined that later places still wait for."""

    def settle(block: bool) -> None:
        while queue:
            head = queue[0]
            if isinstance(head.made, _Shared):
                assert batcher is not None
                try:
                    made = batcher.take_shared(head.made.slot, block)
                except Exception:  # that render failed or was cancelled: encode it here
                    stats.shared -= 1
                    stats.encoded += 1
                    slot = batcher.add(head.made.piece, head.key)
                    queue[0] = head = _Queued(False, head.frames, head.key, slot)
                    continue
                if made is None:
                    return
                store.save(head.key, entry(*made))  # its cache may not be this one
                if waiting[head.key]:
                    made_for[head.key] = made
                else:
                    del waiting[head.key]
            elif isinstance(head.made, _Slot):
                assert batcher is not None
                made = batcher.take(head.made, block)
                if made is None:
                    return
                store.save(head.key, entry(*made))
                if waiting[head.key]:
                    made_for[head.key] = made
                else:
                    del waiting[head.key]  # a later place finds it in the cache
            elif isinstance(head.made, _Again):
                made = made_for[head.key]  # joined before: it came first
                waiting[head.key] -= 1
                if not waiting[head.key]:
                    del waiting[head.key], made_for[head.key]
            else:
                made = head.made
            frames, measured = made if made is not None else (b"", None)
            queue.popleft()
            if head.silent:
                n = joiner.add(joiner.template.silence(head.frames or 0))
                measured = FrameLevels.silence(n)
            else:
                joiner.add(frames)
            if levels is not None and measured is not None:
                levels.append(measured)
            if batcher is not None:
                batcher.poke()

    def take(pieces: Iterable[Piece], keys: list[str] | None = None) -> None:
        """Queue the pieces settled (their keys, sound pieces', to ``keys``)."""
        for piece in pieces:
            stats.pieces += 1
            if piece.silent:
                stats.silent += 1
                sequence.update(f"silence {piece.frames}\n".encode())
                queue.append(_Queued(True, piece.frames, "", None))
            else:
                key = piece_key(piece, settings)
                sequence.update(f"{key}\n".encode())
                queue.append(_Queued(False, piece.frames, key, lookup(piece, key)))
                if keys is not None:
                    keys.append(key)
            settle(block=False)

    replayed_to = 0
    """Where the stretches replayed so far end (a record may span several)."""
    gathering: list[_Span] = []
    """The record being made, over the stretches mixed since one it may start at."""

    def stretch(item: Stretch) -> None:
        """A stretch replayed from its record, else mixed, cut and recorded."""
        nonlocal replayed_to
        if item.stop <= replayed_to:
            return  # in a record replayed with the stretch before
        if item.start < replayed_to:  # pragma: no cover - a record ends where a stretch does
            raise AssertionError(f"a replayed record ends inside the stretch at {item.start}")
        enter = None if item.recipe is None else cutter.entry(item.start, item.head_start)
        if enter is not None and item.recipe is not None:
            found = recorded(item.recipe, item.ahead)
            if found is not None and replay(item, found):
                replayed_to = cutter.received
                gathering.clear()
                return
        if cutter.lacking is not None:  # the stretch before was replayed: its samples here
            if item.head is None:
                raise ValueError(f"no samples from {item.head_start} to restore")
            cutter.restore(item.head_start, item.head())
        span = gathering[0] if gathering else None
        if span is not None and (item.recipe is None or span.end != item.start
                                 or len(span.recipes) >= SPAN_STRETCHES):  # fmt: skip
            gathering.clear()
            span = None
        if span is None and enter is not None and item.recipe is not None:
            span = _Span(enter, item.start)
            gathering.append(span)
        for block in item.blocks():
            pieces = list(cutter.feed(block))
            if span is not None:
                span.settled += map(_shape, pieces)
            take(pieces, None if span is None else span.keys)
        if span is None or item.recipe is None:
            return
        span.recipes.append(item.recipe)
        span.end = item.stop
        if cutter.received != item.stop:  # pragma: no cover - the stream's stretches are whole
            gathering.clear()
            return
        if item.stop == total:
            return  # the track's last pieces are settled at its end (``last``)
        cuts = cutter.recorded(span.start, span.enter, span.settled, item.next_head)
        if cuts is not None:
            keep(span, cuts)
        # else not where a record may end: it goes on over the next stretch

    def last(pieces: list[Piece]) -> None:
        """The track's last pieces (``Cutter.end``), the record being made
        over the stretches to the end ended with them."""
        span = gathering[0] if gathering else None
        if span is None or span.end != total:
            take(pieces)
            return
        span.settled += map(_shape, pieces)
        take(pieces, span.keys)
        cuts = cutter.recorded(span.start, span.enter, span.settled, total)
        if cuts is not None:
            keep(span, cuts)

    def keep(span: _Span, cuts: Cuts) -> None:
        n = len(span.recipes)
        recipes.keep(record_key(span.recipes, settings, cutter),
                     Record(cuts, tuple(span.keys), n), store)  # fmt: skip
        if n > 1:  # found from its first stretch
            recipes.keep(record_key(span.recipes[:1], settings, cutter), Record(None, (), n),
                         store)  # fmt: skip
        gathering.clear()

    def recorded(recipe: str, ahead: tuple[str | None, ...]) -> Record | None:
        """The record of the stretch with ``recipe`` (and of those after it
        with the recipes ``ahead``, if it spans them), if known."""
        found = recipes.find(record_key([recipe], settings, cutter), store)
        if found is None or found.cuts is not None:
            return found
        more = ahead[: found.span - 1]
        if len(more) != found.span - 1 or any(r is None for r in more):
            return None
        found = recipes.find(record_key([recipe, *more], settings, cutter), store)  # type: ignore[list-item]
        return None if found is None or found.cuts is None else found

    def replay(item: Stretch, record: Record) -> bool:
        """Queue the record's pieces if each is at hand (cached, or encoded
        by this render; a dry run lists those that are not): not otherwise."""
        cuts = record.cuts
        if cuts is None or not cutter.can_replay(item.start, cuts) or (
                record.span == 1 and not cuts.final
                and cuts.slots * FRAME_SAMPLES != item.stop - item.start):  # fmt: skip
            return False
        found = [known(key) for key in record.keys]
        if batcher is not None and any(f is None for f in found):
            return False
        keys = iter(zip(record.keys, found, strict=True))
        for piece in cutter.replay(item.start, cuts):
            stats.pieces += 1
            if piece.silent:
                stats.silent += 1
                sequence.update(f"silence {piece.frames}\n".encode())
                queue.append(_Queued(True, piece.frames, "", None))
                continue
            key, made = next(keys)
            stats.replayed += 1
            sequence.update(f"{key}\n".encode())
            queue.append(_Queued(False, piece.frames, key, lookup(piece, key, made)))
        settle(block=False)
        return True

    def known(key: str) -> Made | _Again | None:
        """A piece at hand without its samples: this render's (in flight) or
        cached; None if it is neither."""
        if key in waiting:
            return _AGAIN
        return _cached(store, key, levels is not None)

    def lookup(piece: Piece, key: str,
               found: Made | _Again | None = None) -> Made | _Slot | _Again | _Shared:
        """Where the piece's frames come from (``found``: ``known``'s answer,
        for a piece replayed without its samples)."""
        if key in waiting:  # in flight for an earlier place: not encoded twice
            stats.repeated += 1
            if batcher is None:
                return b"", None
            waiting[key] += 1
            return _AGAIN
        if isinstance(found, _Again):  # pragma: no cover - nothing is joined between
            raise AssertionError(f"piece {key} was in flight and is not")
        cached = found if found is not None else _cached(store, key, levels is not None)
        if cached is not None:
            stats.cached += 1
            return cached
        if batcher is None:
            stats.missing.append(key)
            waiting[key] = 0  # a dry run lists it once, as a render encodes it once
            return b"", None
        waiting[key] = 0
        shared = IN_FLIGHT.find(key, levels is not None)
        if shared is not None:  # another render is encoding it: not encoded twice
            stats.shared += 1
            return _Shared(shared, piece)
        stats.encoded += 1
        return batcher.add(piece, key)

    try:
        for block in pcm_blocks:
            if isinstance(block, Stretch):
                stretch(block)
            elif cutter.received >= replayed_to:
                take(cutter.feed(block))
            else:  # pragma: no cover - a record spans stretches right after each other
                raise AssertionError("samples in a replayed record")
        if not cutter.done:  # (a record to the track's end settled its last pieces)
            last(list(cutter.end()))
        if batcher is not None:  # nothing more comes: the last batch goes now (listed in flight)
            batcher.submit()
        settle(block=True)
        stats.sequence = sequence.hexdigest()
    except BaseException:
        if batcher is not None:
            batcher.cancel()
        raise
    return stats
