"""The ``piper`` engine: one line of text to mono int16 samples.

Takes one line of text and a resolved ``VoiceSpec`` and gives mono int16
samples at the model's rate (22050 Hz for the bundled voice). Piper speaks a
line one sentence at a time; ``audio.py`` trims and joins the sentences.

Rate: ``rate_wpm`` means what it means to the espeak-ng engine, so a script
keeps its pace when it changes engine. Piper's ``length_scale`` for a rate
comes from the voice's measured pace curve (``voices.VoicePace``). Volume
scales the samples. Pitch is not supported by Piper models and is ignored.

Determinism: the model's noise is drawn by cuecast from the sentence
(``noise.py``), so one session per model and process speaks every line and
the same text and voice give the same samples whatever was spoken before,
in any process (one thread per session, so no sum is split differently).

Nothing from ``piper`` or ``onnxruntime`` is imported until a line is spoken.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cuecast import limits
from cuecast.errors import EngineError, InputError
from cuecast.script.model import VoiceSpec
from cuecast.voices import store
from cuecast.voices.base import Synthesis, VoiceInfo, resolved_voice
from cuecast.voices.cache import cache_dir
from cuecast.voices.piper.audio import SENTENCE_PAUSE_S, join, to_int16
from cuecast.voices.piper.noise import SeededSession, seedable
from cuecast.voices.piper.voices import (
    BUNDLED,
    available,
    bundled_model_path,
    canonical_name,
    default_voice,
    dist_version,
    installed_bundled,
    installed_language,
    model_for,
    sha256,
)

DEFAULT_RATE_WPM = 150.0
"""Rate when the script sets none: calm, like the espeak engine's default."""

MIN_RATE_WPM = limits.RATE_WPM.low
MAX_RATE_WPM = limits.RATE_WPM.high

RECIPE = 2
"""Bump when the processing here changes, to invalidate cached clips."""
BUNDLED_RATE_HZ = 22050
"""The bundled voice's sample rate (a medium-quality Piper model)."""


def _rate_hz(name: str) -> int:
    """A fetched voice's sample rate from its config, 0 when it cannot be read."""
    model = store.piper_model(name)
    try:
        config = json.loads(Path(f"{model}.json").read_text("utf-8")) if model else {}
        return int(config.get("audio", {}).get("sample_rate", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


@dataclass(frozen=True)
class _Model:
    """A loaded model's config, kept for the life of the process (its
    weights live in the session, ``_voice``)."""

    config: Any  # piper.PiperConfig


_MODELS: dict[Path, _Model] = {}
_VOICES: dict[Path, Any] = {}
_LOCK = threading.Lock()


class PiperEngine:
    """The ``piper`` engine (see the module docstring)."""

    name = "piper"

    def version(self) -> str:
        parts = [f"cuecast-piper {RECIPE}"]
        parts += [dist_version("piper-tts"), dist_version("onnxruntime")]
        for voice in installed_bundled():
            parts.append(f"{voice.id} {sha256(bundled_model_path(voice))[:16]}")
        return "; ".join(parts)

    def resolve(self, voice: VoiceSpec, language: str) -> VoiceSpec:
        name = voice.name if voice.name is not None else default_voice(language).id
        # Piper has no pitch control
        return resolved_voice(voice, self.name, canonical_name(name), rate_wpm=DEFAULT_RATE_WPM)

    def synthesize(self, text: str, voice: VoiceSpec) -> Synthesis:
        path, pace = model_for(voice.name or BUNDLED[0].id)
        model = _load(path)
        rate_wpm = voice.rate_wpm or DEFAULT_RATE_WPM
        sentences = _speak(path, text, length_scale=pace.length_scale(rate_wpm))
        rate = int(model.config.sample_rate)
        pause_s = SENTENCE_PAUSE_S * DEFAULT_RATE_WPM / rate_wpm
        audio = join(sentences, rate, pause_s)
        volume = 1.0 if voice.volume is None else voice.volume
        return Synthesis(samples=to_int16(audio * volume), rate=rate)

    def voices(self) -> list[VoiceInfo]:
        if not available():
            return []
        bundled = [
            VoiceInfo(engine=self.name, name=v.id, language=v.language, description=v.description,
                      gender=v.gender, rate_hz=BUNDLED_RATE_HZ)
            for v in installed_bundled()
        ]
        fetched = [
            VoiceInfo(engine=self.name, name=n, language=installed_language(n),
                      description="installed by cuecast voices get", rate_hz=_rate_hz(n))
            for n in store.installed_piper()
        ]
        return bundled + fetched


# --- loading ------------------------------------------------------------------


def _load(path: Path) -> _Model:
    """The model's config at ``path``, read once per process."""
    with _LOCK:
        model = _MODELS.get(path)
    if model is not None:
        return model
    from piper import PiperConfig

    try:
        config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text("utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot load piper model {path}: {exc}") from exc
    model = _Model(config=config)
    with _LOCK:
        return _MODELS.setdefault(path, model)


def _voice(path: Path) -> Any:
    """The process's PiperVoice for the model at ``path``: one session of
    the model rewritten so its noise is passed in (``noise.py``), built once."""
    with _LOCK:
        voice = _VOICES.get(path)
    if voice is not None:
        return voice
    import onnxruntime
    from piper import PiperVoice

    config = _load(path).config
    rewritten = seedable(path, sha256(path), cache_dir())
    options = onnxruntime.SessionOptions()
    # no graph optimisation: it builds the session 3x slower and speaks no faster here
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1  # lines run in parallel processes, not threads
    options.inter_op_num_threads = 1
    try:
        session = onnxruntime.InferenceSession(str(rewritten.path), sess_options=options,
                                               providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types, not exported stably
        raise EngineError(f"onnxruntime cannot load the piper model {path}: {exc}") from exc
    voice = PiperVoice(session=SeededSession(session, rewritten.noises), config=config)
    with _LOCK:
        return _VOICES.setdefault(path, voice)


# --- synthesis ----------------------------------------------------------------


def _speak(path: Path, text: str, length_scale: float) -> list[np.ndarray]:
    """One float array per sentence, peak-normalised to 1.0."""
    from piper import SynthesisConfig

    if not text.strip():
        return []
    config = SynthesisConfig(length_scale=length_scale, normalize_audio=True)
    voice = _voice(path)
    try:
        return [chunk.audio_float_array for chunk in voice.synthesize(text, config)]
    except Exception as exc:  # onnxruntime and espeak raise assorted types
        raise EngineError(f"piper failed to speak {text[:60]!r}: {exc}") from exc
