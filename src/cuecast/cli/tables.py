"""Plain-text tables for the terminal: aligned columns, widths from what
is shown, no trailing spaces. Used by ``voices`` and ``plan --vars``."""

from __future__ import annotations

from collections.abc import Sequence

from cuecast.script import VarInfo
from cuecast.script.vars import compact_duration, number_text


def columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """``header`` and ``rows`` as aligned lines; the last column is not padded."""
    cells = [tuple(header), *(tuple(r) for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    lines = []
    for row in cells:
        padded = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return lines


def vars_table(infos: Sequence[VarInfo]) -> list[str]:
    """A script's vars: name, label, value, bounds, and what each profile sets."""
    profiles = sorted({p for info in infos for p in info.profiles})
    header = ["VAR", "LABEL", "VALUE", "BOUNDS", *(p.upper() for p in profiles)]
    rows = [
        [info.name, info.label or "", info.value, bounds_text(info),
         *(info.profiles.get(p, "") for p in profiles)]
        for info in infos
    ]  # fmt: skip
    if not profiles:
        header.append("")  # so BOUNDS is padded like the rest and the line stays tidy
        rows = [[*row, ""] for row in rows]
    return columns(header, rows)


def bounds_text(info: VarInfo) -> str:
    """``20s to 3m``, ``at least 1``, ``at most 5`` or empty."""

    def shown(value: float) -> str:
        return compact_duration(value) if info.kind == "duration" else number_text(value)

    if info.min is not None and info.max is not None:
        return f"{shown(info.min)} to {shown(info.max)}"
    if info.min is not None:
        return f"at least {shown(info.min)}"
    return f"at most {shown(info.max)}" if info.max is not None else ""
