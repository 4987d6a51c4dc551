"""End to end (espeak-ng through pyttsx3, real ffmpeg): a listener's changed
hold keeps the default session's gain, so the render reuses nearly all of
the default session's MP3 pieces, and the file is still on target as
ffmpeg's ebur128 measures it decoded; the page gives ``cuecast render``'s
bytes for that value (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast import ffmpeg
from cuecast.cli.base import main
from cuecast.encode import PieceOptions
from cuecast.loudness import parse_summary
from cuecast.pipeline import render
from cuecast.request import Options

pytestmark = pytest.mark.e2e

SCRIPT = """\
title: Anchored Hold
vars:
  hold: {{value: {hold}, label: Fold hold, min: 10s, max: 3m}}
defaults:
  gap: 0.6s
  chime: bell
  countdown: {{halfway: true, remaining: [10], count: 3}}
steps:
  - say: Welcome. Sit tall, let the shoulders soften, and let the breath settle.
  - say: Reach both arms up high and hold them there.
  - hold: 15s
  - say: Now fold forward slowly from the hips, and hold the fold for {{hold}}.
  - hold: $hold
  - say: Come up slowly, one vertebra at a time, and roll the shoulders back.
  - say: Twist gently to the right, and stay there.
  - hold: 20s
  - say: Well done. That is the end of this short session.
"""
CHANGED = "30s"
"""A hold whose session, levelled alone, gets a gain one 0.05 dB step from
the default session's (40 s) with espeak-ng: found by trying holds (10 s is another)."""


def script(folder: Path, hold: str = "40s") -> Path:
    path = folder / f"anchored-{hold}.yaml"
    path.write_text(SCRIPT.format(hold=hold), encoding="utf-8")
    return path


def ebur128(path: Path) -> tuple[float, float]:
    proc = ffmpeg.run(["-i", str(path), "-af", "ebur128=peak=true:framelog=quiet", "-f", "null",
                       "-"], loglevel="info")  # fmt: skip
    summary = parse_summary(proc.stderr.decode())
    return summary.integrated_lufs, summary.true_peak_dbtp


def test_a_changed_hold_keeps_the_default_gain_and_its_pieces(tmp_path: Path) -> None:
    options = Options(engine="pyttsx3")
    anchored = script(tmp_path)
    first = PieceOptions()
    render(anchored, tmp_path / "default.mp3", options, pieces=first)
    assert first.stats is not None and first.stats.encoded >= 6

    # the premise: the same session as a script's own default gets its own gain, another
    # step, and then shares no piece with the default session's (every sound differs)
    alone = PieceOptions()
    render(script(tmp_path, CHANGED), tmp_path / "alone.mp3", options, pieces=alone)
    assert alone.stats is not None and alone.stats.cached == 0

    changed = PieceOptions()
    out = tmp_path / "changed.mp3"
    result = render(anchored, out, Options(engine="pyttsx3", sets={"hold": CHANGED}),
                    pieces=changed)  # fmt: skip
    stats = changed.stats
    assert stats is not None
    sounding = stats.pieces - stats.silent
    # encoded again: the pieces of the changed line and of what the changed hold holds
    # (its countdown words at other places); the rest, most of it, is the default's
    assert stats.cached > stats.encoded and stats.cached >= sounding // 2, stats
    assert alone.stats.encoded >= 2 * stats.encoded  # its own gain: every sound encoded
    assert out.read_bytes() != (tmp_path / "alone.mp3").read_bytes()

    lufs, peak = ebur128(out)
    assert abs(lufs - -16.0) <= 0.5
    assert peak <= -1.0
    assert result.loudness_lufs is not None and abs(result.loudness_lufs - lufs) <= 0.2


def test_the_command_line_gives_the_api_bytes_for_a_changed_hold(tmp_path: Path) -> None:
    anchored = script(tmp_path)
    api = render(anchored, tmp_path / "api.mp3", Options(engine="pyttsx3", sets={"hold": CHANGED}))
    args = ["render", str(anchored), "--engine", "pyttsx3", "--set", f"hold={CHANGED}", "-o",
            str(tmp_path / "cli.mp3")]  # fmt: skip
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert (tmp_path / "cli.mp3").read_bytes() == Path(api.path).read_bytes()
