"""engine_names.py: the engine names a script, a catalogue or --engine may use."""

from __future__ import annotations

import pytest

from cuecast.engine_names import ALIASES, BEST, ENGINE_NAMES, engine_key
from cuecast.errors import InputError
from cuecast.voices.registry import ENGINES


def test_every_name_has_an_engine_and_every_engine_a_name():
    assert set(ENGINES) == set(ENGINE_NAMES)
    assert set(ALIASES.values()) <= {*ENGINE_NAMES, BEST}


@pytest.mark.parametrize(
    ("written", "key"),
    [("pyttsx3", "pyttsx3"), ("Espeak", "pyttsx3"), (" espeak-ng ", "pyttsx3"),
     ("PIPER", "piper"), ("best", "best"), ("auto", "best")],
)
def test_names_and_aliases(written: str, key: str):
    assert engine_key(written) == key


def test_an_unknown_name_says_did_you_mean_and_lists_the_engines():
    with pytest.raises(InputError) as err:
        engine_key("pipr")
    assert err.value.message == "unknown speech engine 'pipr'"
    assert "Did you mean 'piper'?" in (err.value.hint or "")
    assert "Engines: hibari, piper, pico, pyttsx3 (or best)" in (err.value.hint or "")


def test_a_module_class_name_is_not_a_built_in_name():
    with pytest.raises(InputError):
        engine_key("os:system")
