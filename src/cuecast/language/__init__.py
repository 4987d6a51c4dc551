"""Sessions in the listener's language: the phrases cuecast says by itself.

Takes a script's ``language`` (a BCP-47 tag: ``de-AT`` speaks ``de``,
``pt-BR`` Brazilian Portuguese) and its ``phrases:`` overrides; gives a
``Phrases`` object whose lines (breath prompts, halfway, the seconds left,
the count, set, rest, switch) and durations are in that language, with
numbers from num2words in the form their noun needs.

Built in: en, de, fr, es, it, pt, nl. Another language works when the
script gives every phrase under ``phrases:`` (numbers then come from
num2words if it knows the language, else stay digits for the voice to
read); ``phrases_for`` raises ``LanguageError`` naming what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping

from cuecast.language.phrases import GRAMMARS, Grammar, Phrases
from cuecast.language.tables import PHRASE_KEYS, PLACEHOLDERS, REGIONAL, TABLES

SUPPORTED = tuple(TABLES)
"""Languages with built-in phrases (primary subtags)."""

__all__ = [
    "ENGLISH",
    "PHRASE_KEYS",
    "PLACEHOLDERS",
    "SUPPORTED",
    "LanguageError",
    "Phrases",
    "phrases_for",
    "primary",
]


class LanguageError(ValueError):
    """A language cuecast cannot speak; the loader adds the position."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def primary(tag: str) -> str:
    """The primary subtag, lower-case: ``de-AT`` -> ``de``."""
    return tag.strip().replace("_", "-").split("-")[0].lower()


def _regional(tag: str) -> str | None:
    """The regional table a tag picks (``pt-BR`` -> ``pt-br``), if any."""
    parts = tag.strip().replace("_", "-").lower().split("-")
    for size in range(len(parts), 1, -1):
        key = "-".join(parts[:size])
        if key in REGIONAL:
            return key
    return None


def phrases_for(tag: str, overrides: Mapping[str, str] | None = None) -> Phrases:
    """The phrases for the BCP-47 ``tag``, with ``overrides`` on top;
    raises ``LanguageError`` for a language with no built-in phrases
    unless ``overrides`` gives them all."""
    overrides = dict(overrides or {})
    unknown = [k for k in overrides if k not in PLACEHOLDERS]
    if unknown:
        raise LanguageError(f"unknown phrase key {unknown[0]!r}")
    base = primary(tag)
    region = _regional(tag)
    if base in TABLES:
        table = {**TABLES[base], **(REGIONAL[region] if region else {}), **overrides}
        grammar = GRAMMARS.get(region or base, GRAMMARS[base])
        return Phrases(region or base, table, grammar)
    missing = [k for k in PHRASE_KEYS if k not in overrides]
    if missing:
        raise LanguageError(
            f"cuecast has no built-in phrases for language '{tag}'; it speaks "
            f"{', '.join(SUPPORTED)} by itself",
            "Use one of those, or give every phrase under 'phrases:' "
            f"(missing: {', '.join(missing)}); see docs/script-format.md.",
        )
    return Phrases(base, overrides, _grammar(base))


def _grammar(base: str) -> Grammar:
    from cuecast.language.numbers import knows

    return Grammar(base if knows(base) else "")


ENGLISH = phrases_for("en")
"""The format's own wording, the default when a script names no language."""
