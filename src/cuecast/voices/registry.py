"""Engine names to engine objects, and which engine speaks a voice.

``best`` (alias ``auto``) is the default: for each language the most
intelligible engine installed, as measured with an offline recogniser
(``BEST_ORDER``, numbers in docs/voices.md): English hibari, then piper
(the ``neural`` extra), then Pico; German, Spanish, French and Italian
Pico; every other language ``pyttsx3`` (alias ``espeak``, the espeak-ng
engine every install has). A voice named with no engine selects the
engine that has it (``--voice joe`` means piper, ``--voice heart`` hibari,
``--voice pico-de`` Pico, ``--voice en-gb`` pyttsx3). A name of the form
``package.module:Class`` loads that class, for tests and plugins. Engine
modules are imported only when asked for.
"""

from __future__ import annotations

import difflib
import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass

from cuecast.engine_names import ALIASES, BEST, ENGINE_NAMES, NEURAL_HINT, engine_key
from cuecast.errors import CuecastError, EngineError, InputError
from cuecast.script.model import VoiceSpec
from cuecast.voices.base import Engine, VoiceInfo

DEFAULT_ENGINE = BEST
"""What speaks when neither the script nor the command line names an engine."""
FALLBACK_ENGINE = "pyttsx3"
"""Always installed: what ``best`` is when no better engine has a voice for the language."""


def _pyttsx3() -> type[Engine]:
    from cuecast.voices.pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine


def _piper() -> type[Engine]:
    from cuecast.voices.piper import PiperEngine

    return PiperEngine


def _hibari() -> type[Engine]:
    from cuecast.voices.hibari import HibariEngine

    return HibariEngine


def _pico() -> type[Engine]:
    from cuecast.voices.pico import PicoEngine

    return PicoEngine


ENGINES: dict[str, Callable[[], type[Engine]]] = {
    "hibari": _hibari, "piper": _piper, "pico": _pico, "pyttsx3": _pyttsx3,
}
"""Each of ``engine_names.ENGINE_NAMES`` (the names, their aliases and
``best`` are written there) -> its class, imported when first asked for by
a plain import (which the layer contracts see)."""
MORE_PIPER_VOICES = (
    "More piper voices: any Piper model (.onnx beside its .onnx.json), e.g. from "
    "https://huggingface.co/rhasspy/piper-voices, named by path: "
    "--engine piper --voice ~/voices/NAME.onnx"
)


def canonical_name(name: str | None, language: str = "en", voice: str | None = None) -> str:
    """The registry name for ``name`` (``None`` is the default engine,
    ``best``; ``best`` is the engine that has ``voice`` when one is named,
    else the best one installed for ``language``); raises ``InputError``
    with a did-you-mean for an unknown engine."""
    if name is not None and ":" in name:
        return name.strip()
    key = BEST if name is None else engine_key(name)
    if key == BEST:
        return engine_for_voice(voice, language) if voice else best_engine(language)
    return key


def _short(name: str) -> str:
    """``en_US-joe-medium`` -> ``joe``, ``gmw/en-GB-x-rp`` -> ``en-gb-x-rp``:
    the part a person types, for did-you-mean."""
    last = name.rsplit("/", 1)[-1].lower()
    parts = last.split("-")
    return parts[1] if len(parts) == 3 and "_" in parts[0] else last


BEST_ORDER: dict[str, tuple[str, ...]] = {
    "en": ("hibari", "piper", "pico"),
    "de": ("pico",),
    "es": ("pico",),
    "fr": ("pico",),
    "it": ("pico",),
}
"""Engines to prefer for a language, most intelligible first, each used
when it is installed with a voice for the language; the fallback engine
after them (and for every language not listed: pt and nl measured best
with espeak-ng). The order is measured (docs/voices.md, ``tests/test_intelligibility.py``)."""


def best_engine(language: str = "en") -> str:
    """The first of ``BEST_ORDER[language]`` installed with an installed
    voice for ``language``, else the fallback engine (pyttsx3)."""
    primary = language.replace("_", "-").split("-")[0].lower()
    for name in BEST_ORDER.get(primary, ()):
        try:
            voices = get_engine(name).voices()
        except CuecastError:
            continue
        if any(v.installed and v.language.split("-")[0].lower() == primary for v in voices):
            return name
    return FALLBACK_ENGINE


def engine_for_voice(voice: str, language: str = "en") -> str:
    """The engine that has the voice called ``voice``: a Piper model file
    (``.onnx``) is piper's; a name is looked up in ``VOICE_LOOKUP`` order.
    ``InputError`` naming the closest voices when none has it."""
    if voice.strip().lower().split("#")[0].endswith(".onnx"):
        return "piper"
    for engine in VOICE_LOOKUP:
        try:
            get_engine(engine).resolve(VoiceSpec(name=voice), language)
        except CuecastError:
            continue
        return engine
    names = {_short(v.name): v.name for v in list_voices()[0]}
    names.update({v.name: v.name for v in list_voices()[0]})
    close = difflib.get_close_matches(voice.strip().lower(), list(names), n=3, cutoff=0.6)
    close = list(dict.fromkeys(names[c] for c in close))
    hint = f"Did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    raise InputError(
        f"no installed engine has a voice {voice!r}",
        hint=f"{hint}`cuecast voices` lists the voices; `cuecast voices --all` every one.",
    )


