"""The seed routine's lexicon says what we chose: each respelling is spoken
with the phonemes recorded in docs/voices.md, by espeak and by piper.

Phonemes come from ``scripts/dev/pronounce.py`` (each engine's own
espeak-ng, asked in a child process), so a respelling that a new espeak-ng
says differently, or a careless edit, fails here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from cuecast.script import load
from cuecast.voices import piper

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "scripts" / "lower-back-relief.yaml"

CHOSEN = {
    "psoas": "sˈoʊəs",  # dictionary ˈsoʊ.əs; unrespelled both engines say sˈoʊəz
    "aches": "ˈeɪks",  # dictionary eɪks; unrespelled ˈeɪkz
}
"""Seed lexicon word -> the IPA (espeak-ng notation) its respelling must give."""


def _pronounce():
    spec = importlib.util.spec_from_file_location("pronounce", ROOT / "scripts/dev/pronounce.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pronounce = _pronounce()


@pytest.fixture(scope="module")
def lexicon() -> dict[str, str]:
    return dict(load(SEED).lexicon)


def test_every_seed_entry_has_chosen_phonemes(lexicon: dict[str, str]) -> None:
    assert sorted(lexicon) == sorted(CHOSEN)


@pytest.mark.parametrize(
    "engine",
    [
        "pyttsx3",
        pytest.param(
            "piper",
            marks=pytest.mark.skipif(
                not piper.available(),
                reason="the neural extra is not installed (pip install 'cuecast[neural]')",
            ),
        ),
    ],
)
def test_respellings_are_spoken_as_chosen(engine: str, lexicon: dict[str, str]) -> None:
    words = sorted(lexicon)
    said = pronounce.phonemes(engine, [lexicon[w] for w in words])
    got = {w: ipa.replace("ʲ", "") for w, ipa in zip(words, said, strict=True)}
    assert got == {w: CHOSEN[w] for w in words}


def test_scores_match_dictionary_ipa_in_espeak_notation() -> None:
    assert pronounce.distance("sˈoʊəs", "ˈsoʊ.əs") == 0
    assert pronounce.distance("ˌɪlɪʲəpsˈoʊəz", "ˌɪl.i.oʊˈsoʊ.əs") == 4
    assert pronounce.distance("lˈʌmbɚ", "ˈlʌm.bər") == 0
