"""The timeline: every event of a session with its exact place in time.

This is the contract between the planner and the mixer, and its JSON form
is the contract with users (``cuecast plan --json``, ``NAME.timeline.json``).
Times are integer sample positions at ``SAMPLE_RATE`` (``cuecast.units``)
so that sums never drift; the JSON gives them as seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cuecast.script.model import SoundRef, VoiceSpec
from cuecast.units import SAMPLE_RATE, clock_text, to_samples, to_seconds

__all__ = [
    "SAMPLE_RATE", "Chapter", "Event", "SoundPlay", "Source", "Timeline", "Tone", "Utterance",
    "Warning_", "to_samples", "to_seconds",
]


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
    """One thing in time.

    ``source`` is what the mixer plays (``None`` for markers such as
    sections, holds, silences, sets).
    """

    kind: str
    start: int
    """Sample position where it begins (the JSON gives seconds)."""
    end: int
    """Sample position where it ends, exclusive (the JSON gives seconds)."""
    line: int | None
    """The script line it comes from; ``None`` in a script given as a
    mapping, which has no lines: ``key`` says where instead."""
    file: str | None = None
    text: str | None = None
    phase: str | None = None
    n: int | None = None
    total: int | None = None
    source: Source = None
    origin: tuple[str, ...] | None = None
    """Speech only, when a recordings folder is in use: the recordings
    played (file names relative to the folder, in order; several when the
    line was assembled from pieces), or ``()`` for the engine. ``None``
    (no recordings in use) leaves the JSON as it was."""
    key: str | None = None
    """In a script given as a mapping: the place it comes from, as errors
    name it (``steps[3]``, ``steps[3].steps[0]``)."""

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
        if self.origin is not None:
            out["from"] = "recording" if self.origin else "engine"
            if self.origin:
                out["recordings"] = list(self.origin)
        out["line"] = self.line
        if self.key is not None:
            out["key"] = self.key
        if self.file is not None and self.file != root_file:
            out["file"] = self.file
        return out


@dataclass(frozen=True)
class Warning_:
    """A timing problem the user should know about (an error with --strict)."""

    message: str
    file: str
    line: int | None
    column: int | None
    key: str | None = None
    """In a script given as a mapping: the place (``steps[3]``), not a line."""

    def __str__(self) -> str:
        where = self.key if self.key is not None else f"{self.line}:{self.column}"
        return f"{self.file}:{where}: warning: {self.message}"


@dataclass(frozen=True)
class Chapter:
    """A chapter of the encoded track (one per section)."""

    title: str
    start: int
    """Sample position where it begins."""
    end: int
    """Sample position where it ends, exclusive."""


@dataclass(frozen=True)
class Timeline:
    title: str
    length: int
    """Total length in samples (the JSON's ``duration`` in seconds)."""
    events: tuple[Event, ...]
    warnings: tuple[Warning_, ...] = ()
    file: str | None = None
    """The script file; events from it carry no ``file`` in JSON."""
    voice: dict = field(default_factory=dict)
    """What voiced it: engine name, voice, rate, version (filled by the
    renderer; the JSON's ``voice``)."""

    @property
    def duration_s(self) -> float:
        return to_seconds(self.length)

    def __repr__(self) -> str:
        """Short: ``Timeline('Lower Back Pain Relief', 18:20.412, 412 events, piper)``."""
        engine = f", {self.voice['engine']}" if self.voice.get("engine") else ""
        warned = f", {len(self.warnings)} warnings" if self.warnings else ""
        return (
            f"Timeline({self.title!r}, {clock_text(self.length)}, "
            f"{len(self.events)} events{engine}{warned})"
        )

    def to_json(self) -> dict:
        out: dict = {
            "title": self.title,
            "duration": self.duration_s,
            "sample_rate": SAMPLE_RATE,
        }
        if self.voice:
            out["voice"] = self.voice
        out["events"] = [e.to_json(self.file) for e in self.events]
        return out

    def chapters(self) -> list[Chapter]:
        """One chapter per section, in the timeline's order."""
        return [Chapter(e.text or "", e.start, e.end) for e in self.events if e.kind == "section"]

    def dumps(self) -> str:
        """Canonical JSON text (stable key order, newline at the end)."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
