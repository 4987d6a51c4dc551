"""The load stage: routine YAML -> resolved Script, and every input error
with its message and line."""

from __future__ import annotations

import textwrap
import wave
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuecast.errors import InputError
from cuecast.script import load, parse_set
from cuecast.script.model import (
    Breathe,
    BreathPrompts,
    Countdown,
    Hold,
    Pause,
    Repeat,
    Reps,
    Say,
    Section,
    Sides,
    Sound,
    SoundRef,
)
from cuecast.script.yamlnodes import MAX_NODES

FIXTURES = Path(__file__).parent / "fixtures" / "scripts"


def write(tmp_path: Path, text: str, name: str = "routine.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, **options: object):
    return load(write(tmp_path, text), **options)  # type: ignore[arg-type]


def error(tmp_path: Path, text: str, **options: object) -> InputError:
    with pytest.raises(InputError) as info:
        load_text(tmp_path, text, **options)
    return info.value


def full(e: InputError) -> str:
    return f"{e.message} {e.hint or ''}"


def steps(tmp_path: Path, body: str, head: str = "", **options: object) -> tuple:
    text = (
        "title: T\n"
        + textwrap.dedent(head)
        + "steps:\n"
        + textwrap.indent(textwrap.dedent(body), "  ")
    )
    return load_text(tmp_path, text, **options).steps


def make_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)
    return path


def walk(steps: tuple) -> list:
    out = []
    for step in steps:
        out.append(step)
        out.extend(walk(getattr(step, "steps", ())))
    return out


# --- valid scripts ------------------------------------------------------------------------


def test_minimal(tmp_path: Path) -> None:
    script = load_text(tmp_path, "title: Hi\nsteps:\n  - say: Hello.\n")
    assert script.title == "Hi"
    assert script.steps == (Say("Hello.", script.steps[0].src, None, 0.5),)
    src = script.steps[0].src
    assert (src.file, src.line, src.column) == (str(tmp_path / "routine.yaml"), 3, 5)


def test_kitchen_sink_fixture_loads() -> None:
    script = load(FIXTURES / "kitchen-sink.yaml", profile="gentle")
    kinds = {type(s).__name__ for s in walk(script.steps)}
    assert kinds >= {"Say", "Pause", "Sound", "Section", "Hold", "Breathe", "Repeat", "Sides",
                     "Reps"}  # fmt: skip
    assert script.meta.cover and script.meta.cover.endswith("cover.png")
    assert script.background and script.background.sound == SoundRef("rain")
    assert script.lexicon == (("psoas", "SO-us"),)
    included = [s for s in script.steps if s.src.file.endswith("warmup.yaml")]
    assert included, "the included file's steps keep their own file"


def test_step_kinds(tmp_path: Path) -> None:
    got = steps(
        tmp_path,
        """
        - section: Start
        - pause: 2s
        - sound: bowl
          volume: -6
        - reps: 5
          tempo: 2s
          say: Squeeze.
          count: false
        """,
    )
    assert isinstance(got[0], Section) and got[0].name == "Start"
    assert isinstance(got[1], Pause) and got[1].duration_s == 2
    assert isinstance(got[2], Sound) and got[2].volume_db == -6 and got[2].sound.path is None
    assert got[3] == Reps(5, 2.0, got[3].src, "Squeeze.", False)


def test_hold_gets_defaults(tmp_path: Path) -> None:
    (hold,) = steps(
        tmp_path,
        "- hold: 1m\n",
        head="defaults:\n  chime: beep\n  countdown: {count: 5}\n",
    )
    assert isinstance(hold, Hold)
    assert hold.duration_s == 60
    assert hold.chime == SoundRef("beep")
    assert hold.countdown == Countdown(halfway=True, remaining_s=(10.0,), count=5)


