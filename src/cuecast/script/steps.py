"""Step nodes -> model steps, with the defaults applied and vars resolved.

Takes a ``steps`` list node and the context (vars in scope, defaults,
placeholders allowed) and gives a tuple of model steps; ``include`` steps
are replaced by the included file's steps.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml

from cuecast import limits
from cuecast.script import settings
from cuecast.script.context import MAX_STEP_DEPTH, Ctx
from cuecast.script.keys import CUE_KEYS, STEP_OPTIONS
from cuecast.script.model import (
    Breathe,
    Cue,
    Hold,
    Pause,
    Repeat,
    Reps,
    Say,
    Section,
    Sides,
    Sound,
    Src,
    Step,
)
from cuecast.script.yamlnodes import did_you_mean

_DB = (limits.BED_VOLUME_DB.low, limits.BED_VOLUME_DB.high)

Items = dict[str, tuple[yaml.Node, yaml.Node]]
KIND_LIST = ", ".join(STEP_OPTIONS)


def steps(ctx: Ctx, node: yaml.Node, what: str = "steps") -> tuple[Step, ...]:
    if ctx.depth > MAX_STEP_DEPTH:
        ctx.fail(
            node,
            f"steps are nested more than {MAX_STEP_DEPTH} levels deep "
            "(repeat, sides and include inside one another)",
        )
    nodes = ctx.reader.sequence(node, what)
    if not nodes:
        ctx.fail(node, f"{what} is empty; give at least one step, like '- say: Hello.'")
    out: list[Step] = []
    for item in nodes:
        out.extend(step(ctx, item))
    return tuple(out)


def src(ctx: Ctx, node: yaml.Node) -> Src:
    return ctx.reader.src(node)


def step(ctx: Ctx, node: yaml.Node) -> list[Step]:
    if isinstance(node, yaml.ScalarNode):
        ctx.fail(
            node,
            "a step must be a mapping with one kind key, like '- say: Hello.' "
            f"or '- hold: 30s'; not just '{node.value}'",
        )
    items = ctx.reader.mapping(node, "a step")
    kind = _kind(ctx, node, items)
    options = STEP_OPTIONS[kind]
    for name, (key, _) in items.items():
        if name != kind and name not in options:
            takes = f"It takes {', '.join(options)}." if options else "It takes no options."
            ctx.fail(
                key,
                f"'{name}' is not an option of a '{kind}' step",
                did_you_mean(name, options) or takes,
            )
    return BUILDERS[kind](ctx, node, items)


def _kind(ctx: Ctx, node: yaml.Node, items: Items) -> str:
    kinds = [name for name in items if name in STEP_OPTIONS]
    # 'say' and 'breathe' are kinds of their own and also options of reps and hold
    kinds = [k for k in kinds if not any(k in STEP_OPTIONS[other] for other in kinds)] or kinds
    if len(kinds) > 1:
        ctx.fail(
            items[kinds[1]][0],
            f"this step has two kinds, '{kinds[0]}' and '{kinds[1]}'",
            "Each step has exactly one; split it into two steps.",
        )
    if kinds:
        return kinds[0]
    if not items:
        ctx.fail(node, f"this step is empty; give it one of {KIND_LIST}")
    name, (key, _) = next(iter(items.items()))
    ctx.fail(
        key,
        f"a step needs exactly one kind key ({KIND_LIST}); '{name}' is not one",
        did_you_mean(name, STEP_OPTIONS),
    )


def _value(items: Items, name: str) -> yaml.Node | None:
    pair = items.get(name)
    return pair[1] if pair else None


def say(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    voice_node, gap_node = _value(items, "voice"), _value(items, "gap")
    return [
        Say(
            text=ctx.text(items["say"][1], "say"),
            src=src(ctx, node),
            voice=settings.voice(ctx, voice_node, "say voice") if voice_node else None,
            gap_s=ctx.duration(gap_node, "gap", zero_ok=True) if gap_node else ctx.defaults.gap_s,
        )
    ]


def pause(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    return [Pause(ctx.duration(items["pause"][1], "pause"), src(ctx, node))]


def sound(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    volume = _value(items, "volume")
    return [
        Sound(
            settings.sound(ctx, items["sound"][1], "sound"),
            src(ctx, node),
            volume_db=ctx.number(volume, "sound volume (dB)", *_DB) if volume else 0.0,
        )
    ]


def section(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    return [Section(ctx.text(items["section"][1], "section name"), src(ctx, node))]


def hold(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    duration_s = ctx.duration(items["hold"][1], "hold")
    cues, cd, chime, breathe, release = (_value(items, k) for k in STEP_OPTIONS["hold"])
    base = ctx.defaults
    return [
        Hold(
            duration_s=duration_s,
            src=src(ctx, node),
            cues=_cues(ctx, cues, duration_s) if cues else (),
            countdown=settings.countdown(ctx, cd, base.countdown) if cd else base.countdown,
            chime=settings.chime(ctx, chime) if chime else base.chime,
            breathe=_hold_breath(ctx, breathe) if breathe else None,
            release=ctx.optional_text(release, "release") if release else None,
        )
    ]


def _hold_breath(ctx: Ctx, node: yaml.Node) -> settings.Breath | None:
    if ctx.reader.is_null(node) or (
        ctx.reader.is_bool(node) and not ctx.reader.boolean(node, "breathe")
    ):
        return None
    if isinstance(node, yaml.ScalarNode) and node.value.strip().lower() == "none":
        return None
    return settings.breath(ctx, node, ctx.defaults.breath, "breathe")


def _cues(ctx: Ctx, node: yaml.Node, hold_s: float) -> tuple[Cue, ...]:
    return tuple(_cue(ctx, item, hold_s) for item in ctx.reader.sequence(node, "cues"))


def _cue(ctx: Ctx, node: yaml.Node, hold_s: float) -> Cue:
    items = ctx.reader.mapping(node, "a cue")
    ctx.reader.check_keys(items, CUE_KEYS, "a cue")
    for needed in CUE_KEYS:
        if needed not in items:
            ctx.fail(node, f"a cue needs '{needed}'", "Write it as {at: 10s, say: Relax.}")
    at_node = items["at"][1]
    raw = ctx.reader.scalar(at_node, "cue at").strip()
    text = ctx.text(items["say"][1], "cue say")
    if raw.lower() == "half":
        return Cue("half", 0.0, text, src(ctx, node))
    before_end = raw.startswith("-")
    seconds = ctx.duration(
        at_node, "cue at", zero_ok=not before_end, raw=raw[1:] if before_end else raw
    )
    if seconds > hold_s or (seconds == hold_s and not before_end):
        where = "before the end" if before_end else "after the start"
        ctx.fail(
            at_node,
            f"this cue is {raw} {where} of a hold that lasts only {hold_s:g} s",
            "Cues fall inside the hold.",
        )
    return Cue("end" if before_end else "start", seconds, text, src(ctx, node))


def breathe(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    what = "breathe"
    base = settings.breath(ctx, items["breathe"][1], ctx.defaults.breath, what)
    breath = settings.breath_options(ctx, node, items, base, what)
    cycles, for_ = _value(items, "cycles"), _value(items, "for")
    if (cycles is None) == (for_ is None):
        ctx.fail(
            node,
            "a breathe step needs exactly one of 'cycles' (how many breaths) or 'for' (how long)",
            "For example: 'cycles: 6' or 'for: 2m'.",
        )
    return [
        Breathe(
            breath=breath,
            src=src(ctx, node),
            cycles=ctx.count(cycles, "cycles") if cycles else None,
            for_s=ctx.duration(for_, "for") if for_ else None,
        )
    ]


def repeat(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    inner = ctx.with_(placeholders=ctx.placeholders | {"n", "total"}, depth=ctx.depth + 1)
    rest, announce, rest_say = (_value(items, k) for k in ("rest", "announce", "rest_say"))
    return [
        Repeat(
            count=ctx.count(items["repeat"][1], "repeat"),
            steps=steps(inner, _needed(ctx, node, items, "repeat")),
            src=src(ctx, node),
            rest_s=ctx.duration(rest, "rest") if rest else None,
            announce=(
                inner.optional_text(announce, "announce") if announce else ctx.phrases.text("set")
            ),
            rest_say=(
                inner.optional_text(rest_say, "rest_say") if rest_say else ctx.phrases.text("rest")
            ),
        )
    ]


def _needed(ctx: Ctx, node: yaml.Node, items: Items, kind: str) -> yaml.Node:
    if "steps" not in items:
        ctx.fail(
            node,
            f"a '{kind}' step needs 'steps': the steps to run",
            "Indent them under 'steps:' at the same level as the kind key.",
        )
    return items["steps"][1]


def sides(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    names_node = items["sides"][1]
    names = tuple(ctx.text(n, "a side's name") for n in ctx.reader.sequence(names_node, "sides"))
    if not names:
        ctx.fail(names_node, "sides is empty; list them, like [left, right]")
    inner = ctx.with_(placeholders=ctx.placeholders | {"side"}, depth=ctx.depth + 1)
    switch = _value(items, "switch")
    return [
        Sides(
            sides=names,
            steps=steps(inner, _needed(ctx, node, items, "sides")),
            src=src(ctx, node),
            switch=(
                inner.optional_text(switch, "switch") if switch else ctx.phrases.text("switch")
            ),
        )
    ]


def reps(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    if "tempo" not in items:
        ctx.fail(node, "a 'reps' step needs 'tempo': one rep every how long, like 'tempo: 3s'")
    said, count = _value(items, "say"), _value(items, "count")
    return [
        Reps(
            count=ctx.count(items["reps"][1], "reps"),
            tempo_s=ctx.duration(items["tempo"][1], "tempo"),
            src=src(ctx, node),
            say=ctx.text(said, "reps say") if said else None,
            count_aloud=ctx.reader.boolean(count, "count") if count else True,
        )
    ]


def include(ctx: Ctx, node: yaml.Node, items: Items) -> list[Step]:
    return list(ctx.include(items["include"][1]))


BUILDERS: dict[str, Callable[[Ctx, yaml.Node, Items], list[Step]]] = {
    "say": say, "pause": pause, "sound": sound, "section": section, "hold": hold,
    "breathe": breathe, "repeat": repeat, "sides": sides, "reps": reps, "include": include,
}  # fmt: skip
