"""A timeline -> a small SVG picture of it, its chapters, and the same in words.

Takes a timeline's JSON form (``Timeline.to_json()``, or the
``.timeline.json`` file); gives what both pages show of a track, drawn by
this one module: ``cuecast publish``'s ``index.html`` and ``cuecast
serve``'s pages. Three rows on one time axis: the sections (named bands),
what the body does (holds, rests and sets as blocks, the spoken lines as
ticks), and the breathing (a wave rising on each inhale, level on a held
breath, falling on each exhale). Plain SVG, no script; ``describe`` is its
text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from cuecast.units import clock

WIDTH = 360
HEIGHT = 64
_BANDS = ("#dbe7f3", "#e8f0d8", "#f6e3d3", "#eadcf0")
_BLOCKS = {"hold": "#d98b2b", "rest": "#9aa5ad", "set": "#5b8bb5"}


def timeline_svg(timeline: dict[str, Any], label: str) -> str:
    duration = float(timeline.get("duration") or 0.0) or 1.0
    events = timeline.get("events", ())

    def x(seconds: float) -> float:
        return round(seconds / duration * WIDTH, 2)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label={quoteattr(label)} class="timeline">',
        f"<title>{escape(label)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f7f7f5"/>',
    ]
    sections = [e for e in events if e.get("kind") == "section"]
    for i, event in enumerate(sections):
        x0, x1 = x(event["start"]), x(event["end"])
        parts.append(f'<rect x="{x0}" y="0" width="{max(x1 - x0, 0.5)}" height="16" '
                     f'fill="{_BANDS[i % len(_BANDS)]}"/>')  # fmt: skip
        if x1 - x0 > 24:
            name = _fit(event.get("text") or "", (x1 - x0) / 6)
            parts.append(f'<text x="{x0 + 3}" y="12" font-size="9" fill="#223">'
                         f"{escape(name)}</text>")  # fmt: skip
    for event in events:
        kind = event.get("kind")
        x0, x1 = x(event["start"]), x(event["end"])
        if kind in _BLOCKS and kind != "set":
            length_s = event["end"] - event["start"]
            parts.append(f'<rect x="{x0}" y="20" width="{max(x1 - x0, 0.5)}" height="14" '
                         f'fill="{_BLOCKS[kind]}"><title>{kind} {length_s:.0f} s'
                         "</title></rect>")  # fmt: skip
        elif kind == "speech":
            parts.append(f'<rect x="{x0}" y="36" width="{max(x1 - x0, 0.6)}" height="4" '
                         'fill="#334"/>')  # fmt: skip
    wave = _breath_wave(events, x)
    if wave:
        parts.append(f'<polyline points="{wave}" fill="none" stroke="#2f8f83" '
                     'stroke-width="1.5"/>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def chapters(timeline: dict[str, Any]) -> list[tuple[str, str]]:
    """``(start, name)`` of each section, the start as ``clock`` gives it."""
    return [(clock(e["start"]), e.get("text") or "") for e in _sections(timeline)]


def describe(timeline: dict[str, Any], title: str) -> str:
    """The picture in words: length, sections with their starts, and how
    much of it is holding, resting and guided breathing."""
    events = timeline.get("events", ())
    parts = [f"{title}: {clock(float(timeline.get('duration') or 0.0))} in all"]
    sections = chapters(timeline)
    if sections:
        parts.append("; sections " + ", ".join(f"{name} at {start}" for start, name in sections))
    for kind, word in (("hold", "holds"), ("rest", "rests")):
        spans = [e["end"] - e["start"] for e in events if e.get("kind") == kind]
        if spans:
            parts.append(f"; {len(spans)} {word if len(spans) > 1 else kind} "
                         f"({clock(sum(spans))} in all)")  # fmt: skip
    breaths = sum(1 for e in events if e.get("kind") == "breath" and e.get("phase") == "inhale")
    if breaths:
        parts.append(f"; {breaths} guided breath{'s' if breaths > 1 else ''}")
    return "".join(parts) + "."


def _sections(timeline: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in timeline.get("events", ()) if e.get("kind") == "section"]


def _breath_wave(events: Sequence[dict[str, Any]], x: Any) -> str:
    low, high = 60.0, 44.0
    points: list[str] = []
    for event in events:
        if event.get("kind") != "breath":
            continue
        phase = event.get("phase")
        start, end = x(event["start"]), x(event["end"])
        if phase == "inhale":
            points += [f"{start},{low}", f"{end},{high}"]
        elif phase == "exhale":
            points += [f"{start},{high}", f"{end},{low}"]
        else:  # a held breath: level where the last phase left it
            level = float(points[-1].split(",")[1]) if points else high
            points += [f"{start},{level}", f"{end},{level}"]
    return " ".join(points)


def _fit(text: str, chars: float) -> str:
    limit = max(int(chars), 3)
    return text if len(text) <= limit else text[: limit - 1] + "…"
