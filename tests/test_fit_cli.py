"""``--length`` on the command line and ``length=`` in the API: real plans
(espeak-ng) of real scripts, fitted within 5 s or refused with the nearest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import cuecast
from cuecast.api import fit
from cuecast.cli import main
from cuecast.errors import InputError

pytestmark = pytest.mark.e2e  # real engines

ROOT = Path(__file__).resolve().parent.parent
PY = ("--engine", "pyttsx3")
SCRIPT = """\
title: Fit Me
vars:
  hold: {value: 20s, min: 5s, max: 2m}
  sets: {value: 2, min: 1, max: 6}
  word: calm
steps:
  - say: Hold for {hold}.
  - hold: $hold
  - repeat: $sets
    rest: 3s
    steps:
      - say: Set {n}, stay {word}.
      - hold: $hold
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "fit.yaml"
    path.write_text(SCRIPT)
    return path


def test_plan_length_fits_and_prints_the_sets(script):
    result = CliRunner().invoke(main, ["plan", *PY, str(script), "--length", "3m", "--json"])
    assert result.exit_code == 0, result.stderr
    assert abs(json.loads(result.stdout)["duration"] - 180) <= 5
    assert re.search(r"--length 3m: --set hold=\d+s --set sets=\d", result.stderr)


def test_render_length_makes_a_file_of_that_plan(script, tmp_path):
    out = tmp_path / "fit.wav"
    result = CliRunner().invoke(main, ["render", *PY, str(script), "-o", str(out),
                                       "--length", "1:30", "--loudness", "off"])
    assert result.exit_code == 0, result.stderr
    timeline = json.loads((tmp_path / "fit.timeline.json").read_text())
    assert abs(timeline["duration"] - 90) <= 5
    import wave

    with wave.open(str(out)) as w:
        assert w.getnframes() == round(timeline["duration"] * w.getframerate())


def test_a_set_var_stays_and_the_others_fit(script):
    timeline = cuecast.plan(script, engine="pyttsx3", length="4m", set={"sets": 3})
    assert abs(timeline.duration_s - 240) <= 5
    assert sum(1 for e in timeline.to_json()["events"] if e["kind"] == "hold") == 4


def test_unreachable_is_exit_2_with_the_nearest(script):
    result = CliRunner().invoke(main, ["plan", *PY, str(script), "--length", "1h"])
    assert result.exit_code == 2
    assert "--length 1h:" in result.stderr and "the longest it can be is" in result.stderr
    assert "--set hold=120s --set sets=6" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("bad", ["soon", "0", "-5m", "25h"])
def test_a_bad_length_names_the_option(script, bad):
    result = CliRunner().invoke(main, ["plan", *PY, str(script), "--length", bad])
    assert result.exit_code == 2 and f"--length {bad}:" in result.stderr, result.stderr


def test_api_fit_says_what_it_chose(script):
    fitted = fit(script, "150s", engine="pyttsx3")
    assert fitted.reached and abs(fitted.total_s - 150) <= 5
    assert set(fitted.values) == {"hold", "sets"}
    with pytest.raises(InputError, match="length 1: .* the shortest it can be is 0:"):
        cuecast.plan(script, engine="pyttsx3", length=1)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lower-back-relief", "rueckenroutine", "studio-example"])
def test_shipped_scripts_fit_ten_minutes_or_say_the_nearest(name):
    """The seed and every shipped routine, as ``cuecast plan SCRIPT --length 10m``."""
    path = ROOT / "scripts" / f"{name}.yaml"
    result = CliRunner().invoke(main, ["plan", *PY, str(path), "--length", "10m", "--json"])
    if result.exit_code == 0:
        assert abs(json.loads(result.stdout)["duration"] - 600) <= 5
    else:
        assert result.exit_code == 2
        assert re.search(r"--length 10m: .* (the (short|long)est it can be is \d+:\d\d"
                         r"|has no var with a min or a max to fit; it is \d+:\d\d)",
                         result.stderr), result.stderr
    assert name != "lower-back-relief" or result.exit_code == 0
