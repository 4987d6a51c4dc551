"""Script vars: typed values from defaults, profiles and ``--set``, and
``{name}`` substitution in text.

Takes the raw text of a var's default (and of any override) and gives a
typed ``Var``: a duration (seconds), a number, or text. Takes a line of
text and the vars in scope and gives the text with ``{name}`` filled in the
way a narrator says it, leaving the planner's placeholders (``{side}``,
``{n}``, ``{total}``) in place where they are allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from cuecast.errors import InputError
from cuecast.language import ENGLISH, Phrases
from cuecast.script.durations import (
    DURATION_EXAMPLES,
    DurationError,
    duration_words,
    looks_like_duration,
    parse_duration,
)
from cuecast.script.yamlnodes import did_you_mean

PLACEHOLDERS = ("side", "n", "total")
"""Filled in by the planner; a var may not take these names."""

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NAME_HINT = "A name is letters, digits and '_', starting with a letter."
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_BRACES = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|\{")


class VarError(ValueError):
    """A var problem; the loader adds the position."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Var:
    """A resolved var. ``kind`` is ``"duration"`` (``value`` in seconds),
    ``"number"`` (int or float) or ``"text"``; ``origin`` says where the
    value came from, for messages. ``low``/``high`` are the declared
    bounds in the var's unit (seconds for a duration); ``file``/``line``/
    ``column`` are where the var is declared (its name), 1-based, or in a
    script given as a mapping ``file`` and ``key`` (``vars.hold``)."""

    name: str
    kind: str
    value: float | int | str
    origin: str
    default_text: str = ""
    text: str = ""
    """The value as written: the default, or the profile's or ``--set``'s text."""
    label: str | None = None
    low: float | None = None
    high: float | None = None
    file: str = ""
    line: int | None = None
    column: int | None = None
    key: str | None = None

    def bounds_text(self) -> str:
        """The bounds in words: ``from 20s to 3m``, ``at least 1``, or ""."""
        low = None if self.low is None else bound_text(self, self.low)
        high = None if self.high is None else bound_text(self, self.high)
        if low is not None and high is not None:
            return f"from {low} to {high}"
        if low is not None:
            return f"at least {low}"
        return f"at most {high}" if high is not None else ""


def bound_text(var: Var, value: float) -> str:
    """A bound written in the var's unit: ``3m``, ``1m30s``, ``5``."""
    return compact_duration(value) if var.kind == "duration" else number_text(value)


def compact_duration(seconds: float) -> str:
    """Seconds as a short duration a script could hold: ``1m30s``, ``2h``, ``0.5s``."""
    whole = int(seconds)
    if whole != seconds:
        return f"{number_text(seconds)}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n]
    return "".join(parts) or "0s"


def parse_number(text: str) -> int | float | None:
    """An int or a finite float written in plain digits, else ``None``."""
    t = text.strip()
    if not _NUMBER.match(t):
        return None
    if re.match(r"^[+-]?\d+$", t):
        return int(t)
    value = float(t)
    return value if math.isfinite(value) else None


def typed_var(name: str, raw: str, yaml_number: bool, origin: str) -> Var:
    """A var typed by its default: a plain YAML number is a number; text
    that reads as a duration with a unit or a colon is a duration; any
    other text is text."""
    if yaml_number and ":" not in raw:
        number = parse_number(raw)
        if number is None:
            raise VarError(f"the default of '{name}' ('{raw}') must be written in plain digits")
        return Var(name, "number", number, origin, raw, raw)
    if looks_like_duration(raw):
        try:
            seconds = parse_duration(raw)
        except DurationError as e:
            raise VarError(f"the default of '{name}': {e}") from None
        return Var(name, "duration", seconds, origin, raw, raw)
    return Var(name, "text", raw, origin, raw, raw)


def parse_bound(var: Var, raw: str, which: str) -> float:
    """A ``min``/``max`` of ``var``, in its unit (a bare number is seconds
    for a duration)."""
    if var.kind == "text":
        raise VarError(
            f"'{which}' applies only to a duration or number var; '{var.name}' is text "
            f"('{var.text}')"
        )
    value = _parsed(var, raw, f"its {which}")
    return float(value)


