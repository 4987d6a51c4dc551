"""First run as the README says: the seed rendered with no -o and no -f in
an empty folder, and plan's length equal to the rendered file's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audio import decode

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "scripts" / "lower-back-relief.yaml"
CUECAST = str(Path(sys.executable).parent / "cuecast")


def cuecast(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CUECAST, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900, check=False)  # fmt: skip


@pytest.mark.e2e
def test_the_seed_renders_here_and_plan_says_its_length(tmp_path: Path) -> None:
    # pyttsx3 for speed: that plan and render choose the same default engine
    # is tested with Piper on a short script (tests/test_voices_e2e.py)
    done = cuecast("render", str(SEED), "--engine", "pyttsx3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lower-back-relief.mp3", "lower-back-relief.timeline.json",
    ]  # fmt: skip
    assert "wrote lower-back-relief.mp3 (" in done.stderr
    assert "mixing and encoding: 100%" in done.stderr  # progress, with no terminal
    planned = cuecast("plan", str(SEED), "--json", "--engine", "pyttsx3", cwd=tmp_path)
    plan = json.loads(planned.stdout)
    written = json.loads((tmp_path / "lower-back-relief.timeline.json").read_text("utf-8"))
    assert plan == written  # the same timeline, event for event
    length = round(plan["duration"] * plan["sample_rate"])
    decoded = len(decode(str(tmp_path / "lower-back-relief.mp3")))
    assert decoded == length  # to the sample: the MP3's gapless header trims the padding
