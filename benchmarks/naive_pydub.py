"""The naive renderer the benchmark compares against, run as its own process.

What peers do: the whole track is built in memory as a pydub
``AudioSegment``, silence and clips joined with ``+`` (an overlapping clip
is ``overlay``-ed), then ``export()`` writes MP3 through a temporary WAV.
Takes the timeline the benchmark dumped (``events.json``: clip index and
start sample per sounding event, the length) and its clips as WAV files.

    python benchmarks/naive_pydub.py DUMP_DIR OUT.mp3 FFMPEG
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pydub warns at import when it finds no ffmpeg on PATH
    from pydub import AudioSegment

RATE = 44100


def build(dump: Path) -> AudioSegment:
    spec = json.loads((dump / "events.json").read_text())
    clips = [AudioSegment.from_wav(str(dump / f"{i}.wav")) for i in range(spec["clips"])]
    track = AudioSegment.silent(duration=0, frame_rate=RATE)
    for start, index in spec["events"]:
        at_ms = start * 1000 / RATE
        clip = clips[index]
        if at_ms >= len(track):
            track = track + AudioSegment.silent(duration=at_ms - len(track), frame_rate=RATE)
            track = track + clip
        else:
            if at_ms + len(clip) > len(track):
                pad = at_ms + len(clip) - len(track)
                track = track + AudioSegment.silent(duration=pad, frame_rate=RATE)
            track = track.overlay(clip, position=at_ms)
    end_ms = spec["length"] * 1000 / RATE
    if end_ms > len(track):
        track = track + AudioSegment.silent(duration=end_ms - len(track), frame_rate=RATE)
    return track


def main(argv: list[str]) -> None:
    dump, out, ffmpeg = Path(argv[0]), argv[1], argv[2]
    AudioSegment.converter = ffmpeg
    build(dump).export(out, format="mp3", bitrate="96k")


if __name__ == "__main__":
    main(sys.argv[1:])
