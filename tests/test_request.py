"""The one render request: every option parsed in cuecast.request, one
vocabulary for 'off', one default target, mappings read from memory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cuecast.errors import InputError
from cuecast.loudness.settings import TARGET_LUFS
from cuecast.request import (
    OFF_WORDS,
    Options,
    RenderRequest,
    default_output,
    is_off,
    parse_options,
    parse_request,
)
from cuecast.script import ScriptMapping, load

ROOT = Path(__file__).resolve().parent.parent
SHORT = ROOT / "tests" / "e2e" / "scripts" / "short.yaml"


def test_defaults_come_from_one_place() -> None:
    assert parse_options({}) == Options()
    assert Options().loudness_lufs == TARGET_LUFS
    assert parse_options({"loudness": "-20"}).loudness_lufs == -20.0


@pytest.mark.parametrize("word", [*OFF_WORDS, "OFF", " None ", "No", "FALSE"])
def test_one_vocabulary_for_off(word: str) -> None:
    assert is_off(word)
    assert parse_options({"loudness": word}).loudness_lufs is None
    assert parse_options({"loudness": word}, flags=True).loudness_lufs is None


def test_off_from_python() -> None:
    assert parse_options({"loudness": None}).loudness_lufs is None
    assert parse_options({"loudness": False}).loudness_lufs is None
    assert not is_off("0") and not is_off("") and not is_off(0)


@pytest.mark.parametrize(
    ("raw", "flags", "says"),
    [
        ({"loudness": "loud"}, True, "--loudness must be a number of LUFS (like -16) or 'off'"),
        ({"loudness": "loud"}, False, "loudness must be a number of LUFS"),
        ({"loudness": -50}, False, "loudness -50 LUFS is out of range; use -40 to -5 LUFS"),
        ({"rate": "45"}, True, "--rate 45 wpm is out of range; use 80 to 400 wpm"),
        ({"bitrate": 8.5}, False, "bitrate 8.5 kbit/s is out of range"),
        ({"jobs": "2.5"}, True, "--jobs must be a whole number; it is 2.5"),
        ({"allow_outside": "yes"}, True, "--allow-outside is true or false"),
        ({"format": "mp4"}, True, "--format mp4: not an audio format cuecast writes"),
        ({"captions": "vtt,xyz"}, True, "--captions vtt,xyz: unknown caption format 'xyz'"),
        ({"captions": ["vtt", "xyz"]}, False, "captions vtt,xyz: unknown caption format 'xyz'"),
        ({"track": "abc"}, True, "--track abc: track 'abc' is not a number or N/TOTAL"),
        ({"set": 3}, False, "set must be a mapping"),
        ({"set": {"a": 1}, "sets": {"a": 1}}, False, "give 'set' or 'sets', not both"),
        ({"engnie": "piper"}, False, "unknown option 'engnie'"),
    ],
)
def test_a_bad_option_names_itself_as_the_caller_does(raw: dict, flags: bool, says: str) -> None:
    with pytest.raises(InputError) as err:
        parse_options(raw, flags=flags)
    assert says in str(err.value)
    assert err.value.file is None and err.value.line is None


def test_values_as_typed_or_as_python_values_are_the_same_options() -> None:
    typed = parse_options({"set": ["hold=45", "n=3"], "rate": "150", "bitrate": "64",
                           "captions": "VTT, srt", "format": "OGG", "jobs": "2"}, flags=True)
    python = parse_options({"sets": {"hold": 45, "n": 3}, "rate": 150, "bitrate": 64,
                            "captions": ["vtt", "srt"], "format": "ogg", "jobs": 2})
    assert typed == python
    assert python.sets == {"hold": "45", "n": "3"} and python.captions == ("vtt", "srt")


def test_tags_are_options_and_a_cover_is_made_absolute() -> None:
    options = parse_options({"title": "T", "track": "2/3", "cover": "c.png", "year": 2026})
    assert options.meta == {"title": "T", "track": "2/3", "year": "2026",
                            "cover": os.path.abspath("c.png")}


def test_as_dict_is_plain_data_that_makes_the_same_options() -> None:
    options = parse_options({"set": {"hold": "30s"}, "captions": "vtt", "title": "T"})
    data = options.as_dict()
    assert Options(**data) == options
    assert type(data["sets"]) is dict and type(data["captions"]) is tuple


def test_a_request_takes_a_path_or_a_mapping(tmp_path: Path) -> None:
    assert parse_request(SHORT) == RenderRequest(str(SHORT), Options())
    mapping = {"title": "Morning Reset", "steps": [{"say": "Hi."}]}
    request = parse_request(mapping, {"loudness": "off"}, folder=tmp_path)
    assert request.script == ScriptMapping(mapping, str(tmp_path))
    assert request.name == "<mapping>" and request.options.loudness_lufs is None
    assert default_output(request.script, "mp3") == "morning-reset.mp3"
    assert default_output(str(SHORT), "ogg") == "short.ogg"
    with pytest.raises(InputError, match="a script is a path or a mapping, not int"):
        parse_request(3)  # type: ignore[arg-type]


def test_a_mapping_loads_from_memory_with_files_beside_its_folder(tmp_path: Path) -> None:
    (tmp_path / "part.yaml").write_text("steps:\n  - say: From the part.\n")
    mapping = {"title": "T", "steps": [{"say": "Hi."}, {"include": "part.yaml"}]}
    before = set(os.listdir(tmp_path))
    script = load(ScriptMapping(mapping, str(tmp_path)))
    assert [s.text for s in script.steps if hasattr(s, "text")][-1] == "From the part."
    assert set(os.listdir(tmp_path)) == before  # nothing written


@pytest.mark.parametrize(
    ("mapping", "key", "says"),
    [
        ({"title": "T", "steps": [{"say": "a"}, {"hold": "x"}]}, "steps[1].hold",
         "'x' is not a duration"),
        ({"title": "T", "steps": [{"say": "a", "gapp": 1}]}, "steps[0].gapp",
         "'gapp' is not an option of a 'say' step"),
        ({"title": "T"}, "(top level)", "the script has no 'steps'"),
        ({"title": "T", "steps": [{"include": "missing.yaml"}]}, "steps[0].include",
         "no file 'missing.yaml'"),
    ],
)
def test_errors_in_a_mapping_say_where_in_it(tmp_path: Path, mapping: dict, key: str,
                                             says: str) -> None:
    with pytest.raises(InputError) as err:
        load(ScriptMapping(mapping, str(tmp_path), name="<routine>"))
    assert err.value.file == "<routine>" and err.value.key == key and err.value.line is None
    assert str(err.value).startswith(f"<routine>:{key}: ") and says in err.value.message


def test_a_huge_mapping_is_refused_like_a_huge_file(tmp_path: Path) -> None:
    mapping = {"title": "T", "steps": [{"say": "x" * 900} for _ in range(2000)]}
    with pytest.raises(InputError, match="byte limit"):
        load(ScriptMapping(mapping, str(tmp_path)))


def test_no_literal_default_target_outside_its_constant() -> None:
    """-16 is written once in code (loudness/settings.py: TARGET_LUFS); the
    rest read the constant (prose in docstrings may say -16)."""
    import ast

    found = []
    for path in (ROOT / "src" / "cuecast").rglob("*.py"):
        if path.relative_to(ROOT).as_posix() == "src/cuecast/loudness/settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            negative = (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
                        and isinstance(node.operand, ast.Constant) and node.operand.value == 16)
            text = isinstance(node, ast.Constant) and node.value in ("-16", "-16.0")
            if negative or text:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def _mapping_timeline(tmp_path: Path, mapping: dict):
    from cuecast.planner import plan
    from cuecast.timeline import to_samples

    script = load(ScriptMapping(mapping, str(tmp_path)))
    return plan(script, lambda utt: to_samples(0.1 * len(utt.text.split())),
                lambda ref: (to_samples(3), to_samples(1)))


def test_a_mappings_events_say_where_in_it_not_a_line_of_its_yaml(tmp_path: Path) -> None:
    """A mapping has no lines: its events carry ``line`` None (null in the
    JSON) and the place errors name (``steps[1].cues[0]``); events from a
    file it includes keep that file's lines."""
    (tmp_path / "part.yaml").write_text("steps:\n  - say: From the part.\n")
    mapping = {"title": "T", "steps": [
        {"say": "Hi."},
        {"hold": "10s", "countdown": False, "cues": [{"at": "2s", "say": "Half way there now."}]},
        {"repeat": 2, "steps": [{"say": "Again."}]},
        {"include": "part.yaml"},
    ]}  # fmt: skip
    timeline = _mapping_timeline(tmp_path, mapping)
    places = [(e.kind, e.text, e.line, e.key) for e in timeline.events if e.file is None
              or e.file == timeline.file]  # fmt: skip
    assert places[:4] == [
        ("speech", "Hi.", None, "steps[0]"),
        ("hold", None, None, "steps[1]"),
        ("sound", "bell", None, "steps[1]"),
        ("speech", "Half way there now.", None, "steps[1].cues[0]"),
    ]
    assert ("speech", "Again.", None, "steps[2].steps[0]") in places
    included = [e for e in timeline.events if e.text == "From the part."]
    assert [(e.line, e.key, e.file) for e in included] == [(2, None, "part.yaml")]
    events = timeline.to_json()["events"]
    assert events[0] == {"kind": "speech", "start": 0.0, "end": 0.1, "text": "Hi.",
                         "line": None, "key": "steps[0]"}  # fmt: skip
    assert all("key" in e and e["line"] is None for e in events if "file" not in e)
    assert '"line": null' in timeline.dumps()