def check_options(engine: str | None, voice: str | None,
                  said: tuple[str, str] = ("--engine", "--voice")) -> None:  # fmt: skip
    """``--engine`` and ``--voice`` checked before any script is read, so
    an error names the option (as ``said``: ``engine`` and ``voice`` from
    Python), not a line of the script."""
    key = None
    if engine is not None:
        try:
            key = canonical_name(engine)
        except InputError as e:
            raise InputError(f"{said[0]} {engine}: {e.message}", hint=e.hint) from None
    if voice is None:
        return
    try:
        if engine is None or ALIASES.get(engine.strip().lower(), engine) == BEST:
            engine_for_voice(voice)
        elif key is not None:
            get_engine(key).resolve(VoiceSpec(name=voice), "en")
    except InputError as e:
        hint = _owner_hint(voice) or e.hint
        raise InputError(f"{said[1]} {voice}: {e.message}", hint=hint) from None


def _owner_hint(voice: str) -> str | None:
    try:
        owner = engine_for_voice(voice)
    except InputError:
        return None
    return f"'{voice}' is a {owner} voice: leave out --engine, or give --engine {owner}."


VOICE_LOOKUP = ("piper", "hibari", FALLBACK_ENGINE, "pico")
"""The engines asked, in turn, for a voice named without an engine: espeak-ng
before Pico, so a language tag (``--voice en-gb``) stays espeak-ng's; Pico's
voices are called ``pico-...``."""


def get_engine(name: str | None = None) -> Engine:
    """The engine called ``name`` or an alias of it (one instance per process)."""
    return _engine(canonical_name(name))


@functools.cache
def _engine(key: str) -> Engine:
    try:
        return (ENGINES[key]() if key in ENGINES else _plugin(key))()
    except ImportError as exc:
        if key in ("piper", "hibari"):
            raise InputError(
                f"the {key} engine is not installed ({exc})",
                hint="Install it with `pip install 'cuecast[neural]'`.",
            ) from exc
        raise EngineError(f"speech engine {key!r} cannot be loaded: {exc}") from exc
    except AttributeError as exc:
        raise EngineError(f"speech engine {key!r} cannot be loaded: {exc}") from exc


def _plugin(target: str) -> type[Engine]:
    """``package.module:Class``: an engine from outside cuecast (a plugin,
    a test's fake), loaded by its name."""
    module_name, _, class_name = target.partition(":")
    engine: type[Engine] = getattr(importlib.import_module(module_name), class_name)
    return engine


def default_voice(language: str = "en") -> VoiceSpec:
    """The voice a script with no ``voice`` speaks with."""
    return get_engine(best_engine(language)).resolve(VoiceSpec(), language)


def more_voices_hint() -> str:
    """How to get more voices than those installed now."""
    if not get_engine("piper").voices() and not get_engine("hibari").voices():
        return f"More voices: {NEURAL_HINT}"
    return MORE_PIPER_VOICES


def list_voices(engine: str | None = None) -> tuple[list[VoiceInfo], list[str]]:
    """Voices of ``engine`` (every engine when None), and notes on engines
    that could not be asked (``cuecast voices`` prints them on stderr)."""
    names = [canonical_name(engine)] if engine is not None else list(ENGINE_NAMES)
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


@dataclass(frozen=True)
class VoiceRow:
    """A line of ``cuecast voices``: a voice, and the languages it is the
    default for (what a script in that language speaks with when it names
    no voice)."""

    engine: str
    name: str
    language: str
    description: str
    default_for: tuple[str, ...] = ()
    gender: str = ""
    rate_hz: int = 0
    """The engine's own sample rate (0: not known)."""
    installed: bool = True
    """False: listed, but ``cuecast voices get NAME`` must fetch it first."""


@dataclass(frozen=True)
class VoiceListing:
    rows: tuple[VoiceRow, ...]
    notes: tuple[str, ...]
    """Engines that could not be asked, for stderr."""
    hidden: int
    """Voices left out (languages cuecast has no phrases for): ``all_voices`` shows them."""


def voice_listing(
    engine: str | None = None, language: str | None = None, all_voices: bool = False
) -> VoiceListing:
    """The voices to show, per language (cuecast's built-in languages
    first): the language's default first, then the installed ones by engine
    (``ENGINES_FIRST``), then those to fetch. Without
    ``all_voices`` or ``language`` only voices for the languages cuecast
    has built-in phrases for are listed."""
    from cuecast.language import SUPPORTED, primary

    found, notes = list_voices(engine)
    wanted = (primary(language),) if language else SUPPORTED
    defaults: dict[tuple[str, str], list[str]] = {}
    for lang in (language,) if language else SUPPORTED:  # pt-BR's default is not pt's
        try:
            voice = default_voice(lang)
        except CuecastError:
            continue
        defaults.setdefault((voice.engine or "", voice.name or ""), []).append(lang)
    shown = [
        v for v in found
        if all_voices and not language or primary(v.language) in wanted
    ]  # fmt: skip
    rows = [
        VoiceRow(v.engine, v.name, v.language, v.description,
                 tuple(defaults.get((v.engine, v.name), ())), v.gender, v.rate_hz, v.installed)
        for v in shown
    ]  # fmt: skip
    order = {name: i for i, name in enumerate(ENGINES_FIRST)}
    languages = {lang: i for i, lang in enumerate(SUPPORTED)}
    rows.sort(key=lambda r: (languages.get(primary(r.language), len(languages)),
                             primary(r.language), not r.default_for, not r.installed,
                             order.get(r.engine, 9), r.language, r.name))  # fmt: skip
    return VoiceListing(tuple(rows), tuple(notes), len(found) - len(shown))


ENGINES_FIRST = ("hibari", "piper", "pico", "pyttsx3")
"""The order engines are listed in: the natural-sounding ones first."""