def test_hold_overrides(tmp_path: Path) -> None:
    (hold,) = steps(
        tmp_path,
        """
        - hold: 90s
          chime: none
          countdown: {halfway: false}
          breathe: 4-7-8
          release: And release.
          cues:
            - {at: half, say: Halfway there.}
            - {at: -15s, say: Nearly.}
            - {at: 0, say: Settle.}
        """,
    )
    assert hold.chime is None
    assert hold.countdown == Countdown(halfway=False)
    assert hold.breathe is not None and hold.breathe.pattern.hold_s == 7
    assert hold.release == "And release."
    assert [(c.at, c.seconds) for c in hold.cues] == [("half", 0.0), ("end", 15.0), ("start", 0)]
    assert hold.cues[1].src.line == 11


def test_countdown_off(tmp_path: Path) -> None:
    a, b = steps(tmp_path, "- hold: 30s\n  countdown: false\n- hold: 30s\n  countdown: none\n")
    assert a.countdown == b.countdown == Countdown(halfway=False, remaining_s=(), count=0)


def test_hold_breathe_true_is_the_default_breath(tmp_path: Path) -> None:
    (hold,) = steps(
        tmp_path,
        "- hold: 1m\n  breathe: true\n",
        head="defaults:\n  breath:\n    pattern: 5-5\n    voiced: 2\n    prompts: {hold: none}\n",
    )
    assert hold.breathe.pattern.inhale_s == 5 and hold.breathe.voiced == 2
    assert hold.breathe.prompts == BreathPrompts("Breathe in.", None, "And breathe out.")


def test_hold_breathe_pattern_keeps_default_prompts(tmp_path: Path) -> None:
    (hold,) = steps(
        tmp_path,
        "- hold: 1m\n  breathe: {inhale: 3, exhale: 6s, hold_after: 1}\n",
        head="defaults:\n  breath: {pattern: 4-4, tone: false}\n",
    )
    assert hold.breathe.tone is False
    assert (hold.breathe.pattern.exhale_s, hold.breathe.pattern.hold_after_s) == (6, 1)


def test_breathe_step(tmp_path: Path) -> None:
    a, b = steps(
        tmp_path,
        """
        - breathe: 4-4-4-4
          cycles: 6
          voiced: 2
          tone: false
          prompts: {exhale: "A long, slow exhale."}
        - breathe: {inhale: 4, exhale: 8}
          for: 2m
        """,
    )
    assert isinstance(a, Breathe) and a.cycles == 6 and a.for_s is None
    assert a.breath.pattern.hold_after_s == 4 and a.breath.voiced == 2 and not a.breath.tone
    assert a.breath.prompts.exhale == "A long, slow exhale."
    assert a.breath.prompts.inhale == "Breathe in."
    assert b.for_s == 120 and b.cycles is None


def test_repeat_and_sides(tmp_path: Path) -> None:
    (rep,) = steps(
        tmp_path,
        """
        - repeat: 3
          rest: 20s
          announce: Round {n}.
          rest_say: none
          steps:
            - sides: [left, right]
              switch: Now the {side}.
              steps:
                - say: "{side} side, set {n} of {total}."
        """,
    )
    assert isinstance(rep, Repeat) and rep.count == 3 and rep.rest_s == 20
    assert rep.announce == "Round {n}." and rep.rest_say is None
    (sides,) = rep.steps
    assert isinstance(sides, Sides) and sides.sides == ("left", "right")
    assert sides.steps[0].text == "{side} side, set {n} of {total}."
    assert sides.switch == "Now the {side}."


def test_repeat_defaults(tmp_path: Path) -> None:
    (rep,) = steps(tmp_path, "- repeat: 2\n  steps:\n    - pause: 1\n")
    assert (rep.announce, rep.rest_say, rep.rest_s) == ("Set {n} of {total}.", "Rest.", None)


def test_say_voice_and_gap(tmp_path: Path) -> None:
    a, b = steps(
        tmp_path,
        """
        - say: One.
          voice: en-gb
          gap: 0
        - say: Two.
          voice: {rate: 120, pitch: 40, volume: 0.8, engine: espeak}
        """,
        head="defaults: {gap: 1s}\n",
    )
    assert a.voice.name == "en-gb" and a.gap_s == 0
    assert b.voice.rate_wpm == 120 and b.voice.engine == "espeak" and b.gap_s == 1


