"""Hearing a routine while it is written: one line, the timeline from a point, the file.

Takes a check that passed (``check.Checked``: its timeline and the speaker
that measured it); gives WAV bytes. ``line_audio`` is the spoken line at
(or last before) a line of the file, in the script's voice, from the
speech cache. ``Pieces`` mixes the timeline in pieces of ``PIECE_S`` on a
fixed grid, each kept (by the timeline's content and its place) so
playing from another point, or again, mixes only what is new; playing
from a point streams them as one WAV file, mixed as the player reads on
(no gap between pieces). A piece is
exactly that part of the mix as rendered (the clips, sounds, breathing and
the bed, ducked: ``pipeline.mix_part``) without the loudness stage, which
needs the whole session: a preview, not the file. ``Renders`` runs
``cuecast render``'s own call in a thread and reports its progress.
"""

from __future__ import annotations

import secrets
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cuecast.edit.check import Checked
from cuecast.errors import CuecastError, InputError
from cuecast.pipeline import mix_part, render
from cuecast.request import Options, RenderRequest
from cuecast.timeline import Event, Timeline, Utterance
from cuecast.units import SAMPLE_RATE, clock_text, to_samples

PIECE_S = 15.0
"""Seconds per piece: short enough that the first is mixed in a moment."""
KEPT_BYTES = 200 * 1024 * 1024
"""Pieces kept in memory (a piece is 1.3 MB: about 150 of them)."""


def pcm16(samples: np.ndarray) -> bytes:
    """float32 samples in [-1, 1] -> 16-bit little-endian PCM."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def wav_header(frames: int) -> bytes:
    """The 44 bytes before ``frames`` samples of 16-bit mono PCM at ``SAMPLE_RATE``."""
    data = frames * 2
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
            + b"data" + struct.pack("<I", data))  # fmt: skip


def wav_bytes(samples: np.ndarray) -> bytes:
    """float32 samples in [-1, 1] -> a 16-bit mono WAV file's bytes."""
    return wav_header(len(samples)) + pcm16(samples)


def speech_at(timeline: Timeline, line: int) -> Event | None:
    """The spoken line written on ``line`` of the script (its first event),
    else the last one written above it, else the first one."""
    own = [e for e in timeline.events if e.kind == "speech" and e.line is not None
           and e.file in (None, timeline.file)]  # fmt: skip
    if not own:
        return None
    exact = [e for e in own if e.line == line]
    if exact:
        return exact[0]
    above = [e for e in own if (e.line or 0) < line]
    return max(above, key=lambda e: (e.line or 0, -e.start)) if above else own[0]


def line_audio(checked: Checked, line: int) -> tuple[Event, bytes]:
    event = speech_at(checked.prepared.timeline, line)
    if event is None or not isinstance(event.source, Utterance):
        raise InputError("this routine says nothing to play")
    return event, wav_bytes(checked.prepared.speaker.clip(event.source))


def piece_count(timeline: Timeline) -> int:
    return max(1, -(-timeline.length // to_samples(PIECE_S)))


class Pieces:
    """The timeline's audio on a grid of ``PIECE_S`` pieces, kept in memory."""

    def __init__(self, kept_bytes: int = KEPT_BYTES) -> None:
        self.kept_bytes = kept_bytes
        self._kept: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def stream(self, checked: Checked, start_s: float) -> Iterator[bytes]:
        """One WAV file from ``start_s`` to the end, made of the pieces one
        after another (so it plays without a gap between them), each mixed
        only when the player reads that far."""
        length = checked.prepared.timeline.length
        start = min(max(to_samples(start_s), 0), length)
        step = to_samples(PIECE_S)
        yield wav_header(length - start)
        for index in range(start // step, piece_count(checked.prepared.timeline)):
            pcm = self.pcm(checked, index)
            yield pcm[2 * (start - index * step):] if index * step < start else pcm

    def pcm(self, checked: Checked, index: int) -> bytes:
        """Piece ``index``'s samples as 16-bit PCM, mixed once and kept."""
        timeline = checked.prepared.timeline
        if not 0 <= index < piece_count(timeline):
            raise InputError(f"there is no piece {index} in this timeline")
        key = (checked.fingerprint, index)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        data = pcm16(self._mix(checked, index))
        with self._lock:
            self._kept[key] = data
            while sum(len(v) for v in self._kept.values()) > self.kept_bytes:
                self._kept.popitem(last=False)
        return data

    def _mix(self, checked: Checked, index: int) -> np.ndarray:
        step = to_samples(PIECE_S)
        start = index * step
        end = min(start + step, checked.prepared.timeline.length)
        return np.concatenate([np.zeros(0, np.float32),
                               *mix_part(checked.prepared, start, end)])  # fmt: skip


@dataclass
class Job:
    """A render under way or finished, as the page polls it."""

    id: str
    name: str
    stage: str = "starting"
    done: int = 0
    total: int = 0
    finished: bool = False
    error: str | None = None
    wrote: tuple[str, ...] = ()
    length: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Renders:
    """One render at a time, in a thread, as ``cuecast render`` makes it."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.jobs: dict[str, Job] = {}
        self._running: Job | None = None
        self._lock = threading.Lock()

    def start(self, name: str, script: Path, root: Path) -> Job:
        with self._lock:
            if self._running is not None and not self._running.finished:
                raise InputError(f"{self._running.name} is being rendered; wait for it to end")
            job = Job(secrets.token_hex(8), name)
            self.jobs[job.id] = job
            self._running = job
        request = RenderRequest(str(script), self.options)
        out = script.with_suffix("." + (self.options.fmt or "mp3"))
        threading.Thread(target=self._run, args=(job, request, out, root),
                         name="cuecast-edit-render", daemon=True).start()  # fmt: skip
        return job

    def _run(self, job: Job, request: RenderRequest, out: Path, root: Path) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        try:
            result = render(request.script, str(out), request.options, progress)
            job.wrote = tuple(Path(p).relative_to(root).as_posix()
                              for p in (result.path, result.timeline_path, *result.extra_paths))
            job.length = clock_text(result.timeline.length)
        except CuecastError as err:
            job.error = str(err).replace(str(root) + "/", "")
        except Exception as exc:  # noqa: BLE001 - a bug is shown, the server goes on
            job.error = f"the render failed: {exc}"
        finally:
            job.stage = "done" if job.error is None else "failed"
            job.finished = True

