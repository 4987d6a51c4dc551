"""The render queue: a bounded number of sessions rendering at once.

Takes work (a key and a function that renders into a folder and gives the
finished file's path); gives a ``Job`` whose state, progress and live
audio the pages read. The work runs on a ``concurrent.futures`` thread pool
of ``workers`` threads (the heavy parts, speech, ffmpeg and a cluster's
renders, are other processes or numpy, so threads are enough, and they
share the progress with the pages without any pickling); at most ``bound``
jobs wait or run, and past that ``submit`` raises ``QueueFull`` with how
long to wait. The same key submitted twice while it is queued or running
gets the same job.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cuecast.errors import CuecastError
from cuecast.web.live import LiveAudio

Work = Callable[["Job"], Path]
"""Renders the job (reporting through ``job.progress``, feeding
``job.live``), returns its file."""

KEEP_FINISHED = 256
"""Finished jobs remembered for their status pages (the files are in the store)."""


class QueueFull(Exception):
    """Too many sessions waiting; try again after ``retry_after_s``."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"busy; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass
class Job:
    """One session being made. ``state`` is queued, running, done or failed."""

    key: str
    work_dir: Path
    state: str = "queued"
    stage: str = "waiting"
    done: int = 0
    total: int = 0
    error: str | None = None
    result: Path | None = None
    live: LiveAudio = field(init=False, repr=False)
    """The MP3's audio frames as the encoder gives them (``live``)."""
    created_s: float = field(default_factory=time.monotonic)
    started_s: float | None = None
    finished_s: float | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    future: cf.Future[Path] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.live = LiveAudio(self.work_dir)

    def progress(self, stage: str, done: int, total: int) -> None:
        """The render's progress callback (``cuecast.pipeline.Progress``)."""
        self.stage, self.done, self.total = stage, done, total

    @property
    def fraction(self) -> float:
        """Rough share of the work done: speech is the first 30 %, audio the rest."""
        if self.state == "done":
            return 1.0
        part = self.done / self.total if self.total else 0.0
        if self.stage == "speech":
            return 0.3 * part
        if self.stage == "audio":
            return 0.3 + 0.7 * part
        return 0.0


class JobQueue:
    def __init__(self, *, workers: int, bound: int, name: str = "render") -> None:
        self.workers = max(1, workers)
        self.bound = max(self.workers, bound)
        self._lock = threading.Lock()
        self._active: dict[str, Job] = {}
        self._finished: OrderedDict[str, Job] = OrderedDict()
        self._recent_s: list[float] = []
        self._pool = cf.ThreadPoolExecutor(max_workers=self.workers,
                                           thread_name_prefix=f"cuecast-{name}")

    def submit(self, key: str, work_dir: Callable[[], Path], work: Work) -> Job:
        """The job for ``key``: the one already queued or running, or a new
        one that runs ``work`` in the folder ``work_dir()`` makes."""
        with self._lock:
            job = self._active.get(key)
            if job is not None:
                return job
            if len(self._active) >= self.bound:
                raise QueueFull(self._retry_after_s())
            job = Job(key, work_dir())
            self._active[key] = job
            self._finished.pop(key, None)
            job.future = self._pool.submit(self._run, job, work)
        job.future.add_done_callback(lambda _: self._retire(job))
        return job

    def get(self, key: str) -> Job | None:
        with self._lock:
            return self._active.get(key) or self._finished.get(key)

    def active(self, key: str) -> Job | None:
        """The job of ``key`` if it is queued or running (not yet retired)."""
        with self._lock:
            return self._active.get(key)

    def position(self, job: Job) -> int:
        """How many jobs are ahead of ``job`` in the queue (0 once it runs)."""
        if job.state != "queued":
            return 0
        with self._lock:
            waiting = [j for j in self._active.values() if j.state == "queued"]
        return sum(1 for j in waiting if j.created_s < job.created_s)

    def load(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return len(self._active)

    def close(self) -> None:
        """Drop the jobs still waiting; the running ones end on their own."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(job: Job, work: Work) -> Path:
        job.state, job.started_s = "running", time.monotonic()
        try:
            job.result = work(job)
            job.state = "done"
        except CuecastError as err:
            job.state, job.error = "failed", err.message
        except Exception as err:  # noqa: BLE001  a render bug must fail its job only
            job.state, job.error = "failed", f"the render failed ({type(err).__name__})"
        finally:
            job.finished_s = time.monotonic()
            job.live.close()
        return job.result or job.work_dir

    def _retire(self, job: Job) -> None:
        if job.future is not None and job.future.cancelled():
            job.state, job.error = "failed", "the server is stopping"
            job.live.close()
        with self._lock:
            self._active.pop(job.key, None)
            self._finished[job.key] = job
            while len(self._finished) > KEEP_FINISHED:
                self._finished.popitem(last=False)
            if job.state == "done" and job.started_s is not None and job.finished_s is not None:
                self._recent_s = [*self._recent_s[-9:], job.finished_s - job.started_s]
        job.finished.set()
        job.live.release()  # new listeners get the stored file; the spool goes with the last

    def _retry_after_s(self) -> int:
        """Seconds until a slot is likely free: a typical render, at least 5 s."""
        typical = sorted(self._recent_s)[len(self._recent_s) // 2] if self._recent_s else 30.0
        return int(min(300, max(5, typical)))
