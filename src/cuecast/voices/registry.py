"""Engine names to engine objects.

``pyttsx3`` (alias ``espeak``) is the default engine; ``piper`` is the
optional neural engine (``pip install 'cuecast[neural]'``). A name of the
form ``package.module:Class`` loads that class, for tests and plugins.
Engine modules are imported only when asked for.
"""

from __future__ import annotations

import difflib
import functools
import importlib

from cuecast.errors import CuecastError, EngineError, InputError
from cuecast.voices.base import Engine, VoiceInfo

DEFAULT_ENGINE = "pyttsx3"
ENGINES = {
    "pyttsx3": "cuecast.voices.espeak:EspeakEngine",
    "piper": "cuecast.voices.piper:PiperEngine",
}
ALIASES = {"espeak": "pyttsx3", "espeak-ng": "pyttsx3"}


def canonical_name(name: str | None) -> str:
    """The registry name for ``name`` (``None`` is the default engine);
    raises ``InputError`` with a did-you-mean for an unknown one."""
    if name is None:
        return DEFAULT_ENGINE
    key = name.strip().lower()
    if ":" in name:
        return name.strip()
    key = ALIASES.get(key, key)
    if key in ENGINES:
        return key
    known = sorted(ENGINES) + sorted(ALIASES)
    close = difflib.get_close_matches(key, known, n=2)
    hint = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise InputError(
        f"unknown speech engine {name!r}",
        hint=f"{hint}Engines: {', '.join(sorted(ENGINES))}.",
    )


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
