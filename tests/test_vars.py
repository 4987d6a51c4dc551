"""Vars: typing by default, overrides, and {name} substitution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cuecast.errors import InputError
from cuecast.script import describe_vars, load, schema
from cuecast.script.load import DESCRIPTOR_KEYS
from cuecast.script.vars import Var, VarError, number_text, override, substitute, typed_var


def env(**values: Var) -> dict[str, Var]:
    return values


HOLD = typed_var("hold", "90s", False, "default")
SETS = typed_var("sets", "3", True, "default")
WHO = typed_var("who", "friend", False, "default")


@pytest.mark.parametrize(
    ("raw", "yaml_number", "kind", "value"),
    [
        ("90s", False, "duration", 90.0), ("1:30", True, "duration", 90.0),
        ("3", True, "number", 3), ("2.5", True, "number", 2.5), ("90", False, "text", "90"),
        ("relax", False, "text", "relax"), ("-4", True, "number", -4),
    ],
)  # fmt: skip
def test_typed_by_default(raw: str, yaml_number: bool, kind: str, value: object) -> None:
    var = typed_var("x", raw, yaml_number, "default")
    assert (var.kind, var.value) == (kind, value)


def test_override_keeps_the_kind() -> None:
    assert override(HOLD, "2m", "--set").value == 120
    assert override(HOLD, "45", "--set").value == 45  # a bare number is seconds
    assert override(SETS, "4", "--set").value == 4
    assert override(WHO, "everyone", "--set").value == "everyone"
    with pytest.raises(VarError, match="'hold' is a duration"):
        override(HOLD, "long", "--set")
    with pytest.raises(VarError, match="'sets' is a number"):
        override(SETS, "3x", "--set")


def test_substitute() -> None:
    e = env(hold=HOLD, sets=SETS, who=WHO)
    text = "Hi {who}: {hold}, {sets} sets, { who }, {{literal}} }} {side} {n}"
    got = substitute(text, e, frozenset({"side", "n"}))
    assert got == "Hi friend: ninety seconds, 3 sets, friend, {literal} } {side} {n}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{nope}", "unknown var '{nope}'"), ("{side}", "inside a 'sides' step"),
        ("{total}", "inside a 'repeat' step"), ("a { b", "no matching"), ("{}", "not a var"),
    ],
)  # fmt: skip
def test_substitute_errors(text: str, message: str) -> None:
    with pytest.raises(VarError, match=message):
        substitute(text, env(who=WHO), frozenset())


def test_number_text() -> None:
    assert [number_text(v) for v in (3, 3.0, 2.5, 0.125)] == ["3", "3", "2.5", "0.125"]


# --- descriptors: {value, label, min, max} ------------------------------------------------

DESCRIBED = """\
title: T
vars:
  lunge_hold: {value: 1m, label: Lunge hold each side, min: 20s, max: 3m}
  bridge_sets:
    value: 3
    label: Glute bridge sets
    min: 1
    max: 5
  who: friend
profiles:
  gentle: {lunge_hold: 45s, bridge_sets: 2}
  strong: {lunge_hold: 90s}
steps:
  - say: We hold for {lunge_hold} on each side, {who}.
  - repeat: $bridge_sets
    steps: [{hold: $lunge_hold}]