def test_top_level_settings(tmp_path: Path) -> None:
    script = load_text(
        tmp_path,
        """
        title: T
        subtitle: S
        author: A
        year: 2024
        track: 3
        language: en-GB
        voice: {name: en-gb, rate: 140}
        background: {sound: ocean, volume: -24, duck: 6, fade: 5s}
        lexicon: {psoas: SO-us}
        steps:
          - say: Hi.
        """,
    )
    assert script.meta.year == "2024" and script.meta.track == "3"
    assert script.language == "en-GB" and script.voice.rate_wpm == 140
    assert script.background.volume_db == -24 and script.background.fade_s == 5
    assert script.lexicon == (("psoas", "SO-us"),)


def test_sound_file_resolves(tmp_path: Path) -> None:
    make_wav(tmp_path / "gong.wav")
    (sound,) = steps(tmp_path, "- sound: gong.wav\n")
    assert sound.sound == SoundRef("gong.wav", str((tmp_path / "gong.wav").resolve()))


def test_yaml_sexagesimal_is_a_duration(tmp_path: Path) -> None:
    (hold,) = steps(tmp_path, "- hold: 1:30\n")
    assert hold.duration_s == 90


def test_merge_keys_and_anchors(tmp_path: Path) -> None:
    a, b = steps(
        tmp_path,
        """
        - &long {hold: 2m, chime: bowl}
        - <<: *long
          chime: beep
        """,
    )
    assert a.chime == SoundRef("bowl") and b.chime == SoundRef("beep") and b.duration_s == 120


# --- vars, profiles, --set ----------------------------------------------------------------

VARS = """
title: T
vars:
  hold: 90s
  sets: 3
  who: friend
profiles:
  gentle: {hold: 45s, sets: 2}
steps:
  - say: Hold for {hold}, {who}, {sets} times. {{braces}}
  - repeat: $sets
    steps:
      - hold: $hold
"""


def test_vars_defaults(tmp_path: Path) -> None:
    script = load_text(tmp_path, VARS)
    say, rep = script.steps
    assert say.text == "Hold for ninety seconds, friend, 3 times. {braces}"
    assert rep.count == 3 and rep.steps[0].duration_s == 90
    assert script.vars == {"hold": 90.0, "sets": 3, "who": "friend"}


def test_profile_then_set(tmp_path: Path) -> None:
    script = load_text(tmp_path, VARS, profile="gentle", sets={"hold": "1m"})
    say, rep = script.steps
    assert say.text.startswith("Hold for one minute, friend, 2 times.")
    assert rep.count == 2 and rep.steps[0].duration_s == 60


def test_number_var_as_seconds_and_float_text(tmp_path: Path) -> None:
    (say, pause) = steps(
        tmp_path, "- say: '{x} and {y}'\n- pause: $y\n", head="vars: {x: 2.5, y: 4}\n"
    )
    assert say.text == "2.5 and 4" and pause.duration_s == 4


def test_parse_set() -> None:
    assert parse_set("hold=90s") == ("hold", "90s")
    assert parse_set(" who = a=b ") == ("who", "a=b")
    with pytest.raises(InputError, match="--set expects NAME=VALUE") as info:
        parse_set("hold")
    assert info.value.line is None
    with pytest.raises(InputError, match="--set expects NAME=VALUE"):
        parse_set("=3")


# --- includes -----------------------------------------------------------------------------


