"""The speech engine interface.

An engine turns one line of text into mono 16-bit samples. Engines know
nothing of timing or caching: ``voices/speaker.py`` trims, resamples to the
mix rate, caches and measures what they give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from cuecast import limits
from cuecast.errors import InputError
from cuecast.script.model import VoiceSpec


@dataclass(frozen=True)
class VoiceInfo:
    """A voice an engine offers (for ``cuecast voices``)."""

    engine: str
    name: str
    language: str
    description: str = ""
    gender: str = ""
    """``female``, ``male`` or ``""`` where the engine does not say."""
    rate_hz: int = 0
    """The engine's own sample rate for this voice (0: not known); cuecast
    resamples every clip to its mix rate."""
    installed: bool = True
    """False for a voice the engine knows of that must be fetched first
    (``cuecast voices get``)."""


@dataclass(frozen=True)
class Synthesis:
    """Raw engine output: mono int16 ``samples`` at ``rate`` Hz."""

    samples: np.ndarray
    rate: int


def voice_value(what: str, value: float | None, default: float, bounds: limits.Range) -> float:
    """A voice's ``rate``, ``pitch`` or ``volume`` as an engine resolves it:
    ``default`` when unset, else the value within ``bounds`` (``cuecast.limits``,
    the script's and the command line's range), or the ``InputError`` they give:
    ``voice rate 500 wpm is out of range; use 80 to 400 wpm``."""
    number = default if value is None else float(value)
    problem = bounds.problem(f"voice {what}", number)
    if problem:
        raise InputError(problem)
    return number


def resolved_voice(voice: VoiceSpec, engine: str, name: str, *, rate_wpm: float,
                   pitch: float | None = None, volume: float = 1.0) -> VoiceSpec:
    """``voice`` as ``engine`` speaks it: the voice ``name``, and its rate,
    pitch and volume checked (``voice_value``) with the engine's defaults;
    ``pitch=None`` for an engine without pitch control (a pitch asked for is
    dropped, unchecked)."""
    return VoiceSpec(
        engine=engine,
        name=name,
        rate_wpm=voice_value("rate", voice.rate_wpm, rate_wpm, limits.RATE_WPM),
        pitch=None if pitch is None else voice_value("pitch", voice.pitch, pitch, limits.PITCH),
        volume=voice_value("volume", voice.volume, volume, limits.VOLUME),
    )


class Engine(Protocol):
    name: str

    def version(self) -> str:
        """Engine and voice-data version; part of every cache key."""
        ...

    def resolve(self, voice: VoiceSpec, language: str) -> VoiceSpec:
        """The concrete voice this engine will use for ``voice`` (name and
        rate filled in), so that cache keys name what is really spoken.
        Raises ``InputError`` for a voice the engine does not have."""
        ...

    def synthesize(self, text: str, voice: VoiceSpec) -> Synthesis:
        """Speak ``text`` with a resolved ``voice``. Raises ``EngineError``."""
        ...

    def voices(self) -> list[VoiceInfo]:
        ...
