"""A stand-in teacher for the recordings tests: espeak-ng with another
voice, pitch and rate than the scripts' own, written in any format ffmpeg
writes (the studio's microphone)."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

from cuecast.ffmpeg import ffmpeg_exe
from cuecast.script.model import VoiceSpec
from cuecast.voices.clip import PEAK_DBFS, scale_to_peak, trim
from cuecast.voices.recordings import decode, line_id
from cuecast.voices.registry import get_engine

TEACHER = VoiceSpec(name="en-gb-x-rp", pitch=80, rate_wpm=135)


def record(text: str, path: Path, *, rate: int = 48000, channels: int = 2,
           gain: float = 1.0) -> Path:
    """Speak ``text`` as the teacher into ``path`` (format from its suffix,
    at ``rate`` Hz, ``channels`` channels, scaled by ``gain``)."""
    engine = get_engine("pyttsx3")
    said = engine.synthesize(text, engine.resolve(TEACHER, "en"))
    samples = np.clip(said.samples.astype(np.float64) * gain, -32768, 32767).astype("<i2")
    raw = path.with_name(path.name + ".raw.wav")
    with wave.open(str(raw), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(said.rate)
        w.writeframes(samples.tobytes())
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(raw), "-ac", str(channels),
                    "-ar", str(rate), str(path)], check=True)
    raw.unlink()
    return path


def record_lines(folder: Path, texts: list[str], exts: tuple[str, ...] = ("wav",),
                 language: str = "en") -> dict[str, Path]:
    """Each text recorded as ``<id>.<ext>`` (the extensions taken in turn)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, text in enumerate(texts):
        ext = exts[i % len(exts)]
        out[text] = record(text, folder / f"{line_id(text, language)}.{ext}")
    return out


def trimmed(path: Path) -> np.ndarray:
    """What cuecast should play for a recording: decoded, levelled, trimmed."""
    return trim(scale_to_peak(decode(str(path), path.name), PEAK_DBFS))
