"""Golden timelines: real scripts planned with a fake voice, kept as JSON.

The fake voice makes every line last 60 ms per character and every sound
ring 2 s with a 1 s advance, so a golden file changes only when planning
changes. Regenerate after an intended change with ``make golden`` and review
the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

from cuecast.planner import plan
from cuecast.script import load
from cuecast.timeline import SAMPLE_RATE, Timeline, to_samples

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = {
    "lower-back-relief": ROOT / "scripts" / "lower-back-relief.yaml",
    "kitchen-sink": ROOT / "tests" / "fixtures" / "scripts" / "kitchen-sink.yaml",
    "short": ROOT / "tests" / "e2e" / "scripts" / "short.yaml",
}


def fake_plan(path: Path, **load_kw) -> Timeline:
    script = load(path, **load_kw)
    return plan(
        script,
        lambda utt: to_samples(0.06 * len(utt.text)),
        lambda ref: (2 * SAMPLE_RATE, SAMPLE_RATE),
    )


def golden_json(path: Path) -> str:
    """The timeline JSON with file paths made relative to the repo."""
    data = fake_plan(path).to_json()
    for event in data["events"]:
        if "file" in event:
            event["file"] = str(Path(event["file"]).resolve().relative_to(ROOT))
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
