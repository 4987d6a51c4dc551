"""Plays that sound together, made one: what the meter and limiter work on.

Takes a timeline and its clips; gives the timeline with each run of plays
whose sound overlaps (a chime still ringing under the next line) played as
one ``Group``, and a clip source that mixes a group. After it, no two plays
of the timeline overlap, so the mix is measured from its clips and a group
is limited as the one sound it is.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cuecast.timeline import Event, Timeline

ClipFor = Callable[[Any], np.ndarray]
"""Gives the float32 samples for an event's source (or a ``Group``)."""


@dataclass(frozen=True)
class Group:
    """Plays that overlap, mixed as one: ``(offset in samples, source)`` pairs."""

    members: tuple[tuple[int, Hashable], ...]


def grouped(timeline: Timeline, clip_for: ClipFor) -> Timeline:
    """``timeline`` with each run of plays that overlap played as one
    ``Group`` (the members' events keep their place but lose their source).
    Plays that only touch stay apart: the K-weighting filter's tail of one
    under the start of the next adds a cross term far under 0.01 LU, and
    chaining them would make a whole breathing section one clip."""
    lengths: dict[Hashable, int] = {}
    playing = sorted((e for e in timeline.events if e.source is not None), key=lambda e: e.start)
    runs: list[list[Event]] = []
    run_end = -1
    for ev in playing:
        if ev.source not in lengths:
            lengths[ev.source] = clip_length(clip_for, ev.source)
        end = ev.start + lengths[ev.source]
        if runs and ev.start < run_end:
            runs[-1].append(ev)
            run_end = max(run_end, end)
        else:
            runs.append([ev])
            run_end = end
    together = [run for run in runs if len(run) > 1]
    if not together:
        return timeline
    members = {id(e) for run in together for e in run}
    events = [replace(e, source=None) if id(e) in members else e for e in timeline.events]
    for run in together:
        start = run[0].start
        group = Group(tuple((e.start - start, e.source) for e in run))
        end = max(e.start + lengths[e.source] for e in run)
        events.append(Event("group", start, end, run[0].line, source=group))  # type: ignore[arg-type]
    events.sort(key=lambda e: e.start)
    return replace(timeline, events=tuple(events))


def clip_length(clip_for: ClipFor, source: Any) -> int:
    """Samples in ``source``'s clip: ``clip_for.length(source)`` when the
    clip source has one (the pipeline's gives a speech clip's length from
    its file's header: grouping reads no clip), else the clip's length."""
    length = getattr(clip_for, "length", None)
    return int(length(source)) if callable(length) else len(clip_for(source))


def clip_identity(clip_for: ClipFor, source: Any) -> str | None:
    """What names ``source``'s clip as it is now without reading it:
    ``clip_for.identity(source)`` when the clip source has one (the
    pipeline's: a speech clip file's path, size, time and inode), else None.
    A ``Group``'s is its members' with their offsets (``group_source``
    mixes it from them), if each has one."""
    if isinstance(source, Group):
        names = [clip_identity(clip_for, s) for _, s in source.members]
        if any(name is None for name in names):
            return None
        return "group\n" + "\n".join(f"{at} {name}" for (at, _), name in
                                      zip(source.members, names, strict=True))  # fmt: skip
    identity = getattr(clip_for, "identity", None)
    return identity(source) if callable(identity) else None


def group_source(clip_for: ClipFor) -> ClipFor:
    """``clip_for`` that also mixes a ``Group`` (in float32, as the mixer adds)."""

    def clip(source: Any) -> np.ndarray:
        if not isinstance(source, Group):
            return clip_for(source)
        parts = [(at, np.asarray(clip_for(s), dtype=np.float32)) for at, s in source.members]
        out = np.zeros(max(at + len(x) for at, x in parts), dtype=np.float32)
        for at, x in parts:
            out[at : at + len(x)] += x
        return out

    return clip
