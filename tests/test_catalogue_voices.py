"""A catalogue's track may offer voices (``voices: [heart, joe]``) for the
listener to choose, and publish one track per voice (``per_voice: true``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuecast.catalogue import load_catalogue, track_options
from cuecast.errors import InputError
from tests.test_catalogue import GOOD, _error, _write

VOICED = GOOD.replace("    profile: gentle\n", "    profile: gentle\n    voices: [en-gb, en-us]\n")


def test_a_track_lists_its_voices_and_keeps_the_catalogues_voice(tmp_path: Path) -> None:
    cat = load_catalogue(_write(tmp_path, VOICED))
    plain, voiced = cat.tracks
    assert plain.voices == () and voiced.voices == ("en-gb", "en-us")
    assert not voiced.per_voice and voiced.voice is None
    assert track_options(cat, voiced).voice is None  # the listener chooses on the page


def test_per_voice_makes_one_track_per_voice(tmp_path: Path) -> None:
    text = VOICED.replace("voices: [en-gb, en-us]", "voices: [en-gb, en-us]\n    per_voice: true")
    text += "clients:\n  - id: anna\n    tracks: [short-gentle]\n"
    cat = load_catalogue(_write(tmp_path, text))
    assert [t.id for t in cat.tracks] == ["short", "short-gentle-en-gb", "short-gentle-en-us"]
    one = cat.track("short-gentle-en-us")
    assert (one.voice, one.title, one.profile) == ("en-us", "Short One (en-us)", "gentle")
    options = track_options(cat, one)
    assert (options.voice, options.engine) == ("en-us", None)  # the voice brings its engine
    assert set(cat.scripts) == {t.id for t in cat.tracks}
    assert cat.clients[0].tracks == ("short-gentle-en-gb", "short-gentle-en-us")


@pytest.mark.parametrize(
    ("voices", "message", "column"),
    [("[nobody-at-all]", "no installed engine has a voice 'nobody-at-all'", 14),
     ("[en-gb, en-gb]", "the voice 'en-gb' is listed twice", 21),
     ("[]", "voices is empty", 13),
     ("[voices/x.onnx]", "a track's voices are voice names", 14)],
)  # fmt: skip
def test_a_bad_voice_is_shown_at_its_line(
    tmp_path: Path, voices: str, message: str, column: int
) -> None:
    err = _error(tmp_path, GOOD.replace("    profile: gentle\n",
                                        f"    profile: gentle\n    voices: {voices}\n"))
    assert message in err.message
    assert (err.line, err.column) == (10, column)


def test_per_voice_needs_voices(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace("    profile: gentle\n",
                                        "    profile: gentle\n    per_voice: true\n"))
    assert "per_voice needs the track's 'voices'" in err.message
    assert isinstance(err, InputError) and err.line == 10
