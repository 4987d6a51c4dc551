"""SVOX Pico: small, clear voices for German, Spanish, French, Italian and English.

Takes one line of text and a resolved ``VoiceSpec``; gives mono int16 samples
at 16 kHz (``clip.finish`` resamples to the mix rate, as for every engine).
The engine is ``py-nanotts`` (Apache-2.0, about 5 MB with its language data),
a core dependency where it has wheels (Linux x86-64); elsewhere the engine
reports itself missing and ``best`` falls back to espeak-ng.

Voices (all female, as SVOX shipped them): ``pico-en-us``, ``pico-en-gb``,
``pico-de``, ``pico-es``, ``pico-fr``, ``pico-it``. With ``--engine pico`` a
language tag also names one (``de-DE``, ``fr``).

Rate: ``rate_wpm`` means what it means to the espeak-ng engine, so a script
keeps its pace when it changes engine: Pico's speed factor is
``rate_wpm / 150`` times the voice's ``pace`` (how long espeak-ng at 150
takes over how long Pico at speed 1 takes for the same routine lines,
measured per language). ``pitch`` (0-100, 50 neutral) maps onto Pico's
pitch factor 0.5-2.0; volume is the speaker's (``clip.finish``).

Determinism: Pico carries state from one line to the next inside the
process (a line spoken after another differs in its last bits), so each
line is spoken in a forked child of a process that never speaks itself:
the same text and settings give the same samples in any process, whatever
was spoken before (``voices/forked.py``, as espeak-ng's lines are). Where
there is no ``fork`` lines are spoken in-process.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from typing import Any

import numpy as np

from cuecast.errors import EngineError, InputError
from cuecast.script.model import VoiceSpec
from cuecast.voices.base import Synthesis, VoiceInfo, resolved_voice
from cuecast.voices.forked import speak_forked

NAME = "pico"
SAMPLE_RATE_HZ = 16000
DEFAULT_RATE_WPM = 150.0
DEFAULT_PITCH = 50.0
RECIPE = 2
"""Bump when the processing here changes, to invalidate cached clips."""
INSTALL_HINT = (
    "The pico engine needs py-nanotts (wheels for Linux x86-64): pip install py-nanotts"
)


@dataclass(frozen=True)
class PicoVoice:
    id: str
    """The name a script or ``--voice`` gives (``pico-de``)."""
    tag: str
    """Pico's own voice id (``de-DE``)."""
    pace: float
    """Speed factor at 150 wpm (``PACE``)."""
    description: str


PACE = 0.923
"""Pico's duration at speed 1 over espeak-ng's at 150 wpm, for US English on
routine lines (13.9 s against 15.1 s). One factor for every language, as
espeak-ng has one rate for every language: measured per language Pico at
speed 1 ranges from 0.98 (German) to 1.21 (Italian) times espeak-ng's
duration, and sped up to espeak-ng's pace Pico's Italian and Spanish lose
a tenth of their intelligibility."""

VOICES: tuple[PicoVoice, ...] = (
    PicoVoice("pico-en-us", "en-US", PACE, "SVOX Pico, US English"),
    PicoVoice("pico-en-gb", "en-GB", PACE, "SVOX Pico, British English"),
    PicoVoice("pico-de", "de-DE", PACE, "SVOX Pico, German"),
    PicoVoice("pico-es", "es-ES", PACE, "SVOX Pico, Spanish (Spain)"),
    PicoVoice("pico-fr", "fr-FR", PACE, "SVOX Pico, French (France)"),
    PicoVoice("pico-it", "it-IT", PACE, "SVOX Pico, Italian"),
)
GENDER = "female"
"""Every SVOX Pico voice is a woman's."""
_DEFAULTS = {"en": "pico-en-us", "de": "pico-de", "es": "pico-es", "fr": "pico-fr",
             "it": "pico-it"}  # fmt: skip


def available() -> bool:
    """True when py-nanotts can be imported (nothing is imported)."""
    return importlib.util.find_spec("py_nanotts") is not None


def languages() -> tuple[str, ...]:
    """Primary subtags Pico speaks."""
    return tuple(_DEFAULTS)


class PicoEngine:
    """The ``pico`` engine (see the module docstring)."""

    name = NAME
    max_jobs: int | None = None
    """Lines may be spoken by any number of worker processes at once."""

    def __init__(self) -> None:
        self._tts: Any = None

    def version(self) -> str:
        try:
            dist = importlib.metadata.version("py-nanotts")
        except importlib.metadata.PackageNotFoundError:
            dist = "missing"
        return f"cuecast-pico {RECIPE} pace {PACE}; py-nanotts {dist}"

    def voices(self) -> list[VoiceInfo]:
        if not available():
            return []
        return [VoiceInfo(NAME, v.id, v.tag, v.description, gender=GENDER,
                          rate_hz=SAMPLE_RATE_HZ) for v in VOICES]  # fmt: skip

    def resolve(self, voice: VoiceSpec, language: str) -> VoiceSpec:
        if not available():
            raise InputError("the pico engine is not installed.", hint=INSTALL_HINT)
        entry = find_voice(voice.name) if voice.name else default_voice(language)
        return resolved_voice(voice, NAME, entry.id, rate_wpm=DEFAULT_RATE_WPM,
                              pitch=DEFAULT_PITCH)

    def synthesize(self, text: str, voice: VoiceSpec) -> Synthesis:
        entry = find_voice(voice.name or VOICES[0].id)
        rate = voice.rate_wpm or DEFAULT_RATE_WPM
        pitch = DEFAULT_PITCH if voice.pitch is None else voice.pitch
        if not text.strip():
            return Synthesis(np.zeros(0, dtype=np.int16), SAMPLE_RATE_HZ)
        settings = {"voice": entry.tag, "speed": rate / DEFAULT_RATE_WPM * entry.pace,
                    "pitch": 2.0 ** ((pitch - 50.0) / 50.0)}  # fmt: skip
        tts = self._engine()
        pcm = speak_forked(lambda: bytes(tts.speak(text, **settings)), NAME, text)
        return Synthesis(np.frombuffer(pcm, dtype="<i2").astype(np.int16), SAMPLE_RATE_HZ)

    def _engine(self) -> Any:
        if self._tts is None:
            try:
                from py_nanotts import NanoTTS
            except ImportError as exc:
                raise EngineError(f"the pico engine cannot be loaded: {exc}",
                                  hint=INSTALL_HINT) from exc  # fmt: skip
            self._tts = NanoTTS()
        return self._tts


def find_voice(name: str) -> PicoVoice:
    """The voice called ``name`` (``pico-de``; any case; a Pico tag such as
    ``de-DE`` or a bare language ``de`` too); ``InputError`` listing them."""
    key = name.strip().lower().replace("_", "-")
    for v in VOICES:
        if key in (v.id, v.tag.lower()):
            return v
    if key in _DEFAULTS:
        return find_voice(_DEFAULTS[key])
    known = ", ".join(v.id for v in VOICES)
    raise InputError(f"the pico engine has no voice {name!r} (voices: {known})")


def default_voice(language: str) -> PicoVoice:
    """The voice for ``language`` (``en-GB`` gets the British voice)."""
    tag = language.strip().replace("_", "-").lower()
    if tag.startswith("en-gb") or tag.startswith("en-uk"):
        return find_voice("pico-en-gb")
    primary = tag.split("-")[0]
    if primary not in _DEFAULTS:
        raise InputError(f"the pico engine has no voice for language {language!r}",
                         hint=f"Pico speaks {', '.join(_DEFAULTS)}.")  # fmt: skip
    return find_voice(_DEFAULTS[primary])
