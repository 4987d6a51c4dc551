"""ffmpeg.py: the one place that builds ffmpeg command lines."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cuecast import ffmpeg
from cuecast.cli import main
from cuecast.errors import EncodeError
from cuecast.units import SAMPLE_RATE

SRC = Path(__file__).resolve().parents[1] / "src" / "cuecast"
FFMPEG_OPTIONS = {"-af", "-ac", "-ar", "-c:a", "-map", "-nostdin", "-vn", "-b:a", "-filter_complex"}


def _options_in(path: Path) -> set[str]:
    """ffmpeg options written as string constants inside lists in ``path``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.List):
            for item in node.elts:
                if isinstance(item, ast.Constant) and item.value in FFMPEG_OPTIONS:
                    found.add(item.value)
    return found


def test_no_other_module_writes_ffmpeg_options():
    writers = {
        str(p.relative_to(SRC)): sorted(_options_in(p))
        for p in SRC.rglob("*.py")
        if p.name != "ffmpeg.py" and _options_in(p)
    }
    assert writers == {}


def test_the_guard_sees_ffmpeg_options():
    assert {"-af", "-ac", "-ar"} <= _options_in(SRC / "ffmpeg.py")


def test_a_resample_round_trip_keeps_the_rate_and_the_length():
    tone = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype("<f4")
    proc = ffmpeg.run(ffmpeg.resample_args(16000), input_bytes=tone.tobytes())
    out = np.frombuffer(proc.stdout, dtype="<f4")
    assert proc.returncode == 0
    assert abs(out.size - SAMPLE_RATE) <= 64


def test_probe_refuses_what_is_not_audio(tmp_path: Path):
    text = tmp_path / "notes.wav"
    text.write_text("not audio", encoding="utf-8")
    assert ffmpeg.run(ffmpeg.probe_args(str(text))).returncode != 0


def _old_ffmpeg(folder: Path, version_line: str) -> str:
    """A stand-in ffmpeg that prints ``version_line`` for ``-version`` and
    would fail anything else (it must never be asked to encode)."""
    path = folder / "old-ffmpeg"
    path.write_text(f"#!/bin/sh\ncase \"$*\" in *-version*) echo '{version_line}'; exit 0;; esac\n"
                    "echo 'Unrecognized option dec' >&2; exit 8\n")  # fmt: skip
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(("line", "release"), [
    ("ffmpeg version 7.1.1 Copyright (c) 2000-2025 the FFmpeg developers", (7, 1)),
    ("ffmpeg version n9.0.2-17-g2a571b6068-20260930 Copyright (c) 2000-2026", (9, 0)),
    ("ffmpeg version 6.1.1-3ubuntu5 Copyright (c) 2000-2023 the FFmpeg developers", (6, 1)),
    ("ffmpeg version 4.2.2-static https://johnvansickle.com/ffmpeg/", (4, 2)),
    ("ffmpeg version N-113000-gabcdef0123 Copyright (c) 2000-2024", None),
])  # fmt: skip
def test_the_release_is_read_from_the_version_line(line, release):
    assert ffmpeg.release(line) == release


def test_an_ffmpeg_older_than_7_1_is_a_clear_error_naming_the_version(tmp_path, monkeypatch):
    old = _old_ffmpeg(tmp_path, "ffmpeg version 6.1.1-3ubuntu5 Copyright (c) 2000-2023")
    monkeypatch.setenv("CUECAST_FFMPEG", old)
    with pytest.raises(EncodeError, match=r"is version 6\.1; cuecast needs ffmpeg 7\.1 or newer"):
        ffmpeg.ffmpeg_exe()
    script = tmp_path / "s.yaml"
    script.write_text("title: S\nsteps:\n  - say: Hello.\n")
    out = tmp_path / "s.mp3"
    result = CliRunner().invoke(main, ["render", str(script), "-o", str(out), "-q"])
    assert result.exit_code == 1, result.output
    assert "needs ffmpeg 7.1 or newer" in result.stderr and "CUECAST_FFMPEG" in result.stderr
    assert "Traceback" not in result.stderr and "Unrecognized option" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old-ffmpeg", "s.yaml"]


def test_the_version_line_comes_from_the_check_one_run_a_process(tmp_path, monkeypatch):
    """Checking the ffmpeg and naming its version (part of every MP3
    piece's key) run ``-version`` once between them: each run of the
    bundled 172 MB binary costs a warm render 10-15 ms before it starts."""
    log = tmp_path / "runs"
    path = tmp_path / "counted-ffmpeg"
    path.write_text(f"#!/bin/sh\necho run >> '{log}'\n"
                    "echo 'ffmpeg version 8.0.1 Copyright (c) 2000-2025'\nexit 0\n")  # fmt: skip
    path.chmod(0o755)
    monkeypatch.setenv("CUECAST_FFMPEG", str(path))
    assert ffmpeg.ffmpeg_exe() == str(path)
    assert ffmpeg.version_line(str(path)) == "ffmpeg version 8.0.1 Copyright (c) 2000-2025"
    assert ffmpeg.ffmpeg_exe() == str(path)
    assert log.read_text().splitlines() == ["run"]
    assert ffmpeg.version_line(str(tmp_path / "missing")) == ""