def check_bounds(var: Var) -> None:
    """Raise ``VarError`` if ``var``'s value lies outside its bounds; the
    message names the bound and its value."""
    if var.kind == "text":
        return
    value = float(var.value)
    if var.low is not None and value < var.low:
        which, bound = "min", var.low
    elif var.high is not None and value > var.high:
        which, bound = "max", var.high
    else:
        return
    side = "at least" if which == "min" else "at most"
    raise VarError(
        f"'{var.name}' must be {side} {bound_text(var, bound)} (its {which}); "
        f"'{var.text}' is {_value_words(var)}",
        f"The script allows '{var.name}' {var.bounds_text()}.",
    )


def _value_words(var: Var) -> str:
    if var.kind == "duration":
        return duration_words(float(var.value))
    return number_text(var.value)  # type: ignore[arg-type]


def override(var: Var, raw: str, origin: str) -> Var:
    """``var`` with the value ``raw`` from a profile or ``--set``, parsed
    as the var's kind (a bare number is fine for a duration: seconds) and
    checked against its bounds."""
    value = _parsed(var, raw, "")
    new = replace(var, value=value, origin=origin, text=raw)
    check_bounds(new)
    return new


def _parsed(var: Var, raw: str, what: str) -> float | int | str:
    """``raw`` read as ``var``'s kind; ``what`` names it in messages
    ("its max"), else the value itself is meant."""
    shown = f"{what} '{raw}'" if what else f"'{raw}'"
    if var.kind == "duration":
        try:
            return parse_duration(raw)
        except DurationError as e:
            plain = "is not a duration" in str(e)
            why = f"give one {DURATION_EXAMPLES}" if plain else str(e)
            raise VarError(
                f"'{var.name}' is a duration (its default is {var.default_text}), "
                f"so {shown} does not fit: {why}"
            ) from None
    if var.kind == "number":
        number = parse_number(raw)
        if number is None:
            raise VarError(
                f"'{var.name}' is a number (its default is {var.default_text}), "
                f"so {shown} does not fit: give a number in plain digits, "
                f"such as {var.default_text}"
            )
        return number
    return raw


def parse_set(text: str) -> tuple[str, str]:
    """``"name=value"`` from ``--set`` as ``(name, value)``."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not NAME.match(name):
        raise InputError(
            f"--set expects NAME=VALUE, like --set hold=90s; got '{text}'",
            hint=NAME_HINT if sep else None,
        )
    return name, value.strip()


def number_text(value: float | int) -> str:
    """Digits for speech: ints as ints (3, not 3.0), no exponent."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:f}".rstrip("0").rstrip(".")


def spoken(var: Var, phrases: Phrases = ENGLISH) -> str:
    """A var's value as the narrator says it in ``phrases``' language: a
    duration in words, a number in digits (with that language's decimal
    mark: the voice reads digits in its own language), text as it is."""
    if var.kind == "duration":
        return phrases.duration(float(var.value))
    if var.kind == "number":
        return phrases.digits(var.value)  # type: ignore[arg-type]
    return str(var.value)


def substitute(
    text: str, env: Mapping[str, Var], allowed: frozenset[str], phrases: Phrases = ENGLISH
) -> str:
    """``text`` with ``{name}`` filled in (in ``phrases``' language),
    ``{{``/``}}`` made single braces and the planner placeholders in
    ``allowed`` left as they are."""

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        if token == "{":
            raise VarError("a '{' with no matching '}'", "Write '{{' for a literal brace.")
        return _fill_name(match.group(1).strip(), env, allowed, phrases)

    return _BRACES.sub(fill, text)


def _fill_name(name: str, env: Mapping[str, Var], allowed: frozenset[str], phrases: Phrases) -> str:
    if name in PLACEHOLDERS:
        if name in allowed:
            return "{" + name + "}"
        where = "a 'sides' step" if name == "side" else "a 'repeat' step"
        raise VarError(f"'{{{name}}}' only has a value inside {where}")
    if name in env:
        return spoken(env[name], phrases)
    if not NAME.match(name):
        raise VarError(f"'{{{name}}}' is not a var name", "Write '{{' for a literal brace.")
    hint = did_you_mean(name, env) or _known(env)
    raise VarError(f"unknown var '{{{name}}}' in the text", hint)


def _known(env: Mapping[str, Var]) -> str:
    if not env:
        return "This script defines no vars; add them under 'vars:'."
    return "Known vars: " + ", ".join(sorted(env)) + "."
