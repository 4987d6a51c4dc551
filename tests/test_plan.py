"""The planner, with a fake voice: every line lasts 0.1 s per word."""

from __future__ import annotations

import pytest

from cuecast.errors import InputError
from cuecast.planner import MAX_EVENTS, plan, walk
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
    SoundRef,
    Src,
)
from cuecast.timeline import SAMPLE_RATE, to_samples
from cuecast.units import GRID_SAMPLES, on_grid

SR = SAMPLE_RATE
BELL = SoundRef("bell")
NO_COUNTDOWN = Countdown(halfway=False, remaining_s=(), count=0)


def src(line: int) -> Src:
    return Src("t.yaml", line, 3)


def words_s(text: str) -> float:
    return 0.1 * len(text.split())


def fake_measure(utt) -> int:
    return to_samples(words_s(utt.text))


def fake_sound(ref) -> tuple[int, int]:
    return (3 * SR, 1 * SR)  # rings 3 s, the sequence waits 1 s


def script(*steps, gap=0.5) -> Script:
    return Script(meta=Meta("T"), steps=tuple(steps), src=src(1), defaults=Defaults(gap_s=gap))


def run(*steps, **kw):
    return plan(script(*steps, **kw), fake_measure, fake_sound)


def kinds(tl, kind):
    return [e for e in tl.events if e.kind == kind]


def test_says_are_laid_end_to_end_with_their_gaps():
    tl = run(Say("one two", src(2), gap_s=0.5), Say("three", src(3), gap_s=0.25))
    a, b = kinds(tl, "speech")
    assert (a.start, a.end) == (0, to_samples(0.2))
    assert b.start == to_samples(0.2 + 0.5)
    assert tl.length == b.end + to_samples(0.25)
    assert (a.line, b.line) == (2, 3)


def test_hold_lasts_exactly_and_pins_both_chimes():
    tl = run(Say("go", src(2)), Hold(90.0, src(3), countdown=NO_COUNTDOWN, chime=BELL))
    (hold,) = kinds(tl, "hold")
    start, end = kinds(tl, "sound")
    assert hold.end - hold.start == 90 * SR
    assert start.start == hold.start and end.start == hold.end
    # the end chime takes its advance (1 s) after the hold
    assert tl.length == hold.end + SR


@pytest.mark.parametrize("hold_s", [30.0, 30.01, 47.123, 61.0])
def test_what_follows_a_hold_starts_on_the_frame_grid(hold_s):
    steps = (Say("go", src(2)),
             Hold(hold_s, src(3), chime=BELL, release="and release"), Say("next", src(4)))
    tl = run(*steps)
    (hold,) = kinds(tl, "hold")
    chimes = kinds(tl, "sound")
    release, following = [e for e in kinds(tl, "speech") if e.text in ("and release", "next")]
    assert hold.end - hold.start == to_samples(hold_s)  # the hold is exactly as asked
    assert [c.start for c in chimes] == [hold.start, hold.end]  # its chimes pinned
    assert release.start == hold.end + SR  # the release right after the end chime
    expected = release.end + to_samples(0.5)  # end to end, with the gap
    assert following.start == on_grid(expected) and following.start % GRID_SAMPLES == 0
    assert 0 <= following.start - expected < GRID_SAMPLES  # less than 26 ms more


def test_a_changed_hold_moves_what_follows_by_whole_frames():
    def after(hold_s):
        tl = run(Hold(hold_s, src(2), chime=BELL), Say("next", src(3)), Pause(2.0, src(4)),
                 Say("last", src(5)))
        return [(e.start, e.text) for e in tl.events if e.kind == "speech" and e.line >= 3]

    base, longer = after(45.0), after(52.345)
    shift = longer[0][0] - base[0][0]
    assert shift % GRID_SAMPLES == 0
    assert [(t + shift, text) for t, text in base] == longer


def test_rests_and_pauses_are_followed_on_the_grid_but_keep_their_length():
    rep = Repeat(2, (Say("up", src(3)),), src(2), rest_s=10.003, announce=None, rest_say=None)
    tl = run(rep, Pause(1.001, src(4)), Say("end", src(5)))
    (rest,) = kinds(tl, "rest")
    sets = kinds(tl, "set")
    (pause,) = kinds(tl, "silence")
    assert rest.end - rest.start == to_samples(10.003)
    assert sets[1].start == on_grid(rest.end)
    assert pause.end - pause.start == to_samples(1.001)
    assert kinds(tl, "speech")[-1].start == on_grid(pause.end)


