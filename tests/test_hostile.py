"""Hostile scripts (docs/threat-model.md): each limit and each file rule is
an exit-2 error from the command line within a second, and nothing runs,
hangs, or is read from outside the script's folder."""

from __future__ import annotations

import os
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast.cli import main
from tests import tally

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

SAY = "title: T\nsteps:\n  - say: hi\n"


def _wav(path: Path) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)


def _laughs() -> str:
    lines = ["title: T", "steps:", "  - repeat: 1", "    steps: &a"]
    lines += ["      - say: lol"] * 10
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines += ["  - repeat: 1", f"    steps: &{name}"]
        lines += [f"      - {{repeat: 1, steps: *{prev}}}"] * 10
    return "\n".join(lines) + "\n"


def _nested_repeats(depth: int) -> str:
    lines = ["title: T", "steps:"]
    for level in range(depth):
        pad = "  " * (2 * level + 1)
        lines += [f"{pad}- repeat: 2", f"{pad}  steps:"]
    lines.append("  " * (2 * depth + 1) + "- pause: 1")
    return "\n".join(lines) + "\n"


def _limits(folder: Path) -> dict[str, tuple[str, str]]:
    """name -> (script text, what the error says)."""
    return {
        "file over 1 MB": (SAY + "#" * 1_000_001 + "\n", "larger than the 1,000,000 byte limit"),
        "a 1,000,000-character line": (
            'title: T\nsteps:\n  - say: "' + "a" * 1_000_000 + '"\n', "1,000,000 byte limit"),
        "a 999,000-character line": (
            'title: T\nsteps:\n  - say: "' + "a" * 999_000 + '"\n', "one spoken line may be"),
        "flow nesting 60 deep": ("title: T\nsteps: " + "[" * 60 + "\n",
                                 "nested more than 50 levels"),
        "flow nesting 10,000 deep": ("title: T\nsteps: " + "[" * 10_000 + "\n",
                                     "nesting depth"),
        "block nesting 40 repeats deep": (_nested_repeats(40), "nested more than 50 levels"),
        "billion laughs": (_laughs(), "more than 100,000 YAML nodes"),
        "recursive alias": ("title: T\nsteps: &s\n  - repeat: 2\n    steps: *s\n",
                            "nested more than 50 levels"),
        "repeat 10000 in repeat 10000": (
            "title: T\nsteps:\n  - repeat: 10000\n    steps:\n      - repeat: 10000\n"
            "        steps: [{pause: 1s}]\n", "the longest session is 6 hours"),
        "too many events": (
            "title: T\nsteps:\n  - repeat: 10000\n    steps:\n      - reps: 10\n"
            "        tempo: 0.01s\n        count: false\n", "events"),
        "10000 breath cycles": ("title: T\nsteps:\n  - breathe: 4-4\n    cycles: 10000\n",
                                "the longest session is 6 hours"),
        "count over 10,000": ("title: T\nsteps:\n  - repeat: 100000\n    steps: [{pause: 1}]\n",
                              "from 1 to 10,000"),
        "duration over 24 h": ("title: T\nsteps:\n  - hold: 25h\n", "hold"),
        "python object tag": (
            "title: T\nsteps:\n  - say: !!python/object/apply:os.system ['touch pwned']\n",
            "YAML tag"),
        "python name tag": ("title: !!python/name:os.system T\nsteps: [{say: a}]\n", "YAML tag"),
        "custom tag": ("title: T\nsteps:\n  - say: !include other.yaml\n", "YAML tag"),
        "binary tag": ("title: !!binary aGk=\nsteps: [{say: a}]\n", "YAML tag"),
        "engine that imports a module": ('title: T\nvoice: {engine: "this:x"}\n'
                                         "steps: [{say: a}]\n", "only the built-in engines"),
        "line engine that runs a class": (
            'title: T\nsteps:\n  - say: a\n    voice: {engine: "subprocess:Popen"}\n',
            "only the built-in engines"),
    }


