"""Realistic routine scripts of any length, for the benchmark.

Gives YAML text: sections of about three minutes, each with narration,
sides with holds (breathing prompts, countdowns, a cue at half), reps,
and a repeat with rests. Lines are varied by body part, image and round
number, so a long session has many distinct lines (as real catalogues do)
and a speech cache has real work to do when cold.
"""

from __future__ import annotations

SECTION_S = 200
"""About how long one generated section plays, in seconds (measured: 10 min
asks for 3 sections and plays 10.2, 60 asks for 18)."""

PARTS = ["hips", "lower back", "shoulders", "hamstrings", "calves", "neck", "chest",
         "upper back", "glutes", "ankles", "wrists", "inner thighs"]  # fmt: skip
IMAGES = ["a slow tide", "warm sand", "a long exhale", "soft rain", "a heavy blanket",
          "melting snow", "a quiet room", "a rope slowly unwinding"]  # fmt: skip
MOVES = ["lunge", "forward fold", "twist", "bridge", "side bend", "cat and cow",
         "child's pose", "pigeon", "squat", "plank"]  # fmt: skip

HEADER = """title: Benchmark session {minutes} minutes
author: cuecast benchmark
language: en
voice: {{rate: 160}}
defaults:
  gap: 0.8s
  chime: bell
  countdown: {{halfway: true, remaining: [10], count: 3}}
  breath:
    pattern: 4-6
    prompts: {{inhale: Breathe in., exhale: And breathe out.}}
    voiced: 2
    tone: true
steps:
  - section: Arrive
  - sound: bowl
  - say: Welcome to this {minutes} minute session. Find a comfortable place to begin.
"""

SECTION = """
  - section: {move_title} for the {part}, round {n}
  - say: Round {n}. We move into a {move}, working into the {part}.
  - say: Let the {part} soften, like {image}. There is no rush in round {n}.
  - sides: [right, left]
    switch: Gently come out, and change to the other side for round {n}.
    steps:
      - say: Your {{side}} side now. Ease into the {move} and find the {part}.
      - hold: 40s
        breathe: 4-6
        cues: [{{at: half, say: "Halfway through round {n}. Keep the {part} easy."}}]
        release: And release the {move}.
  - reps: 8
    tempo: 3s
    say: Now move slowly with me through the {move}, round {n}.
  - repeat: 2
    rest: 10s
    rest_say: Rest, and feel the {part}.
    steps:
      - say: Press into the {move} once more, round {n}.
      - hold: 15s
        release: And let go.
  - pause: 3s
"""

FOOTER = """
  - section: Close
  - say: Well done. That was {minutes} minutes well spent. Take this ease with you.
  - sound: bowl
"""


def session_yaml(minutes: float) -> str:
    """A script that plays for about ``minutes`` minutes."""
    sections = max(1, round(minutes * 60 / SECTION_S))
    parts = [HEADER.format(minutes=_spoken(minutes))]
    for n in range(1, sections + 1):
        move = MOVES[n % len(MOVES)]
        parts.append(SECTION.format(
            n=n, move=move, move_title=move.capitalize(),
            part=PARTS[n % len(PARTS)], image=IMAGES[n % len(IMAGES)],
        ))  # fmt: skip
    parts.append(FOOTER.format(minutes=_spoken(minutes)))
    return "".join(parts)


def _spoken(minutes: float) -> str:
    return f"{minutes:g}"
