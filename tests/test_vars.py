"""Vars: typing by default, overrides, and {name} substitution."""

from __future__ import annotations

import pytest

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
