"""What a script lets its listener change: its vars, described.

Takes a routine file (and the profile, ``--set`` values and
``allow_outside`` a render would use) and gives one ``VarInfo`` per var any
of its files declares, in declaration order: kind, value, label, bounds,
where it is declared and what each profile sets it to. The page's inputs,
``cuecast plan --vars`` and catalogue tools are built on this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Literal

from cuecast.script.load import Loaded, ScriptSource, load_with_vars
from cuecast.script.vars import Var

VarKind = Literal["duration", "number", "text"]


@dataclass(frozen=True)
class VarInfo:
    """One var of a script, after the profile and ``--set``."""

    name: str
    kind: VarKind
    value: str
    """As written: the default, or the chosen profile's or ``--set``'s text ("1m", "3")."""
    seconds: float | None
    """The value in seconds, for a duration var."""
    number: float | None
    """The value, for a number var."""
    label: str | None
    min: float | None
    """The declared lower bound in the var's unit (seconds for a duration)."""
    max: float | None
    """The declared upper bound in the var's unit (seconds for a duration)."""
    line: int | None
    column: int | None
    file: str
    """Where the var is declared (its name), 1-based; in a script given as
    a mapping there is no line or column, and ``key`` says where."""
    profiles: Mapping[str, str] = field(default_factory=dict)
    """Profile name -> the value that profile gives this var, as written."""

    key: str | None = None
    """In a script given as a mapping: where the var is (``vars.hold``)."""

    def to_json(self) -> dict[str, object]:
        """The fields as plain JSON values (``cuecast plan --vars --json``;
        ``key`` only for a mapping's var)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["profiles"] = dict(self.profiles)
        if self.key is None:
            del out["key"]
        return out

    @property
    def display_label(self) -> str:
        """The label if there is one, else the name with spaces."""
        return self.label or self.name.replace("_", " ")


def describe_vars(
    path: ScriptSource,
    *,
    profile: str | None = None,
    sets: Mapping[str, object] | None = None,
    allow_outside: bool = False,
) -> tuple[VarInfo, ...]:
    """The vars of the script at ``path``, loaded (and checked) as a render
    would load it; raises ``InputError`` as ``load`` does."""
    return described(load_with_vars(path, profile=profile, sets=sets, allow_outside=allow_outside))


def described(loaded: Loaded) -> tuple[VarInfo, ...]:
    """``describe_vars`` of a script loaded already (``load_with_vars``):
    a caller that renders it too reads it once."""
    return tuple(_info(var, loaded.profiles) for var in loaded.vars.values())


def _info(var: Var, profiles: Mapping[str, Mapping[str, str]]) -> VarInfo:
    by_profile = {
        name: entries[var.name] for name, entries in profiles.items() if var.name in entries
    }
    return VarInfo(
        name=var.name,
        kind=var.kind,  # type: ignore[arg-type]
        value=var.text,
        seconds=float(var.value) if var.kind == "duration" else None,
        number=float(var.value) if var.kind == "number" else None,
        label=var.label,
        min=var.low,
        max=var.high,
        line=var.line,
        column=var.column,
        file=var.file,
        profiles=MappingProxyType(by_profile),
        key=var.key,
    )