def test_nothing_is_added_at_the_end():
    tl = run(Say("go", src(2)), Hold(5.0, src(3), countdown=NO_COUNTDOWN, chime=None))
    assert tl.length == on_grid(to_samples(0.1 + 0.5)) + 5 * SR  # the hold starts on the grid


def _full_hold(line: int = 3) -> Hold:
    """A hold with everything that sits inside one: chimes, cues, the
    countdown, breath prompts."""
    breath = Breath(BreathPattern(4.0, 0.0, 6.0), BreathPrompts("in", None, "out"), voiced=2)
    cues = (Cue("start", 25.0, "keep it", src(line + 1)),)
    return Hold(52.0, src(line), chime=BELL, cues=cues, breathe=breath, release="release")


def _inside(tl, hold):
    """Every event of a hold relative to its start (the release and its end chime too)."""
    return [(e.kind, e.text, e.start - hold.start, e.end - e.start) for e in tl.events
            if e.kind != "section" and hold.start <= e.start <= hold.end + SR]


@pytest.mark.parametrize("before", ["go", "go on now", "a b c d e f g"])
def test_a_hold_starts_on_the_frame_grid(before):
    tl = run(Say(before, src(2)), _full_hold())
    (hold,) = kinds(tl, "hold")
    would = to_samples(words_s(before) + 0.5)  # end to end, with the gap
    assert hold.start == on_grid(would) and hold.start % GRID_SAMPLES == 0
    assert 0 <= hold.start - would < GRID_SAMPLES  # the silence before it grows by < 26 ms
    assert hold.end - hold.start == to_samples(52.0)  # exactly as asked
    (spoken,) = [e for e in kinds(tl, "speech") if e.text == before]
    assert (spoken.start, spoken.end) == (0, to_samples(words_s(before)))  # the line does not move


def test_nothing_inside_a_hold_moves_relative_to_its_start():
    """The same hold after lines of different lengths (so at different places,
    on and off the grid before): its chimes, cue, countdown words, breath
    phases and prompts are at the same offsets from its start."""
    inside = []
    for before in ["go", "go on now", "a b c d e f g", "a b c d e f g h i j k l m"]:
        tl = run(Say(before, src(2)), _full_hold())
        (hold,) = kinds(tl, "hold")
        inside.append(_inside(tl, hold))
    assert all(x == inside[0] for x in inside[1:])
    offsets = {(kind, text): at for kind, text, at, _ in inside[0]}
    assert offsets[("speech", "keep it")] == 25 * SR  # the cue at its offset
    assert offsets[("speech", "Three.")] == 49 * SR  # the countdown on its seconds
    assert offsets[("speech", "One.")] == 51 * SR
    assert [at for kind, _, at, _ in inside[0] if kind == "sound"] == [0, 52 * SR]  # the chimes
    prompts = [(text, at) for kind, text, at, _ in inside[0] if text in ("in", "out")]
    assert prompts == [("in", 0), ("out", 4 * SR), ("in", 10 * SR), ("out", 14 * SR)]


def test_holds_in_sides_and_repeats_start_on_the_grid():
    rep = Repeat(3, (Say("up {n}", src(3)), Hold(10.0, src(4), chime=BELL)), src(2),
                 rest_s=7.0, announce="set {n}", rest_say="rest")
    sides = Sides(("left", "right"), (Say("lunge {side}", src(6)), Hold(20.0, src(7))),
                  src(5), switch="other side")
    tl = run(rep, sides)
    holds = kinds(tl, "hold")
    assert len(holds) == 5
    assert all(h.start % GRID_SAMPLES == 0 for h in holds)
    speech_end = {e.end for e in kinds(tl, "speech")}
    for h in holds:  # each starts < 26 ms after the line before it and its gap
        assert any(0 <= h.start - (end + to_samples(0.5)) < GRID_SAMPLES for end in speech_end)


def test_hold_without_chime_is_only_its_length():
    tl = run(Hold(5.0, src(2), countdown=NO_COUNTDOWN, chime=None))
    assert tl.length == 5 * SR
    assert not kinds(tl, "sound")


def test_release_is_spoken_after_the_end_chime():
    tl = run(Hold(10.0, src(2), countdown=NO_COUNTDOWN, chime=BELL, release="and release"))
    (speech,) = kinds(tl, "speech")
    assert speech.start == 10 * SR + SR
    assert speech.text == "and release"


