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

import os
import signal
import subprocess
import sys
import tempfile
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
             tick: Callable[[int], None]) -> None:
    """Run ``jobs`` on ``workers`` processes; ``tick(n)`` after each of the
    ``n`` done. Raises the first failure."""
    line_timeout_s, startup_s = timeouts()
    pending = deque(jobs)
    pool = [_Worker(jobs[0].engine, cache_root) for _ in range(workers)]
    done = 0
    try:
        for worker in pool:
            worker.give(pending.popleft(), line_timeout_s, startup_s)
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
        for worker in pool:
            worker.stop()


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
        self.to_child.send((job.key, job.text, job.voice))

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
