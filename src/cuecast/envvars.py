"""Settings read from the environment (``CUECAST_*``), checked the same way."""

from __future__ import annotations

import os

from cuecast.errors import CuecastError


def seconds(name: str, error: type[CuecastError]) -> float | None:
    """``$name`` as a positive number of seconds, ``None`` when unset or
    blank; anything else raises ``error`` naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0.0 < value < 1e6:
        raise error(f"{name}={raw!r} is not a number of seconds above 0")
    return value