def test_include_sees_parent_vars_and_fills_its_own(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        vars: {hold: 10s, extra: 5s}
        steps:
          - hold: $hold
          - pause: $extra
        """,
        "parts/a.yaml",
    )
    script = load_text(
        tmp_path,
        "title: T\nvars: {hold: 1m}\nsteps:\n  - include: parts/a.yaml\n",
        sets={"extra": "7s"},
    )
    hold, pause = script.steps
    assert hold.duration_s == 60 and pause.duration_s == 7
    assert hold.src.file == str(tmp_path / "parts" / "a.yaml") and hold.src.line == 4


# --- errors: the file ---------------------------------------------------------------------


def test_invalid_yaml(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nsteps:\n  - say: [unclosed\n")
    assert "not valid YAML" in e.message and e.line == 4


def test_tabs(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nsteps:\n\t- say: hi\n")
    assert "indented with a tab" in e.message and e.line == 3 and "spaces" in e.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"title: T\nsteps:\n  - say: caf\xe9\n")
    with pytest.raises(InputError, match="not UTF-8") as info:
        load(path)
    assert (info.value.line, info.value.column) == (3, 13)


@pytest.mark.parametrize("text", ["", "\n  \n", "# only a comment\n"])
def test_empty(tmp_path: Path, text: str) -> None:
    e = error(tmp_path, text)
    assert ("empty" in e.message or "only comments" in e.message) and e.line == 1


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    e = error(tmp_path, "- say: hi\n")
    assert "top level of a routine must be a mapping" in e.message and "a list" in e.message
    assert e.line == 1


def test_two_documents(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nsteps: [{say: a}]\n---\ntitle: U\n")
    assert "more than one YAML document" in e.message and e.line == 3


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        load(tmp_path / "nope.yaml")


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("title: T\n" + "# x\n" * 300_000)
    with pytest.raises(InputError, match="larger than the 1,000,000 byte limit"):
        load(path)


def test_nesting_too_deep(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nsteps: " + "[" * 60 + "]" * 60 + "\n")
    assert "nested more than 50 levels" in e.message and e.line == 2


def _counting_visits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many nodes the loader visits (``Reader.visit`` calls)."""
    from cuecast.script.yamlnodes import Reader

    count = [0]
    visit = Reader.visit

    def counted(self: Reader, node: object) -> None:
        count[0] += 1
        visit(self, node)  # type: ignore[arg-type]

    monkeypatch.setattr(Reader, "visit", counted)
    return count


def test_billion_laughs_is_rejected_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["title: T", "steps:", "  - repeat: 1", "    steps: &a"]
    lines += ["      - say: lol"] * 10
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines += ["  - repeat: 1", f"    steps: &{name}"]
        lines += [f"      - {{repeat: 1, steps: *{prev}}}"] * 10
    visits = _counting_visits(monkeypatch)
    e = error(tmp_path, "\n".join(lines) + "\n")
    assert "more than 100,000 YAML nodes" in e.message
    # Stopped at the limit, not after walking 10**9 expanded nodes;
    # benchmarks/load_limits.py times it.
    assert visits[0] == MAX_NODES + 1


def test_recursive_alias(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nsteps: &s\n  - repeat: 2\n    steps: *s\n")
    assert "nested more than 50 levels" in e.message


def test_custom_tag(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nsteps:\n  - say: !!python/name:os.system x\n")
    assert "YAML tag" in e.message and e.line == 3


def test_duplicate_key(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\ntitle: U\nsteps: [{say: a}]\n")
    assert "'title' is given twice" in e.message and "first on line 1" in e.message
    assert e.line == 2


# --- errors: keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            "titel: T\nsteps: [{say: a}]\n",
            "unknown key 'titel' in the top level Did you mean 'title'?",
            1,
        ),
        ("title: T\ndefaults: {chmie: bell}\nsteps: [{say: a}]\n", "Did you mean 'chime'?", 2),
        ("title: T\nvoice: {rtae: 100}\nsteps: [{say: a}]\n", "Did you mean 'rate'?", 2),
        (
            "title: T\nsteps:\n  - say: a\n    gpa: 1s\n",
            "'gpa' is not an option of a 'say' step Did you mean 'gap'?",
            4,
        ),
        (
            "title: T\nsteps:\n  - hold: 1m\n    countdown: {halfwya: true}\n",
            "Did you mean 'halfway'?",
            4,
        ),
        (
            "title: T\ndefaults:\n  breath: {patern: 4-4}\nsteps: [{say: a}]\n",
            "Did you mean 'pattern'?",
            3,
        ),
        (
            "title: T\nsteps:\n  - breathe: 4-4\n    cycles: 2\n    prompts: {exale: out}\n",
            "Did you mean 'exhale'?",
            5,
        ),
        (
            "title: T\nbackground: {sound: rain, vlume: -3}\nsteps: [{say: a}]\n",
            "Did you mean 'volume'?",
            2,
        ),
        ("title: T\nsteps:\n  - hold: 1m\n    cues: [{at: 1, sya: x}]\n", "Did you mean 'say'?", 4),
        (
            "title: T\nsteps:\n  - pause: 1\n    gap: 1\n",
            "not an option of a 'pause' step It takes no options.",
            4,
        ),
        ("title: T\nsteps:\n  - sya: hello\n", "'sya' is not one Did you mean 'say'?", 3),
        ("title: T\nsteps:\n  - say: a\n    pause: 1\n", "two kinds, 'say' and 'pause'", 4),
        ("title: T\nsteps:\n  - {}\n", "this step is empty", 3),
        ("title: T\nsteps:\n  - hello\n", "a step must be a mapping", 3),
        ("steps: [{say: a}]\n", "the script has no 'title'", 1),
        ("title: T\n", "the script has no 'steps'", 1),
        ("title: T\nsteps: []\n", "steps is empty", 2),
        ("title: T\nsteps: {say: a}\n", "steps must be a list", 2),
        ("title: ''\nsteps: [{say: a}]\n", "title is empty", 1),
        ("title: T\nsteps:\n  - repeat: 2\n", "needs 'steps'", 3),
        ("title: T\nsteps:\n  - repeat: 2\n    steps: []\n", "steps is empty", 4),
        ("title: T\nsteps:\n  - reps: 2\n", "needs 'tempo'", 3),
        ("title: T\nsteps:\n  - breathe: 4-4\n", "exactly one of 'cycles'", 3),
        (
            "title: T\nsteps:\n  - breathe: 4-4\n    cycles: 2\n    for: 1m\n",
            "exactly one of 'cycles'",
            3,
        ),
        ("title: T\nsteps:\n  - hold: 1m\n    cues: [{say: x}]\n", "a cue needs 'at'", 4),
        ("title: T\nlanguage: english!\nsteps: [{say: a}]\n", "not a BCP-47 tag", 2),
    ],
)
def test_key_errors(tmp_path: Path, text: str, message: str, line: int) -> None:
    e = error(tmp_path, text)
    assert message in full(e)
    assert e.line == line


# --- errors: values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        ("- hold: abc\n", "hold must be a duration like 90s", 3),
        ("- hold: 0\n", "hold must be longer than zero; it is '0'", 3),
        ("- hold: -5s\n", "hold must be longer than zero; it is '-5s'", 3),
        ("- hold: 1:75\n", "'1:75' has 75 seconds", 3),
        ("- pause: 0s\n", "pause must be longer than zero", 3),
        ("- say: a\n  gap: -1\n", "gap must be zero or more", 4),
        ("- breathe: 4-0\n  cycles: 2\n", "the exhale of breathe must be longer than zero", 3),
        ("- breathe: 4\n  cycles: 2\n", "'4' is not a breathing pattern", 3),
        ("- breathe: 4-x-8\n  cycles: 2\n", "the hold of breathe must be a duration", 3),
        ("- breathe: {inhale: 4}\n  cycles: 2\n", "breathe needs 'exhale'", 3),
        ("- breathe: 4-4\n  cycles: 0\n", "cycles must be a whole number from 1", 4),
        ("- breathe: 4-4\n  cycles: 2.5\n", "it is '2.5'", 4),
        ("- repeat: -1\n  steps: [{pause: 1}]\n", "repeat must be a whole number from 1", 3),
        ("- repeat: 20000\n  steps: [{pause: 1}]\n", "from 1 to 10,000", 3),
        ("- repeat: 2\n  rest: 0\n  steps: [{pause: 1}]\n", "rest must be longer than zero", 4),
        ("- reps: three\n  tempo: 2s\n", "reps must be a whole number", 3),
        ("- reps: 3\n  tempo: 0\n", "tempo must be longer than zero", 4),
        ("- reps: 3\n  tempo: 1\n  count: maybe\n", "count must be true or false", 5),
        (
            "- hold: 30s\n  cues: [{at: 40s, say: x}]\n",
            "is 40s after the start of a hold that lasts only 30 s",
            4,
        ),
        ("- hold: 30s\n  cues: [{at: -40s, say: x}]\n", "before the end", 4),
        ("- hold: 30s\n  cues: [{at: soon, say: x}]\n", "cue at must be a duration", 4),
        ("- hold: 30s\n  chime: gnog\n", "chime: no file 'gnog'", 4),
        ("- sound: bel\n", "Did you mean 'bell'?", 3),
        ("- sound: none\n", "cannot be 'none' here", 3),
        ("- sound: bell\n  volume: loud\n", "sound volume (dB) must be a number", 4),
        ("- say: a\n  voice: {rate: 5}\n", "say voice rate must be a number from 80 to 400", 4),
        ("- say: ''\n", "say is empty", 3),
        ("- say:\n", "say is empty; give it a value", 3),
        ("- say: [a, b]\n", "say must be a single value, not a list", 3),
        ("- sides: []\n  steps: [{pause: 1}]\n", "sides is empty", 3),
        ("- sides: left\n  steps: [{pause: 1}]\n", "sides must be a list", 3),
        ("- repeat: 2\n  announce: true\n  steps: [{pause: 1}]\n", "not true", 4),
        (
            "- hold: 10s\n  countdown: {count: -1}\n",
            "countdown count must be a whole number from 0",
            4,
        ),
        (
            "- hold: 10s\n  countdown: {remaining: [0]}\n",
            "remaining entry must be longer than zero",
            4,
        ),
        ("- breathe: 4-4\n  cycles: 1\n  voiced: -2\n", "voiced must be a whole number from 0", 5),
    ],
)
def test_value_errors(tmp_path: Path, body: str, message: str, line: int) -> None:
    e = error(tmp_path, "title: T\nsteps:\n" + body)
    assert message in full(e)
    assert e.line == line
    assert e.file == str(tmp_path / "routine.yaml")