def _files(folder: Path) -> dict[str, tuple[str, str]]:
    """Scripts naming files they must not use; sets those files up."""
    outside = folder.parent / f"{folder.name}-outside"
    outside.mkdir()
    (outside / "steps.yaml").write_text("steps:\n  - say: secret\n")
    _wav(outside / "secret.wav")
    (folder / "link.yaml").symlink_to(outside / "steps.yaml")
    (folder / "link.wav").symlink_to(outside / "secret.wav")
    (outside / "model.onnx").write_bytes(b"onnx")
    (outside / "model.onnx.json").write_text("{}")
    (folder / "linked-folder").symlink_to(outside)
    (folder / "text.wav").write_text("this is not audio\n" * 50)
    _wav(folder / "sound.png")
    os.mkfifo(folder / "pipe.yaml")
    os.mkfifo(folder / "pipe.wav")
    rel = f"../{outside.name}"
    return {
        "include outside": (f"title: T\nsteps:\n  - include: {rel}/steps.yaml\n", "outside"),
        "include absolute": (f"title: T\nsteps:\n  - include: {outside}/steps.yaml\n", "outside"),
        "include /etc/passwd": ("title: T\nsteps:\n  - include: /etc/passwd\n", "outside"),
        "sound in ~": ("title: T\nsteps:\n  - sound: ~/secret.wav\n", "outside"),
        "include by symlink": ("title: T\nsteps:\n  - include: link.yaml\n", "outside"),
        "sound by symlink": ("title: T\nsteps:\n  - sound: link.wav\n", "outside"),
        "through a linked folder": (
            "title: T\nsteps:\n  - include: linked-folder/steps.yaml\n", "outside"),
        "cover by symlink": ("title: T\ncover: link.wav\nsteps: [{say: a}]\n", "outside"),
        "background outside": (f"title: T\nbackground: {{sound: {rel}/secret.wav}}\n"
                               "steps: [{say: a}]\n", "outside"),
        "text named .wav": ("title: T\nsteps:\n  - sound: text.wav\n", "not an audio file"),
        "text as background": ("title: T\nbackground: {sound: text.wav}\nsteps: [{say: a}]\n",
                               "not an audio file"),
        "wav named .png as cover": ("title: T\ncover: sound.png\nsteps: [{say: a}]\n",
                                    "not a PNG or JPEG image"),
        "include a pipe": ("title: T\nsteps:\n  - include: pipe.yaml\n", "not a regular file"),
        "sound a pipe": ("title: T\nsteps:\n  - sound: pipe.wav\n", "not a regular file"),
        "voice model outside": (f"title: T\nvoice: {rel}/model.onnx\nsteps: [{{say: a}}]\n",
                                "outside"),
        "piper model outside": (f"title: T\nvoice: {{engine: piper, name: {outside}/model.onnx}}"
                                "\nsteps: [{say: a}]\n", "outside"),
        "include a folder": ("title: T\nsteps:\n  - include: linked-folder\n", "outside"),
        "include itself": ("title: T\nsteps:\n  - include: hostile.yaml\n", "include cycle"),
    }


CASES = [
    *[("limit", name) for name in _limits(Path("/")).keys()],
    *[("file", name) for name in [
        "include outside", "include absolute", "include /etc/passwd", "sound in ~",
        "include by symlink", "sound by symlink", "through a linked folder", "cover by symlink",
        "background outside", "text named .wav", "text as background",
        "wav named .png as cover", "include a pipe", "sound a pipe", "voice model outside",
        "piper model outside", "include a folder",
        "include itself",
    ]],
]


