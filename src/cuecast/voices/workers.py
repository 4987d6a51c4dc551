"""Worker processes that speak lines for the speaker.

Takes jobs (engine, resolved voice, text, cache key); each worker process
synthesises a line, finishes the clip and stores it in the cache, then
reports the length. Processes, not threads, because espeak is
process-global and because a hung engine can only be stopped by killing
its process: a line that takes longer than its timeout is an
``EngineError`` naming the line. Workers are fresh interpreters
(``python -m cuecast.voices.workers``: no state inherited, no re-import of
the caller's ``__main__`` as multiprocessing's spawn would do) talking
pickled messages over their stdin/stdout; whatever an engine prints goes to
a log file, never to the user, and the log's tail is shown if a worker
dies.

A line's timeout is ``line_timeout_s`` (30 s plus 0.2 s a character), with
``STARTUP_TIMEOUT_S`` more for a worker's first line;
``$CUECAST_TTS_TIMEOUT`` (seconds) replaces both: every line gets that
long, a worker's first line twice that. Workers never outlive cuecast: the
render stops them on its way out (Ctrl-C, SIGTERM, an error), and on Linux
a worker is killed by the kernel if cuecast itself is killed (``kill -9``).
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from cuecast import envvars
from cuecast.errors import CuecastError, EngineError
from cuecast.script.model import VoiceSpec

LOG_TAIL_CHARS = 600
TIMEOUT_BASE_S = 30.0
"""Time every line is allowed, however short."""
TIMEOUT_PER_CHAR_S = 0.2
"""More time per character of the line's text."""
STARTUP_TIMEOUT_S = 120.0
"""Extra time for a worker's first line (imports, model loading)."""


@dataclass(frozen=True)
class Job:
    """One clip to make: the engine's registry name, the resolved voice,
    the text after the lexicon and the cache key."""

    engine: str
    voice: VoiceSpec
    text: str
    key: str


def line_timeout_s(text: str) -> float:
    """Seconds a worker may take to speak ``text``."""
    return TIMEOUT_BASE_S + TIMEOUT_PER_CHAR_S * len(text)


def run_jobs(jobs: Sequence[Job], workers: int, cache_root: Path,
             tick: Callable[[int], None], *, kept: KeptWorkers | None = None) -> None:
    """Run ``jobs`` on ``workers`` processes; ``tick(n)`` after each of the
    ``n`` done. Raises the first failure. With ``kept``, the processes are
    taken from it (started only if it has too few idle) and given back
    to it afterwards instead of being stopped."""
    line_timeout_s, startup_s = timeouts()
    pending = deque(jobs)
    engine = jobs[0].engine
    if kept is None:
        pool = [_Worker(engine, cache_root) for _ in range(workers)]
    else:
        pool = kept.take(engine, cache_root, workers)
    done = 0
    try:
        for worker in pool:
            worker.give(pending.popleft(), line_timeout_s, 0.0 if worker.spoke else startup_s)
            if not pending:
                break
        while any(w.job is not None for w in pool):
            busy = [w for w in pool if w.job is not None]
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = wait([w.conn for w in busy], timeout)
            for worker in busy:
                if worker.conn in ready:
                    worker.collect()
                    done += 1
                    tick(done)
                    if pending:
                        worker.give(pending.popleft(), line_timeout_s, 0.0)
                elif time.monotonic() >= worker.deadline:
                    worker.fail_timeout()
    finally:
        if kept is None:
            for worker in pool:
                worker.stop()
        else:
            kept.give_back(pool)


