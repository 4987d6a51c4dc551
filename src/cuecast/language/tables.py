"""The phrase tables: every line cuecast says by itself, per language.

Takes nothing; gives ``TABLES`` (language -> phrase key -> text) and
``REGIONAL`` (a BCP-47 tag -> the few phrases a region says differently).
The keys are the ones a script may override under ``phrases:``; the texts
are templates whose placeholders (``{number}``, ``{n}``, ``{total}``,
``{digits}``) are filled in by ``cuecast.language.phrases``. Numbers are
never written here: num2words says them (``numbers.py``).

Reviewed as a native speaker would say them to someone lying on a mat:
short imperatives for the breath, the word a trainer uses for a set and a
rest, and nouns with their plural. English is the format's original
wording and must not change (the golden timelines hold it).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

PLACEHOLDERS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "inhale": (),
    "hold": (),
    "exhale": (),
    "halfway": (),
    "second_left": ("number",),
    "seconds_left": ("number",),
    "count": ("number",),
    "set": ("n", "total"),
    "rest": (),
    "switch": ("side",),
    "second": (),
    "seconds": (),
    "minute": (),
    "minutes": (),
    "hour": (),
    "hours": (),
    "and": (),
    "half_second": (),
    "second_and_a_half": (),
    "seconds_and_a_half": ("number",),
    "decimal_seconds": ("number", "digits"),
})  # fmt: skip
"""Each phrase key and the placeholders its text may use."""

PHRASE_KEYS = tuple(PLACEHOLDERS)

EN = {
    "inhale": "Breathe in.",
    "hold": "Hold.",
    "exhale": "And breathe out.",
    "halfway": "Halfway.",
    "second_left": "{number} second left.",
    "seconds_left": "{number} seconds left.",
    "count": "{number}.",
    "set": "Set {n} of {total}.",
    "rest": "Rest.",
    "switch": "Switch sides.",
    "second": "second",
    "seconds": "seconds",
    "minute": "minute",
    "minutes": "minutes",
    "hour": "hour",
    "hours": "hours",
    "and": "and",
    "half_second": "half a second",
    "second_and_a_half": "one and a half seconds",
    "seconds_and_a_half": "{number} and a half seconds",
    "decimal_seconds": "{number} point {digits} seconds",
}

# German: infinitives for the breath ("Einatmen.") are how German classes
# cue it, and they need neither "du" nor "Sie".
DE = {
    "inhale": "Einatmen.",
    "hold": "Halten.",
    "exhale": "Und ausatmen.",
    "halfway": "Halbzeit.",
    "second_left": "Noch {number} Sekunde.",
    "seconds_left": "Noch {number} Sekunden.",
    "count": "{number}.",
    "set": "Satz {n} von {total}.",
    "rest": "Pause.",
    "switch": "Seitenwechsel.",
    "second": "Sekunde",
    "seconds": "Sekunden",
    "minute": "Minute",
    "minutes": "Minuten",
    "hour": "Stunde",
    "hours": "Stunden",
    "and": "und",
    "half_second": "eine halbe Sekunde",
    "second_and_a_half": "eineinhalb Sekunden",
    "seconds_and_a_half": "{number}einhalb Sekunden",
    "decimal_seconds": "{number} Komma {digits} Sekunden",
}

# French: "vous", as a class is addressed.
FR = {
    "inhale": "Inspirez.",
    "hold": "Retenez.",
    "exhale": "Et expirez.",
    "halfway": "À mi-parcours.",
    "second_left": "Encore {number} seconde.",
    "seconds_left": "Encore {number} secondes.",
    "count": "{number}.",
    "set": "Série {n} sur {total}.",
    "rest": "Repos.",
    "switch": "Changez de côté.",
    "second": "seconde",
    "seconds": "secondes",
    "minute": "minute",
    "minutes": "minutes",
    "hour": "heure",
    "hours": "heures",
    "and": "et",
    "half_second": "une demi-seconde",
    "second_and_a_half": "une seconde et demie",
    "seconds_and_a_half": "{number} secondes et demie",
    "decimal_seconds": "{number} virgule {digits} secondes",
}

# Spanish: "tú", as trainers address one listener.
ES = {
    "inhale": "Inhala.",
    "hold": "Mantén.",
    "exhale": "Y exhala.",
    "halfway": "Vamos por la mitad.",
    "second_left": "Queda {number} segundo.",
    "seconds_left": "Quedan {number} segundos.",
    "count": "{number}.",
    "set": "Serie {n} de {total}.",
    "rest": "Descanso.",
    "switch": "Cambia de lado.",
    "second": "segundo",
    "seconds": "segundos",
    "minute": "minuto",
    "minutes": "minutos",
    "hour": "hora",
    "hours": "horas",
    "and": "y",
    "half_second": "medio segundo",
    "second_and_a_half": "un segundo y medio",
    "seconds_and_a_half": "{number} segundos y medio",
    "decimal_seconds": "{number} coma {digits} segundos",
}

IT = {
    "inhale": "Inspira.",
    "hold": "Trattieni.",
    "exhale": "Ed espira.",
    "halfway": "Siamo a metà.",
    "second_left": "Ancora {number} secondo.",
    "seconds_left": "Ancora {number} secondi.",
    "count": "{number}.",
    "set": "Serie {n} di {total}.",
    "rest": "Riposo.",
    "switch": "Cambia lato.",
    "second": "secondo",
    "seconds": "secondi",
    "minute": "minuto",
    "minutes": "minuti",
    "hour": "ora",
    "hours": "ore",
    "and": "e",
    "half_second": "mezzo secondo",
    "second_and_a_half": "un secondo e mezzo",
    "seconds_and_a_half": "{number} secondi e mezzo",
    "decimal_seconds": "{number} virgola {digits} secondi",
}

# Portuguese as spoken in Portugal ("tu"); Brazil's differences are in REGIONAL.
PT = {
    "inhale": "Inspira.",
    "hold": "Retém.",
    "exhale": "E expira.",
    "halfway": "Estamos a meio.",
    "second_left": "Falta {number} segundo.",
    "seconds_left": "Faltam {number} segundos.",
    "count": "{number}.",
    "set": "Série {n} de {total}.",
    "rest": "Descanso.",
    "switch": "Muda de lado.",
    "second": "segundo",
    "seconds": "segundos",
    "minute": "minuto",
    "minutes": "minutos",
    "hour": "hora",
    "hours": "horas",
    "and": "e",
    "half_second": "meio segundo",
    "second_and_a_half": "um segundo e meio",
    "seconds_and_a_half": "{number} segundos e meio",
    "decimal_seconds": "{number} vírgula {digits} segundos",
}

# Dutch: "uur" has no plural after a number (twee uur).
NL = {
    "inhale": "Adem in.",
    "hold": "Houd vast.",
    "exhale": "En adem uit.",
    "halfway": "Halverwege.",
    "second_left": "Nog {number} seconde.",
    "seconds_left": "Nog {number} seconden.",
    "count": "{number}.",
    "set": "Set {n} van {total}.",
    "rest": "Rust.",
    "switch": "Wissel van kant.",
    "second": "seconde",
    "seconds": "seconden",
    "minute": "minuut",
    "minutes": "minuten",
    "hour": "uur",
    "hours": "uur",
    "and": "en",
    "half_second": "een halve seconde",
    "second_and_a_half": "anderhalve seconde",
    "seconds_and_a_half": "{number} en een halve seconde",
    "decimal_seconds": "{number} komma {digits} seconden",
}

TABLES: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "en": EN, "de": DE, "fr": FR, "es": ES, "it": IT, "pt": PT, "nl": NL,
})  # fmt: skip
"""Built-in phrases by primary language subtag."""

REGIONAL: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        # Brazil: "você" imperatives and its own word for halfway.
        "pt-br": {
            "inhale": "Inspire.",
            "hold": "Segure.",
            "exhale": "E expire.",
            "halfway": "Estamos na metade.",
            "switch": "Troque de lado.",
        },
    }
)
"""Phrases a region says differently, over its language's table."""
