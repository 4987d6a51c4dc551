"""Plan: a resolved ``Script`` and the lengths of its sounds -> ``Timeline``.

Pure: no audio, no I/O. The caller says how long each spoken line is
(``measure``, in samples, of the trimmed clip) and how long each sound is;
the planner lays the steps end to end and pins every sound in time. All
arithmetic is in integer samples so that nothing drifts.

One walk (``walk``) gives the timeline and the lines to speak. A line whose
length is not known yet (not synthesised) counts as zero and is listed as
unmeasured: the caller makes those lines and walks again. Which lines are
spoken never depends on their lengths, so the first walk lists them all;
with a warm cache the first walk is the only one.

The timing promise kept here (see docs/script-format.md):
- a ``say`` lasts its speech plus its gap;
- a ``hold: D`` lasts exactly D; its start chime is at its start, its end
  chime exactly D later; cues, countdown words and breath prompts sit inside
  it at their offsets and never lengthen it;
- a breathing phase's prompt and tone start at the phase's start;
- a hold starts on the frame grid (``units.GRID_SAMPLES``, 1152 samples),
  and so does what follows a hold (after its end chime and release), a
  rest or a pause: the silence before it grows by less than 26 ms. So
  everything inside a hold (its chimes, cues, countdown words, breath
  prompts) is the same audio at the same grid phase wherever the hold
  stands, and whatever a listener makes of a hold's, rest's or pause's
  length, what follows is the same audio on the same grid: their encoded
  pieces are reused (``pieces/``). Nothing inside a hold moves relative to
  its start; the timeline says where everything is. A rest, a pause, a
  ``sides`` block or a set does not start on the grid: a pause and a rest
  hold nothing but silence and a ``rest_say`` at their start, which the
  cutter takes with the sound just before it (or which follows a hold,
  and so is on the grid already); a set or a side is steps, whose holds
  start on the grid and whose lines change with ``{n}`` and ``{side}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from cuecast import limits
from cuecast.errors import InputError
from cuecast.script.model import (
    Breath,
    Breathe,
    Hold,
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
    Step,
    VoiceSpec,
)
from cuecast.timeline import Event, SoundPlay, Timeline, Tone, Utterance, Warning_
from cuecast.units import SAMPLE_RATE, clock_text, on_grid, to_samples

SpeechLength = Callable[[Utterance], "int | None"]
"""Samples of the trimmed speech clip for a line; ``None`` while the clip
is not made (the line then counts as zero and is listed as unmeasured)."""

SoundLength = Callable[[SoundRef], "tuple[int, int]"]
"""``(clip_samples, advance_samples)``: how long a sound rings, and how long
the sequence waits after its onset before the next step."""

MAX_SESSION_S = limits.MAX_SESSION_S
"""A script may not plan longer than this (hostile or mistaken scripts)."""

MAX_EVENTS = limits.MAX_EVENTS
"""Nor produce more events than this."""

TICK = SoundRef("tick")

# Priorities of spoken lines inside a hold: a lower number wins a clash.
_CUE, _BREATH, _COUNT, _REMAINING = 0, 1, 2, 3


@dataclass(frozen=True)
class SpokenLine:
    """A distinct line the script speaks, and where it is first spoken."""

    utterance: Utterance
    src: Src


@dataclass(frozen=True)
class Plan:
    """What one walk of a script gives."""

    timeline: Timeline
    lines: tuple[SpokenLine, ...]
    """Every distinct line to speak, in order of first use (countdown words
    that give way to a written line included: whether they do depends on
    the lengths)."""
    unmeasured: tuple[Utterance, ...]
    """Lines whose length was not known: until they are made and the
    script walked again, the timeline is a draft."""


@dataclass
class _Ctx:
    """Placeholders in scope: ``{side}``, ``{n}``, ``{total}``."""

    fill: dict[str, str] = field(default_factory=dict)

    def text(self, text: str) -> str:
        for name, value in self.fill.items():
            text = text.replace("{" + name + "}", value)
        return text

    def with_(self, **values: object) -> _Ctx:
        return _Ctx({**self.fill, **{k: str(v) for k, v in values.items()}})


@dataclass
class _Line:
    """A spoken line inside a hold, before clashes are settled."""

    start: int
    utt: Utterance
    length: int
    src: Src
    priority: int
    what: str


class _Planner:
    def __init__(self, script: Script, measure: SpeechLength, sound_length: SoundLength) -> None:
        self.script = script
        self.measure = measure
        self.sound_length = sound_length
        self.events: list[Event] = []
        self.warnings: list[Warning_] = []
        self.gap = to_samples(script.defaults.gap_s)
        self.lines: dict[Utterance, Src] = {}
        self.unmeasured: dict[Utterance, None] = {}
        self.to_grid = False
        """The next thing to start (after a hold, rest or pause) starts on the grid."""

    # -- helpers -----------------------------------------------------------

    def resume(self, t: int) -> int:
        """Where the next thing starts: ``t``, or the grid point at or after
        it when a hold, rest or pause came just before."""
        if self.to_grid:
            self.to_grid = False
            return on_grid(t)
        return t

    def emit(self, kind: str, start: int, end: int, src: Src, **kw: object) -> None:
        self.events.append(Event(kind, start, end, src.line, src.file, key=src.key,
                                 **kw))  # type: ignore[arg-type]  # fmt: skip

    def warn(self, src: Src, message: str) -> None:
        self.warnings.append(Warning_(message, src.file, src.line, src.column, src.key))

    def length(self, utt: Utterance, src: Src) -> int:
        """Samples of ``utt`` (0 while unmeasured), recorded as a line to speak.
        A line the measure rejects without a place (an unknown voice) is
        reported at the line that speaks it."""
        self.lines.setdefault(utt, src)
        try:
            samples = self.measure(utt)
        except InputError as err:
            if err.line is not None or err.key is not None:
                raise
            raise InputError(err.message, hint=err.hint, **src.place) from None
        if samples is None:
            self.unmeasured.setdefault(utt, None)
            return 0
        return samples

    def speak(self, t: int, text: str, src: Src, voice: VoiceSpec | None = None) -> int:
        """A speech event at ``t``; returns its end."""
        utt = Utterance(text, voice or VoiceSpec())
        end = t + self.length(utt, src)
        self.emit("speech", t, end, src, text=text, source=utt)
        return end

    def say_line(self, t: int, text: str | None, src: Src, ctx: _Ctx) -> int:
        """Narration outside a hold: speech then the default gap."""
        if not text:
            return t
        return self.speak(t, ctx.text(text), src) + self.gap

    def sound(self, t: int, ref: SoundRef, src: Src, volume_db: float = 0.0) -> int:
        """A sound at ``t``; returns when the sequence may go on."""
        clip, advance = self.sound_length(ref)
        self.emit("sound", t, t + clip, src, text=ref.name, source=SoundPlay(ref, volume_db))
        return t + advance

    # -- steps -------------------------------------------------------------

    def steps(self, t: int, steps: tuple[Step, ...], ctx: _Ctx) -> int:
        for step in steps:
            t = self.step(t, step, ctx)
        return t

    def step(self, t: int, step: Step, ctx: _Ctx) -> int:
        t = self.resume(t)
        if isinstance(step, Say):
            end = self.speak(t, ctx.text(step.text), step.src, step.voice)
            return end + to_samples(step.gap_s)
        if isinstance(step, Pause):
            end = t + to_samples(step.duration_s)
            self.emit("silence", t, end, step.src)
            self.to_grid = True
            return end
        if isinstance(step, Sound):
            return self.sound(t, step.sound, step.src, step.volume_db)
        if isinstance(step, Section):
            self.emit("section", t, t, step.src, text=ctx.text(step.name))
            return t
        if isinstance(step, Hold):
            return self.hold(t, step, ctx)
        if isinstance(step, Breathe):
            return self.breathe(t, step, ctx)
        if isinstance(step, Repeat):
            return self.repeat(t, step, ctx)
        if isinstance(step, Sides):
            return self.sides(t, step, ctx)
        if isinstance(step, Reps):
            return self.reps(t, step, ctx)
        raise TypeError(f"unknown step {step!r}")  # pragma: no cover - model is closed

    def hold(self, t: int, hold: Hold, ctx: _Ctx) -> int:
        t = on_grid(t)  # its start on the grid: what it holds is at the same phase everywhere
        length = to_samples(hold.duration_s)
        end = t + length
        self.emit("hold", t, end, hold.src)
        if hold.chime is not None:
            self.sound(t, hold.chime, hold.src)
        lines = list(self.hold_lines(t, hold, ctx))
        if hold.breathe is not None:
            lines += self.breath_cycles(t, length, hold.breathe, hold.src, ctx)
        for line in self.settle(lines, end):
            self.emit(
                "speech", line.start, line.start + line.length, line.src,
                text=line.utt.text, source=line.utt,
            )
        after = end
        if hold.chime is not None:
            after = self.sound(end, hold.chime, hold.src)
        after = self.say_line(after, hold.release, hold.src, ctx)
        self.to_grid = True
        return after

    def hold_lines(self, t: int, hold: Hold, ctx: _Ctx) -> Iterator[_Line]:
        """Cues and countdown words of a hold, with their priorities."""
        d = hold.duration_s
        for cue in hold.cues:
            offset = {"start": cue.seconds, "half": d / 2, "end": d - cue.seconds}[cue.at]
            if offset < 0 or offset >= d:
                self.warn(cue.src, f"cue {cue.text!r} is outside the {d:g} s hold; it was left out")
                continue
            yield self.line(t + to_samples(offset), ctx.text(cue.text), cue.src, _CUE, "cue")
        cd = hold.countdown
        if cd.halfway and d >= 20:
            halfway = self.script.phrases.text("halfway")
            yield self.line(t + to_samples(d / 2), halfway, hold.src, _REMAINING, "countdown")
        for rem in cd.remaining_s:
            if d > rem + 5:
                words = self.script.phrases.seconds_left(rem)
                yield self.line(t + to_samples(d - rem), words, hold.src, _REMAINING, "countdown")
        if cd.count > 0 and d > cd.count:
            for k in range(cd.count, 0, -1):
                word = self.script.phrases.count(k)
                yield self.line(t + to_samples(d - k), word, hold.src, _COUNT, "countdown")

    def line(self, start: int, text: str, src: Src, priority: int, what: str) -> _Line:
        utt = Utterance(text, VoiceSpec())
        return _Line(start, utt, self.length(utt, src), src, priority, what)

    def settle(self, lines: list[_Line], hold_end: int) -> list[_Line]:
        """Keep the lines of a hold that fit; report the clashes.

        Written lines (cues, breath prompts) are kept and clashes among them
        are warnings; the automatic countdown words give way silently to
        anything written, since the author did not ask for them one by one.
        """
        kept: list[_Line] = []
        for line in sorted(lines, key=lambda x: (x.priority, x.start)):
            clash = next((k for k in kept if _overlaps(k, line)), None)
            if clash is not None and line.priority >= _COUNT:
                continue
            if clash is not None:
                self.warn(
                    line.src,
                    f"{line.what} {line.utt.text!r} at {clock_text(line.start)} overlaps "
                    f"{clash.what} {clash.utt.text!r} ({clash.src.text()})",
                )
            if line.start + line.length > hold_end and line.priority < _COUNT:
                self.warn(line.src, f"{line.what} {line.utt.text!r} runs past the hold's end")
            kept.append(line)
        return sorted(kept, key=lambda x: x.start)

    def breath_cycles(
        self, t: int, length: int, breath: Breath, src: Src, ctx: _Ctx,
        cycles: int | None = None,
    ) -> list[_Line]:
        """Breath events for as many whole cycles as fit in ``length`` samples
        from ``t`` (or exactly ``cycles``); returns the prompts to speak."""
        p = breath.pattern
        phases = [
            ("inhale", p.inhale_s, breath.prompts.inhale, "rise"),
            ("hold", p.hold_s, breath.prompts.hold, None),
            ("exhale", p.exhale_s, breath.prompts.exhale, "fall"),
            ("hold", p.hold_after_s, breath.prompts.hold, None),
        ]
        cycle_s = p.cycle_s
        if cycles is None:
            cycles = int((length / SAMPLE_RATE + 1e-9) // cycle_s)
        prompts: list[_Line] = []
        base_s = 0.0
        for c in range(cycles):
            voiced = breath.voiced is None or c < breath.voiced
            for phase, phase_s, prompt, shape in phases:
                if phase_s <= 0:
                    continue
                start = t + to_samples(base_s)
                stop = t + to_samples(base_s + phase_s)
                tone = Tone(shape, stop - start) if (breath.tone and shape) else None
                self.emit("breath", start, stop, src, phase=phase, n=c + 1, source=tone)
                if voiced and prompt:
                    line = self.line(start, ctx.text(prompt), src, _BREATH, f"{phase} prompt")
                    if line.length > stop - start:
                        self.warn(src, f"{phase} prompt {prompt!r} is longer than its "
                                       f"{phase_s:g} s phase")
                    prompts.append(line)
                base_s += phase_s
        return prompts

    def breathe(self, t: int, step: Breathe, ctx: _Ctx) -> int:
        cycle_s = step.breath.pattern.cycle_s
        cycles = step.cycles
        if cycles is None:
            cycles = int(((step.for_s or 0.0) + 1e-9) // cycle_s)
            if cycles == 0:
                raise InputError(
                    f"'for: {step.for_s:g}s' is shorter than one {cycle_s:g} s breath cycle",
                    **step.src.place,
                )
        end = t + to_samples(cycles * cycle_s)
        prompts = self.breath_cycles(t, end - t, step.breath, step.src, ctx, cycles=cycles)
        for line in prompts:
            self.emit("speech", line.start, line.start + line.length, line.src,
                      text=line.utt.text, source=line.utt)
        return end

    def repeat(self, t: int, rep: Repeat, ctx: _Ctx) -> int:
        for n in range(1, rep.count + 1):
            inner = ctx.with_(n=n, total=rep.count)
            start = t = self.resume(t)
            t = self.say_line(t, rep.announce, rep.src, inner)
            t = self.steps(t, rep.steps, inner)
            self.emit("set", start, t, rep.src, n=n, total=rep.count)
            if n < rep.count and rep.rest_s:
                t = self.resume(t)
                rest_end = t + to_samples(rep.rest_s)
                self.emit("rest", t, rest_end, rep.src, n=n, total=rep.count)
                if rep.rest_say:
                    said = self.speak(t, inner.text(rep.rest_say), rep.src)
                    if said > rest_end:
                        self.warn(rep.src, f"rest_say {rep.rest_say!r} is longer than the rest")
                t = rest_end
                self.to_grid = True
        return t

    def sides(self, t: int, sides: Sides, ctx: _Ctx) -> int:
        for i, side in enumerate(sides.sides):
            if i > 0:
                t = self.resume(t)
                t = self.say_line(t, sides.switch, sides.src, ctx.with_(side=side))
            t = self.steps(t, sides.steps, ctx.with_(side=side))
        return t

    def reps(self, t: int, reps: Reps, ctx: _Ctx) -> int:
        t = self.say_line(t, reps.say, reps.src, ctx)
        tempo = reps.tempo_s
        for i in range(reps.count):
            start, stop = t + to_samples(i * tempo), t + to_samples((i + 1) * tempo)
            self.emit("rep", start, stop, reps.src, n=i + 1, total=reps.count)
            if reps.count_aloud:
                word = self.script.phrases.count(i + 1)
                end = self.speak(start, word, reps.src)
                if end > stop:
                    self.warn(reps.src, f"the count {word!r} is longer than the {tempo:g} s tempo")
            else:
                self.sound(start, TICK, reps.src)
        return t + to_samples(reps.count * tempo)


def walk(script: Script, measure: SpeechLength, sound_length: SoundLength) -> Plan:
    """Lay out ``script`` and list its lines; raises ``InputError`` if it
    would be too long."""
    check_size(script)
    planner = _Planner(script, measure, sound_length)
    length = planner.steps(0, script.steps, _Ctx())
    events = _close_sections(planner.events, length)
    if length > MAX_SESSION_S * SAMPLE_RATE:
        raise _too_long(script, length / SAMPLE_RATE)
    events.sort(key=lambda e: e.start)  # stable: same-time events keep their order
    timeline = Timeline(
        title=script.title,
        length=length,
        events=tuple(events),
        warnings=tuple(planner.warnings),
        file=script.src.file,
    )
    lines = tuple(SpokenLine(utt, src) for utt, src in planner.lines.items())
    return Plan(timeline, lines, tuple(planner.unmeasured))


def plan(script: Script, measure: Callable[[Utterance], int],
         sound_length: SoundLength) -> Timeline:
    """The timeline of ``script`` when every line's length is known."""
    return walk(script, measure, sound_length).timeline


