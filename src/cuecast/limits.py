"""Every range a value must keep to, stated once.

The command line's option types, the script loader, the engines and the
encoder all check against these, and the docs' tables are tested against
them, so a range can no longer be one thing in the docs, another on the
command line and a third in an engine. Imports nothing from cuecast.

A ``Range`` checks a value and says, when it does not fit, what the value
is called (``--rate`` on the command line, ``voice rate`` in a script) and
the limit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """Inclusive bounds ``low``..``high`` in ``unit``."""

    low: float
    high: float
    unit: str = ""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, (int, float)) and self.low <= value <= self.high

    def text(self) -> str:
        """``80 to 400 wpm``; negative bounds keep their sign: ``-40 to -5 LUFS``."""
        unit = f" {self.unit}" if self.unit else ""
        return f"{_number(self.low)} to {_number(self.high)}{unit}"

    def problem(self, name: str, value: float) -> str | None:
        """``None`` if ``value`` fits, else the message: what, the value, the limit."""
        if value in self:
            return None
        unit = f" {self.unit}" if self.unit else ""
        return f"{name} {_number(value)}{unit} is out of range; use {self.text()}"


def _number(value: float) -> str:
    return f"{value:,g}" if abs(value) < 1e6 else f"{value:,.0f}"


# --- voices ----------------------------------------------------------------------------

RATE_WPM = Range(80.0, 400.0, "wpm")
"""Speech rate, for every engine: espeak-ng speaks nothing slower than 80,
and Piper's voices blur above 400."""
PITCH = Range(0.0, 100.0)
"""Voice pitch (espeak-ng's scale; Piper has none)."""
VOLUME = Range(0.0, 1.0)
"""Voice volume, a gain on the speech."""

# --- output ----------------------------------------------------------------------------

BITRATE_KBPS = Range(16.0, 320.0, "kbit/s")
"""Lossy formats' bitrate: under 16 speech is smeared, 320 is MP3's top."""
LOUDNESS_LUFS = Range(-40.0, -5.0, "LUFS")
"""Integrated loudness target (``--loudness``)."""
JOBS = Range(1.0, 256.0)
"""Parallel speech processes (``--jobs``)."""

# --- a script's values -----------------------------------------------------------------

BED_VOLUME_DB = Range(-80.0, 20.0, "dB")
"""A background bed's level relative to the voice, and a sound's gain."""
BED_DUCK_DB = Range(0.0, 80.0, "dB")
"""How far a bed ducks under speech."""
MAX_DURATION_S = 24 * 3600.0
"""No duration in a script may be longer than a day."""
MAX_COUNT = 10_000
"""A count: ``repeat``, ``reps``, ``cycles``, ``voiced``."""
MAX_TEXT_CHARS = 1000
"""One spoken line, after vars are filled in."""
MAX_LABEL_CHARS = 80
"""A var's label."""

# --- hostile input ---------------------------------------------------------------------

MAX_FILE_BYTES = 1_000_000
"""A script file, and each file it includes."""
MAX_YAML_DEPTH = 50
"""YAML nesting in one file."""
MAX_YAML_NODES = 100_000
"""YAML nodes read in a whole load, every use of an alias counted in full."""
MAX_INCLUDE_DEPTH = 16
"""Includes inside includes."""
MAX_STEP_DEPTH = 50
"""Steps inside steps (``repeat``, ``sides``, ``include``)."""
MAX_SESSION_S = 6 * 3600
"""A whole session, checked before anything is expanded."""
MAX_EVENTS = 200_000
"""Events in a session's timeline."""
MAX_SOUND_FILE_S = 300.0
"""A ``sound`` step's audio file (a ``background`` streams, so it may be longer)."""
MAX_COVER_BYTES = 16_000_000
"""A cover image."""


def script_limits_table() -> list[tuple[str, str]]:
    """The rows of docs/script-format.md's Limits table, from the values
    above (a test keeps the doc equal to this)."""
    return [
        ("size of a script file (and of each included file)", f"{MAX_FILE_BYTES:,} bytes"),
        ("YAML nesting depth in one file", f"{MAX_YAML_DEPTH} levels"),
        ("YAML nodes read in a whole load, counting every use of an alias (`*name`)",
         f"{MAX_YAML_NODES:,}"),
        ("includes inside includes", f"{MAX_INCLUDE_DEPTH} deep"),
        ("steps inside steps (`repeat`, `sides`, `include`)", f"{MAX_STEP_DEPTH} deep"),
        ("one spoken line (after vars are filled in)", f"{MAX_TEXT_CHARS:,} characters"),
        ("a count (`repeat`, `reps`, `cycles`, `voiced`)", f"{MAX_COUNT:,}"),
        ("a duration", f"{MAX_DURATION_S / 3600:g} hours"),
        ("a whole session (checked before anything is expanded)",
         f"{MAX_SESSION_S / 3600:g} hours"),
        ("events in a session's timeline", f"{MAX_EVENTS:,}"),
        ("a `sound` step's audio file (longer audio: use `background`, which streams)",
         f"{MAX_SOUND_FILE_S / 60:g} minutes"),
        ("a cover image", f"{MAX_COVER_BYTES // 1_000_000} MB"),
        ("a var's `label`", f"{MAX_LABEL_CHARS} characters"),
        ("voice `rate` (words per minute, every engine; also `--rate`)", RATE_WPM.text()),
        ("voice `pitch`", PITCH.text()),
        ("voice `volume`", VOLUME.text()),
        ("`background` `volume` and a `sound` step's `volume`", BED_VOLUME_DB.text()),
        ("`background` `duck`", BED_DUCK_DB.text()),
        ("`--bitrate` (lossy formats)", BITRATE_KBPS.text()),
        ("`--loudness`", LOUDNESS_LUFS.text()),
        ("`--jobs`", JOBS.text()),
        ("files a script names", "inside the script's folder, unless `--allow-outside`"),
    ]  # fmt: skip


def markdown_table() -> str:
    """``script_limits_table`` as the Markdown the docs hold."""
    rows = ["| limit | value |", "| --- | --- |"]
    rows += [f"| {what} | {value} |" for what, value in script_limits_table()]
    return "\n".join(rows) + "\n"
