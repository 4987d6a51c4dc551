"""The key names of the script format, in one place for the loader, the
JSON Schema and the docs test (so the three cannot drift)."""

from __future__ import annotations

META_KEYS = (
    "title",
    "subtitle",
    "author",
    "album",
    "description",
    "year",
    "genre",
    "cover",
    "track",
)
TOP_KEYS = (
    *META_KEYS,
    "language",
    "voice",
    "vars",
    "profiles",
    "defaults",
    "background",
    "lexicon",
    "phrases",
    "steps",
)
VOICE_KEYS = ("engine", "name", "rate", "pitch", "volume", "recordings")
DEFAULTS_KEYS = ("gap", "chime", "countdown", "breath")
COUNTDOWN_KEYS = ("halfway", "remaining", "count")
BACKGROUND_KEYS = ("sound", "volume", "duck", "fade")
PATTERN_KEYS = ("inhale", "hold", "exhale", "hold_after")
BREATH_KEYS = ("pattern", "prompts", "voiced", "tone")
PROMPT_KEYS = ("inhale", "hold", "exhale")
CUE_KEYS = ("at", "say")

STEP_OPTIONS: dict[str, tuple[str, ...]] = {
    "say": ("voice", "gap"),
    "pause": (),
    "sound": ("volume",),
    "section": (),
    "hold": ("cues", "countdown", "chime", "breathe", "release"),
    "breathe": ("cycles", "for", "prompts", "voiced", "tone"),
    "repeat": ("steps", "rest", "announce", "rest_say"),
    "sides": ("steps", "switch"),
    "reps": ("tempo", "say", "count"),
    "include": (),
}
"""Each step kind (its key) and the options that may stand beside it."""

STEP_SOUNDS = ("bell", "bowl", "beep", "chime", "tick")
"""Built-in sounds for ``sound`` steps and chimes."""
AMBIENCES = ("rain", "ocean")
"""Built-in background beds."""
