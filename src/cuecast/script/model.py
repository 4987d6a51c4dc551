"""The typed script model: what ``load`` gives and ``plan`` takes.

Everything here is already resolved: vars are substituted (durations are
seconds as floats, counts are ints, ``{var}`` in text is filled in, a
duration var spoken as words), defaults are applied to each step, includes
are inlined and file paths are absolute. Only the planner's own
placeholders remain in text: ``{side}`` inside ``sides``, ``{n}`` and
``{total}`` inside ``repeat``. Every step keeps the source position of its
node so the timeline and the warnings can name the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cuecast.language import ENGLISH, Phrases


@dataclass(frozen=True)
class Src:
    """Where a node stands in a script file (line and column are 1-based),
    or, in a script given as a mapping, its place there (``key``:
    ``steps[3]``; no line or column: the mapping has none)."""

    file: str
    line: int | None
    column: int | None
    key: str | None = None

    @property
    def place(self) -> dict[str, Any]:
        """As ``InputError``'s keyword arguments: ``file``, ``line``, ``column``, ``key``."""
        return {"file": self.file, "line": self.line, "column": self.column, "key": self.key}

    def text(self) -> str:
        """``line 12``, or ``steps[3]`` in a mapping: in a message about another place."""
        return self.key if self.key is not None else f"line {self.line}"


@dataclass(frozen=True)
class VoiceSpec:
    """A voice request; ``None`` fields fall back to the engine default.

    ``rate_wpm`` is words per minute, ``pitch`` 0-100 (50 neutral),
    ``volume`` 0.0-1.0. ``recordings`` (the script's voice only) is the
    real path of a folder of recorded lines (``voices/recordings/``).
    """

    engine: str | None = None
    name: str | None = None
    rate_wpm: float | None = None
    pitch: float | None = None
    volume: float | None = None
    recordings: str | None = None

    def over(self, base: VoiceSpec) -> VoiceSpec:
        """This spec's set fields on top of ``base``'s."""
        return VoiceSpec(
            engine=self.engine if self.engine is not None else base.engine,
            name=self.name if self.name is not None else base.name,
            rate_wpm=self.rate_wpm if self.rate_wpm is not None else base.rate_wpm,
            pitch=self.pitch if self.pitch is not None else base.pitch,
            volume=self.volume if self.volume is not None else base.volume,
            recordings=self.recordings if self.recordings is not None else base.recordings,
        )


@dataclass(frozen=True)
class SoundRef:
    """A built-in sound (``path is None``) or an audio file (absolute path)."""

    name: str
    path: str | None = None


@dataclass(frozen=True)
class Countdown:
    """Cues inside holds: "Halfway", "R seconds left", "three, two, one"."""

    halfway: bool = True
    remaining_s: tuple[float, ...] = (10.0,)
    count: int = 3


@dataclass(frozen=True)
class BreathPattern:
    """Phase lengths in seconds; a zero hold is no hold."""

    inhale_s: float
    hold_s: float
    exhale_s: float
    hold_after_s: float = 0.0

    @property
    def cycle_s(self) -> float:
        return self.inhale_s + self.hold_s + self.exhale_s + self.hold_after_s


@dataclass(frozen=True)
class BreathPrompts:
    """Text spoken at the start of each phase (``None``: say nothing)."""

    inhale: str | None = "Breathe in."
    hold: str | None = "Hold."
    exhale: str | None = "And breathe out."


@dataclass(frozen=True)
class Breath:
    """A breathing pattern with its prompts.

    ``voiced``: prompts are spoken for the first N cycles (``None``: all).
    ``tone``: a soft rising tone on each inhale, falling on each exhale.
    """

    pattern: BreathPattern
    prompts: BreathPrompts = BreathPrompts()
    voiced: int | None = None
    tone: bool = True


@dataclass(frozen=True)
class Defaults:
    gap_s: float = 0.5
    chime: SoundRef | None = SoundRef("bell")
    countdown: Countdown = Countdown()
    breath: Breath = Breath(BreathPattern(4.0, 0.0, 6.0, 0.0))


@dataclass(frozen=True)
class Background:
    sound: SoundRef
    volume_db: float = -24.0
    duck_db: float = 8.0
    fade_s: float = 3.0


@dataclass(frozen=True)
class Say:
    text: str
    src: Src
    voice: VoiceSpec | None = None
    gap_s: float = 0.5


@dataclass(frozen=True)
class Pause:
    duration_s: float
    src: Src


@dataclass(frozen=True)
class Sound:
    sound: SoundRef
    src: Src
    volume_db: float = 0.0


@dataclass(frozen=True)
class Section:
    name: str
    src: Src


@dataclass(frozen=True)
class Cue:
    """``at`` is measured from the hold's start (``"start"``), is the
    middle (``"half"``, seconds unused) or is that long before the end
    (``"end"``)."""

    at: str
    seconds: float
    text: str
    src: Src


@dataclass(frozen=True)
class Hold:
    duration_s: float
    src: Src
    cues: tuple[Cue, ...] = ()
    countdown: Countdown = Countdown()
    chime: SoundRef | None = SoundRef("bell")
    breathe: Breath | None = None
    release: str | None = None


@dataclass(frozen=True)
class Breathe:
    """Guided breathing: ``cycles`` whole cycles, or as many whole cycles
    as fit in ``for_s`` (exactly one of the two is set)."""

    breath: Breath
    src: Src
    cycles: int | None = None
    for_s: float | None = None


@dataclass(frozen=True)
class Repeat:
    count: int
    steps: tuple[Step, ...]
    src: Src
    rest_s: float | None = None
    announce: str | None = "Set {n} of {total}."
    rest_say: str | None = "Rest."


@dataclass(frozen=True)
class Sides:
    sides: tuple[str, ...]
    steps: tuple[Step, ...]
    src: Src
    switch: str | None = "Switch sides."


@dataclass(frozen=True)
class Reps:
    """``count`` repetitions, one every ``tempo_s``; ``count_aloud`` says
    "one", "two", ... on each beat (else a soft tick marks it)."""

    count: int
    tempo_s: float
    src: Src
    say: str | None = None
    count_aloud: bool = True


Step = Say | Pause | Sound | Section | Hold | Breathe | Repeat | Sides | Reps


@dataclass(frozen=True)
class Meta:
    """Tag metadata; ``cover`` is an absolute path."""

    title: str
    subtitle: str | None = None
    author: str | None = None
    album: str | None = None
    description: str | None = None
    year: str | None = None
    genre: str | None = None
    cover: str | None = None
    track: str | None = None


@dataclass(frozen=True)
class Script:
    meta: Meta
    steps: tuple[Step, ...]
    src: Src
    language: str = "en"
    phrases: Phrases = ENGLISH
    """The built-in lines in ``language`` (with the script's ``phrases:``)."""
    voice: VoiceSpec = VoiceSpec()
    defaults: Defaults = Defaults()
    background: Background | None = None
    lexicon: tuple[tuple[str, str], ...] = ()
    vars: dict[str, object] = field(default_factory=dict)
    """Resolved vars after profile and ``--set`` (for display only)."""

    @property
    def title(self) -> str:
        return self.meta.title