def test_a_mappings_warnings_and_planning_errors_say_where_in_it(tmp_path: Path) -> None:
    cues = [{"at": "1s", "say": "a b c d e f g h i j k l"}, {"at": "1.5s", "say": "x"}]
    timeline = _mapping_timeline(tmp_path, {"title": "T", "steps": [
        {"say": "Hi."}, {"hold": "10s", "countdown": False, "cues": cues}]})  # fmt: skip
    (warning,) = timeline.warnings
    assert (warning.line, warning.key) == (None, "steps[1].cues[1]")
    assert str(warning).startswith("<mapping>:steps[1].cues[1]: warning: cue 'x'")
    assert str(warning).endswith("overlaps cue 'a b c d e f g h i j k l' (steps[1].cues[0])")
    with pytest.raises(InputError) as err:
        _mapping_timeline(tmp_path, {"title": "T", "steps": [
            {"say": "Hi."}, {"breathe": "4-4", "for": "5s"}]})  # fmt: skip
    assert (err.value.file, err.value.key, err.value.line) == ("<mapping>", "steps[1]", None)
    assert str(err.value).startswith("<mapping>:steps[1]: 'for: 5s' is shorter than one 8 s")


def test_a_mappings_vars_say_where_in_it(tmp_path: Path) -> None:
    from cuecast.script import describe_vars

    mapping = {"title": "T", "vars": {"hold": {"value": "5s", "min": "2s", "max": "10s"}},
               "steps": [{"hold": "$hold"}]}  # fmt: skip
    (hold,) = describe_vars(ScriptMapping(mapping, str(tmp_path)))
    assert (hold.file, hold.key, hold.line, hold.column) == ("<mapping>", "vars.hold", None, None)
    assert hold.to_json()["key"] == "vars.hold"
    with pytest.raises(InputError) as err:
        load(ScriptMapping(mapping, str(tmp_path)), sets={"hold": "20s"})
    assert (err.value.file, err.value.key, err.value.line) == ("<mapping>", "vars.hold", None)
    (tmp_path / "s.yaml").write_text("title: T\nvars: {hold: {value: 5s, max: 9s}}\n"
                                     "steps: [{hold: $hold}]\n")  # fmt: skip
    (hold,) = describe_vars(tmp_path / "s.yaml")
    assert (hold.line, hold.column, hold.key) == (2, 8, None) and "key" not in hold.to_json()