def test_long_text(tmp_path: Path) -> None:
    e = error(tmp_path, f"title: T\nsteps:\n  - say: {'a' * 1001}\n")
    assert "1,001 characters long" in e.message and "at most 1,000" in e.message and e.line == 3


def test_long_text_after_substitution(tmp_path: Path) -> None:
    e = error(tmp_path, f"title: T\nvars: {{x: {'b' * 600}}}\nsteps:\n  - say: '{{x}}{{x}}'\n")
    assert "1,200 characters long" in e.message and e.line == 4


# --- errors: vars -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            "vars: {hold: 1m}\nsteps:\n  - hold: $hlod\n",
            "unknown var '$hlod' Did you mean 'hold'?",
            4,
        ),
        (
            "vars: {hold: 1m}\nsteps:\n  - say: For {hlod}.\n",
            "unknown var '{hlod}' in the text Did you mean 'hold'?",
            4,
        ),
        ("steps:\n  - say: For {x}.\n", "This script defines no vars", 3),
        (
            "steps:\n  - say: Now the {side}.\n",
            "'{side}' only has a value inside a 'sides' step",
            3,
        ),
        ("steps:\n  - say: Set {n}.\n", "'{n}' only has a value inside a 'repeat' step", 3),
        (
            "steps:\n  - sides: [a, b]\n    steps: [{say: 'Set {total}'}]\n",
            "'{total}' only has a value inside a 'repeat'",
            4,
        ),
        ("steps:\n  - say: 'Smile :{'\n", "a '{' with no matching '}'", 3),
        ("steps:\n  - say: 'a {1+1} b'\n", "'{1+1}' is not a var name", 3),
        (
            "vars: {who: friend}\nsteps:\n  - hold: $who\n",
            "hold needs a duration, but $who is text",
            4,
        ),
        (
            "vars: {hold: 1m}\nsteps:\n  - repeat: $hold\n    steps: [{pause: 1}]\n",
            "repeat must be a whole number from 1 to 10,000; it is $hold, which is a duration",
            4,
        ),
        ("vars: {n: 3}\nsteps: [{say: a}]\n", "'n' is filled in by the planner", 2),
        ("vars: {2x: 3}\nsteps: [{say: a}]\n", "'2x' is not a var name", 2),
        ("vars: {x: [1, 2]}\nsteps: [{say: a}]\n", "must be a duration, a number or text", 2),
        ("vars: {x: true}\nsteps: [{say: a}]\n", "must be a duration, a number or text", 2),
        (
            "vars: {x: 1m}\nprofiles:\n  p: {y: 2m}\nsteps: [{say: a}]\n",
            "profile 'p' sets 'y', but no var 'y' is defined",
            4,
        ),
        (
            "vars: {x: 1m}\nprofiles:\n  p: {x: soon}\nsteps: [{say: a}]\n",
            "'x' is a duration (its default is 1m), so 'soon' does not fit",
            4,
        ),
        (
            "vars: {x: 3}\nprofiles:\n  p:\n    x: 2.5\nsteps:\n  - repeat: $x\n"
            "    steps: [{pause: 1}]\n",
            "it is $x, which is 2.5 (profile 'p')",
            7,
        ),
    ],
)
def test_var_errors(tmp_path: Path, text: str, message: str, line: int) -> None:
    e = error(tmp_path, "title: T\n" + text, profile="p" if "profiles" in text else None)
    assert message in full(e)
    assert e.line == line