"""


def _script(tmp_path: Path, text: str = DESCRIBED) -> Path:
    path = tmp_path / "routine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path, **options: Any) -> InputError:
    with pytest.raises(InputError) as info:
        load(path, **options)
    return info.value


def test_descriptor_value_is_the_default_and_plain_values_still_work(tmp_path: Path) -> None:
    script = load(_script(tmp_path))
    assert script.vars == {"lunge_hold": 60.0, "bridge_sets": 3, "who": "friend"}
    assert script.steps[0].text == "We hold for one minute on each side, friend."  # type: ignore[attr-defined]


def test_describe_vars(tmp_path: Path) -> None:
    hold, sets, who = describe_vars(_script(tmp_path))
    assert (hold.name, hold.kind, hold.value, hold.seconds, hold.number) == (
        "lunge_hold", "duration", "1m", 60.0, None,
    )  # fmt: skip
    assert (hold.label, hold.min, hold.max) == ("Lunge hold each side", 20.0, 180.0)
    assert (hold.line, hold.column, hold.file) == (3, 3, str(tmp_path / "routine.yaml"))
    assert dict(hold.profiles) == {"gentle": "45s", "strong": "90s"}
    assert (sets.kind, sets.number, sets.min, sets.max, sets.line) == ("number", 3.0, 1, 5, 4)
    assert dict(sets.profiles) == {"gentle": "2"}
    assert (who.kind, who.label, who.min, who.profiles) == ("text", None, None, {})
    assert who.display_label == "who" and hold.display_label == "Lunge hold each side"


def test_describe_vars_after_profile_and_sets(tmp_path: Path) -> None:
    hold, sets, _ = describe_vars(_script(tmp_path), profile="gentle", sets={"lunge_hold": 90})
    assert (hold.value, hold.seconds) == ("90", 90.0)  # a bare number is seconds
    assert (sets.value, sets.number) == ("2", 2.0)


def test_set_outside_the_bounds_is_refused_at_the_vars_line(tmp_path: Path) -> None:
    path = _script(tmp_path)
    e = _error(path, sets={"lunge_hold": "5m"})
    assert (e.file, e.line, e.column) == (str(path), 3, 3)
    assert e.message == (
        "--set lunge_hold=5m: 'lunge_hold' must be at most 3m (its max); '5m' is five minutes"
    )
    assert "from 20s to 3m" in (e.hint or "")
    e = _error(path, sets={"bridge_sets": "0"})
    assert "'bridge_sets' must be at least 1 (its min)" in e.message and e.line == 4
    assert load(path, sets={"lunge_hold": "3m"}).vars["lunge_hold"] == 180.0  # bounds included


def test_a_profile_outside_the_bounds_is_refused(tmp_path: Path) -> None:
    path = _script(
        tmp_path, DESCRIBED.replace("strong: {lunge_hold: 90s}", "strong: {lunge_hold: 4m}")
    )
    e = _error(path)  # every profile is checked, chosen or not
    assert e.line == 12
    assert "profile 'strong': 'lunge_hold' must be at most 3m (its max); '4m' is four minutes" in (
        e.message
    )
    assert f"declared at {path}:3:3" in (e.hint or "")


def test_a_duration_beyond_the_day_says_the_limit(tmp_path: Path) -> None:
    e = _error(
        _script(tmp_path, "title: T\nvars: {h: 1m}\nsteps: [{hold: $h}]\n"), sets={"h": "25h"}
    )
    assert "24-hour limit" in e.message and "--set h=25h" in e.message


@pytest.mark.parametrize(
    ("descriptor", "message", "line"),
    [
        ("{label: Hold}", "needs 'value:'", 2),
        ("{value: 1m, lable: Hold}", "unknown key 'lable' in var 'x'", 2),
        ("{value: 1m, min: soon}", "so its min 'soon' does not fit", 2),
        (
            "{value: 1m, min: 2m}",
            "the default of 'x' must be at least 2m (its min); '1m' is one minute",
            2,
        ),
        ("{value: 1m, min: 2m, max: 1m}", "the max of 'x' is below its min", 2),
        ("{value: hello, max: 3}", "'max' applies only to a duration or number var", 2),
        ("{value: 3, max: 2.5s}", "'x' is a number (its default is 3), so its max '2.5s'", 2),
        ("{value: 1m, label: ''}", "the label of 'x' is empty", 2),
        ("\n    value: 1m\n    max: 30s", "must be at most 30s (its max)", 3),
    ],
)  # fmt: skip
def test_descriptor_errors(tmp_path: Path, descriptor: str, message: str, line: int) -> None:
    e = _error(_script(tmp_path, f"title: T\nvars:\n  x: {descriptor}\nsteps: [{{say: a}}]\n"))
    assert message in e.message
    assert (e.line or 0) >= line


def test_number_bounds_may_be_fractions(tmp_path: Path) -> None:
    path = _script(
        tmp_path,
        "title: T\nvars:\n  pace: {value: 1.5, min: 0.5, max: 2}\nsteps: [{say: '{pace}'}]\n",
    )
    assert load(path, sets={"pace": 0.5}).vars["pace"] == 0.5
    assert "at most 2 (its max)" in _error(path, sets={"pace": "2.25"}).message


def test_schema_knows_descriptors() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = yaml.safe_load(DESCRIBED)
    jsonschema.validate(data, schema())
    variants = schema()["properties"]["vars"]["additionalProperties"]["anyOf"]
    assert tuple(variants[1]["properties"]) == DESCRIPTOR_KEYS
    data["vars"]["who"] = {"value": "x", "lable": "typo"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema())


# --- the seed says what a listener may change --------------------------------------------

SEED = Path(__file__).resolve().parent.parent / "scripts" / "lower-back-relief.yaml"


def test_the_seed_declares_a_label_and_bounds_for_every_var() -> None:
    infos = describe_vars(SEED)
    assert len(infos) == 10
    for info in infos:
        assert info.label and info.min is not None and info.max is not None, info.name
        for value in info.profiles.values():  # every profile lies within the bounds
            load(SEED, sets={info.name: value})


def test_the_seed_speaks_every_var() -> None:
    raw = SEED.read_text(encoding="utf-8")
    for info in describe_vars(SEED):
        assert "{" + info.name + "}" in raw, f"the seed never says {info.name}"


def test_a_set_lunge_hold_is_heard_where_the_lunge_is_introduced() -> None:
    from tests.golden_cases import fake_plan

    texts = [e.text or "" for e in fake_plan(SEED, sets={"lunge_hold": "90s"}).events]
    said = [t for t in texts if "We hold for" in t and "front of the hip" in t]
    assert said == ["You should feel it deep at the front of the hip. "
                    "We hold for ninety seconds on each side."]  # fmt: skip
