"""The command line through click's CliRunner: exit codes, stdout vs stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast.cli import main

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

SHORT = Path(__file__).parent / "e2e" / "scripts" / "short.yaml"
PY = ("--engine", "pyttsx3")
"""Tests that speak say which engine: espeak-ng is fast; the default (best) is Piper."""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_plan_json_keeps_stdout_clean(runner):
    result = runner.invoke(main, ["plan", *PY, str(SHORT), "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"] == "Short Session"
    assert data["voice"]["engine"] == "pyttsx3"
    assert {e["kind"] for e in data["events"]} >= {"speech", "hold", "sound"}


def test_plan_table_shows_times_and_total(runner):
    result = runner.invoke(main, ["plan", *PY, str(SHORT)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "hold" in result.stdout and "Lie on your back." in result.stdout
    assert lines[-1].strip().endswith("total")


def test_set_changes_a_hold_and_its_spoken_words(runner, tmp_path):
    script = write(tmp_path, "title: T\nvars: {h: 30s}\nsteps:\n"
                             "  - say: Hold for {h}.\n  - hold: $h\n")
    result = runner.invoke(main, ["plan", *PY, str(script), "--json", "--set", "h=45s"])
    assert result.exit_code == 0, result.stderr
    events = json.loads(result.stdout)["events"]
    hold = next(e for e in events if e["kind"] == "hold")
    assert hold["end"] - hold["start"] == pytest.approx(45.0)
    assert events[0]["text"] == "Hold for forty-five seconds."


def test_bad_input_is_exit_2_with_location_and_no_traceback(runner, tmp_path):
    script = write(tmp_path, "title: T\nsteps:\n  - hold: 0s\n")
    result = runner.invoke(main, ["render", *PY, str(script), "-o", str(tmp_path / "o.mp3")])
    assert result.exit_code == 2
    assert f"{script}:3:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "o.mp3").exists()
    assert list(tmp_path.iterdir()) == [script]


def test_unknown_key_suggests_the_close_one(runner, tmp_path):
    script = write(tmp_path, "title: T\nsteps:\n  - hold: 10s\n    relase: And release.\n")
    result = runner.invoke(main, ["check", *PY, str(script)])
    assert result.exit_code == 2
    assert ":4:" in result.stderr and "release" in result.stderr


def test_bad_set_option_is_exit_2(runner):
    result = runner.invoke(main, ["plan", str(SHORT), "--set", "nonsense"])
    assert result.exit_code == 2
    assert "--set" in result.stderr


def test_check_reports_each_script_and_warnings(runner, tmp_path):
    noisy = write(tmp_path, "title: T\nsteps:\n  - hold: 10s\n    cues:\n"
                            "      - {at: 9s, say: This is a very long cue that cannot fit.}\n",
                  "noisy.yaml")
    result = runner.invoke(main, ["check", *PY, str(SHORT), str(noisy)])
    assert result.exit_code == 0
    assert "short.yaml: ok" in result.stdout
    assert "noisy.yaml: ok" in result.stdout and "1 warning" in result.stdout
    assert "noisy.yaml:5:" in result.stderr and "warning" in result.stderr


def test_strict_turns_warnings_into_exit_2(runner, tmp_path):
    noisy = write(tmp_path, "title: T\nsteps:\n  - hold: 10s\n    cues:\n"
                            "      - {at: 9s, say: This is a very long cue that cannot fit.}\n")
    result = runner.invoke(main, ["plan", *PY, str(noisy), "--strict"])
    assert result.exit_code == 2
    assert ":5:" in result.stderr and "--strict" in result.stderr


def test_render_writes_track_and_timeline(runner, tmp_path):
    out = tmp_path / "short.wav"
    result = runner.invoke(main, ["render", *PY, str(SHORT), "-o", str(out), "-q",
                                  "--loudness", "off"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # -q
    assert out.stat().st_size > 44100 * 2 * 30
    timeline = json.loads((tmp_path / "short.timeline.json").read_text())
    assert timeline["duration"] > 30


def test_render_default_output_is_in_the_current_folder(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["render", *PY, str(SHORT), "-f", "wav", "--loudness", "off"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "short.wav").exists()
    assert "wrote short.wav" in result.stderr


def test_render_with_no_output_options_writes_mp3_here(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["render", str(SHORT), "--engine", "pyttsx3", "-q",
                                  "--loudness", "off"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.mp3", "short.timeline.json"]
    assert (tmp_path / "short.mp3").read_bytes()[:3] == b"ID3"


def test_render_makes_missing_output_folders(runner, tmp_path):
    out = tmp_path / "new" / "deeper" / "s.ogg"
    result = runner.invoke(main, ["render", str(SHORT), "-o", str(out), "--engine", "pyttsx3",
                                  "-q", "--loudness", "off"])
    assert result.exit_code == 0, result.stderr
    assert out.stat().st_size > 1000 and (out.parent / "s.timeline.json").exists()


def test_bad_loudness_value(runner):
    result = runner.invoke(main, ["render", *PY, str(SHORT), "--loudness", "loud"])
    assert result.exit_code == 2 and "--loudness" in result.stderr


def test_schema_is_json(runner):
    result = runner.invoke(main, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["type"] == "object"


def test_cache_info_and_clear(runner):
    assert runner.invoke(main, ["plan", *PY, str(SHORT)]).exit_code == 0
    info = runner.invoke(main, ["cache", "info"])
    assert info.exit_code == 0 and " 0 clips" not in info.stdout
    cleared = runner.invoke(main, ["cache", "clear"])
    assert cleared.exit_code == 0 and "removed" in cleared.stdout
    assert " 0 clips" in runner.invoke(main, ["cache", "info"]).stdout


@pytest.mark.parametrize("command", ["render", "plan", "check", "voices", "schema", "cache"])
def test_every_command_has_help(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0 and len(result.stdout) > 80


def test_unknown_engine_or_voice_in_a_script_names_its_line(runner, tmp_path):
    engine = write(tmp_path, "title: T\nvoice: {engine: pipr}\nsteps:\n  - say: hi\n", "e.yaml")
    result = runner.invoke(main, ["check", *PY, str(engine)])
    assert result.exit_code == 2
    assert f"{engine}:2:" in result.stderr and "piper" in result.stderr
    voice = write(tmp_path, "title: T\nsteps:\n  - pause: 1s\n  - say: hi\n"
                            "    voice: {name: nosuch}\n", "v.yaml")
    result = runner.invoke(main, ["check", *PY, str(voice)])
    assert result.exit_code == 2
    assert f"{voice}:4:" in result.stderr and "nosuch" in result.stderr


SEED = Path(__file__).resolve().parent.parent / "scripts" / "lower-back-relief.yaml"


def test_plan_vars_lists_label_value_bounds_and_profiles(runner):
    result = runner.invoke(main, ["plan", str(SEED), "--vars", "--set", "lunge_hold=75s"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["VAR", "LABEL", "VALUE", "BOUNDS", "GENTLE", "STRONG"]
    lunge = next(line for line in lines if line.startswith("lunge_hold "))
    assert lunge.split("  ")[0] == "lunge_hold"
    assert [c.strip() for c in lunge.split("  ") if c.strip()] == [
        "lunge_hold", "Kneeling lunge hold each side", "75s", "20s to 3m", "45s", "90s",
    ]  # fmt: skip
    data = json.loads(runner.invoke(main, ["plan", str(SEED), "--vars", "--json"]).stdout)
    sets = next(v for v in data if v["name"] == "bridge_sets")
    assert (sets["kind"], sets["number"], sets["min"], sets["max"]) == ("number", 3, 1, 5)
    assert sets["profiles"] == {"gentle": "2", "strong": "3"}


def test_set_outside_a_bound_is_exit_2_at_the_vars_line(runner):
    result = runner.invoke(main, ["plan", str(SEED), "--vars", "--set", "lunge_hold=25h"])
    assert result.exit_code == 2
    assert "--set lunge_hold=25h" in result.stderr and "24-hour limit" in result.stderr
    result = runner.invoke(main, ["plan", str(SEED), "--vars", "--set", "lunge_hold=4m"])
    assert result.exit_code == 2
    assert f"{SEED}:" in result.stderr and "must be at most 3m (its max)" in result.stderr


def test_line_progress_prints_each_stage_at_most_every_few_seconds():
    from cuecast.cli.progress import LineProgress

    now = [0.0]
    lines: list[str] = []
    progress = LineProgress(lines.append, clock=lambda: now[0], every_s=5.0)
    for done in range(0, 101):
        now[0] = done * 0.2  # 20 s of speech, a call every 0.2 s
        progress("speech", done, 100)
    progress("speech", 100, 100)  # done is said once
    progress("audio", 50, 200)
    progress("audio", 200, 200)
    assert lines == [
        "speech: 0/100 lines", "speech: 25/100 lines", "speech: 50/100 lines",
        "speech: 75/100 lines", "speech: 100/100 lines",
        "mixing and encoding: 25%", "mixing and encoding: 100%",
    ]  # fmt: skip


def test_render_without_a_terminal_reports_stages_in_lines(runner, tmp_path):
    out = tmp_path / "p.wav"
    result = runner.invoke(main, ["render", *PY, str(SHORT), "-o", str(out), "--loudness", "off"])
    assert result.exit_code == 0, result.stderr
    assert "\r" not in result.stderr  # no bars in a log
    assert "mixing and encoding: 100%" in result.stderr.splitlines()
