"""Listening with numbers: decode a track with ffmpeg and find where sound is,
and check it against the timeline it was rendered from."""

from __future__ import annotations

import subprocess

import numpy as np

from cuecast import sounds
from cuecast.ffmpeg import ffmpeg_exe
from cuecast.timeline import SAMPLE_RATE, SoundPlay, Timeline, Tone, Utterance

TOLERANCE = int(0.005 * SAMPLE_RATE)
"""The timing promise: every sound starts within 5 ms of its event."""
THRESHOLD = 0.02
"""Linear level at which a sound counts as started."""


def decode(path: str, rate: int = SAMPLE_RATE) -> np.ndarray:
    """The whole file as float32 mono samples at ``rate``."""
    raw = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", path, "-f", "f32le", "-ac", "1", "-ar", str(rate), "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.float32)


def onset(samples: np.ndarray, near: int, *, window: int = SAMPLE_RATE // 10,
          threshold: float = 0.02) -> int | None:
    """First sample at or after ``near - window`` whose level passes
    ``threshold`` (linear), or ``None`` within two windows."""
    lo = max(0, near - window)
    hi = min(len(samples), near + window)
    hits = np.flatnonzero(np.abs(samples[lo:hi]) > threshold)
    return None if len(hits) == 0 else lo + int(hits[0])


def rms(samples: np.ndarray, start: int, end: int) -> float:
    part = samples[max(0, start):max(0, end)]
    return float(np.sqrt(np.mean(part.astype(np.float64) ** 2))) if len(part) else 0.0


def peak(samples: np.ndarray, start: int, end: int) -> float:
    part = samples[max(0, start):max(0, end)]
    return float(np.max(np.abs(part))) if len(part) else 0.0


# --- the timeline against the audio -------------------------------------------


def clip_of(speaker, source) -> np.ndarray:
    """What the mixer played for ``source`` (``speaker`` voices utterances)."""
    if isinstance(source, Utterance):
        return speaker.clip(source)
    if isinstance(source, SoundPlay):
        return sounds.builtin(source.sound.name)
    if isinstance(source, Tone):
        return sounds.tone(source.shape, source.length)
    raise AssertionError(source)


def sounding(timeline: Timeline) -> list:
    return [e for e in timeline.events if e.source is not None]


def isolated(events, ev, guard: int) -> bool:
    """Nothing else sounds in the ``guard`` samples before ``ev`` starts."""
    return not any(o is not ev and o.start < ev.start and o.end > ev.start - guard for o in events)


def assert_sounds_start_on_time(
    samples: np.ndarray, timeline: Timeline, speaker, *, guard_s: float = 0.1
) -> int:
    """Every sound with ``guard_s`` of silence before it starts within
    ``TOLERANCE`` of where the timeline says; gives how many were checked."""
    events = sounding(timeline)
    checked = 0
    for ev in events:
        if not isolated(events, ev, guard=int(guard_s * SAMPLE_RATE)):
            continue
        own = np.flatnonzero(np.abs(clip_of(speaker, ev.source)) > THRESHOLD)
        if len(own) == 0:
            continue  # too quiet to find (breath tones fade in)
        expected = ev.start + int(own[0])
        found = onset(samples, expected, threshold=THRESHOLD)
        assert found is not None, f"nothing audible near {ev.kind} {ev.text!r}"
        assert abs(found - expected) <= TOLERANCE, (
            f"{ev.kind} {ev.text!r} starts {1000 * (found - expected) / SAMPLE_RATE:+.1f} ms off"
        )
        checked += 1
    return checked


def assert_length_matches(samples: np.ndarray, timeline: Timeline) -> None:
    """The decoded track lasts as long as the timeline (within 50 ms of
    encoder padding)."""
    assert abs(len(samples) - timeline.length) <= int(0.05 * SAMPLE_RATE)
