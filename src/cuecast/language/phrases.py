"""A language's phrases: the object the loader and the planner ask for
every line cuecast says by itself.

Takes a phrase table (``tables.py``, with a script's ``phrases:`` on top)
and the language's grammar (noun genders, plural rule, decimal mark, the
num2words code); gives finished lines: ``count(3) == "Drei."``,
``seconds_left(10) == "Noch zehn Sekunden."``, ``duration(135) == "zwei
Minuten und fünfzehn Sekunden"``.

How a duration is said, in every language: under a minute, or under two
minutes and not a whole minute, in seconds ("ninety seconds": what a
trainer says for a 90 s hold); else hours, minutes and seconds joined
with the language's "and"; half a second as the language says halves
("zweieinhalb Sekunden", "deux secondes et demie"); other fractions digit
by digit after the decimal word ("zwei Komma zwei fünf Sekunden").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cuecast.language import numbers
from cuecast.language.numbers import Gender


@dataclass(frozen=True)
class Grammar:
    """What a language's numbers and nouns need beyond the phrase table."""

    numbers: str
    """The num2words language code ("" when num2words has none: digits)."""
    second: Gender = "n"
    minute: Gender = "n"
    hour: Gender = "n"
    zero_is_singular: bool = False
    """French says "zéro seconde"."""
    decimal_mark: str = ","


GRAMMARS: Mapping[str, Grammar] = MappingProxyType({
    "en": Grammar("en", decimal_mark="."),
    "de": Grammar("de", "f", "f", "f"),
    "fr": Grammar("fr", "f", "f", "f", zero_is_singular=True),
    "es": Grammar("es", "m", "m", "f"),
    "it": Grammar("it", "m", "m", "f"),
    "pt": Grammar("pt", "m", "m", "f"),
    "pt-br": Grammar("pt_BR", "m", "m", "f"),
    "nl": Grammar("nl"),
})  # fmt: skip


@dataclass(frozen=True)
class Phrases:
    """The phrases of one language (``language`` is the table's tag, like
    ``de`` or ``pt-br``), with any the script overrides."""

    language: str
    table: Mapping[str, str]
    """A plain dict (a Script crosses process boundaries, so it must pickle)."""
    grammar: Grammar

    def text(self, key: str) -> str:
        return self.table[key]

    # -- lines the planner and the loader use --------------------------------

    @property
    def prompts(self) -> tuple[str, str, str]:
        """The breath prompts: inhale, hold, exhale."""
        return self.text("inhale"), self.text("hold"), self.text("exhale")

    def count(self, n: int) -> str:
        """A counted number as a line: "Three.", "Drei.", "Eén."."""
        return self._line("count", number=self.number(n))

    def seconds_left(self, seconds: float) -> str:
        """ "Ten seconds left.", "Noch zehn Sekunden.", "Queda un segundo."."""
        if seconds == int(seconds):
            n = int(seconds)
            key = "second_left" if self._singular(n) else "seconds_left"
            return self._line(key, number=self._before(n, self.grammar.second))
        # "2.5", as cuecast has always written a fractional remainder
        shown = f"{seconds:g}".replace(".", self.grammar.decimal_mark)
        return self._line("seconds_left", number=shown)

    def number(self, n: int) -> str:
        """``n`` in words as counted aloud (digits past 9999)."""
        return numbers.cardinal(n, self.grammar.numbers)

    def digits(self, value: float) -> str:
        """A number in digits with the language's decimal mark ("2,5")."""
        if float(value).is_integer():
            return str(int(value))
        return f"{value:f}".rstrip("0").rstrip(".").replace(".", self.grammar.decimal_mark)

    def duration(self, seconds: float) -> str:
        """How a narrator says a duration (see the module's docstring)."""
        seconds = round(seconds * 100) / 100  # hundredths are as fine as speech goes
        whole = int(seconds)
        if seconds < 60 or (seconds < 120 and whole % 60 != 0):
            return self._seconds(seconds)
        hours, rem = divmod(whole, 3600)
        minutes, secs = divmod(rem, 60)
        parts = [
            self._amount(hours, "hour", self.grammar.hour) if hours else "",
            self._amount(minutes, "minute", self.grammar.minute) if minutes else "",
        ]
        parts = [p for p in parts if p]
        frac = seconds - whole
        if secs or frac:
            parts.append(self._seconds(secs + frac))
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + f" {self.text('and')} " + parts[-1]

    # -- pieces -----------------------------------------------------------------

    def _line(self, key: str, **values: str) -> str:
        return numbers.capitalized(self._fill(self.text(key), values))

    @staticmethod
    def _fill(template: str, values: Mapping[str, str]) -> str:
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template

    def _singular(self, n: int) -> bool:
        return n == 1 or (n == 0 and self.grammar.zero_is_singular)

    def _before(self, n: int, gender: Gender) -> str:
        return numbers.before_noun(n, self.grammar.numbers, gender)

    def _amount(self, n: int, unit: str, gender: Gender) -> str:
        noun = self.text(unit if self._singular(n) else unit + "s")
        return numbers.attach(self._before(n, gender), noun, self.grammar.numbers)

    def _seconds(self, seconds: float) -> str:
        whole = int(seconds)
        frac = round(seconds - whole, 2)
        if frac == 0:
            return self._amount(whole, "second", self.grammar.second)
        if frac == 0.5:
            if whole == 0:
                return self.text("half_second")
            if whole == 1:
                return self.text("second_and_a_half")
            number = self._before(whole, self.grammar.second)
            return self._fill(self.text("seconds_and_a_half"), {"number": number})
        decimals = f"{frac:.2f}"[2:].rstrip("0")
        spoken = " ".join(self.number(int(d)) for d in decimals)
        return self._fill(
            self.text("decimal_seconds"), {"number": self.number(whole), "digits": spoken}
        )
