"""hibari: small neural English voices (the ``neural`` extra).

Takes one line of text and a resolved ``VoiceSpec``; gives mono int16
samples at 24 kHz (``clip.finish`` resamples to the mix rate). hibari
(``hibari-tts``, Apache-2.0) is a 7.9 MB ONNX model distilled from Kokoro
voices, with its own English G2P; it runs on numpy and onnxruntime at about
100x real time on one core. The voice ``heart`` (American English, female)
is inside the wheel; ``emma``, ``fenrir``, ``fable`` and ``kore`` are
listed as available to fetch until their model is in cuecast's voice folder
(``hibari/`` under ``voices.store.voices_dir()``, where ``cuecast voices
get`` puts them) or in hibari's own (``$HIBARI_HOME``, else the user
cache's ``hibari/``). cuecast never downloads a voice while rendering.

A line is spoken one sentence at a time (hibari's own sentence split);
each sentence is trimmed to its speech (plus ``EDGE_KEEP_S``) and the
sentences of a line are joined with ``SENTENCE_PAUSE_S`` of silence, scaled
with the rate, like the piper engine.

Rate: ``rate_wpm`` means what it means to the espeak-ng engine: hibari's
``speed`` is ``rate_wpm / 150 * PACE`` (at ``PACE`` hibari takes as long as
espeak-ng at 150 wpm over the same routine lines). Pitch is not supported
and is ignored; volume is the speaker's.

Determinism: hibari's vocoder adds noise from a numpy generator; each
sentence is spoken with a generator seeded by its phonemes, on a
single-threaded onnxruntime session, so the same text and voice give the
same samples whatever was spoken before, in any process.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
import threading
from typing import Any

import numpy as np

from cuecast.errors import EngineError, InputError
from cuecast.script.model import VoiceSpec
from cuecast.voices import store
from cuecast.voices.base import Synthesis, VoiceInfo, resolved_voice

NAME = "hibari"
SAMPLE_RATE_HZ = 24000
DEFAULT_VOICE = "heart"
DEFAULT_RATE_WPM = 150.0
PACE = 0.80
"""hibari's ``speed`` at which it speaks the measured routine lines in the
time espeak-ng takes at 150 wpm (speed 1.0: 11.9 s, 0.8: 15.0 s, espeak-ng
15.1 s)."""
SENTENCE_PAUSE_S = 0.35
"""Silence between the sentences of a line at 150 wpm (as piper's)."""
EDGE_KEEP_S = 0.02
SILENCE_DBFS = -60.0
RECIPE = 1
"""Bump when the processing here changes, to invalidate cached clips."""
INSTALL_HINT = "Install the neural voices with: pip install 'cuecast[neural]'"
_FRAME_S = 0.01


def available() -> bool:
    """True when hibari-tts and onnxruntime can be imported (nothing is imported)."""
    return all(importlib.util.find_spec(m) is not None for m in ("hibari", "onnxruntime"))


def catalogue() -> dict[str, dict[str, Any]]:
    """hibari's voices (its ``assets/voices.json``, as ``hibari.voices.VOICES``
    reads it: language, gender, file, sha256), read without importing
    hibari: its package imports numpy's and scipy's FFT (0.15-0.35 s of
    CPU), which a render whose lines are cached never needs."""
    folder = _package_dir()
    if folder is None or not available():
        return {}
    with open(os.path.join(folder, "assets", "voices.json"), encoding="utf-8") as f:
        return dict(json.load(f))


def _package_dir() -> str | None:
    """The folder of the installed hibari package (found, not imported)."""
    spec = importlib.util.find_spec("hibari")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return locations[0] if locations else None


def hibari_cache_dir() -> str:
    """hibari's own folder for the voices it fetches, as
    ``hibari.voices.cache_dir`` says it (``tests/test_engines.py`` checks they
    agree): ``$HIBARI_HOME``, else the user cache's ``hibari``."""
    home = os.environ.get("HIBARI_HOME")
    if home:
        return home
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData",
                                                              "Local")  # fmt: skip
    elif sys.platform == "darwin":
        base = os.path.join(os.path.expanduser("~"), "Library", "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hibari")


def model_path(name: str) -> str | None:
    """The voice's model file when it is installed (in the package, cuecast's
    voice folder or hibari's), else None (never downloads; what
    ``hibari.voices.voice_path(name, download_missing=False)`` finds, after
    cuecast's folder, without importing hibari)."""
    info = catalogue().get(name)
    folder = _package_dir()
    if info is None or folder is None:
        return None
    file = str(info.get("file", ""))
    if info.get("bundled"):
        return os.path.join(folder, "assets", file)
    fetched = store.hibari_model(file)
    if fetched is not None:
        return str(fetched)
    own = os.path.join(hibari_cache_dir(), file)
    return own if os.path.exists(own) else None


