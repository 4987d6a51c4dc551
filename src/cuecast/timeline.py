"""The timeline: every event of a session with its exact place in time.

This is the contract between the planner and the mixer, and its JSON form
is the contract with users (``cuecast plan --json``, ``NAME.timeline.json``).
Times are integer sample positions at ``SAMPLE_RATE`` so that sums never
drift; the JSON gives them as seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cuecast.script.model import SoundRef, VoiceSpec

SAMPLE_RATE = 44100
"""Samples per second of the mix (mono)."""


def to_samples(seconds: float) -> int:
    """Seconds to the nearest whole sample."""
    return int(round(seconds * SAMPLE_RATE))


def to_seconds(samples: int) -> float:
    return round(samples / SAMPLE_RATE, 6)


@dataclass(frozen=True)
class Utterance:
    """A line to synthesise: display text (before the lexicon) and voice."""

    text: str
    voice: VoiceSpec


@dataclass(frozen=True)
class SoundPlay:
    """A sound to play: a built-in or a file, at a gain in dB."""

    sound: SoundRef
    volume_db: float = 0.0


@dataclass(frozen=True)
class Tone:
    """A breathing tone: ``"rise"`` (inhale) or ``"fall"`` (exhale) lasting
    ``length`` samples."""

    shape: str
    length: int


Source = Utterance | SoundPlay | Tone | None


@dataclass(frozen=True)
class Event:
    """One thing in time. ``start``/``end`` are sample positions.

    ``source`` is what the mixer plays (``None`` for markers such as
    sections, holds, silences, sets).
    """

    kind: str
    start: int
    end: int
    line: int
    file: str | None = None
    text: str | None = None
    phase: str | None = None
    n: int | None = None
    total: int | None = None
    source: Source = None

    def to_json(self, root_file: str | None = None) -> dict:
        out: dict = {
            "kind": self.kind,
            "start": to_seconds(self.start),
            "end": to_seconds(self.end),
        }
        if self.text is not None:
            out["text"] = self.text
        if self.phase is not None:
            out["phase"] = self.phase
        if self.n is not None:
            out["n"] = self.n
        if self.total is not None:
            out["total"] = self.total
        out["line"] = self.line
        if self.file is not None and self.file != root_file:
            out["file"] = self.file
        return out


@dataclass(frozen=True)
class Warning_:
    """A timing problem the user should know about (an error with --strict)."""

    message: str
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: warning: {self.message}"


@dataclass(frozen=True)
class Timeline:
    title: str
    length: int
    """Total length in samples."""
    events: tuple[Event, ...]
    warnings: tuple[Warning_, ...] = ()
    file: str | None = None
    """The script file; events from it carry no ``file`` in JSON."""
    engine: dict = field(default_factory=dict)
    """What voiced it: engine name, voice, version (filled by the renderer)."""

    @property
    def duration_s(self) -> float:
        return to_seconds(self.length)

    def to_json(self) -> dict:
        out: dict = {
            "title": self.title,
            "duration": self.duration_s,
            "sample_rate": SAMPLE_RATE,
        }
        if self.engine:
            out["voice"] = self.engine
        out["events"] = [e.to_json(self.file) for e in self.events]
        return out

    def dumps(self) -> str:
        """Canonical JSON text (stable key order, newline at the end)."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