class KeptWorkers:
    """Worker processes kept alive between runs (the listener page's
    server, where each session needs a line or two spoken: starting a
    worker, an interpreter that imports the engine, costs ten times the
    line). Thread-safe. At most ``most`` idle workers are kept per engine
    and cache; a run that needs more starts them and the extra ones are
    stopped when it ends. A worker that failed, timed out or died is
    never kept (the next run starts a fresh one). ``close`` stops them all,
    and any still in a run when it ends.

    Keeping a worker changes no clip: each line is spoken from the same
    state (the engines that carry state between lines speak each in a
    child forked for it, ``forked.py``), as a worker speaking several lines
    of one render already does. The workers are started by one thread of
    this object's own, which lives as long as it: on Linux a worker is
    killed when the thread that started it ends (``PR_SET_PDEATHSIG``
    follows the thread), and the thread of a run may end before the
    worker is used again."""

    def __init__(self, most: int = os.cpu_count() or 1) -> None:
        self.most = max(1, most)
        self.started = 0
        """Workers started so far (for tests and benchmarks)."""
        self._idle: dict[tuple[str, str], list[_Worker]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._starter = cf.ThreadPoolExecutor(max_workers=1,
                                              thread_name_prefix="cuecast-speech-start")

    def take(self, engine: str, cache_root: Path, n: int) -> list[_Worker]:
        """``n`` workers for ``engine``: idle ones that are alive, else new."""
        key = (engine, str(cache_root))
        taken: list[_Worker] = []
        dead: list[_Worker] = []
        with self._lock:
            if self._closed:
                raise EngineError("the speech workers were stopped (the server is stopping)")
            idle = self._idle.get(key, [])
            while idle and len(taken) < n:
                worker = idle.pop()
                (taken if worker.alive() else dead).append(worker)
        for worker in dead:
            worker.stop()
        missing = n - len(taken)
        if missing:
            with self._lock:
                self.started += missing
            try:
                starts = [self._starter.submit(_Worker, engine, cache_root)
                          for _ in range(missing)]
                taken.extend(f.result() for f in starts)
            except BaseException:
                self.give_back(taken)
                raise
        return taken

    def give_back(self, workers: Sequence[_Worker]) -> None:
        """Keep the workers that are idle and well (up to ``most`` per
        engine and cache); stop the others."""
        stop: list[_Worker] = []
        with self._lock:
            for worker in workers:
                idle = self._idle.setdefault((worker.engine, str(worker.cache_root)), [])
                if self._closed or worker.job is not None or not worker.alive() \
                        or len(idle) >= self.most:
                    stop.append(worker)
                else:
                    idle.append(worker)
        for worker in stop:
            worker.stop()

    def idle(self) -> list[int]:
        """The process ids of the workers kept, waiting for lines."""
        with self._lock:
            return [w.process.pid for ws in self._idle.values() for w in ws]

    def close(self) -> None:
        """Stop every idle worker; those in a run are stopped when it ends."""
        with self._lock:
            self._closed = True
            idle = [w for ws in self._idle.values() for w in ws]
            self._idle.clear()
        for worker in idle:
            worker.stop()
        self._starter.shutdown(wait=False)


def timeouts() -> tuple[Callable[[str], float], float]:
    """``(seconds allowed for a line's text, extra seconds for a worker's
    first line)``; ``$CUECAST_TTS_TIMEOUT`` overrides both."""
    fixed = envvars.seconds("CUECAST_TTS_TIMEOUT", EngineError)
    if fixed is None:
        return line_timeout_s, STARTUP_TIMEOUT_S
    return (lambda text: fixed), fixed


class _Worker:
    """One ``python -m cuecast.voices.workers`` process and its pipes."""

    def __init__(self, engine: str, cache_root: Path) -> None:
        self.engine = engine
        self.cache_root = cache_root
        self.spoke = False
        """It has spoken a line (its start-up is behind it)."""
        self.log = tempfile.TemporaryFile()
        env = dict(os.environ)
        # Like multiprocessing's spawn: the child sees the parent's sys.path.
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if isinstance(p, str) and p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cuecast.voices.workers", engine, str(cache_root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.to_child = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.conn = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.job: Job | None = None
        """The line being spoken, None when the worker is idle."""
        self.deadline = 0.0
        self.allowed_s = 0.0

    def give(self, job: Job, timeout_for: Callable[[str], float], extra_s: float) -> None:
        self.job = job
        self.allowed_s = timeout_for(job.text) + extra_s
        self.deadline = time.monotonic() + self.allowed_s
        try:
            self.to_child.send((job.key, job.text, job.voice))
        except OSError:  # a kept worker that died while it waited
            raise EngineError(
                f"the {job.engine} engine stopped before speaking {job.text!r}" + self._log_tail()
            ) from None

    def busy_with(self) -> Job:
        assert self.job is not None, "the worker has no line"
        return self.job

    def collect(self) -> None:
        job = self.busy_with()
        try:
            status, message = self.conn.recv()
        except (EOFError, OSError):
            raise EngineError(
                f"the {job.engine} engine stopped while speaking {job.text!r}" + self._log_tail()
            ) from None
        if status != "ok":
            raise EngineError(f"the {job.engine} engine failed on {job.text!r}: {message}")
        self.job = None
        self.spoke = True

    def alive(self) -> bool:
        return self.process.poll() is None

    def fail_timeout(self) -> None:
        job = self.busy_with()
        self.process.kill()
        raise EngineError(
            f"the {job.engine} engine did not finish {job.text!r} "
            f"within {self.allowed_s:.0f} s (killed)"
        )

    def stop(self) -> None:
        try:
            if self.process.poll() is None and self.job is None:
                self.to_child.send(None)
                self.process.wait(2.0)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.to_child.close()
        self.conn.close()
        self.log.close()

    def _log_tail(self) -> str:
        self.process.wait()
        self.log.seek(0)
        text = self.log.read().decode("utf-8", "replace").strip()
        return f": {text[-LOG_TAIL_CHARS:]}" if text else ""


def worker_main(engine_name: str, cache_root: str) -> None:
    """A worker's loop on its stdin/stdout: ``(key, text, voice)`` in,
    ``("ok", samples)`` or ``("error", message)`` out, ``None`` to stop.
    Anything else written to fd 1 or 2 goes to the log (stderr)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    from cuecast.voices.cache import Cache
    from cuecast.voices.clip import finish
    from cuecast.voices.registry import get_engine

    cache = Cache(cache_root)
    while True:
        try:
            message = requests.recv()
        except EOFError:
            return
        if message is None:
            return
        key, text, voice = message
        try:
            engine = get_engine(engine_name)
            clip = finish(engine.synthesize(text, voice), voice.volume)
            replies.send(("ok", cache.store(key, clip)))
        except CuecastError as exc:
            replies.send(("error", exc.message))
        except Exception as exc:  # noqa: BLE001 - reported with the line's text
            replies.send(("error", f"{type(exc).__name__}: {exc}"))


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this worker when cuecast dies, so a
    hung engine cannot outlive a ``kill -9``. Elsewhere the closed pipe
    ends a worker once its line is done."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took hold
        os._exit(1)


if __name__ == "__main__":
    worker_main(*sys.argv[1:3])