# -- limits -----------------------------------------------------------------


def check_size(script: Script) -> None:
    """Reject a script that would expand past the limits, without expanding it.

    Counts a lower bound of the length (holds, pauses, breaths, rests, reps;
    speech counts as nothing) and an upper bound of the events, multiplying
    through ``repeat`` and ``sides``, in time proportional to the file.
    """
    seconds, events = _size(script.steps)
    if seconds > MAX_SESSION_S:
        raise _too_long(script, seconds)
    if events > MAX_EVENTS:
        raise InputError(
            f"this script would make about {events:,} events; the most a session may have "
            f"is {MAX_EVENTS:,}",
            file=script.src.file, line=script.src.line, column=script.src.column,
            hint="Check the counts of 'repeat', 'reps' and 'cycles'.",
        )


def _too_long(script: Script, seconds: float) -> InputError:
    return InputError(
        f"this script would last at least {seconds / 3600:.1f} hours; the longest session "
        f"is {MAX_SESSION_S // 3600} hours",
        file=script.src.file, line=script.src.line, column=script.src.column,
        hint="Check the counts of 'repeat', 'reps' and 'cycles', and the durations.",
    )


def _size(steps: tuple[Step, ...]) -> tuple[float, int]:
    seconds, events = 0.0, 0
    for step in steps:
        s, e = _step_size(step)
        seconds += s
        events += e
        if seconds > MAX_SESSION_S * 4 or events > MAX_EVENTS * 4:
            break  # already far past the limits; stop multiplying
    return seconds, events