class HibariEngine:
    """The ``hibari`` engine (see the module docstring)."""

    name = NAME
    max_jobs: int | None = None

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    def version(self) -> str:
        parts = [f"cuecast-hibari {RECIPE} pace {PACE}"]
        for dist in ("hibari-tts", "onnxruntime", "scipy"):
            try:
                parts.append(f"{dist} {importlib.metadata.version(dist)}")
            except importlib.metadata.PackageNotFoundError:
                parts.append(f"{dist} missing")
        for name, info in sorted(catalogue().items()):
            if model_path(name) is not None:
                parts.append(f"{name} {str(info.get('sha256', ''))[:16]}")
        return "; ".join(parts)

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(NAME, name, str(info.get("language", "en-US")), _describe(name, info),
                      gender=str(info.get("gender", "")), rate_hz=SAMPLE_RATE_HZ,
                      installed=model_path(name) is not None)
            for name, info in catalogue().items()
        ]  # fmt: skip

    def resolve(self, voice: VoiceSpec, language: str) -> VoiceSpec:
        if not available():
            raise InputError("the hibari engine is not installed.", hint=INSTALL_HINT)
        name = (voice.name or _default_for(language)).strip().lower()
        known = catalogue()
        if name not in known:
            raise InputError(f"the hibari engine has no voice {voice.name!r} "
                             f"(voices: {', '.join(known)})")  # fmt: skip
        if model_path(name) is None:
            raise InputError(
                f"the hibari voice {name!r} is not installed",
                hint=f"Fetch it with `cuecast voices get {name}`.",
            )
        return resolved_voice(voice, NAME, name, rate_wpm=DEFAULT_RATE_WPM)  # no pitch control

    def synthesize(self, text: str, voice: VoiceSpec) -> Synthesis:
        rate = voice.rate_wpm or DEFAULT_RATE_WPM
        speed = rate / DEFAULT_RATE_WPM * PACE
        try:
            tts = self._model(voice.name or DEFAULT_VOICE)
            sentences = []
            for phonemes in tts.phonemize(text):
                seed = int.from_bytes(hashlib.sha256(phonemes.encode()).digest()[:8], "little")
                sentences.append(tts.from_phonemes(phonemes, speed, seed))
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - onnxruntime and the G2P raise assorted types
            raise EngineError(f"hibari failed to speak {text[:60]!r}: {exc}") from exc
        audio = _join(sentences, SENTENCE_PAUSE_S * DEFAULT_RATE_WPM / rate)
        pcm = np.clip(np.round(audio * 32767.0), -32767, 32767).astype(np.int16)
        return Synthesis(pcm, SAMPLE_RATE_HZ)

    def _model(self, name: str) -> Any:
        with self._lock:
            if name not in self._models:
                path = model_path(name)
                if path is None:
                    raise InputError(f"the hibari voice {name!r} is not installed",
                                     hint=f"Fetch it with `cuecast voices get {name}`.")
                from hibari import Hibari

                os.environ.setdefault("OMP_NUM_THREADS", "1")
                self._models[name] = Hibari(voice=name, model=path, threads=1)
            return self._models[name]


def _default_for(language: str) -> str:
    """``heart`` (US); a British voice for ``en-GB`` when one is installed."""
    tag = language.strip().replace("_", "-").lower()
    if tag.startswith("en-gb"):
        for name, info in catalogue().items():
            if info.get("british") and model_path(name) is not None:
                return name
    if not tag.startswith("en"):
        raise InputError(f"the hibari engine has no voice for language {language!r}",
                         hint="hibari speaks English only.")  # fmt: skip
    return DEFAULT_VOICE


def _describe(name: str, info: dict[str, Any]) -> str:
    accent = str(info.get("accent", ""))
    gender = str(info.get("gender", ""))
    return f"hibari {name.capitalize()}, {accent} English {gender} (Apache-2.0)".replace("  ", " ")


def _trim(audio: np.ndarray) -> np.ndarray:
    """``audio`` cut to its speech, keeping ``EDGE_KEEP_S`` either side."""
    frame = int(SAMPLE_RATE_HZ * _FRAME_S)
    count = len(audio) // frame
    if count == 0:
        return audio[:0]
    frames = audio[: count * frame].reshape(count, frame).astype(np.float64)
    peak = float(np.max(np.abs(audio))) or 1.0
    rms = np.sqrt(np.mean(frames**2, axis=1)) / peak
    loud = np.nonzero(rms > 10 ** (SILENCE_DBFS / 20))[0]
    if len(loud) == 0:
        return audio[:0]
    keep = int(SAMPLE_RATE_HZ * EDGE_KEEP_S)
    return audio[max(0, loud[0] * frame - keep): min(len(audio), (loud[-1] + 1) * frame + keep)]


def _join(sentences: list[np.ndarray], pause_s: float) -> np.ndarray:
    parts = [t for t in (_trim(np.asarray(s, dtype=np.float32)) for s in sentences) if len(t)]
    if not parts:
        return np.zeros(0, dtype=np.float32)
    peak = max(float(np.max(np.abs(p))) for p in parts) or 1.0
    pause = np.zeros(int(round(pause_s * SAMPLE_RATE_HZ)), dtype=np.float32)
    joined: list[np.ndarray] = [parts[0]]
    for part in parts[1:]:
        joined += [pause, part]
    return np.concatenate(joined) / np.float32(peak)
