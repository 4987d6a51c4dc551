"""Background beds: what plays under the whole session, levelled to the voice.

Takes a script's ``background.sound`` (an ambience name or an audio file);
gives a ``BedSource`` for the mixer: ``block(start, n)`` of samples whose
integrated loudness is ``VOICE_LUFS``, so the background's ``volume`` (dB,
applied by the mixer with the ducking and fades) is the bed's loudness
relative to the narrator's: ``volume: -24`` puts the bed 24 LU under the
voice.

A file is looped to the session's length, its end crossfaded into its start
every time round (equal power, ``LOOP_FADE_S``) so the seam does not click
or drop out. Files up to ``IN_MEMORY_S`` are decoded once; longer ones are
decoded again on each pass, streamed, so memory stays constant however long
the file or the session.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Iterator

import numpy as np

from cuecast import ffmpeg, sounds
from cuecast.errors import InputError
from cuecast.script.model import SoundRef
from cuecast.units import SAMPLE_RATE, db_to_gain

VOICE_LUFS = -20.5
"""The narrator's nominal loudness. Speech clips are peak-normalised to
-3 dBFS, which puts them at about -20.5 LUFS (espeak -20.4, piper -21.0,
measured over the seed routine's 169 lines). A bed's ``volume`` counts
from here."""

AMBIENCE_LUFS = {"rain": -17.4, "ocean": -21.7}
"""Integrated loudness of each ambience as synthesised (``sounds``'s
``AMBIENCE_RMS_DBFS``); checked by a test."""

LOOP_FADE_S = 2.0
"""Crossfade where a looped file's end runs into its start (at most a
quarter of the file)."""

IN_MEMORY_S = 120.0
"""Files up to this long are decoded once and kept (21 MB at most)."""

READ_SAMPLES = 1 << 16
"""Samples read from the decoder at a time."""


class AmbienceBed:
    """A synthesised ambience (rain, ocean) at a fixed gain in dB."""

    def __init__(self, source: sounds.Ambience, gain_db: float) -> None:
        self.source = source
        self.gain = np.float32(db_to_gain(gain_db))

    def block(self, start: int, n: int) -> np.ndarray:
        return self.source.block(start, n) * self.gain


class LoopedFile:
    """An audio file as an endless bed, crossfaded at each seam and scaled
    to ``VOICE_LUFS``. Reads forward: a block before the last one read
    starts it again from the top (the mixer only ever reads forward)."""

    def __init__(self, path: str) -> None:
        key = _file_key(path)
        self.path = path
        self.clip = _short_clip(*key)
        length = self.clip.size if self.clip is not None else math.inf
        self.fade = int(min(LOOP_FADE_S * SAMPLE_RATE, length // 4))
        loudness = _file_lufs(*key)
        self.gain = np.float32(1.0 if loudness <= -70.0 else db_to_gain(VOICE_LUFS - loudness))
        self._restart()

    def block(self, start: int, n: int) -> np.ndarray:
        if start < self._pos:
            self._restart()
        while self._pos < start:
            self._take(min(start - self._pos, READ_SAMPLES))
        return self._take(n) * self.gain

    def _restart(self) -> None:
        self._stream = loop(self._one_pass, self.fade)
        self._held = np.zeros(0, dtype=np.float32)
        self._pos = 0

    def _one_pass(self) -> Iterator[np.ndarray]:
        if self.clip is not None:
            yield self.clip
        else:
            yield from _decode_stream(self.path)

    def _take(self, n: int) -> np.ndarray:
        parts, have = [self._held], self._held.size
        while have < n:
            more = next(self._stream)
            parts.append(more)
            have += more.size
        joined = np.concatenate(parts) if len(parts) > 1 else self._held
        out, self._held = joined[:n], joined[n:]
        self._pos += n
        return out


def loop(one_pass: Callable[[], Iterator[np.ndarray]], fade: int) -> Iterator[np.ndarray]:
    """The passes of ``one_pass()`` end to end, forever, each pass's last
    ``fade`` samples crossfaded (equal power) over the next pass's first.
    The first pass starts clean. Only ``fade`` samples are held back."""
    ramp = (np.arange(fade) + 0.5) / max(fade, 1) * (np.pi / 2)
    fade_in, fade_out = np.sin(ramp).astype(np.float32), np.cos(ramp).astype(np.float32)
    tail: np.ndarray | None = None
    while True:
        held, done = np.zeros(0, dtype=np.float32), 0
        for chunk in one_pass():
            held = np.concatenate([held, np.asarray(chunk, dtype=np.float32)])
            ready = held.size - fade
            if ready <= 0:
                continue
            out, held = held[:ready].copy(), held[ready:]
            if tail is not None and done < fade:
                k = min(fade - done, ready)
                seam = slice(done, done + k)
                out[:k] = out[:k] * fade_in[seam] + tail[seam] * fade_out[seam]
            done += ready
            yield out
        if done == 0:  # nothing to loop: silence
            while True:
                yield np.zeros(READ_SAMPLES, dtype=np.float32)
        tail = held


def bed_source(ref: SoundRef, seed: int = 0) -> AmbienceBed | LoopedFile:
    """The bed for ``background.sound``, at ``VOICE_LUFS``."""
    if ref.path is None:
        ambience = sounds.Ambience(ref.name, seed)
        return AmbienceBed(ambience, VOICE_LUFS - AMBIENCE_LUFS[ref.name])
    return LoopedFile(ref.path)


# -- decoding -------------------------------------------------------------------------


def _file_key(path: str) -> tuple[str, int, int]:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"cannot read background file {path}: {exc.strerror}") from exc
    return os.path.abspath(path), st.st_mtime_ns, st.st_size


def _decode_stream(path: str, limit: int | None = None) -> Iterator[np.ndarray]:
    """The file as float32 blocks (one ffmpeg process, killed when the
    caller stops early); at most ``limit`` samples."""
    proc = ffmpeg.reader(ffmpeg.bed_args(path))
    assert proc.stdout is not None
    got = 0
    try:
        while limit is None or got <= limit:
            raw = proc.stdout.read(4 * READ_SAMPLES)
            if not raw:
                break
            got += len(raw) // 4
            yield np.frombuffer(raw[: len(raw) - len(raw) % 4], dtype="<f4")
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate()
    if proc.returncode not in (0, None) and got == 0:
        why = err.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"cannot decode background file {path}: {why[-1] if why else 'no audio'}")


@functools.lru_cache(maxsize=2)
def _short_clip(path: str, mtime_ns: int, size: int) -> np.ndarray | None:  # noqa: ARG001
    """The whole file if it is at most ``IN_MEMORY_S`` long, else None."""
    limit = int(IN_MEMORY_S * SAMPLE_RATE)
    parts, got = [], 0
    for part in _decode_stream(path, limit):
        parts.append(part)
        got += part.size
        if got > limit:
            return None
    clip = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    clip.setflags(write=False)
    return clip


@functools.lru_cache(maxsize=8)
def _file_lufs(path: str, mtime_ns: int, size: int) -> float:  # noqa: ARG001
    """Integrated loudness of the file, decoded as the mixer gets it."""
    args = ffmpeg.bed_args(path, ",ebur128=framelog=quiet", ffmpeg.NULL_OUTPUT)
    proc = ffmpeg.run(args, loglevel="info")
    text = proc.stderr.decode("utf-8", "replace")
    found = re.findall(r"I:\s+(\S+) LUFS", text[text.rfind("Summary:") :])
    if proc.returncode != 0 or not found:
        raise InputError(f"cannot decode background file {path}")
    return float(found[0])