def _step_size(step: Step) -> tuple[float, int]:
    if isinstance(step, Pause):
        return step.duration_s, 1
    if isinstance(step, Hold):
        cycles = 0
        if step.breathe is not None:
            cycles = int(step.duration_s // step.breathe.pattern.cycle_s)
        return step.duration_s, 4 + len(step.cues) + 4 + step.countdown.count + cycles * 8
    if isinstance(step, Breathe):
        cycle = step.breath.pattern.cycle_s
        cycles = step.cycles if step.cycles is not None else int((step.for_s or 0) // cycle)
        return cycles * cycle, cycles * 8
    if isinstance(step, Repeat):
        s, e = _size(step.steps)
        rest = (step.rest_s or 0.0) * (step.count - 1)
        return s * step.count + rest, (e + 4) * step.count
    if isinstance(step, Sides):
        s, e = _size(step.steps)
        n = len(step.sides)
        return s * n, (e + 1) * n
    if isinstance(step, Reps):
        return step.count * step.tempo_s, 1 + step.count * 2
    return 0.0, 1


# -- small helpers ------------------------------------------------------------


def _close_sections(events: list[Event], length: int) -> list[Event]:
    """A section lasts until the next section starts, or the track ends."""
    starts = [i for i, e in enumerate(events) if e.kind == "section"]
    out = list(events)
    for k, i in enumerate(starts):
        end = events[starts[k + 1]].start if k + 1 < len(starts) else length
        out[i] = replace(events[i], end=end)
    return out


def _overlaps(a: _Line, b: _Line) -> bool:
    return a.start < b.start + b.length and b.start < a.start + a.length
