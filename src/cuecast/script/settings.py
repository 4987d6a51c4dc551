"""Settings nodes -> model values: voice, sounds, chime, countdown, breath,
defaults, background and lexicon.

Takes the YAML node of one setting (and the value it overrides, for the
partial forms) and gives the model object; errors name the node.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace

import yaml

from cuecast import limits
from cuecast.engine_names import engine_key
from cuecast.errors import InputError
from cuecast.language import PHRASE_KEYS, PLACEHOLDERS
from cuecast.script.context import Ctx
from cuecast.script.files import resolve
from cuecast.script.keys import (
    AMBIENCES,
    BACKGROUND_KEYS,
    BREATH_KEYS,
    COUNTDOWN_KEYS,
    DEFAULTS_KEYS,
    PATTERN_KEYS,
    PROMPT_KEYS,
    STEP_SOUNDS,
    VOICE_KEYS,
)
from cuecast.script.model import (
    Background,
    Breath,
    BreathPattern,
    BreathPrompts,
    Countdown,
    Defaults,
    SoundRef,
    VoiceSpec,
)

PATTERN_HELP = (
    "Write inhale-exhale like 4-8, inhale-hold-exhale like 4-7-8, "
    "inhale-hold-exhale-hold like 4-4-4-4, or a mapping {inhale, hold, exhale, "
    "hold_after}."
)


def voice(ctx: Ctx, node: yaml.Node, what: str = "voice") -> VoiceSpec:
    """``{engine, name, rate, pitch, volume}``; a plain string is a name."""
    if isinstance(node, yaml.ScalarNode):
        return VoiceSpec(name=_voice_name(ctx, node, what))
    items = ctx.reader.mapping(node, what)
    ctx.reader.check_keys(items, VOICE_KEYS, what)
    got = {name: value for name, (_, value) in items.items()}
    text = {
        k: ctx.text(got[k], f"{what} {k}", spoken=False) for k in ("engine", "name") if k in got
    }
    if "engine" in text:
        _check_engine(ctx, got["engine"], text["engine"])
    if "name" in got:
        text["name"] = _voice_name(ctx, got["name"], f"{what} name")
    ranges = {"rate": limits.RATE_WPM, "pitch": limits.PITCH, "volume": limits.VOLUME}
    numbers = {
        k: ctx.number(got[k], f"{what} {k}", r.low, r.high) for k, r in ranges.items() if k in got
    }
    return VoiceSpec(
        engine=text.get("engine"),
        name=text.get("name"),
        rate_wpm=numbers.get("rate"),
        pitch=numbers.get("pitch"),
        volume=numbers.get("volume"),
        recordings=_recordings(ctx, got["recordings"], what) if "recordings" in got else None,
    )


def _recordings(ctx: Ctx, node: yaml.Node, what: str) -> str:
    """The real path of the script's folder of recorded lines: beside the
    script, inside its folder unless ``--allow-outside``."""
    if what != "voice":
        ctx.fail(node, f"{what} cannot name recordings; only the script's voice can",
                 "Put 'recordings:' under the top-level 'voice:'.")
    raw = ctx.reader.scalar(node, f"{what} recordings")
    real, problem = resolve(raw, ctx.dir, ctx.session.root_dir, ctx.session.allow_outside)
    if problem == "outside":
        ctx.fail(node, f"recordings folder '{raw}' is outside the script's folder",
                 "Move it next to the script, or pass --allow-outside to allow it.")
    if problem == "missing":
        ctx.fail(node, f"recordings folder '{raw}' does not exist "
                       f"(looked in {os.path.dirname(real)})")
    if problem != "folder":
        ctx.fail(node, f"recordings '{raw}' is not a folder",
                 "Name a folder of audio files, one per line (see 'cuecast lines').")
    return real


def _voice_name(ctx: Ctx, node: yaml.Node, what: str) -> str:
    """A voice's name; a model file (``.onnx``) is a file the script names,
    found beside it and kept inside its folder like any other."""
    name = ctx.text(node, what, spoken=False)
    if "#" in name:
        ctx.fail(node, f"{what} cannot contain '#'", "Name a voice, or a .onnx model file.")
    if name.strip().lower().endswith(".onnx"):
        return ctx.path(node, what)
    return name


def _check_engine(ctx: Ctx, node: yaml.Node, name: str) -> None:
    """An unknown engine is an error at its line, not later at synthesis.
    A script names only the built-in engines: a ``module:Class`` name would
    let it import and run any installed code (docs/threat-model.md)."""
    if ":" in name:
        ctx.fail(node, f"engine '{name}': a script may name only the built-in engines",
                 "Engines given as module:Class are for the command line's --engine.")
    try:
        engine_key(name)
    except InputError as err:
        ctx.fail(node, err.message, err.hint)


def sound(
    ctx: Ctx, node: yaml.Node, what: str, built_in: tuple[str, ...] = STEP_SOUNDS
) -> SoundRef:
    """A built-in sound by name, or an audio file relative to the script."""
    name = ctx.reader.scalar(node, what).strip()
    if name in built_in:
        return SoundRef(name)
    if name.lower() == "none":
        ctx.fail(node, f"{what} cannot be 'none' here; leave the step out instead")
    return SoundRef(name, ctx.audio_path(node, what, built_in))


def chime(ctx: Ctx, node: yaml.Node, what: str = "chime") -> SoundRef | None:
    """A sound, or ``None`` for ``none``/``false``."""
    if _is_off(ctx, node, what):
        return None
    return sound(ctx, node, what, STEP_SOUNDS + ("none",))


def _is_off(ctx: Ctx, node: yaml.Node, what: str) -> bool:
    """``false``, ``none`` or an empty value: the setting is switched off."""
    reader = ctx.reader
    if reader.is_null(node):
        return True
    if reader.is_bool(node):
        if reader.boolean(node, what):
            return False
        return True
    return isinstance(node, yaml.ScalarNode) and node.value.strip().lower() == "none"


def countdown(ctx: Ctx, node: yaml.Node, base: Countdown, what: str = "countdown") -> Countdown:
    """A partial mapping merged over ``base``; ``false``/``none``: no cues."""
    if _is_off(ctx, node, what):
        return Countdown(halfway=False, remaining_s=(), count=0)
    if ctx.reader.is_bool(node):  # true: the default as it stands
        return base
    items = ctx.reader.mapping(node, what)
    ctx.reader.check_keys(items, COUNTDOWN_KEYS, what)
    out = base
    if "halfway" in items:
        out = replace(out, halfway=ctx.reader.boolean(items["halfway"][1], f"{what} halfway"))
    if "remaining" in items:
        out = replace(out, remaining_s=_remaining(ctx, items["remaining"][1], what))
    if "count" in items:
        out = replace(out, count=ctx.count(items["count"][1], f"{what} count", minimum=0))
    return out


def _remaining(ctx: Ctx, node: yaml.Node, what: str) -> tuple[float, ...]:
    if _is_off(ctx, node, f"{what} remaining"):
        return ()
    nodes = (
        [node]
        if isinstance(node, yaml.ScalarNode)
        else ctx.reader.sequence(node, f"{what} remaining")
    )
    return tuple(ctx.duration(n, f"each {what} remaining entry") for n in nodes)


def pattern(ctx: Ctx, node: yaml.Node, what: str) -> BreathPattern:
    """``4-8``, ``4-7-8``, ``4-4-4-4`` or ``{inhale, hold, exhale, hold_after}``."""
    if isinstance(node, yaml.MappingNode):
        return _pattern_mapping(ctx, node, what)
    raw = ctx.reader.scalar(node, what).strip()
    parts = [p.strip() for p in raw.split("-")]
    if len(parts) not in (2, 3, 4) or not all(parts):
        ctx.fail(node, f"{what} '{raw}' is not a breathing pattern", PATTERN_HELP)
    phases = ("inhale", "exhale") if len(parts) == 2 else PATTERN_KEYS[: len(parts)]
    seconds = {
        phase: _phase(ctx, node, what, phase, part)
        for phase, part in zip(phases, parts, strict=True)
    }
    return _make_pattern(seconds)


def _phase(ctx: Ctx, node: yaml.Node, what: str, phase: str, raw: str | None = None) -> float:
    zero_ok = phase in ("hold", "hold_after")
    return ctx.duration(node, f"the {phase} of {what}", zero_ok=zero_ok, raw=raw)


def _pattern_mapping(ctx: Ctx, node: yaml.Node, what: str) -> BreathPattern:
    items = ctx.reader.mapping(node, what)
    ctx.reader.check_keys(items, PATTERN_KEYS, what)
    for needed in ("inhale", "exhale"):
        if needed not in items:
            ctx.fail(node, f"{what} needs '{needed}'", PATTERN_HELP)
    return _make_pattern({k: _phase(ctx, v, what, k) for k, (_, v) in items.items()})


def _make_pattern(seconds: dict[str, float]) -> BreathPattern:
    return BreathPattern(
        inhale_s=seconds["inhale"],
        hold_s=seconds.get("hold", 0.0),
        exhale_s=seconds["exhale"],
        hold_after_s=seconds.get("hold_after", 0.0),
    )


def breath(ctx: Ctx, node: yaml.Node, base: Breath, what: str) -> Breath:
    """A pattern (prompts, voiced and tone from ``base``), ``true`` for
    ``base`` itself, or ``{pattern, prompts, voiced, tone}``."""
    if ctx.reader.is_bool(node) and ctx.reader.boolean(node, what):
        return base
    if isinstance(node, yaml.MappingNode):
        items = ctx.reader.mapping(node, what)
        if any(k in BREATH_KEYS for k in items):
            ctx.reader.check_keys(items, BREATH_KEYS, what)
            return breath_options(ctx, node, items, base, what)
        ctx.reader.check_keys(items, PATTERN_KEYS + BREATH_KEYS, what)
    return replace(base, pattern=pattern(ctx, node, what))


def breath_options(ctx: Ctx, node: yaml.Node, items: dict, base: Breath, what: str) -> Breath:
    """``pattern``, ``prompts``, ``voiced`` and ``tone`` from ``items`` over ``base``."""
    out = base
    if "pattern" in items:
        out = replace(out, pattern=pattern(ctx, items["pattern"][1], f"{what} pattern"))
    if "prompts" in items:
        out = replace(out, prompts=prompts(ctx, items["prompts"][1], out.prompts, what))
    if "voiced" in items:
        out = replace(out, voiced=voiced(ctx, items["voiced"][1], f"{what} voiced"))
    if "tone" in items:
        out = replace(out, tone=ctx.reader.boolean(items["tone"][1], f"{what} tone"))
    return out


def prompts(ctx: Ctx, node: yaml.Node, base: BreathPrompts, what: str) -> BreathPrompts:
    """A partial ``{inhale, hold, exhale}`` over ``base``; ``none``/``false``
    for a phase says nothing; ``prompts: none`` silences them all."""
    if _is_off(ctx, node, f"{what} prompts"):
        return BreathPrompts(None, None, None)
    items = ctx.reader.mapping(node, f"{what} prompts")
    ctx.reader.check_keys(items, PROMPT_KEYS, f"{what} prompts")
    said = {k: ctx.optional_text(v, f"the {k} prompt") for k, (_, v) in items.items()}
    return replace(base, **said)


def voiced(ctx: Ctx, node: yaml.Node, what: str) -> int | None:
    """Cycles whose prompts are spoken: N, ``all``/``true`` (None) or ``false`` (0)."""
    if ctx.reader.is_bool(node):
        return None if ctx.reader.boolean(node, what) else 0
    if isinstance(node, yaml.ScalarNode) and node.value.strip().lower() == "all":
        return None
    return ctx.count(node, what, minimum=0)


def defaults(ctx: Ctx, node: yaml.Node) -> Defaults:
    items = ctx.reader.mapping(node, "defaults")
    ctx.reader.check_keys(items, DEFAULTS_KEYS, "defaults")
    out = ctx.defaults  # the format's defaults in the script's language
    if "gap" in items:
        out = replace(out, gap_s=ctx.duration(items["gap"][1], "defaults gap", zero_ok=True))
    if "chime" in items:
        out = replace(out, chime=chime(ctx, items["chime"][1], "defaults chime"))
    if "countdown" in items:
        out = replace(
            out,
            countdown=countdown(ctx, items["countdown"][1], out.countdown, "defaults countdown"),
        )
    if "breath" in items:
        out = replace(out, breath=breath(ctx, items["breath"][1], out.breath, "defaults breath"))
    return out


def background(ctx: Ctx, node: yaml.Node) -> Background:
    """``{sound, volume, duck, fade}``, or just the sound's name."""
    if isinstance(node, yaml.ScalarNode):
        return Background(sound(ctx, node, "background sound", AMBIENCES))
    items = ctx.reader.mapping(node, "background")
    ctx.reader.check_keys(items, BACKGROUND_KEYS, "background")
    if "sound" not in items:
        ctx.fail(node, "background needs 'sound': rain, ocean or an audio file")
    out = Background(sound(ctx, items["sound"][1], "background sound", AMBIENCES))
    if "volume" in items:
        volume = limits.BED_VOLUME_DB
        what = "background volume (dB)"
        out = replace(
            out, volume_db=ctx.number(items["volume"][1], what, volume.low, volume.high)
        )
    if "duck" in items:
        duck = limits.BED_DUCK_DB
        what = "background duck (dB)"
        out = replace(out, duck_db=ctx.number(items["duck"][1], what, duck.low, duck.high))
    if "fade" in items:
        out = replace(out, fade_s=ctx.duration(items["fade"][1], "background fade", zero_ok=True))
    return out


