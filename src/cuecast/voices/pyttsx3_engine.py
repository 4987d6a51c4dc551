"""The ``pyttsx3`` engine (alias ``espeak``): espeak-ng driven through
pyttsx3's ctypes binding, the engine every install has.

Takes a line of text and a resolved voice; gives mono int16 samples at
22050 Hz. The library comes from the ``espeakng-loader`` wheel (no system
espeak needed): it is loaded (``RTLD_LOCAL``) before pyttsx3's binding
asks for ``libespeak-ng.so.1`` (the wheel library's SONAME, so the loader
hands back the library already loaded), and
``ESPEAK_DATA_PATH`` points at the wheel's data. Without the wheel, a system
libespeak-ng is used. Nothing is loaded until a voice is resolved or a line
is spoken. Not ``RTLD_GLOBAL``: piper's ``espeakbridge`` carries its own
espeak-ng, and global symbols from this one crash it in the same process.

Why not ``pyttsx3.Engine.save_to_file``: its property queue is applied
lazily (a rate change was sometimes not applied to the next line), it prints
"Audio saved to ...", and it polls with sleeps. The samples are captured
from espeak's synth callback instead, in synchronous mode.

Why each line is spoken in a forked child: espeak-ng keeps internal state
between utterances (the same line spoken twice in one process differs by a
few samples, even after ``espeak_ng_SetRandSeed`` or re-initialising). A
child forked from a process that has never synthesised starts from the same
state every time, so the same text and voice always give the same samples
(``voices/forked.py``, as Pico's lines are). The fork costs about 2 ms per
line.
"""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import functools
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from cuecast.errors import EngineError, InputError
from cuecast.script.model import VoiceSpec
from cuecast.versions import package_version
from cuecast.voices.base import Synthesis, VoiceInfo, resolved_voice
from cuecast.voices.forked import speak_forked

NAME = "pyttsx3"
DEFAULT_RATE_WPM = 150.0
"""Calm guided pacing (the format's default)."""
DEFAULT_PITCH = 50.0
DEFAULT_VOLUME = 1.0
PREFERRED_VOICE = {"en": "en-us", "fr": "fr-fr"}
"""The voice picked for a bare language tag when the data has several
(French is France's, not the first of Belgium, Switzerland and France)."""

_AUDIO_OUTPUT_SYNCHRONOUS = 2

_ESPEAK = threading.RLock()
"""Held around every call into espeak-ng in this process (and the fork of a
child that speaks): the library is not thread-safe, and the page's server
plans and renders on threads. Two threads loading it at once crashed the
process or gave each a different voice table (141 and 153 voices), so the
same session could be planned with one voice and rendered with another."""


class Pyttsx3Engine:
    """The ``pyttsx3`` engine (alias ``espeak``): espeak-ng through pyttsx3."""

    name = NAME
    max_jobs: int | None = None
    """Lines may be spoken by any number of worker processes at once."""

    def version(self) -> str:
        binding = _binding()
        with _ESPEAK:
            lib = binding.Info(None)
        lib_version = lib.decode("ascii", "replace") if lib else "unknown"
        parts = [_dist_version("pyttsx3"), f"espeak-ng {lib_version}"]
        if _loader() is not None:
            parts.append(_dist_version("espeakng-loader"))
        else:
            parts.append("system espeak-ng data")
        return "; ".join(parts)

    def voices(self) -> list[VoiceInfo]:
        return [
            # no gender: espeak-ng says "male" of every voice
            VoiceInfo(NAME, v.identifier, v.language, v.title, rate_hz=22050)
            for v in _voice_table()
        ]

    def resolve(self, voice: VoiceSpec, language: str) -> VoiceSpec:
        entry = _find_voice(voice.name) if voice.name else _default_voice(language)
        return resolved_voice(voice, NAME, entry.identifier, rate_wpm=DEFAULT_RATE_WPM,
                              pitch=DEFAULT_PITCH, volume=DEFAULT_VOLUME)

    def synthesize(self, text: str, voice: VoiceSpec) -> Synthesis:
        binding = _binding()
        pcm = speak_forked(lambda: _speak(binding, text, voice).astype("<i2").tobytes(),
                           "espeak-ng", text, lock=_ESPEAK, quiet=True)  # fmt: skip
        return Synthesis(np.frombuffer(pcm, dtype="<i2").astype(np.int16), 22050)


# --- loading -----------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _loader() -> ModuleType | None:
    try:
        import espeakng_loader
    except ImportError:
        return None
    return espeakng_loader


def _binding() -> ModuleType:
    """pyttsx3's espeak binding over the wheel's (else the system's) library,
    initialised once per process in synchronous mode (by one thread)."""
    with _ESPEAK:
        return _initialised()