def test_default_countdown_words_land_on_their_seconds():
    tl = run(Hold(30.0, src(2), chime=None))
    spoken = {e.text: e.start for e in kinds(tl, "speech")}
    assert spoken["Halfway."] == 15 * SR
    assert spoken["Ten seconds left."] == 20 * SR
    assert [spoken["Three."], spoken["Two."], spoken["One."]] == [27 * SR, 28 * SR, 29 * SR]


def test_countdown_rules_for_short_holds():
    tl = run(Hold(12.0, src(2), chime=None))
    texts = [e.text for e in kinds(tl, "speech")]
    # no halfway under 20 s, no "10 seconds left" unless longer than 15 s
    assert texts == ["Three.", "Two.", "One."]


def test_cues_at_offsets_half_and_before_end():
    cues = (
        Cue("start", 5.0, "five in", src(4)),
        Cue("half", 0.0, "half way", src(5)),
        Cue("end", 8.0, "eight to go", src(6)),
    )
    tl = run(Hold(40.0, src(3), cues=cues, countdown=NO_COUNTDOWN, chime=None))
    starts = {e.text: (e.start, e.line) for e in kinds(tl, "speech")}
    assert starts["five in"] == (5 * SR, 4)
    assert starts["half way"] == (20 * SR, 5)
    assert starts["eight to go"] == (32 * SR, 6)
    assert not tl.warnings


def test_overlapping_cues_warn_with_the_line_and_keep_the_hold():
    cues = (Cue("start", 1.0, "a b c d e f g h i j k l", src(4)), Cue("start", 1.5, "x", src(5)))
    tl = run(Hold(10.0, src(3), cues=cues, countdown=NO_COUNTDOWN, chime=None))
    assert tl.length == 10 * SR
    assert len(tl.warnings) == 1
    assert tl.warnings[0].line == 5 and "overlaps" in tl.warnings[0].message


def test_cue_running_past_the_end_warns():
    cues = (Cue("end", 0.5, "far too many words for this", src(4)),)
    tl = run(Hold(10.0, src(3), cues=cues, countdown=NO_COUNTDOWN, chime=None))
    assert [w.line for w in tl.warnings] == [4]
    assert "past the hold's end" in tl.warnings[0].message


def test_countdown_gives_way_to_written_cues_silently():
    cues = (Cue("half", 0.0, "keep breathing", src(4)),)
    tl = run(Hold(30.0, src(3), cues=cues, chime=None))
    texts = [e.text for e in kinds(tl, "speech")]
    assert "Halfway." not in texts and "keep breathing" in texts
    assert not tl.warnings


def test_breath_inside_hold_fits_whole_cycles_from_its_start():
    breath = Breath(BreathPattern(4.0, 0.0, 8.0), BreathPrompts("in", None, "out"), voiced=2)
    tl = run(Hold(40.0, src(3), countdown=NO_COUNTDOWN, chime=None, breathe=breath))
    phases = [(e.phase, e.start / SR, e.end / SR) for e in kinds(tl, "breath")]
    assert phases == [
        ("inhale", 0, 4), ("exhale", 4, 12), ("inhale", 12, 16), ("exhale", 16, 24),
        ("inhale", 24, 28), ("exhale", 28, 36),
    ]
    prompts = [(e.text, e.start / SR) for e in kinds(tl, "speech")]
    assert prompts == [("in", 0), ("out", 4), ("in", 12), ("out", 16)]  # voiced: 2
    tones = [e.source.shape for e in kinds(tl, "breath")]
    assert tones == ["rise", "fall"] * 3


def test_breathe_step_cycles_and_for():
    pattern = BreathPattern(4.0, 7.0, 8.0)
    tl = run(Breathe(Breath(pattern), src(2), cycles=2))
    assert tl.length == 38 * SR
    assert [e.phase for e in kinds(tl, "breath")] == ["inhale", "hold", "exhale"] * 2
    tl = run(Breathe(Breath(pattern), src(2), for_s=60.0))
    assert tl.length == 57 * SR  # three whole cycles fit in a minute


def test_breathe_for_shorter_than_a_cycle_is_an_input_error():
    with pytest.raises(InputError) as err:
        run(Breathe(Breath(BreathPattern(4.0, 0, 8.0)), src(7), for_s=10.0))
    assert err.value.line == 7


