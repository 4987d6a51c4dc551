"""cuecast: routine scripts in, exactly timed narrated sessions out.

The Python API (see docs/api.md)::

    import cuecast
    timeline = cuecast.plan("routine.yaml", set={"hold": "45s"})
    result = cuecast.render("routine.yaml")            # routine.mp3 here
    segment = cuecast.audio_segment("routine.yaml")    # a pydub.AudioSegment

``cuecast.plan`` and ``cuecast.render`` are also the modules of those
stages, made callable (``cuecast/_callable.py``), so ``from cuecast.render
import Options`` and ``import cuecast.render`` work as before. Everything is
imported when first used, so ``import cuecast`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Result", "Timeline", "__version__", "audio_segment", "plan", "render"]

if TYPE_CHECKING:
    from cuecast.api import Result, audio_segment, plan, render
    from cuecast.timeline import Timeline


def __getattr__(name: str) -> Any:
    if name in ("plan", "render"):
        return importlib.import_module(f"cuecast.{name}")  # callable: see _callable.py
    if name in ("audio_segment", "Result"):
        return getattr(importlib.import_module("cuecast.api"), name)
    if name == "Timeline":
        return importlib.import_module("cuecast.timeline").Timeline
    raise AttributeError(f"module 'cuecast' has no attribute {name!r}")
