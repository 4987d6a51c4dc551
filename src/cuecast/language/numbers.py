"""Numbers as words, through num2words, in the form a noun needs.

Takes a whole number, a language and (for a number before a noun) the
noun's gender; gives the words: ``cardinal(1, "de") == "eins"`` when
counting, ``before_noun(1, "de", "f") == "eine"`` before "Minute". The
number words themselves are num2words'; what is written here is only the
grammar num2words leaves out: the form of "one" (and Portuguese "two")
before a feminine or masculine noun, Spanish "un"/"veintiún", Italian
elision ("un'ora") and Dutch capitals ("Eén").
"""

from __future__ import annotations

import functools
import re

from num2words import CONVERTER_CLASSES, num2words

MAX_WORDS = 9999
"""Larger numbers stay digits: a voice reads them in its own language."""

Gender = str
"""``"m"``, ``"f"`` or ``"n"``."""


def knows(language: str) -> bool:
    """True if num2words has number words for this num2words code."""
    return language in CONVERTER_CLASSES


@functools.lru_cache(maxsize=4096)
def cardinal(n: int, language: str) -> str:
    """``n`` as counted aloud ("three", "drei", "trois"); digits past
    ``MAX_WORDS``, below zero, or for a language num2words does not know."""
    if n < 0 or n > MAX_WORDS or not knows(language):
        return str(n)
    words = num2words(n, lang=language)
    if language == "en":
        # num2words writes "one thousand, one hundred"; the narrator reads
        # it without the pause a comma makes (and cuecast always has).
        words = words.replace(",", "")
    return words


def before_noun(n: int, language: str, gender: Gender) -> str:
    """``n`` as it stands before a noun of ``gender`` ("eine Minute",
    "une heure", "un minuto", "una hora", "duas horas")."""
    words = cardinal(n, language)
    base = language.split("_")[0]
    inflect = _INFLECT.get(base)
    return inflect(n, words, gender) if inflect else words


def _de(n: int, words: str, gender: Gender) -> str:
    if n == 1:
        return "eine" if gender == "f" else "ein"
    if words.endswith("eins"):  # hunderteins -> hundertein Sekunden
        return words[:-1]
    return words


def _fr(n: int, words: str, gender: Gender) -> str:
    if gender == "f":
        return re.sub(r"(^|[ -])un$", r"\1une", words)
    return words


def _es(n: int, words: str, gender: Gender) -> str:
    if gender == "f":
        return re.sub(r"uno$", "una", words)
    if words.endswith("veintiuno"):
        return words[: -len("veintiuno")] + "veintiún"
    return re.sub(r"uno$", "un", words)


def _it(n: int, words: str, gender: Gender) -> str:
    if n == 1:
        return "una" if gender == "f" else "un"
    return words


def _pt(n: int, words: str, gender: Gender) -> str:
    if gender == "f":
        words = re.sub(r"(^|[ ])um$", r"\1uma", words)
        return re.sub(r"(^|[ ])dois$", r"\1duas", words)
    return words


_INFLECT = {"de": _de, "fr": _fr, "es": _es, "it": _it, "pt": _pt}


def attach(number: str, noun: str, language: str) -> str:
    """``number noun`` as written: Italian elides "una" before a vowel
    ("un'ora")."""
    if language == "it" and number.endswith("una") and noun[:1].lower() in "aeiouàèéìòù":
        return number[:-1] + "'" + noun
    return f"{number} {noun}"


def capitalized(text: str) -> str:
    """The first letter upper-case, the rest as it is; Dutch "één" starts
    a sentence as "Eén"."""
    if text.startswith("één"):
        return "Eén" + text[3:]
    return text[:1].upper() + text[1:]