def test_long_prompt_for_its_phase_warns():
    prompts = BreathPrompts("a b c d e f g h i j k l m", None, "o")
    breath = Breath(BreathPattern(1.0, 0, 1.0), prompts)
    tl = run(Breathe(breath, src(9), cycles=1))
    assert any(w.line == 9 and "longer than its" in w.message for w in tl.warnings)


def test_repeat_announces_sets_and_rests_between_only():
    rep = Repeat(3, (Pause(10.0, src(3)),), src(2), rest_s=20.0)
    tl = run(rep, gap=0.0)
    sets, rests = kinds(tl, "set"), kinds(tl, "rest")
    assert [(s.n, s.total) for s in sets] == [(1, 3), (2, 3), (3, 3)]
    assert len(rests) == 2
    texts = [e.text for e in kinds(tl, "speech")]
    assert texts == ["Set 1 of 3.", "Rest.", "Set 2 of 3.", "Rest.", "Set 3 of 3."]
    for r in rests:
        assert r.end - r.start == 20 * SR
    assert tl.length == sets[-1].end


def test_sides_fill_side_and_switch_between():
    sides = Sides(("left", "right"), (Say("{side} leg", src(3), gap_s=0),), src(2))
    tl = run(sides)
    assert [e.text for e in kinds(tl, "speech")] == ["left leg", "Switch sides.", "right leg"]


def test_reps_count_on_the_beat():
    tl = run(Reps(4, 2.5, src(2), say="press"), gap=0.5)
    reps = kinds(tl, "rep")
    first = reps[0].start
    assert first == to_samples(0.1 + 0.5)
    assert [e.start - first for e in reps] == [to_samples(i * 2.5) for i in range(4)]
    counts = [e for e in kinds(tl, "speech") if e.text != "press"]
    assert [c.text for c in counts] == ["One.", "Two.", "Three.", "Four."]
    assert [c.start for c in counts] == [r.start for r in reps]
    assert tl.length == first + 10 * SR


def test_sections_run_to_the_next_section_or_the_end():
    tl = run(Section("A", src(2)), Pause(3.0, src(3)), Section("B", src(4)), Pause(2.0, src(5)))
    a, b = kinds(tl, "section")
    b_at = on_grid(3 * SR)  # what follows a pause starts on the frame grid
    assert (a.start, a.end, b.start, b.end) == (0, b_at, b_at, b_at + 2 * SR)


def test_events_are_ordered_and_times_never_drift():
    steps = [Hold(0.1, src(2), countdown=NO_COUNTDOWN, chime=None)] * 1000
    tl = run(*steps)
    assert tl.length == 999 * on_grid(to_samples(0.1)) + to_samples(0.1)
    starts = [e.start for e in tl.events]
    assert starts == sorted(starts)


def test_lines_are_distinct_in_order_with_where_first_spoken():
    s = script(Say("b", src(2)), Say("a", src(3)), Say("b", src(4)))
    listed = walk(s, lambda utt: None, fake_sound).lines
    assert [(x.utterance.text, x.src.line) for x in listed] == [("b", 2), ("a", 3)]


def test_one_walk_lists_unmeasured_lines_and_a_second_gives_the_timeline():
    s = script(Say("one", src(2)), Say("two three", src(3)))
    known = {"one": 100}
    draft = walk(s, lambda utt: known.get(utt.text), fake_sound)
    assert [u.text for u in draft.unmeasured] == ["two three"]
    assert [x.utterance.text for x in draft.lines] == ["one", "two three"]
    final = walk(s, fake_measure, fake_sound)
    assert final.unmeasured == ()
    assert final.timeline == plan(s, fake_measure, fake_sound)


def test_a_measure_error_without_a_place_is_reported_at_the_line():
    def unknown_voice(utt):
        raise InputError("no voice 'x'")

    with pytest.raises(InputError) as err:
        walk(script(Pause(1.0, src(2)), Say("a", src(5))), unknown_voice, fake_sound)
    assert (err.value.line, err.value.message) == (5, "no voice 'x'")


def test_huge_repeat_is_rejected_without_expanding():
    inner = Repeat(1000, (Pause(1.0, src(4)),), src(3))
    outer = Repeat(1000, (inner,), src(2))
    with pytest.raises(InputError) as err:
        run(outer)
    assert "hours" in err.value.message


def test_too_many_events_is_rejected():
    inner = Repeat(MAX_EVENTS, (Pause(0.001, src(4)),), src(3))
    with pytest.raises(InputError) as err:
        run(inner)
    assert "events" in err.value.message
