"""Sessions in the listener's language: the phrases cuecast says by itself.

Takes a script's ``language`` (a BCP-47 tag: ``de-AT`` speaks ``de``,
``pt-BR`` Brazilian Portuguese) and its ``phrases:`` overrides; gives a
``Phrases`` object whose lines (breath prompts, halfway, the seconds left,
the count, set, rest, switch) and durations are in that language, with
numbers from num2words in the form their noun needs.

Built in: en, de, fr, es, it, pt, nl. Another language works when the
script gives the phrases it uses under ``phrases:`` (numbers then come
from num2words if it knows the language, else stay digits for the voice
to read); the loader finds which with ``phrases_for(..., partial=True)``
and ``gaps``, and raises ``unsupported`` naming them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

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
    "gaps",
    "phrases_for",
    "primary",
    "unsupported",
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


def phrases_for(
    tag: str, overrides: Mapping[str, str] | None = None, *, partial: bool = False
) -> Phrases:
    """The phrases for the BCP-47 ``tag``, with ``overrides`` on top.

    For a language with no built-in phrases, ``overrides`` must give them
    all (else ``LanguageError``), or with ``partial`` the missing ones are
    gaps (``gaps``) for the caller to find in what it builds and report.
    """
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
    if missing and not partial:
        raise unsupported(tag, missing)
    table = {**{k: f"{_GAP}{k}{_GAP}" for k in missing}, **overrides}
    return Phrases(base, table, _grammar(base))


_GAP = "\x00"
_GAPS = re.compile(r"\x00(\w+)\x00")


def gaps(text: str) -> list[str]:
    """The phrase keys ``text`` was built from that its language lacks."""
    return _GAPS.findall(text)


def unsupported(tag: str, needed: Iterable[str]) -> LanguageError:
    """The error for a language without built-in phrases whose script
    lacks ``needed`` under ``phrases:``."""
    return LanguageError(
        f"cuecast has no built-in phrases for language '{tag}'; it speaks "
        f"{', '.join(SUPPORTED)} by itself",
        "Use one of those, or give the phrases this script needs under 'phrases:' "
        f"({', '.join(needed)}); see docs/script-format.md.",
    )


def _grammar(base: str) -> Grammar:
    from cuecast.language.numbers import knows

    return Grammar(base if knows(base) else "")


ENGLISH = phrases_for("en")
"""The format's own wording, the default when a script names no language."""
