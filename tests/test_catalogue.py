"""The catalogue loader: the example loads; every mistake is an InputError
at the catalogue's (or the script's) file:line:column with a way out."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from cuecast.catalogue import load_catalogue, schema, track_options
from cuecast.cli import main
from cuecast.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scripts" / "catalogue.yaml"

SCRIPT = """\
title: Short One
vars: {hold: 2s}
profiles: {gentle: {hold: 1s}}
steps:
  - say: Hello.
  - hold: $hold
"""

GOOD = """\
series:
  title: Desk Recovery
  author: Riverside Pilates
  description: Short routines.
  link: https://example.com/desk
tracks:
  - script: short.yaml
  - script: short.yaml
    profile: gentle
"""


def _write(folder: Path, text: str, script: str = SCRIPT) -> Path:
    (folder / "short.yaml").write_text(script)
    path = folder / "catalogue.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _error(folder: Path, text: str, **kw: object) -> InputError:
    with pytest.raises(InputError) as caught:
        load_catalogue(_write(folder, text), **kw)  # type: ignore[arg-type]
    return caught.value


def test_example_catalogue_loads_with_its_ids_and_clients():
    cat = load_catalogue(EXAMPLE)
    assert [t.id for t in cat.tracks] == [
        "lower-back-relief", "lower-back-relief-gentle", "lower-back-relief-strong",
        "evening-wind-down",
    ]
    assert cat.series.link.endswith("/") and cat.series.cover is not None
    assert cat.tracks[0].published == date(2026, 11, 2)
    assert cat.clients[0].tracks == ("lower-back-relief-gentle", "evening-wind-down")
    assert len(cat.clients[1].tracks) == 4  # no subset: every track
    assert cat.defaults["captions"] == ("vtt",)


def test_defaults_ids_and_options(tmp_path):
    cat = load_catalogue(_write(tmp_path, GOOD))
    assert [t.id for t in cat.tracks] == ["short", "short-gentle"]
    assert cat.series.link == "https://example.com/desk/"
    assert cat.series.language == "en" and cat.defaults == {}
    opts = track_options(cat, cat.tracks[1], engine="pyttsx3")
    assert opts.profile == "gentle" and opts.engine == "pyttsx3" and opts.fmt == "mp3"
    assert opts.meta["album"] == "Desk Recovery" and opts.meta["track"] == "2/2"
    assert opts.loudness_lufs == -16.0


def test_typed_defaults(tmp_path):
    cat = load_catalogue(_write(tmp_path, GOOD + textwrap.dedent("""\
        defaults: {format: ogg, bitrate: 64, loudness: off, captions: "vtt,srt", rate: 150,
                   engine: pyttsx3, strict: true}
        """)))
    assert cat.defaults == {"format": "ogg", "bitrate": 64, "loudness": None,
                            "captions": ("vtt", "srt"), "rate": 150.0, "engine": "pyttsx3",
                            "strict": True}
    opts = track_options(cat, cat.tracks[0])
    assert (opts.fmt, opts.bitrate_kbps, opts.loudness_lufs, opts.rate_wpm, opts.strict) == (
        "ogg", 64, None, 150.0, True)


@pytest.mark.parametrize(
    ("patch", "where", "words"),
    [
        ("  titel: x\n", (5, 3), "Did you mean 'title'?"),
        ("tracks2: []\n", (10, 1), "Did you mean 'tracks'?"),
        ("defaults: {format: mp4}\n", (10, 20), "Did you mean 'mp3'?"),
        ("defaults: {bitrate: 1000}\n", (10, 21), "use 16 to 320 kbit/s"),
        ("defaults: {captions: [vtt, srtt]}\n", (10, 28), "Did you mean 'srt'?"),
        ("defaults: {engine: pipr}\n", (10, 20), "piper"),
        ("defaults: {loudness: -60}\n", (10, 22), "use -40 to -5 LUFS"),
        ("defaults: {rate: 60}\n", (10, 18), "use 80 to 400 wpm"),  # the CLI's range
    ],
)
def test_mistakes_point_at_the_line_with_a_way_out(tmp_path, patch, where, words):
    text = GOOD.replace("tracks:", patch.rstrip("\n") + "\ntracks:", 1) if patch.startswith(
        " ") else GOOD + patch
    if patch.startswith(" "):  # a series key: insert inside series
        text = GOOD.replace("  link:", patch + "  link:")
    err = _error(tmp_path, text)
    assert (err.file, err.line, err.column) == (str(tmp_path / "catalogue.yaml"), *where), err
    assert words in str(err)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("  author: Riverside Pilates\n", ""), 2, "series has no 'author'"),
        (GOOD.replace("https://example.com/desk", "example.com"), 5, "not an http(s) URL"),
        (GOOD.replace("profile: gentle", "id: short"), 9, "two tracks have the id 'short'"),
        (GOOD.replace("profile: gentle", "id: Bad Id"), 9, "cannot be used as a file name"),
        (GOOD.replace("profile: gentle", "profile: gentel"), 9, "Did you mean 'gentle'?"),
        (GOOD.replace("gentle", "gentle\n    set: {hodl: 3s}"), 10, "Did you mean 'hold'?"),
        (GOOD.replace("gentle", "gentle\n    set: {hold: soon}"), 10, "hold"),
        (GOOD.replace("profile: gentle", "published: 2026-13-01"), 9, "not a date"),
        (GOOD.replace("- script: short.yaml\n  -", "- script: nope.yaml\n  -"), 7, "no file"),
        (GOOD.replace("- script: short.yaml\n  -", "- script: ../x.yaml\n  -"), 7,
         "outside the catalogue's folder"),
        (GOOD + "clients:\n  - {id: anna, tracks: [shrot]}\n", 11, "Did you mean 'short'?"),
        (GOOD + "clients:\n  - {name: Anna}\n", 11, "no 'id'"),
        (GOOD.replace("  link:", "  category: Health/Fitness\n  link:"), 5,
         "Did you mean 'Health & Fitness'?"),
        (GOOD.replace("  link:", "  category: Health & Fitness/Yoga\n  link:"), 5,
         "not a subcategory"),
        (GOOD.replace("  link:", "  cover: short.yaml\n  link:"), 5, "not a PNG or JPEG"),
        (GOOD.replace("  link:", "  owner: {email: nobody}\n  link:"), 5, "not an e-mail"),
        ("", 1, "the catalogue is empty"),
        ("- a\n- b\n", 1, "must be a mapping"),
        ("series: {}\n", 1, "no 'tracks'"),
        (GOOD.replace("tracks:\n", "tracks:\n  - short.yaml\n"), 7, "'- script: short.yaml'"),
    ],
)
def test_each_mistake_is_an_input_error_at_its_line(tmp_path, text, line, words):
    err = _error(tmp_path, text)
    assert err.file == str(tmp_path / "catalogue.yaml") and err.line == line, str(err)
    assert words in str(err)
    assert err.exit_code == 2


def test_outside_files_are_allowed_when_asked(tmp_path):
    inner = tmp_path / "cat"
    inner.mkdir()
    (tmp_path / "short.yaml").write_text(SCRIPT)
    path = inner / "catalogue.yaml"
    path.write_text(GOOD.replace("script: short.yaml", "script: ../short.yaml"))
    with pytest.raises(InputError, match="outside the catalogue's folder"):
        load_catalogue(path)
    assert len(load_catalogue(path, allow_outside=True).tracks) == 2


def test_a_mistake_inside_a_script_keeps_the_script_position(tmp_path):
    path = _write(tmp_path, GOOD, script=SCRIPT.replace("  - say: Hello.", "  - sya: Hello."))
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    assert caught.value.file == str(tmp_path / "short.yaml") and caught.value.line == 5


def test_limits_hold(tmp_path):
    many = GOOD.split("tracks:")[0] + "tracks:\n" + "".join(
        f"  - {{script: short.yaml, id: t{i}}}\n" for i in range(1001))
    assert "at most 1,000" in str(_error(tmp_path, many))
    (tmp_path / "big.yaml").write_bytes(b"#" * 1_000_001)
    with pytest.raises(InputError, match="byte limit for a catalogue"):
        load_catalogue(tmp_path / "big.yaml")


def test_schema_accepts_the_example_and_rejects_a_typo():
    validator = jsonschema.Draft202012Validator(schema())
    example = yaml.safe_load(EXAMPLE.read_text())
    example["tracks"][0]["published"] = str(example["tracks"][0]["published"])
    for track in example["tracks"]:
        if "published" in track:
            track["published"] = str(track["published"])
    assert list(validator.iter_errors(example)) == []
    example["series"]["titel"] = "x"
    assert list(validator.iter_errors(example))


def test_cli_schema_catalogue():
    result = CliRunner().invoke(main, ["schema", "--catalogue"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "cuecast catalogue (format 1)"


def test_a_track_may_offer_lengths(tmp_path):
    cat = load_catalogue(_write(tmp_path, GOOD + "    lengths: [20m, 10m, '1:30:00', 30m]\n"))
    assert cat.tracks[0].lengths_s == ()
    assert cat.tracks[1].lengths_s == (600.0, 1200.0, 1800.0, 5400.0)


@pytest.mark.parametrize(("lengths", "words"), [
    ("[ten]", "'ten' is not a duration"),
    ("[0s]", "must be more than 0"),
    ("10m", "must be a list"),
])
def test_a_bad_length_is_an_error_at_its_line(tmp_path, lengths, words):
    err = _error(tmp_path, GOOD + f"    lengths: {lengths}\n")
    assert err.line == 10 and words in err.message, err
