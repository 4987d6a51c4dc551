"""Sessions in the listener's language: every line cuecast says by itself,
every number and every duration, checked against tables written here by
hand (as a native speaker says them), never against the code's own tables."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from cuecast.errors import InputError
from cuecast.language import SUPPORTED, phrases_for
from cuecast.script import load
from tests.golden_cases import fake_plan

ROUTINE = """\
title: T
language: {language}
vars: {{a: 1s, b: 1m, c: 90s, d: 2m15s, e: 1h5m}}
steps:
  - say: "{{a}}; {{b}}; {{c}}; {{d}}; {{e}}."
  - breathe: 4-2-6
    cycles: 1
  - hold: 30s
  - repeat: 2
    rest: 5s
    steps:
      - pause: 1s
  - sides: [A, B]
    steps:
      - pause: 1s
  - hold: 8s
    countdown: {{halfway: false, remaining: [1], count: 0}}
  - reps: 3
    tempo: 2s
"""
"""Breathing (with a hold phase), a 30 s hold with the default countdown
(halfway, ten seconds left, three-two-one), a repeat with a rest, sides,
"one second left" alone, reps counted aloud and five duration vars."""

EXPECTED = {
    "en": [
        "one second; one minute; ninety seconds; two minutes and fifteen seconds; "
        "one hour and five minutes.",
        "Breathe in.", "Hold.", "And breathe out.",
        "Halfway.", "Ten seconds left.", "Three.", "Two.", "One.",
        "Set 1 of 2.", "Rest.", "Set 2 of 2.", "Switch sides.", "One second left.",
    ],
    "de": [
        "eine Sekunde; eine Minute; neunzig Sekunden; zwei Minuten und fünfzehn Sekunden; "
        "eine Stunde und fünf Minuten.",
        "Einatmen.", "Halten.", "Und ausatmen.",
        "Halbzeit.", "Noch zehn Sekunden.", "Drei.", "Zwei.", "Eins.",
        "Satz 1 von 2.", "Pause.", "Satz 2 von 2.", "Seitenwechsel.", "Noch eine Sekunde.",
    ],
    "fr": [
        "une seconde; une minute; quatre-vingt-dix secondes; deux minutes et quinze secondes; "
        "une heure et cinq minutes.",
        "Inspirez.", "Retenez.", "Et expirez.",
        "À mi-parcours.", "Encore dix secondes.", "Trois.", "Deux.", "Un.",
        "Série 1 sur 2.", "Repos.", "Série 2 sur 2.", "Changez de côté.", "Encore une seconde.",
    ],
    "es": [
        "un segundo; un minuto; noventa segundos; dos minutos y quince segundos; "
        "una hora y cinco minutos.",
        "Inhala.", "Mantén.", "Y exhala.",
        "Vamos por la mitad.", "Quedan diez segundos.", "Tres.", "Dos.", "Uno.",
        "Serie 1 de 2.", "Descanso.", "Serie 2 de 2.", "Cambia de lado.", "Queda un segundo.",
    ],
    "it": [
        "un secondo; un minuto; novanta secondi; due minuti e quindici secondi; "
        "un'ora e cinque minuti.",
        "Inspira.", "Trattieni.", "Ed espira.",
        "Siamo a metà.", "Ancora dieci secondi.", "Tre.", "Due.", "Uno.",
        "Serie 1 di 2.", "Riposo.", "Serie 2 di 2.", "Cambia lato.", "Ancora un secondo.",
    ],
    "pt": [
        "um segundo; um minuto; noventa segundos; dois minutos e quinze segundos; "
        "uma hora e cinco minutos.",
        "Inspira.", "Retém.", "E expira.",
        "Estamos a meio.", "Faltam dez segundos.", "Três.", "Dois.", "Um.",
        "Série 1 de 2.", "Descanso.", "Série 2 de 2.", "Muda de lado.", "Falta um segundo.",
    ],
    "pt-BR": [
        "um segundo; um minuto; noventa segundos; dois minutos e quinze segundos; "
        "uma hora e cinco minutos.",
        "Inspire.", "Segure.", "E expire.",
        "Estamos na metade.", "Faltam dez segundos.", "Três.", "Dois.", "Um.",
        "Série 1 de 2.", "Descanso.", "Série 2 de 2.", "Troque de lado.", "Falta um segundo.",
    ],
    "nl": [
        "één seconde; één minuut; negentig seconden; twee minuten en vijftien seconden; "
        "één uur en vijf minuten.",
        "Adem in.", "Houd vast.", "En adem uit.",
        "Halverwege.", "Nog tien seconden.", "Drie.", "Twee.", "Eén.",
        "Set 1 van 2.", "Rust.", "Set 2 van 2.", "Wissel van kant.", "Nog één seconde.",
    ],
}  # fmt: skip
"""The distinct lines of ROUTINE in order of first use, per language."""

ENGLISH_WORDS = {
    "breathe", "hold", "halfway", "second", "seconds", "minute", "minutes", "hour", "hours",
    "left", "set", "of", "rest", "switch", "sides", "one", "two", "three", "ten", "ninety",
    "fifteen", "five", "and", "half", "point",
}  # fmt: skip
"""Words of the English built-in lines (a word shared by a language, like
Dutch "set" or French "minute", is allowed there)."""
OWN_WORDS = {"nl": {"set"}, "de": {"minute"}, "fr": {"minute", "minutes"}}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routine.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def spoken_lines(path: Path) -> list[str]:
    """Distinct speech texts of the planned timeline, in order."""
    seen: dict[str, None] = {}
    for event in fake_plan(path).events:
        if event.kind == "speech":
            seen.setdefault(event.text or "", None)
    return list(seen)


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_every_built_in_line_is_in_the_script_language(tmp_path: Path, language: str) -> None:
    lines = spoken_lines(write(tmp_path, ROUTINE.format(language=language)))
    assert lines == EXPECTED[language]
    if language != "en":
        allowed = OWN_WORDS.get(language.split("-")[0], set())
        words = {w.lower() for line in lines for w in re.findall(r"[^\W\d_]+", line)}
        assert not (words & ENGLISH_WORDS) - allowed


def test_every_supported_language_is_tested() -> None:
    assert set(SUPPORTED) <= set(EXPECTED)
    assert set(SUPPORTED) >= {"en", "de", "fr", "es", "it", "pt", "nl"}


DURATIONS = {
    # 1 s, 1 min, 90 s, 2 min 15 s, 1 h 5 min
    "en": ["one second", "one minute", "ninety seconds", "two minutes and fifteen seconds",
           "one hour and five minutes"],
    "de": ["eine Sekunde", "eine Minute", "neunzig Sekunden",
           "zwei Minuten und fünfzehn Sekunden", "eine Stunde und fünf Minuten"],
    "fr": ["une seconde", "une minute", "quatre-vingt-dix secondes",
           "deux minutes et quinze secondes", "une heure et cinq minutes"],
    "es": ["un segundo", "un minuto", "noventa segundos", "dos minutos y quince segundos",
           "una hora y cinco minutos"],
    "it": ["un secondo", "un minuto", "novanta secondi", "due minuti e quindici secondi",
           "un'ora e cinque minuti"],
    "pt": ["um segundo", "um minuto", "noventa segundos", "dois minutos e quinze segundos",
           "uma hora e cinco minutos"],
    "nl": ["één seconde", "één minuut", "negentig seconden", "twee minuten en vijftien seconden",
           "één uur en vijf minuten"],
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(DURATIONS))
def test_the_five_durations(language: str) -> None:
    phrases = phrases_for(language)
    said = [phrases.duration(s) for s in (1, 60, 90, 135, 3900)]
    assert said == DURATIONS[language]


@pytest.mark.parametrize(
    ("language", "seconds", "words"),
    [
        # plurals and the number's gender before the noun
        ("de", 2, "zwei Sekunden"), ("de", 7200, "zwei Stunden"),
        ("de", 21 * 60, "einundzwanzig Minuten"),
        ("de", 3661, "eine Stunde, eine Minute und eine Sekunde"),
        ("fr", 21 * 60, "vingt et une minutes"),
        ("fr", 81 * 60, "une heure et vingt et une minutes"),
        ("fr", 0, "zéro seconde"), ("fr", 7200, "deux heures"),
        ("es", 21 * 60, "veintiún minutos"), ("es", 21 * 3600, "veintiuna horas"),
        ("es", 7200, "dos horas"), ("es", 31, "treinta y un segundos"),
        ("it", 7200, "due ore"), ("it", 3601, "un'ora e un secondo"),
        ("pt", 7200, "duas horas"), ("pt", 22 * 3600, "vinte e duas horas"),
        ("pt", 21 * 3600, "vinte e uma horas"), ("pt", 16, "dezasseis segundos"),
        ("pt-BR", 16, "dezesseis segundos"),
        ("nl", 7200, "twee uur"), ("nl", 120, "twee minuten"),
        # halves and other fractions
        ("en", 0.5, "half a second"), ("en", 2.5, "two and a half seconds"),
        ("de", 0.5, "eine halbe Sekunde"), ("de", 1.5, "eineinhalb Sekunden"),
        ("de", 2.5, "zweieinhalb Sekunden"), ("de", 2.25, "zwei Komma zwei fünf Sekunden"),
        ("fr", 0.5, "une demi-seconde"), ("fr", 1.5, "une seconde et demie"),
        ("fr", 2.5, "deux secondes et demie"),
        ("es", 0.5, "medio segundo"), ("es", 1.5, "un segundo y medio"),
        ("es", 2.5, "dos segundos y medio"),
        ("it", 0.5, "mezzo secondo"), ("it", 2.5, "due secondi e mezzo"),
        ("pt", 0.5, "meio segundo"), ("pt", 2.5, "dois segundos e meio"),
        ("nl", 0.5, "een halve seconde"), ("nl", 1.5, "anderhalve seconde"),
        ("nl", 2.5, "twee en een halve seconde"),
    ],
)  # fmt: skip
def test_grammar_of_durations(language: str, seconds: float, words: str) -> None:
    assert phrases_for(language).duration(seconds) == words


@pytest.mark.parametrize(
    ("language", "n", "line"),
    [("de", 1, "Eins."), ("fr", 1, "Un."), ("es", 1, "Uno."), ("it", 1, "Uno."),
     ("pt", 2, "Dois."), ("nl", 1, "Eén."), ("de", 21, "Einundzwanzig."),
     ("fr", 21, "Vingt et un."), ("es", 21, "Veintiuno."), ("en", 10000, "10000.")],
)  # fmt: skip
def test_counting_aloud(language: str, n: int, line: str) -> None:
    assert phrases_for(language).count(n) == line


def test_a_regional_tag_speaks_its_language(tmp_path: Path) -> None:
    for tag in ("de-AT", "de-CH", "DE", "de_DE"):
        path = write(tmp_path, ROUTINE.format(language=tag).replace("de_DE", "de-DE"))
        assert spoken_lines(path) == EXPECTED["de"]
    assert phrases_for("pt-BR-x-foo").text("inhale") == "Inspire."
    assert phrases_for("en-GB").text("halfway") == "Halfway."


def test_number_vars_use_the_language_decimal_mark(tmp_path: Path) -> None:
    text = "title: T\nlanguage: de\nvars: {w: 2.5, k: 3}\nsteps:\n  - say: '{w} kg, {k} Mal.'\n"
    assert spoken_lines(write(tmp_path, text)) == ["2,5 kg, 3 Mal."]


def test_phrases_override_the_built_in_ones(tmp_path: Path) -> None:
    text = ROUTINE.format(language="de") + (
        "phrases:\n"
        "  halfway: Die Hälfte ist geschafft.\n"
        "  seconds_left: Noch {number} Sekunden, durchhalten.\n"
        "  set: Runde {n}.\n"
        "  minutes: Minütchen\n"
    )
    lines = spoken_lines(write(tmp_path, text))
    assert "Die Hälfte ist geschafft." in lines
    assert "Noch zehn Sekunden, durchhalten." in lines
    assert "Runde 1." in lines and "Satz 1 von 2." not in lines
    assert lines[0].endswith(
        "zwei Minütchen und fünfzehn Sekunden; eine Stunde und fünf Minütchen."
    )


def test_an_unknown_phrase_key_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = "title: T\nlanguage: de\nphrases:\n  halfwya: Halb.\nsteps:\n  - say: Hallo.\n"
    with pytest.raises(InputError) as info:
        load(write(tmp_path, text))
    e = info.value
    assert (e.line, e.column) == (4, 3)
    assert "unknown key 'halfwya' in phrases" in e.message
    assert "Did you mean 'halfway'?" in (e.hint or "")


def test_a_phrase_may_use_only_its_placeholders(tmp_path: Path) -> None:
    text = "title: T\nphrases:\n  rest: Rest for {n}.\nsteps:\n  - say: Hi.\n"
    with pytest.raises(InputError) as info:
        load(write(tmp_path, text))
    assert info.value.line == 3
    assert "the phrase 'rest' cannot use '{n}'; it may use no placeholders" in info.value.message


def test_an_unsupported_language_names_the_supported_ones_and_the_phrases_needed(
    tmp_path: Path,
) -> None:
    text = textwrap.dedent("""\
        title: T
        language: ja
        vars: {d: 90s}
        phrases: {halfway: 半分。}
        steps:
          - say: "{d}"
          - hold: 30s
          - breathe: 4-6
            cycles: 2
        """)
    with pytest.raises(InputError) as info:
        load(write(tmp_path, text))
    e = info.value
    assert (e.line, e.column) == (2, 11)
    assert "no built-in phrases for language 'ja'" in e.message
    assert "en, de, fr, es, it, pt, nl" in e.message
    # what this script would say, less what it gave: no 'hold' (4-6 has no
    # hold phase), no 'halfway' (given), no minutes
    assert "(inhale, exhale, seconds_left, count, seconds)" in (e.hint or "")


def test_another_language_needs_only_the_phrases_it_uses(tmp_path: Path) -> None:
    only_text = "title: T\nlanguage: ja\nsteps:\n  - say: こんにちは。\n"
    assert spoken_lines(write(tmp_path, only_text)) == ["こんにちは。"]
    own = {
        "halfway": "Połowa.", "seconds_left": "Jeszcze {number} sekund.", "count": "{number}.",
        "seconds": "sekund",
    }  # fmt: skip
    body = "\n".join(f"  {k}: '{v}'" for k, v in own.items())
    text = (
        f"title: T\nlanguage: pl\nvars: {{d: 30s}}\nphrases:\n{body}\n"
        "steps:\n  - say: '{d}.'\n  - hold: $d\n"
    )
    lines = spoken_lines(write(tmp_path, text))
    # num2words knows Polish, so the numbers are words
    assert lines == [
        "trzydzieści sekund.", "Połowa.", "Jeszcze dziesięć sekund.", "Trzy.", "Dwa.", "Jeden."
    ]  # fmt: skip


def test_the_german_example_is_german(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    path = root / "scripts" / "rueckenroutine.yaml"
    lines = spoken_lines(path)
    for line in ("Einatmen.", "Und ausatmen.", "Halbzeit.", "Noch zehn Sekunden.", "Drei.",
                 "Zwei.", "Eins.", "Satz 1 von 2.", "Pause.", "Seitenwechsel."):  # fmt: skip
        assert line in lines
    assert any("jede Seite dreißig Sekunden lang" in line for line in lines)
    assert any("fünfzehn Sekunden Pause" in line for line in lines)
    words = {w.lower() for line in lines for w in re.findall(r"[^\W\d_]+", line)}
    assert not words & ENGLISH_WORDS


def test_the_german_example_validates_and_a_script_with_phrases_pickles(tmp_path: Path) -> None:
    """Editors check ``phrases:`` with the JSON Schema; a batch sends a loaded
    script to other processes."""
    import pickle

    import yaml

    from cuecast.script import schema

    jsonschema = pytest.importorskip("jsonschema")
    root = Path(__file__).resolve().parent.parent
    example = root / "scripts" / "rueckenroutine.yaml"
    jsonschema.validate(yaml.safe_load(example.read_text(encoding="utf-8")), schema())
    text = ROUTINE.format(language="fr") + "phrases:\n  rest: Respirez.\n"
    jsonschema.validate(yaml.safe_load(text), schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text + "  halfwya: x\n"), schema())
    script = load(write(tmp_path, text))
    assert pickle.loads(pickle.dumps(script)).phrases == script.phrases