def test_unknown_profile_lists_the_profiles(tmp_path: Path) -> None:
    e = error(tmp_path, VARS, profile="gentel")
    assert "no profile 'gentel'" in e.message
    assert "Did you mean 'gentle'?" in e.hint and "Its profiles are: gentle." in e.hint


def test_unknown_profile_when_there_are_none(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nsteps: [{say: a}]\n", profile="x")
    assert "no profile 'x'" in e.message and "defines none" in e.hint


def test_set_unknown_var(tmp_path: Path) -> None:
    e = error(tmp_path, VARS, sets={"hodl": "1m"})
    assert e.message == "--set hodl=1m: the script has no var 'hodl'"
    assert e.hint == "Did you mean 'hold'?" and e.line is None


def test_set_wrong_type(tmp_path: Path) -> None:
    e = error(tmp_path, VARS, sets={"hold": "long"})
    assert e.message.startswith("--set hold=long: 'hold' is a duration")
    assert e.line == 4  # where the var is declared: the command line has no line
    e = error(tmp_path, VARS, sets={"sets": "many"})
    assert "'sets' is a number" in e.message


def test_set_fractional_count_is_reported_where_used(tmp_path: Path) -> None:
    e = error(tmp_path, VARS, sets={"sets": "2.5"})
    assert "it is $sets, which is 2.5 (--set sets=2.5)" in e.message and e.line == 11


# --- errors: files ------------------------------------------------------------------------


def test_include_missing(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nsteps:\n  - include: nope.yaml\n")
    assert "include: no file 'nope.yaml'" in e.message and e.line == 3


def test_include_cycle(tmp_path: Path) -> None:
    write(tmp_path, "steps:\n  - include: b.yaml\n", "a.yaml")
    write(tmp_path, "steps:\n  - include: a.yaml\n", "b.yaml")
    e = error(tmp_path, "title: T\nsteps:\n  - include: a.yaml\n")
    assert "include cycle: a.yaml -> b.yaml -> a.yaml" in e.message
    assert e.file == str(tmp_path / "b.yaml") and e.line == 2


def test_include_self(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nsteps:\n  - include: routine.yaml\n")
    assert "include cycle: routine.yaml -> routine.yaml" in e.message


def test_include_depth(tmp_path: Path) -> None:
    for i in range(20):
        write(tmp_path, f"steps:\n  - include: p{i + 1}.yaml\n", f"p{i}.yaml")
    e = error(tmp_path, "title: T\nsteps:\n  - include: p0.yaml\n")
    assert "includes are nested more than 16 deep" in e.message


def test_error_inside_include_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "steps:\n  - pause: 1\n  - hold: x\n", "inc.yaml")
    e = error(tmp_path, "title: T\nsteps:\n  - include: inc.yaml\n")
    assert e.file == str(tmp_path / "inc.yaml") and e.line == 3 and "hold must be" in e.message


def test_include_outside_folder(tmp_path: Path) -> None:
    write(tmp_path, "steps:\n  - pause: 1\n", "shared.yaml")
    path = write(tmp_path, "title: T\nsteps:\n  - include: ../shared.yaml\n", "sub/r.yaml")
    with pytest.raises(InputError) as info:
        load(path)
    assert "outside the script's folder" in info.value.message
    assert "--allow-outside" in info.value.hint and info.value.line == 3
    assert load(path, allow_outside=True).steps[0].duration_s == 1


def test_symlink_out_of_folder(tmp_path: Path) -> None:
    outside = make_wav(tmp_path / "secret.wav")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "link.wav").symlink_to(outside)
    path = write(tmp_path, "title: T\nsteps:\n  - sound: link.wav\n", "sub/r.yaml")
    with pytest.raises(InputError, match="outside the script's folder"):
        load(path)


def test_sound_not_audio(tmp_path: Path) -> None:
    (tmp_path / "noise.wav").write_text("not audio")
    e = error(tmp_path, "title: T\nsteps:\n  - sound: noise.wav\n")
    assert "'noise.wav' is not an audio file ffmpeg can decode" in e.message and e.line == 3


def test_missing_background_and_cover(tmp_path: Path) -> None:
    e = error(tmp_path, "title: T\nbackground: {sound: brook.mp3}\nsteps: [{say: a}]\n")
    assert "background sound: no file 'brook.mp3'" in e.message and e.line == 2
    assert "rain, ocean" in e.hint
    e = error(tmp_path, "title: T\ncover: art.png\nsteps: [{say: a}]\n")
    assert "cover: no file 'art.png'" in e.message and e.line == 2


def test_cover_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "art.png").write_text("text")
    e = error(tmp_path, "title: T\ncover: art.png\nsteps: [{say: a}]\n")
    assert "not a PNG or JPEG image" in e.message and e.line == 2


