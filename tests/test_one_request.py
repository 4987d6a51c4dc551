"""One request, one meaning: the same bad value gets the same message from
the command line, the Python API and a catalogue's ``defaults`` (which adds
its file:line:column), because all three read it with ``cuecast.request``;
``cuecast lines`` reads ``--set``/``--profile`` as ``plan`` does."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast.catalogue import load_catalogue
from cuecast.cli import main
from cuecast.errors import InputError
from cuecast.request import option_value, parse_options
from tests.test_catalogue import GOOD, SCRIPT

CATALOGUE = GOOD.replace("tracks:\n", "defaults:\n  {name}: {value}\ntracks:\n", 1)
"""The catalogue of test_catalogue with one default: line 7, after ``  NAME: ``."""


# (option, the value as typed after --OPTION and after 'OPTION:' in a catalogue)
BAD = [
    ("rate", "1000"),
    ("rate", "fast"),
    ("bitrate", "8"),
    ("bitrate", "96.5"),
    ("loudness", "loud"),
    ("loudness", "on"),  # YAML reads 'on' as true; the catalogue reads it as typed
    ("loudness", "-60"),
    ("format", "mp4"),
    ("captions", "vtt,sub"),
    ("engine", "espeek"),
]


def _catalogue_error(folder: Path, name: str, value: str) -> InputError:
    (folder / "short.yaml").write_text(SCRIPT)
    path = folder / "catalogue.yaml"
    path.write_text(CATALOGUE.format(name=name, value=value))
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    return caught.value


@pytest.mark.parametrize(("name", "value"), BAD)
def test_a_bad_value_says_the_same_from_cli_api_and_catalogue(tmp_path, name, value):
    script = tmp_path / "short.yaml"
    script.write_text(SCRIPT)
    cli = CliRunner().invoke(main, ["render", str(script), "-o", str(tmp_path / "out.mp3"),
                                    f"--{name}", value])  # fmt: skip
    assert cli.exit_code == 2, cli.output
    assert "Traceback" not in cli.output and not (tmp_path / "out.mp3").exists()
    said = cli.stderr.removeprefix("cuecast: error: ").rstrip("\n")

    with pytest.raises(InputError) as api:
        parse_options({name: value})
    err = _catalogue_error(tmp_path, name, value)

    # the command line names the flag (--rate), the others the option (rate)
    assert said == str(api.value).replace(name, f"--{name}", 1)
    assert (err.message, err.hint) == (api.value.message, api.value.hint)
    # ... at the value's place in the catalogue
    assert (err.file, err.line, err.column) == (str(tmp_path / "catalogue.yaml"), 7,
                                                len(f"  {name}: ") + 1)  # fmt: skip


def test_a_caption_in_a_list_is_pointed_at_with_the_message_of_the_whole(tmp_path):
    err = _catalogue_error(tmp_path, "captions", "[vtt, srtt]")
    assert err.message == ("captions vtt,srtt: unknown caption format 'srtt'; "
                           "use any of vtt, srt, lrc")
    assert err.hint == "Did you mean 'srt'?"
    assert (err.line, err.column) == (7, len("  captions: [vtt, ") + 1)


@pytest.mark.parametrize(("name", "value", "typed"), [
    ("loudness", "off", None), ("loudness", "No", None), ("loudness", "false", None),
    ("loudness", "-20", -20.0), ("bitrate", "64", 64), ("rate", "150", 150.0),
    ("captions", "[vtt, srt]", ("vtt", "srt")), ("format", "OGG", "ogg"),
    ("strict", "yes", True), ("engine", "espeak-ng", "espeak-ng"),
])
def test_good_defaults_mean_what_the_command_line_means(tmp_path, name, value, typed):
    (tmp_path / "short.yaml").write_text(SCRIPT)
    path = tmp_path / "catalogue.yaml"
    path.write_text(CATALOGUE.format(name=name, value=value))
    assert load_catalogue(path).defaults[name] == typed
    if name != "strict" and not value.startswith("["):  # a flag, a YAML list
        assert option_value(name, value) == typed


@pytest.mark.parametrize(("name", "value", "says"), [
    ("format", "wav", "format wav: not a format a feed can carry"),
    ("engine", "mymod:Engine", "a catalogue may name only the built-in engines"),
    ("strict", "maybe", "strict is true or false, not 'maybe'"),
    ("voice", "''", "defaults voice is empty"),
])
def test_the_catalogues_own_rules_come_after_the_shared_ones(tmp_path, name, value, says):
    err = _catalogue_error(tmp_path, name, value)
    assert says in err.message and err.line == 7


def test_a_tracks_set_and_lengths_are_read_as_set_and_length_are(tmp_path):
    (tmp_path / "short.yaml").write_text(SCRIPT)
    path = tmp_path / "catalogue.yaml"
    path.write_text(GOOD + "    set: {hold-time: 3s}\n")
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    with pytest.raises(InputError) as api:
        parse_options({"set": {"hold-time": "3s"}})
    assert caught.value.message == api.value.message == (
        "set hold-time=3s: 'hold-time' is not a var name")
    assert (caught.value.line, caught.value.column) == (10, 11)

    path.write_text(GOOD + "    set: {hold: soon}\n")  # checked against the script's var
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    assert caught.value.message.startswith("track 'short-gentle': set hold=soon: 'hold' is a "
                                           "duration")  # as the API names it, not --set
    assert (caught.value.line, caught.value.column) == (10, 10)
    path.write_text(GOOD.replace("profile: gentle", "profile: gentel"))
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    assert caught.value.message == ("track 'short-gentel': profile gentel: this script has no "
                                    "profile 'gentel'")
    assert caught.value.hint.startswith("Did you mean 'gentle'?")

    path.write_text(GOOD + "    lengths: [10m, 25h]\n")
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    assert caught.value.message == "length 25h: '25h' is longer than the 24-hour limit"
    assert (caught.value.line, caught.value.column) == (10, 20)


@pytest.mark.parametrize("args", [
    ["--set", "hold"], ["--set", "hold=soon"], ["--set", "nope=3"], ["--profile", "gentel"],
    ["--set", "2x=3"],
])
def test_lines_reads_set_and_profile_as_plan_does(tmp_path, args):
    script = tmp_path / "short.yaml"
    script.write_text(SCRIPT)
    lines = CliRunner().invoke(main, ["lines", str(script), *args])
    plan = CliRunner().invoke(main, ["plan", str(script), *args])
    assert lines.exit_code == plan.exit_code == 2
    assert lines.stderr == plan.stderr and lines.stderr.startswith("cuecast: error: ")


def test_cli_help_lists_the_formats_the_encoder_writes():
    from cuecast.encode import FORMATS

    text = " ".join(CliRunner().invoke(main, ["render", "--help"]).output.split())
    listed = text.split("Audio format: ", 1)[1].split(" [default")[0]
    assert sorted(listed.replace(" or ", ", ").split(", ")) == sorted(FORMATS)


def test_no_copy_of_the_option_vocabularies_outside_request():
    """The words for off, the caption kinds and the feed formats' ranges are
    written once; the catalogue's keys hold only its own rules."""
    from cuecast.catalogue import keys

    for copied in ("CAPTIONS", "BITRATE_KBPS", "RATE_WPM", "LOUDNESS_LUFS"):
        assert not hasattr(keys, copied), copied
    src = Path(__file__).resolve().parent.parent / "src" / "cuecast"
    for path in src.rglob("*.py"):
        text = path.read_text()
        if path.name != "request.py":
            assert '"off", "none"' not in text, path


def test_every_option_has_its_field():
    from dataclasses import fields

    from cuecast.request import META, OPTION_FIELDS, OPTION_NAMES, Options

    names = {f.name for f in fields(Options)}
    assert set(OPTION_FIELDS) == set(OPTION_NAMES) - set(META)
    assert set(OPTION_FIELDS.values()) <= names
    assert option_value("title", "Morning") == "Morning" and option_value("jobs", "2") == 2
