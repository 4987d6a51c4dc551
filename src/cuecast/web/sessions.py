"""Making sessions: plans for the live total, renders through the queues.

Takes a ``Choice`` (see ``library``); gives its total length (the
library's own plan, with the speech cache, remembered per key) and its
file: straight from the store when the same session was made before,
otherwise a ``Job`` that renders with ``cuecast.pipeline.render`` into a
work folder and moves the finished file into the store. With
``Settings.pieces`` (``cuecast serve --cluster``: a Dask client's
executor) the MP3's pieces not in the cache are encoded there, as
``publish --cluster`` encodes tracks; the rest (speech, mix, join, live
audio) stays here, with the same bytes.

Two queues (``jobs.JobQueue``), so that a crowd asking for small changes
is never refused because of real rendering work: a session that needs at
most ``FEW_LINES`` new spoken lines (only holds, rests or counts changed,
and the lines that say them) goes to the *assembly* queue, bounded
generously (``Settings.assembly_bound``); one that needs more new speech
(another voice, a new track) goes to the *render* queue, bounded by
``--queue``, past which the answer is 503.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cuecast.encode import PieceOptions
from cuecast.errors import CuecastError
from cuecast.loudness import KeptAnchors
from cuecast.memo import SERVER_BYTES, ClipMemo
from cuecast.pipeline import Loaded, lines_to_speak, load_request, prepare, render
from cuecast.timeline import Timeline
from cuecast.voices.workers import KeptWorkers
from cuecast.web.jobs import Job, JobQueue, QueueFull
from cuecast.web.library import BadChoice, Choice, Library
from cuecast.web.speech import SpeechBatch
from cuecast.web.store import Store

FEW_LINES = 8
"""New spoken lines a session may need and still count as a small change."""
PLANS_KEPT = 256
"""Plans remembered (a timeline of a 20-minute session is about 100 KB)."""
PLANS_AT_ONCE = 2
"""Plans (for the live total) running at the same time; more wait."""

@dataclass(frozen=True)
class Settings:
    """How much the server takes on. Sizes in bytes, rates per minute per client."""

    store_dir: Path
    workers: int = os.cpu_count() or 1
    queue_bound: int = 0
    """Jobs needing much new speech waiting or running before 503; 0: four per worker."""
    assembly_bound: int = 1024
    """Jobs needing a few new lines at most, waiting or running, before 503."""
    assembling: int = 0
    """Jobs needing a few new lines at most assembled at once; 0: four per
    worker. Their work is mostly joining cached pieces and waiting on the
    encoders, so several share a core, and each listener's first bytes
    (the pieces before the first change, all cached) come without waiting
    for the sessions ahead to finish."""
    disk_budget_bytes: int = 2 * 1024**3
    max_body_bytes: int = 16 * 1024
    renders_per_minute: int = 30
    plans_per_minute: int = 240
    requests_per_minute: int = 1200
    clip_memo_bytes: int = SERVER_BYTES
    """Per-clip work kept in memory across sessions (``cuecast.memo``): the
    clips loaded, limited and measured for one session of a track serve
    the next ones."""
    pieces: cf.Executor | None = None
    """Where the MP3 pieces not in the cache are encoded, if not on this
    machine's cores (``serve --cluster``: a Dask client's executor)."""
    on_close: Callable[[], None] | None = None
    """Called when the server stops (lets the cluster's client go)."""

    @property
    def bound(self) -> int:
        return self.queue_bound or 4 * self.workers


class Sessions:
    def __init__(self, library: Library, settings: Settings) -> None:
        self.library = library
        self.settings = settings
        self.store = Store(settings.store_dir, settings.disk_budget_bytes)
        self.queue = JobQueue(workers=settings.workers, bound=settings.bound)
        self.assembly = JobQueue(workers=settings.assembling or 4 * settings.workers,
                                 bound=settings.assembly_bound, name="assemble")
        self._own_pieces = settings.pieces is None
        self.pieces: cf.Executor = settings.pieces or cf.ThreadPoolExecutor(
            max_workers=os.cpu_count() or 1, thread_name_prefix="cuecast-mp3")
        """Encodes the pieces not cached of every session: one ffmpeg per core
        for the whole server (or the cluster's), however many sessions run."""
        self._plans: OrderedDict[str, Timeline] = OrderedDict()
        self._plans_lock = threading.Lock()
        self._planning = threading.BoundedSemaphore(PLANS_AT_ONCE)
        self._starting = threading.Lock()
        self.speakers = KeptWorkers(os.cpu_count() or 1)
        """The engines' worker processes, kept between sessions: a session
        needing one new line ("68 seconds on each side") speaks it in a
        worker already started, not in a new interpreter."""
        self.speech = SpeechBatch(kept=self.speakers)
        self.clips = ClipMemo(settings.clip_memo_bytes)
        """Every session's clips loaded, limited and measured, by content: a
        session of a track made before reads, limits and measures only its
        new lines (bounded by bytes, least recently used dropped)."""
        self.anchors = KeptAnchors()
        """How each track's default session was levelled (``Choice.default_key``):
        a customised session keeps its gain (``loudness/levelling.py``, rule 6)
        without loading, planning and measuring the default session again."""

    def total_s(self, choice: Choice) -> float:
        """The session's length in seconds (planned once per key)."""
        return self.timeline(choice).duration_s

    def timeline(self, choice: Choice) -> Timeline:
        """The session's plan (once per key; the page draws it)."""
        with self._plans_lock:
            if choice.key in self._plans:
                self._plans.move_to_end(choice.key)
                return self._plans[choice.key]
        with self._planning:
            try:
                timeline = prepare(choice.request.script, choice.request.options,
                                   kept=self.speakers).timeline
            except CuecastError as err:
                raise BadChoice(err.message, status=422 if err.exit_code == 2 else 500) from None
        with self._plans_lock:
            self._plans[choice.key] = timeline
            while len(self._plans) > PLANS_KEPT:
                self._plans.popitem(last=False)
        return timeline

    def known_total_s(self, choice: Choice) -> float | None:
        """The length if it was planned already (never plans)."""
        known = self.known_timeline(choice)
        return None if known is None else known.duration_s

    def known_timeline(self, choice: Choice) -> Timeline | None:
        """The plan if it was made already (never plans)."""
        with self._plans_lock:
            return self._plans.get(choice.key)

    def finished(self, key: str, *, use: bool = False) -> Path | None:
        """The stored file of ``key``, or None. ``use``: its bytes are about
        to be sent (it becomes the store's most recently used); without it a
        look that writes nothing (a status poll)."""
        return self.store.use(key) if use else self.store.get(key)

    def start(self, choice: Choice) -> Job | Path:
        """The stored file for the choice, or its job (new or running).
        ``QueueFull`` when too many are waiting. Reads the speech cache to
        choose the queue: call it off the event loop."""
        stored = self.store.use(choice.key)  # asked for again: wanted
        if stored is not None:
            return stored
        loaded = self._loaded(choice)
        new = self._new_lines(choice, loaded)
        small = new is not None and new <= FEW_LINES
        batched = small and bool(new)  # nothing to speak: no batch to wait for
        lane = self.assembly if small else self.queue
        with self._starting:  # one job per key, whichever queue it is in
            running = self._active(choice.key)
            if running is not None:
                return running
            stored = self.store.use(choice.key)  # a job that ended since the first look
            if stored is not None:
                return stored
            if batched:  # its few new lines are spoken with those of the others waiting
                self.speech.add(choice.key, loaded or choice.request)
            try:
                return lane.submit(choice.key, lambda: self.store.work_dir(choice.key),
                                   lambda job: self._render(job, choice, batched, loaded))
            except QueueFull:
                self.speech.discard(choice.key)
                raise

    def job(self, key: str) -> Job | None:
        """The job of ``key``: the one queued or running, in either queue,
        else the one that ended last (for its status page)."""
        active = self._active(key)
        if active is not None:
            return active
        ended = [j for j in (self.assembly.get(key), self.queue.get(key)) if j is not None]
        return max(ended, key=lambda j: j.created_s) if ended else None

    def _active(self, key: str) -> Job | None:
        """The job of ``key`` queued or running in either queue: the other
        queue may hold an ended one of the same key, which must not hide it."""
        for lane in (self.assembly, self.queue):
            job = lane.active(key)
            if job is not None:
                return job
        return None

    def position(self, job: Job) -> int:
        """Jobs ahead of ``job`` in its queue (0 once it runs)."""
        return self.assembly.position(job) + self.queue.position(job)

    def warm(self) -> None:
        """Plan every track as the catalogue gives it (fills the speech cache
        and the home page's lengths); errors are left for the track's page."""
        for view in self.library.tracks.values():
            try:
                self.total_s(self.library.choose(view, {}))
            except (BadChoice, CuecastError):
                continue

    def close(self) -> None:
        self.queue.close()
        self.assembly.close()
        self.speakers.close()
        if self._own_pieces:
            self.pieces.shutdown(wait=False, cancel_futures=True)
        if self.settings.on_close is not None:
            self.settings.on_close()  # the cluster's client

    def _loaded(self, choice: Choice) -> Loaded | None:
        """The request read once (``pipeline.load_request``): its count of
        new lines, its speech, its render and its default session's
        levelling read it no more. None if its script does not load: its
        render, in the render queue, reports why."""
        try:
            return load_request(choice.request, kept=self.speakers, anchors=self.anchors,
                                default_key=choice.default_key, script=choice.script)  # fmt: skip
        except CuecastError:
            return None

    def _new_lines(self, choice: Choice, loaded: Loaded | None = None) -> int | None:
        """Lines the session needs spoken that are not in the speech cache
        (None if its script does not load)."""
        if loaded is None:
            return None
        try:
            return lines_to_speak(choice.request.script, choice.request.options, loaded=loaded)
        except CuecastError:
            return None

    def _render(self, job: Job, choice: Choice, batched: bool = False,
                loaded: Loaded | None = None) -> Path:  # fmt: skip
        out = job.work_dir / "session.mp3"
        request = choice.request
        try:
            if batched:
                job.progress("speech", 0, 1)
                self.speech.before(choice.key)
            render(request.script, out, request.options, job.progress, audio_out=job.live.write,
                   pieces=PieceOptions(executor=self.pieces), kept=self.speakers,
                   memo=self.clips, loaded=loaded)
            return self.store.put(choice.key, out)
        finally:
            self.store.discard_work(choice.key)
