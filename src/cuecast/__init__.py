"""cuecast: routine scripts in, exactly timed narrated sessions out.

The Python API (see docs/api.md)::

    import cuecast
    timeline = cuecast.plan("routine.yaml", set={"hold": "45s"})
    result = cuecast.render("routine.yaml")            # routine.mp3 here
    segment = cuecast.audio_segment("routine.yaml")    # a pydub.AudioSegment

``cuecast.plan``, ``cuecast.render`` and ``cuecast.audio_segment`` are the
functions of ``cuecast.api``; the stages have modules of their own names
(``cuecast.planner``, ``cuecast.pipeline``). They are imported when first
used (PEP 562), with plain ``from`` imports that import-linter sees, so
``import cuecast.units`` in a speech worker or a spawned publish process
does not load the API, the script loader and numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Result", "Timeline", "__version__", "audio_segment", "plan", "render"]

if TYPE_CHECKING:
    from cuecast.api import Result, audio_segment, plan, render
    from cuecast.timeline import Timeline


def __getattr__(name: str) -> Any:
    if name in ("plan", "render", "audio_segment", "Result"):
        from cuecast import api

        return getattr(api, name)
    if name == "Timeline":
        from cuecast.timeline import Timeline

        return Timeline
    raise AttributeError(f"module 'cuecast' has no attribute {name!r}")
