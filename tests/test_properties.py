"""Property tests over the script model and the planner (hypothesis).

Valid scripts are generated as ``cuecast.script.model`` trees and planned
with a fake voice (0.1 s a word); the timeline must then be ordered, every
hold must last exactly its duration, the total must equal the sum of the
top-level steps computed here independently, sections must tile the track
from the first one to the end, and only sounds and speech may ring past
the end (the mix cuts them there). Invalid scripts are generated as YAML
texts with one thing broken; loading and planning them may only ever raise
``InputError``.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuecast.errors import InputError
from cuecast.planner import plan, walk
from cuecast.script import load
from cuecast.script.model import (
    Breath,
    Breathe,
    BreathPattern,
    BreathPrompts,
    Countdown,
    Cue,
    Defaults,
    Hold,
    Meta,
    Pause,
    Repeat,
    Reps,
    Say,
    Script,
    Section,
    Sides,
    Sound,
    SoundRef,
    Src,
)
from cuecast.timeline import SAMPLE_RATE, to_samples
from cuecast.units import on_grid
from tests import tally

pytestmark = pytest.mark.slow  # many generated cases or timings: left out of make test-fast

SR = SAMPLE_RATE
SRC = Src("gen.yaml", 1, 1)
CLIP = {"bell": (3 * SR, SR), "tick": (SR // 20, SR // 20), "beep": (SR // 4, SR // 4)}
STRUCTURAL = {"hold", "silence", "set", "rest", "rep", "breath", "section"}


def measure(utt) -> int:
    return to_samples(0.1 * len(utt.text.split()) + 0.05)


def sound_length(ref: SoundRef) -> tuple[int, int]:
    return CLIP[ref.name]


# --- generating valid models ---------------------------------------------------------

seconds = st.floats(0.05, 90.0, allow_nan=False).map(lambda s: round(s, 3))
words = st.lists(st.sampled_from(["breathe", "in", "hold", "out", "relax", "now"]),
                 min_size=1, max_size=6).map(" ".join)
maybe_words = st.none() | words
chime = st.none() | st.sampled_from([SoundRef("bell"), SoundRef("beep")])
pattern = st.builds(BreathPattern, st.integers(1, 6).map(float), st.sampled_from([0.0, 2.0]),
                    st.integers(1, 8).map(float), st.sampled_from([0.0, 1.0]))
breath = st.builds(Breath, pattern, st.just(BreathPrompts()),
                   st.none() | st.integers(1, 3), st.booleans())
countdown = st.builds(Countdown, st.booleans(), st.sampled_from([(), (10.0,), (5.0, 10.0)]),
                      st.integers(0, 3))
cue = st.builds(Cue, st.sampled_from(["start", "half", "end"]), st.floats(0.0, 30.0), words,
                st.just(SRC))

leaf = st.one_of(
    st.builds(Say, words, st.just(SRC), gap_s=st.sampled_from([0.0, 0.3, 0.5, 1.25])),
    st.builds(Pause, seconds, st.just(SRC)),
    st.builds(Sound, st.sampled_from([SoundRef("bell"), SoundRef("beep")]), st.just(SRC)),
    st.builds(Section, words, st.just(SRC)),
    st.builds(Hold, seconds, st.just(SRC), cues=st.lists(cue, max_size=3).map(tuple),
              countdown=countdown, chime=chime, breathe=st.none() | breath, release=maybe_words),
    st.builds(Breathe, breath, st.just(SRC), cycles=st.integers(1, 4)),
    st.builds(Reps, st.integers(1, 12), st.sampled_from([0.5, 1.0, 1.5]), st.just(SRC),
              say=maybe_words, count_aloud=st.booleans()),
)


def _containers(children: st.SearchStrategy) -> st.SearchStrategy:
    steps = st.lists(children, min_size=1, max_size=4).map(tuple)
    return st.one_of(
        st.builds(Repeat, st.integers(1, 3), steps, st.just(SRC),
                  rest_s=st.none() | seconds, announce=st.none() | st.just("Set {n} of {total}."),
                  rest_say=st.none() | st.just("Rest.")),
        st.builds(Sides, st.sampled_from([("left", "right"), ("front",)]), steps, st.just(SRC),
                  switch=st.none() | st.just("Switch to the {side}.")),
    )


step = st.recursive(leaf, _containers, max_leaves=12)


def _numbered(steps: tuple, lines: itertools.count) -> tuple:
    """Give every step its own source line, so events can name their step."""
    out = []
    for s in steps:
        changes: dict = {"src": Src("gen.yaml", next(lines), 1)}
        if isinstance(s, (Repeat, Sides)):
            changes["steps"] = _numbered(s.steps, lines)
        out.append(dataclasses.replace(s, **changes))
    return tuple(out)


scripts = st.builds(
    lambda steps, gap: Script(Meta("Generated"), _numbered(tuple(steps), itertools.count(2)),
                              SRC, defaults=Defaults(gap_s=gap)),
    st.lists(step, min_size=1, max_size=6), st.sampled_from([0.0, 0.5, 0.8]),
)


# --- the length, computed apart from the planner ------------------------------------------


def _fill(text: str, fill: dict[str, object]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(fill.get(m.group(1), m.group(0))), text)


def _spoken(text: str | None, gap_s: float, fill: dict) -> int:
    if not text:
        return 0
    return to_samples(0.1 * len(_fill(text, fill).split()) + 0.05) + to_samples(gap_s)


def length_of(steps, gap_s: float) -> int:
    """Samples the steps take, by the rules in docs/script-format.md: end to
    end, a hold, and what follows a hold, a rest or a pause, starting on the
    frame grid."""
    return _after(steps, 0, gap_s, {}, False)[0]


def _after(steps, t: int, gap_s: float, fill: dict, snap: bool) -> tuple[int, bool]:
    """Where ``steps`` end from ``t``, and whether what follows goes on the grid."""
    for step in steps:
        t, snap = _step_end(step, on_grid(t) if snap else t, gap_s, fill)
    return t, snap


def _step_end(step, t: int, gap_s: float, fill: dict) -> tuple[int, bool]:
    if isinstance(step, Say):
        return t + _spoken(step.text, step.gap_s, fill), False
    if isinstance(step, Pause):
        return t + to_samples(step.duration_s), True
    if isinstance(step, Sound):
        return t + CLIP[step.sound.name][1], False
    if isinstance(step, Section):
        return t, False
    if isinstance(step, Hold):
        chime_s = CLIP[step.chime.name][1] if step.chime else 0
        t = on_grid(t)  # a hold starts on the grid
        return t + to_samples(step.duration_s) + chime_s + _spoken(step.release, gap_s, fill), True
    if isinstance(step, Breathe):
        return t + to_samples(step.cycles * step.breath.pattern.cycle_s), False
    if isinstance(step, Reps):
        return t + _spoken(step.say, gap_s, fill) + to_samples(step.count * step.tempo_s), False
    snap = False
    if isinstance(step, Repeat):
        for n in range(1, step.count + 1):
            inner = {**fill, "n": n, "total": step.count}
            t = (on_grid(t) if snap else t) + _spoken(step.announce, gap_s, inner)
            t, snap = _after(step.steps, t, gap_s, inner, False)
            if n < step.count and step.rest_s:
                t = (on_grid(t) if snap else t) + to_samples(step.rest_s)
                snap = True
        return t, snap
    assert isinstance(step, Sides)
    for i, side in enumerate(step.sides):
        inner = {**fill, "side": side}
        if i:
            t = (on_grid(t) if snap else t) + _spoken(step.switch, gap_s, inner)
            snap = False
        t, snap = _after(step.steps, t, gap_s, inner, snap)
    return t, snap


def _holds(steps: tuple) -> dict[int, Hold]:
    found = {}
    for s in steps:
        if isinstance(s, Hold):
            found[s.src.line] = s
        found.update(_holds(getattr(s, "steps", ())))
    return found


# --- properties -----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(scripts)
def test_generated_scripts_plan_to_consistent_timelines(script: Script) -> None:
    tally.add("property cases (valid models)")
    tl = plan(script, measure, sound_length)
    starts = [e.start for e in tl.events]
    assert starts == sorted(starts)
    assert tl.length == length_of(script.steps, script.defaults.gap_s)
    holds = _holds(script.steps)
    for e in tl.events:
        assert 0 <= e.start <= e.end
        if e.kind == "hold":
            assert e.end - e.start == to_samples(holds[e.line].duration_s)
        if e.kind in STRUCTURAL:
            assert e.end <= tl.length, e
    sections = [e for e in tl.events if e.kind == "section"]
    for a, b in itertools.pairwise(sections):
        assert a.end == b.start
    if sections:
        assert sections[-1].end == tl.length
    spoken = {e.text for e in tl.events if e.kind == "speech"}
    unmeasured = walk(script, lambda utt: None, lambda ref: (0, 0))
    assert spoken <= {x.utterance.text for x in unmeasured.lines}
    assert plan(script, measure, sound_length) == tl


# --- invalid scripts -----------------------------------------------------------------------

yaml_steps = st.lists(st.one_of(
    st.builds(lambda t: {"say": t}, words),
    st.builds(lambda d: {"pause": f"{d}s"}, seconds),
    st.builds(lambda d, r: {"hold": f"{d}s", "release": r}, seconds, words),
    st.builds(lambda n, t: {"reps": n, "tempo": f"{t}s"}, st.integers(1, 9),
              st.sampled_from([1, 2])),
    st.builds(lambda n, t: {"repeat": n, "steps": [{"say": t}]}, st.integers(1, 3), words),
    st.builds(lambda c: {"breathe": "4-6", "cycles": c}, st.integers(1, 3)),
), min_size=1, max_size=5)

BAD_VALUES = [None, [], {}, -1, 0, 10**12, "", "-5s", "1e400", ".inf", ".nan", "$nope",
              "{side}", True, "x" * 1200, [[[]]], {"a": {"b": []}}, "25h", "0x10", "1:2:3:4"]


def _paths(node, prefix=()):
    """Every (path, value) inside a YAML-ish tree."""
    yield prefix, node
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for key, value in items:
        yield from _paths(value, (*prefix, key))


def _set(tree, path, value):
    if not path:
        return value
    *head, last = path
    node = tree
    for key in head:
        node = node[key]
    node[last] = value
    return tree


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=yaml_steps, data=st.data())
def test_broken_scripts_are_input_errors_only(tmp_path, steps, data) -> None:
    tree = {"title": "Generated", "steps": steps}
    paths = [p for p, _ in _paths(tree)]
    where = data.draw(st.sampled_from(paths))
    how = data.draw(st.sampled_from(["value", "drop", "unknown key"]))
    if how == "value" or not where:
        tree = _set(tree, where, data.draw(st.sampled_from(BAD_VALUES)))
    elif how == "drop":
        parent = _set(tree, (), tree)
        for key in where[:-1]:
            parent = parent[key]
        del parent[where[-1]]
    else:
        parent = tree
        for key in where:
            parent = parent[key]
        if isinstance(parent, dict):
            parent["surprise"] = 1
    path = tmp_path / "gen.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True))
    tally.add("property cases (broken scripts)")
    try:
        script = load(path)
        plan(script, measure, lambda ref: (SR, SR))
    except InputError:
        tally.add("bad inputs tried")
