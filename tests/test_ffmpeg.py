"""ffmpeg.py: the one place that builds ffmpeg command lines."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from cuecast import ffmpeg
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
