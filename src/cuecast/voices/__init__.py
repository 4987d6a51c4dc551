"""Speech engines, the speech cache and the speaker that feeds the mixer."""

from __future__ import annotations

from cuecast.voices.registry import get_engine, list_voices

__all__ = ["get_engine", "list_voices"]
