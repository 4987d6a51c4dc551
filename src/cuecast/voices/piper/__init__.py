"""Piper: offline neural speech (the ``neural`` extra).

    engine.py  the ``piper`` engine: a line of text to int16 samples
    voices.py  which model a voice name means (bundled, installed, by path) and its pace
    noise.py   the model rewritten (once, cached) so cuecast draws its noise
    audio.py   Piper's sentences trimmed and joined into one clip

Nothing from ``piper`` or ``onnxruntime`` is imported until a line is
spoken, so cuecast works without the extra.
"""

from __future__ import annotations

from cuecast.voices.piper.audio import SENTENCE_PAUSE_S
from cuecast.voices.piper.engine import MAX_RATE_WPM, MIN_RATE_WPM, PiperEngine
from cuecast.voices.piper.voices import JOE_PACE, available, canonical_name, model_for

__all__ = [
    "JOE_PACE", "MAX_RATE_WPM", "MIN_RATE_WPM", "SENTENCE_PAUSE_S", "PiperEngine", "available",
    "canonical_name", "model_for",
]
