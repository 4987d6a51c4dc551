"""The new lines of the sessions waiting, spoken together.

A listener who changes a hold needs a line or two spoken ("45 seconds on
each side"). Speaking the line costs little; starting the engine's worker
process for it costs several times more (measured with espeak-ng: 0.35 s
of CPU for one line alone, 0.05 s a line in a batch of twenty). So the
server keeps the engine's workers alive between sessions (``kept``: the
``Sessions``' ``voices.workers.KeptWorkers``), and the sessions going to
the assembly queue are noted as they come (``add``),
and the first of them to run speaks the lines of the ones noted so far,
up to ``MOST`` (``before``: ``pipeline.speak``); the others find their
lines in the speech cache when they render. One batch at a time: a
session whose lines are in the batch being spoken waits for it. A session
whose lines a batch could not make speaks them in its own render, which
reports why; nothing here fails a session.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from cuecast.pipeline import Loaded, speak
from cuecast.request import RenderRequest
from cuecast.voices.workers import KeptWorkers

MOST = 32
"""Sessions whose lines one batch speaks (the first session of a batch
waits for all of them)."""

log = logging.getLogger("cuecast.web")


class SpeechBatch:
    def __init__(self, most: int = MOST, kept: KeptWorkers | None = None) -> None:
        self.most = max(1, most)
        self.kept = kept
        """The server's speech workers, kept between batches."""
        self._waiting: OrderedDict[str, RenderRequest | Loaded] = OrderedDict()
        self._lock = threading.Lock()
        self._speaking = threading.Lock()
        self.batches = 0
        """Batches spoken (for tests and the benchmark)."""

    def add(self, key: str, request: RenderRequest | Loaded) -> None:
        """Note a session whose lines are to be spoken before it renders
        (``Loaded``: read already, not read again)."""
        with self._lock:
            self._waiting[key] = request

    def discard(self, key: str) -> None:
        """Forget a session that will not run (its queue was full)."""
        with self._lock:
            self._waiting.pop(key, None)

    def before(self, key: str) -> None:
        """Make sure the lines of the session ``key`` were spoken: by a batch
        that took it (this waits for it to end), else by a new batch led by
        this session, with the oldest sessions still waiting."""
        with self._speaking:  # a batch that took this key is over once this is held
            with self._lock:
                mine = self._waiting.pop(key, None)
                if mine is None:
                    return
                batch = [mine]
                while self._waiting and len(batch) < self.most:
                    batch.append(self._waiting.popitem(last=False)[1])
            self.batches += 1
            try:
                speak(batch, kept=self.kept)
            except Exception:  # noqa: BLE001  each render speaks for itself then
                log.exception("speaking the lines of %d sessions together", len(batch))

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)