def test_no_raw_exceptions_on_odd_input(tmp_path: Path) -> None:
    odd = [
        "title: T\nsteps:\n  - ? [a]\n    : b\n",
        "title: T\nsteps:\n  - say: *undefined\n",
        "[[[\n",
        "title: T\nsteps:\n  - hold: .inf\n",
        "title: T\nsteps:\n  - hold: 1e400\n",
        "title: T\nsteps:\n  - repeat: 0x10\n    steps: [{pause: 1}]\n",
        "title: T\nsteps:\n  - <<: 3\n",
        "title: {a: b}\nsteps: [{say: a}]\n",
        "title: T\nvars: [1]\nsteps: [{say: a}]\n",
        "title: T\nprofiles: {p: 3}\nsteps: [{say: a}]\n",
        "title: T\nlexicon: {a: [1]}\nsteps: [{say: a}]\n",
        "\ufeff\x00title: T\n",
    ]
    for text in odd:
        with pytest.raises(InputError):
            load_text(tmp_path, text)


_YAMLISH = st.lists(
    st.sampled_from([*":-[]{}&*!|>'\"#,? \n\tabsy019$.", "\n  ", "\n- ", "say", "{n}"]),
    max_size=30,
).map("".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(head=_YAMLISH, tail=_YAMLISH)
def test_only_input_errors_escape(tmp_path: Path, head: str, tail: str) -> None:
    text = f"title: T\n{head}\nsteps:\n  - say: hi\n{tail}"
    try:
        load_text(tmp_path, text)
    except InputError:
        pass