def _clips_made() -> int:
    """Clips in the speech cache (the tests' own, see conftest.py)."""
    from cuecast.voices.cache import Cache

    return Cache().info()[0]


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[name for _, name in CASES])
@pytest.mark.parametrize("command", ["check", "render"])
def test_hostile_script_is_a_quick_exit_2(tmp_path, monkeypatch, kind, name, command) -> None:
    folder = tmp_path / "scripts"
    folder.mkdir()
    table: Callable[[Path], dict[str, tuple[str, str]]] = _limits if kind == "limit" else _files
    text, says = table(folder)[name]
    (folder / "hostile.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    args = [command, str(folder / "hostile.yaml"), "--engine", "pyttsx3"]
    if command == "render":
        args += ["-o", str(tmp_path / "out.mp3")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert says in result.stderr and "Traceback" not in result.output
    assert _clips_made() == 0  # refused before any speech (benchmarks/unit_timings.py: how fast)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["scripts"] or left == ["scripts", "scripts-outside"], left
    assert not (folder / "pwned").exists() and not Path("pwned").exists()
    assert "Zen of Python" not in result.output
    tally.add("bad inputs tried")


def test_allow_outside_lets_the_files_in(tmp_path) -> None:
    folder = tmp_path / "scripts"
    folder.mkdir()
    _files(folder)
    for text in ("title: T\nsteps:\n  - include: link.yaml\n",
                 f"title: T\nsteps:\n  - include: ../{folder.name}-outside/steps.yaml\n"):
        (folder / "ok.yaml").write_text(text)
        args = ["plan", str(folder / "ok.yaml"), "--allow-outside", "--engine", "pyttsx3"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "secret" in result.stdout


def test_devices_stay_out_even_when_allowed(tmp_path) -> None:
    (tmp_path / "zero.yaml").write_text("title: T\nsteps:\n  - include: /dev/zero\n")
    (tmp_path / "cover.yaml").write_text("title: T\ncover: /dev/urandom\nsteps: [{say: a}]\n")
    for name in ("zero.yaml", "cover.yaml"):
        result = CliRunner().invoke(main, ["check", str(tmp_path / name), "--allow-outside"])
        assert result.exit_code == 2 and "not a regular file" in result.stderr, result.output
        assert _clips_made() == 0  # refused before reading the device or speaking
        tally.add("bad inputs tried")


def test_threat_model_states_the_limits_in_force() -> None:
    from cuecast import ffmpeg, planner, sounds
    from cuecast.script import context, durations, files, yamlnodes

    doc = (Path(__file__).resolve().parents[1] / "docs" / "threat-model.md").read_text()
    stated = [
        f"| {yamlnodes.MAX_FILE_BYTES:,} bytes |", f"| {yamlnodes.MAX_DEPTH} levels |",
        f"| {yamlnodes.MAX_NODES:,} |", f"| {context.MAX_INCLUDE_DEPTH} deep |",
        f"| {context.MAX_STEP_DEPTH} deep |", f"| {context.MAX_TEXT_CHARS:,} characters |",
        f"| {context.MAX_COUNT:,} |", f"| {durations.MAX_DURATION_S / 3600:g} hours |",
        f"| {planner.MAX_SESSION_S // 3600} hours |", f"| {planner.MAX_EVENTS:,} |",
        f"| {files.MAX_COVER_BYTES // 1_000_000} MB |", f"| {files.PROBE_TIMEOUT_S:g} s |",
        f"| {ffmpeg.FFMPEG_TIMEOUT_S:g} |", f"| {sounds.MAX_SOUND_FILE_S / 60:g} minutes |",
    ]
    assert [s for s in stated if s not in doc] == []


def test_a_piper_voice_name_cannot_reach_unchecked_files(tmp_path) -> None:
    from click.testing import CliRunner

    from cuecast.cli import main
    from cuecast.voices import piper

    unknown = "unknown piper voice" if piper.available() else "cuecast[neural]"
    for name, expected in [("../etc/x", unknown), ("/etc/x.onnx#0123456789abcdef",
                                                                  "cannot contain '#'")]:
        script = tmp_path / "s.yaml"
        script.write_text(f'title: T\nvoice: {{engine: piper, name: "{name}"}}\n'
                          "steps:\n  - say: hi\n")
        result = CliRunner().invoke(main, ["check", str(script)])
        assert result.exit_code == 2, result.stderr
        assert expected in result.stderr
