"""Which built-in phrases a loaded script needs.

Takes a resolved ``Script`` whose language has no built-in phrases (its
missing ones are gaps, ``cuecast.language.gaps``) and gives the phrase
keys it would speak but lacks: the gaps in any of its text (default
prompts, announcements, durations in ``{var}`` text), and the countdown
and count lines the planner will say. The loader names exactly these in
its error, so a script in another language supplies only what it uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from cuecast.language import PHRASE_KEYS, gaps
from cuecast.script.model import (
    Breath,
    Breathe,
    Hold,
    Repeat,
    Reps,
    Say,
    Script,
    Section,
    Sides,
    Step,
)


def missing_phrases(script: Script) -> list[str]:
    """Phrase keys ``script`` needs that its ``phrases`` lack, in the
    order of the phrase table."""
    needed: set[str] = set()
    for text in _texts(script):
        if text:
            needed.update(gaps(text))
    for step in _walk(script.steps):
        needed.update(_planned(step))
    return [k for k in PHRASE_KEYS if k in needed and gaps(script.phrases.text(k))]


def _walk(steps: tuple[Step, ...]) -> Iterator[Step]:
    for step in steps:
        yield step
        if isinstance(step, (Repeat, Sides)):
            yield from _walk(step.steps)


def _planned(step: Step) -> set[str]:
    """What the planner may say by itself for ``step`` (some lines give
    way to others in the plan; a script is asked for them all the same)."""
    if isinstance(step, Reps):
        return {"count"} if step.count_aloud else set()
    if not isinstance(step, Hold):
        return set()
    countdown = step.countdown
    out = {"halfway"} if countdown.halfway else set()
    out |= {"second_left" if r == 1 else "seconds_left" for r in countdown.remaining_s}
    return out | ({"count"} if countdown.count else set())


def _texts(script: Script) -> Iterator[str | None]:
    meta = script.meta
    yield from (meta.title, meta.subtitle, meta.author, meta.album, meta.description)
    for step in _walk(script.steps):
        yield from _step_texts(step)


def _step_texts(step: Step) -> Iterator[str | None]:
    if isinstance(step, Say):
        yield step.text
    elif isinstance(step, Section):
        yield step.name
    elif isinstance(step, Hold):
        yield step.release
        yield from (cue.text for cue in step.cues)
        yield from _prompts(step.breathe)
    elif isinstance(step, Breathe):
        yield from _prompts(step.breath)
    elif isinstance(step, Repeat):
        yield from (step.announce, step.rest_say)
    elif isinstance(step, Sides):
        yield step.switch
        yield from step.sides
    elif isinstance(step, Reps):
        yield step.say


def _prompts(breath: Breath | None) -> Iterator[str | None]:
    if breath is None or breath.voiced == 0:
        return
    yield from (breath.prompts.inhale, breath.prompts.exhale)
    if breath.pattern.hold_s or breath.pattern.hold_after_s:
        yield breath.prompts.hold
