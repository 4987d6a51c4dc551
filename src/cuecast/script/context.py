"""Where the loader stands while it converts nodes: file, vars in scope,
placeholders allowed, include chain, and the readers for values.

Takes YAML nodes and gives checked values (durations in seconds, counts,
text with vars filled in, absolute file paths); every problem is an
``InputError`` at the node.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import NoReturn

import yaml

from cuecast import limits
from cuecast.language import ENGLISH, Phrases
from cuecast.script.durations import (
    DURATION_EXAMPLES,
    DurationError,
    duration_words,
    parse_duration,
)
from cuecast.script.files import MAX_COVER_BYTES, is_cover_image, probe_audio, resolve
from cuecast.script.model import Defaults, Step
from cuecast.script.vars import NAME, Var, VarError, number_text, parse_number, substitute
from cuecast.script.yamlnodes import Reader, did_you_mean

MAX_COUNT = limits.MAX_COUNT
MAX_TEXT_CHARS = limits.MAX_TEXT_CHARS
MAX_INCLUDE_DEPTH = limits.MAX_INCLUDE_DEPTH
MAX_STEP_DEPTH = limits.MAX_STEP_DEPTH


@dataclass
class Session:
    """What the whole load shares, across included files."""

    root_dir: str
    allow_outside: bool
    overrides: dict[str, tuple[str, str, yaml.Node | None, Reader | None]]
    """Var name -> (raw value, origin, node, reader) from the profile and ``--set``."""
    visits: list[int] = field(default_factory=lambda: [0])
    defined: dict[str, Var] = field(default_factory=dict)
    """Every var any file defines (first definition), for the final checks."""
    probed: dict[str, bool] = field(default_factory=dict)
    include_steps: Callable[[Ctx, yaml.Node], tuple[Step, ...]] | None = None
    """Reads an included file's steps (``load.include_steps``): the loader
    hands it down so the step builders need not import the loader."""


@dataclass(frozen=True)
class Ctx:
    session: Session
    reader: Reader
    dir: str
    """Folder that relative paths in this file start from."""
    env: Mapping[str, Var]
    defaults: Defaults = Defaults()
    phrases: Phrases = ENGLISH
    """The script's language: its built-in lines and how ``{var}`` is said."""
    placeholders: frozenset[str] = frozenset()
    chain: tuple[str, ...] = ()
    """Real paths of the files being included, outermost first."""
    depth: int = 0

    @property
    def file(self) -> str:
        return self.reader.file

    def with_(self, **changes: object) -> Ctx:
        return replace(self, **changes)  # type: ignore[arg-type]

    def fail(self, node: yaml.Node | None, message: str, hint: str | None = None) -> NoReturn:
        self.reader.fail(node, message, hint)

    def include(self, node: yaml.Node) -> tuple[Step, ...]:
        """The steps of the routine file ``node`` names, seeing this context's vars."""
        if self.session.include_steps is None:
            self.fail(node, "include is not allowed here")
        return self.session.include_steps(self, node)

    def var(self, node: yaml.Node, raw: str, what: str) -> Var:
        name = raw[1:]
        if not NAME.match(name):
            self.fail(node, f"{what}: '{raw}' is not a var reference; write $name")
        if name not in self.env:
            hint = did_you_mean(name, self.env) or "Define it under 'vars:'."
            self.fail(node, f"{what} uses unknown var '${name}'", hint)
        return self.env[name]

    def duration(
        self, node: yaml.Node, what: str, *, zero_ok: bool = False, raw: str | None = None
    ) -> float:
        """Seconds, > 0 (or >= 0 with ``zero_ok``); ``$name`` allowed.
        ``raw`` is the text to read when it is only part of the node."""
        if raw is None:
            raw = self.reader.scalar(node, what)
        raw = raw.strip()
        if raw.startswith("$"):
            seconds = self._var_seconds(node, self.var(node, raw, what), what)
            shown = f"{raw} ({_origin(self.env[raw[1:]])})"
        else:
            seconds = self._parse_seconds(node, raw, what, zero_ok)
            shown = f"'{raw}'"
        if seconds < 0 or (seconds == 0 and not zero_ok):
            bound = "zero or more" if zero_ok else "longer than zero"
            self.fail(node, f"{what} must be {bound}; it is {shown}")
        return seconds

    def _parse_seconds(self, node: yaml.Node, raw: str, what: str, zero_ok: bool) -> float:
        if raw.startswith("-") and raw[1:].strip():
            bound = "zero or more" if zero_ok else "longer than zero"
            self.fail(node, f"{what} must be {bound}; it is '{raw}'")
        try:
            return parse_duration(raw)
        except DurationError as e:
            self.fail(node, f"{what} must be a duration {DURATION_EXAMPLES}; {e}")

    def _var_seconds(self, node: yaml.Node, var: Var, what: str) -> float:
        if var.kind in ("duration", "number"):
            return float(var.value)
        self.fail(
            node,
            f"{what} needs a duration, but ${var.name} is text ('{var.value}', {_origin(var)})",
        )

    def count(self, node: yaml.Node, what: str, *, minimum: int = 1) -> int:
        """A whole number from ``minimum`` to ``MAX_COUNT``; ``$name`` allowed."""
        raw = self.reader.scalar(node, what).strip()
        if raw.startswith("$"):
            var = self.var(node, raw, what)
            value = var.value if var.kind == "number" else None
            shown = f"{raw}, which is {_shown(var)} ({_origin(var)})"
        else:
            value = _plain_int(raw)
            shown = f"'{raw}'"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or not minimum <= value <= MAX_COUNT:
            self.fail(
                node,
                f"{what} must be a whole number from {minimum} to {MAX_COUNT:,}; it is {shown}",
            )
        return value

    def number(self, node: yaml.Node, what: str, low: float, high: float) -> float:
        """A plain number from ``low`` to ``high`` (a number var is fine)."""
        raw = self.reader.scalar(node, what).strip()
        if raw.startswith("$"):
            var = self.var(node, raw, what)
            value = float(var.value) if var.kind == "number" else None
        else:
            value = _plain_float(raw)
        if value is None or not low <= value <= high:
            self.fail(
                node,
                f"{what} must be a number from {number_text(low)} to "
                f"{number_text(high)}; it is '{raw}'",
            )
        return value

    def text(self, node: yaml.Node, what: str, *, spoken: bool = True) -> str:
        """Text with ``{name}`` filled in; a spoken line is at most
        ``MAX_TEXT_CHARS`` long and not empty."""
        raw = self.reader.scalar(node, what)
        try:
            text = substitute(raw, self.env, self.placeholders, self.phrases)
        except VarError as e:
            self.fail(node, f"{what}: {e.message}", e.hint)
        if spoken and not text.strip():
            self.fail(node, f"{what} is empty; give it some text")
        if spoken and len(text) > MAX_TEXT_CHARS:
            self.fail(
                node,
                f"{what} is {len(text):,} characters long; one spoken line may be "
                f"at most {MAX_TEXT_CHARS:,}",
                "Split it into several 'say' steps.",
            )
        return text

    def optional_text(self, node: yaml.Node, what: str) -> str | None:
        """Text, or ``None`` for ``false``, ``none`` or an empty value."""
        if self.reader.is_null(node) or self.reader.is_bool(node):
            if self.reader.is_bool(node) and self.reader.boolean(node, what):
                self.fail(node, f"{what} must be text, or false/none for nothing; not true")
            return None
        if isinstance(node, yaml.ScalarNode) and node.value.strip().lower() == "none":
            return None
        return self.text(node, what)

    def path(self, node: yaml.Node, what: str, choices: tuple[str, ...] = ()) -> str:
        """The real path of a file the script names; it must exist and lie
        inside the script's folder unless ``--allow-outside`` was given."""
        raw = self.reader.scalar(node, what)
        real, problem = resolve(raw, self.dir, self.session.root_dir, self.session.allow_outside)
        if problem == "outside":
            self.fail(
                node,
                f"{what} '{raw}' is outside the script's folder",
                "Move it next to the script, or pass --allow-outside to allow it.",
            )
        if problem == "missing":
            hint = did_you_mean(raw, choices) if choices else None
            if choices:
                built_in = ", ".join(choices)
                hint = (hint + " " if hint else "") + f"Built-in names: {built_in}."
            self.fail(node, f"{what}: no file '{raw}' (looked in {os.path.dirname(real)})", hint)
        if problem == "folder":
            self.fail(node, f"{what} '{raw}' is a folder, not a file")
        if problem == "special":
            self.fail(node, f"{what} '{raw}' is not a regular file (a pipe, device or socket)")
        return real

    def audio_path(self, node: yaml.Node, what: str, choices: tuple[str, ...]) -> str:
        real = self.path(node, what, choices)
        probed = self.session.probed
        if real not in probed:
            probed[real] = probe_audio(real)
        if not probed[real]:
            self.fail(
                node,
                f"{what} '{node.value}' is not an audio file ffmpeg can decode",
                "Use a WAV, MP3, OGG or FLAC file.",
            )
        return real

    def image_path(self, node: yaml.Node, what: str) -> str:
        real = self.path(node, what)
        if not is_cover_image(real):
            self.fail(
                node,
                f"{what} '{node.value}' is not a PNG or JPEG image of at most "
                f"{MAX_COVER_BYTES // 1_000_000} MB",
            )
        return real


def _plain_int(raw: str) -> int | None:
    digits = raw.removeprefix("+")
    if digits.lstrip("-").isdigit():
        return int(digits)
    return None


def _plain_float(raw: str) -> float | None:
    value = parse_number(raw)
    return None if value is None else float(value)


def _shown(var: Var) -> str:
    if var.kind == "number":
        return number_text(var.value)  # type: ignore[arg-type]
    if var.kind == "duration":
        return f"a duration ({duration_words(float(var.value))})"
    return f"text ('{var.value}')"


def _origin(var: Var) -> str:
    return var.origin