def lexicon(ctx: Ctx, node: yaml.Node) -> tuple[tuple[str, str], ...]:
    """Word -> respelling, in the order written."""
    items = ctx.reader.mapping(node, "lexicon")
    out = []
    for word, (key, value) in items.items():
        if not word.strip():
            ctx.fail(key, "a lexicon word is empty")
        said = ctx.reader.scalar(value, f"the lexicon entry for '{word}'").strip()
        if not said:
            ctx.fail(value, f"the lexicon entry for '{word}' is empty")
        out.append((word.strip(), said))
    return tuple(out)


def phrases(ctx: Ctx, node: yaml.Node) -> dict[str, str]:
    """Phrase key -> the script's own text for it (``cuecast.language``
    keys); each text may use only its phrase's placeholders."""
    items = ctx.reader.mapping(node, "phrases")
    ctx.reader.check_keys(items, PHRASE_KEYS, "phrases")
    out = {}
    for key, (_, value) in items.items():
        text = ctx.reader.scalar(value, f"the phrase '{key}'").strip()
        if not text:
            ctx.fail(value, f"the phrase '{key}' is empty; give it some text")
        allowed = PLACEHOLDERS[key]
        for name in re.findall(r"\{([^{}]*)\}", text):
            if name not in allowed:
                may = ", ".join("{" + a + "}" for a in allowed) if allowed else "no placeholders"
                ctx.fail(value, f"the phrase '{key}' cannot use '{{{name}}}'; it may use {may}")
        out[key] = text
    return out
