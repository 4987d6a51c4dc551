"""Issue 3, point 4: the streamed track is the track.

A real script (espeak, built-in sounds) is mixed block by block at very
different block sizes and compared with a reference made the simplest way
(every clip added into one array of the whole track): the PCM must be
identical to the bit, and so must the encoded files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cuecast.encode import EncodeSettings, encode
from cuecast.mix import mix
from cuecast.pipeline import Options, _bed, _ClipSource, prepare
from cuecast.timeline import Timeline

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

SHORT = Path(__file__).parent / "e2e" / "scripts" / "short.yaml"
BLOCK_SIZES = (44_100, 997, 5 * 44_100 + 3)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CUECAST_CACHE_DIR", str(tmp_path_factory.mktemp("streaming-cache")))
    try:
        yield prepare(SHORT, Options(engine="pyttsx3"))
    finally:
        mp.undo()


def reference(timeline: Timeline, clip_for) -> np.ndarray:
    """The whole track in memory: each clip added at its start, in event order."""
    track = np.zeros(timeline.length, dtype=np.float32)
    for ev in timeline.events:
        if ev.source is None:
            continue
        clip = np.asarray(clip_for(ev.source), dtype=np.float32)[: timeline.length - ev.start]
        track[ev.start : ev.start + len(clip)] += clip
    return track


def streamed(prepared, block: int) -> list[np.ndarray]:
    clip_for = _ClipSource(prepared.speaker)
    return list(mix(prepared.timeline, clip_for, bed=_bed(prepared.script), block=block))


def test_streamed_pcm_is_the_in_memory_mix_at_any_block_size(prepared):
    assert prepared.script.background is None  # the reference has no bed
    ref = reference(prepared.timeline, _ClipSource(prepared.speaker))
    assert np.count_nonzero(ref) > 0.2 * len(ref)
    for block in BLOCK_SIZES:
        blocks = streamed(prepared, block)
        assert max(len(b) for b in blocks) <= block
        assert np.array_equal(np.concatenate(blocks), ref), f"block size {block}"


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
def test_encoded_bytes_do_not_depend_on_how_the_mix_is_cut(prepared, tmp_path, fmt):
    ref = reference(prepared.timeline, _ClipSource(prepared.speaker))
    settings = EncodeSettings(fmt=fmt, gain_db=4.0)
    ways = {
        "whole": [ref],
        "streamed": streamed(prepared, 44_100),
        "odd blocks": streamed(prepared, 997),
    }
    files = {}
    for name, blocks in ways.items():
        out = tmp_path / f"{name.replace(' ', '-')}.{fmt}"
        encode(blocks, str(out), settings, meta=None, chapters=[], total_samples=len(ref))
        files[name] = out.read_bytes()
    assert files["streamed"] == files["whole"]
    assert files["odd blocks"] == files["whole"]