@functools.lru_cache(maxsize=1)
def _initialised() -> ModuleType:
    loader = _loader()
    if loader is not None and "pyttsx3.drivers._espeak" not in sys.modules:
        try:
            ctypes.CDLL(loader.get_library_path(), mode=ctypes.RTLD_LOCAL)
            os.environ["ESPEAK_DATA_PATH"] = loader.get_data_path()
        except (OSError, RuntimeError):
            pass  # fall back to a system library below
    try:
        from pyttsx3.drivers import _espeak
    except Exception as exc:  # noqa: BLE001 - pyttsx3 raises RuntimeError, ctypes OSError
        raise EngineError(
            f"espeak-ng is not available ({exc})",
            hint="Install it with `pip install espeakng-loader` (or your system's "
            "libespeak-ng1 package).",
        ) from exc
    with quiet() as captured:
        rate = _espeak.Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 1000)
    if rate != 22050:
        raise EngineError(f"espeak-ng could not start: {captured.text() or rate}")
    return _espeak


def _dist_version(dist: str) -> str:
    """``pyttsx3 2.98`` (part of the engine's version, so of speech cache keys)."""
    return f"{dist} {package_version(dist, missing='(not installed)')}"


@contextlib.contextmanager
def quiet() -> Iterator[_Captured]:
    """Send this process's fd 1 and 2 (C libraries, print, logging) to a
    temporary file for the duration; what was written is kept for errors."""
    captured = _Captured()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield captured
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            _flush_c_stdio()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            captured.data = sink.read()


def _flush_c_stdio() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).fflush(None)


class _Captured:
    data = b""

    def text(self) -> str:
        return self.data.decode("utf-8", "replace").strip()


# --- voices ------------------------------------------------------------------


class _Voice:
    def __init__(self, identifier: str, title: str, language: str, gender: str) -> None:
        self.identifier = identifier
        self.title = title
        self.language = language
        self.gender = gender

    def keys(self) -> list[str]:
        """Names a user may type for this voice (lower case)."""
        short = self.identifier.rsplit("/", 1)[-1]
        return [k.lower() for k in (self.identifier, short, self.title, self.language)]


def _voice_table() -> tuple[_Voice, ...]:
    with _ESPEAK:
        return _listed_voices()


@functools.lru_cache(maxsize=1)
def _listed_voices() -> tuple[_Voice, ...]:
    binding = _binding()
    out = []
    with quiet():
        listed = binding.ListVoices(None)
    for v in listed:
        # ``languages`` is a priority byte then the tag (only the first is used).
        language = (v.languages or b"\x00")[1:].decode("utf-8", "replace").lower()
        gender = {1: "male", 2: "female"}.get(v.gender, "unknown")
        out.append(_Voice(v.identifier.decode(), v.name.decode(), language, gender))
    return tuple(out)


def _find_voice(name: str) -> _Voice:
    wanted = name.strip().lower()
    table = _voice_table()
    for key_index in range(4):  # identifier, then short id, title, language
        for v in table:
            if v.keys()[key_index] == wanted:
                return v
    names = {n.lower(): n for v in table for n in (v.identifier.rsplit("/", 1)[-1], v.title)}
    close = [names[n] for n in difflib.get_close_matches(wanted, list(names), n=4, cutoff=0.6)]
    close += [n for k, n in sorted(names.items()) if wanted in k and n not in close]
    close = close[:4]
    hint = f"Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise InputError(
        f"the pyttsx3 engine has no voice {name!r}",
        hint=(hint + " `cuecast voices` lists them all.").strip(),
    )


def _default_voice(language: str) -> _Voice:
    tag = language.strip().lower().replace("_", "-")
    primary = tag.split("-", 1)[0]
    by_language = {v.language: v for v in reversed(_voice_table())}
    for candidate in (tag, PREFERRED_VOICE.get(tag), primary, PREFERRED_VOICE.get(primary)):
        if candidate and candidate in by_language:
            return by_language[candidate]
    regional = sorted(
        (v for v in _voice_table() if v.language.startswith(primary + "-")),
        key=lambda v: (len(v.language), v.language),
    )
    if regional:
        return regional[0]
    raise InputError(
        f"the pyttsx3 engine has no voice for language {language!r}",
        hint="Set `voice: {name: ...}` (see `cuecast voices`) or another `language`.",
    )


# --- speaking ----------------------------------------------------------------


def _speak(binding: ModuleType, text: str, voice: VoiceSpec) -> np.ndarray:
    """Synthesise in this process; the samples as int16."""
    chunks: list[bytes] = []

    def on_synth(wav: int, n_samples: int, events: object) -> int:  # noqa: ARG001 - ctypes
        if n_samples > 0:
            chunks.append(ctypes.string_at(wav, n_samples * 2))
        return 0

    binding.SetSynthCallback(on_synth)
    if binding.SetVoiceByName((voice.name or "en-us").encode()) != 0:
        raise EngineError(f"espeak-ng could not load voice {voice.name!r}")
    binding.SetParameter(binding.RATE, int(round(voice.rate_wpm or DEFAULT_RATE_WPM)), 0)
    binding.SetParameter(binding.PITCH, int(round(_or(voice.pitch, DEFAULT_PITCH))), 0)
    # Loudness is set by the speaker (peak normalisation, then voice volume).
    binding.SetParameter(binding.VOLUME, 100, 0)
    binding.Synth(text.encode("utf-8"), flags=binding.ENDPAUSE | binding.CHARS_UTF8)
    binding.Synchronize()
    return np.frombuffer(b"".join(chunks), dtype="<i2").astype(np.int16)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value
