"""Fitting a session to a length (``cuecast.fit``): with planning functions
written here, so the search is checked on its own; ``tests/test_fit_cli.py``
fits real scripts with real plans."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from cuecast.fit import fit_length, fittable
from cuecast.script import VarInfo


def var(name: str, value: float, low: float | None, high: float | None,
        kind: str = "duration") -> VarInfo:
    return VarInfo(name=name, kind=kind,  # type: ignore[arg-type]
                   value=f"{value:g}s" if kind == "duration" else f"{value:g}",
                   seconds=value if kind == "duration" else None,
                   number=value if kind == "number" else None,
                   label=None, min=low, max=high, line=1, column=1, file="s.yaml")


def seconds(text: str) -> float:
    return float(text.rstrip("s"))


class Routine:
    """A routine's length: 60 s of talk, two holds each side, ``sets`` sets of
    a hold with a rest, and a little speech that grows with the words."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []

    def __call__(self, values: Mapping[str, str]) -> float:
        self.calls.append(dict(values))
        v = {"hold": "30s", "sets": "3", "rest": "20s", **values}
        hold, sets, rest = seconds(v["hold"]), int(v["sets"]), seconds(v["rest"])
        return 60 + 2 * hold + sets * (hold + 4) + (sets - 1) * rest + 0.01 * hold


INFOS = (var("hold", 30, 10, 120), var("sets", 3, 1, 6, "number"), var("rest", 20, 5, 60),
         var("word", 1, None, None))


@pytest.mark.parametrize("asked_s", [240, 300, 400, 600, 900])
def test_reaches_the_length_within_five_seconds(asked_s):
    routine = Routine()
    fitted = fit_length(asked_s, INFOS, routine)
    assert fitted.reached, fitted
    assert abs(fitted.total_s - asked_s) <= 5
    assert fitted.total_s == routine(fitted.values)  # the values give what it says
    assert fitted.plans <= 24


def test_counts_are_whole_durations_whole_seconds_within_bounds():
    fitted = fit_length(700, INFOS, Routine())
    assert set(fitted.values) == {"hold", "sets", "rest"}  # no bounds: 'word' is left alone
    assert fitted.values["sets"].isdigit()
    for info in INFOS[:3]:
        value = seconds(fitted.values[info.name])
        assert float(value).is_integer()
        assert info.min <= value <= info.max


def test_the_values_keep_their_proportions():
    fitted = fit_length(500, INFOS, Routine())
    hold, rest = seconds(fitted.values["hold"]), seconds(fitted.values["rest"])
    assert hold / rest == pytest.approx(30 / 20, rel=0.1)


def test_too_short_says_the_shortest_and_gives_its_values():
    fitted = fit_length(60, INFOS, Routine())
    assert not fitted.reached
    assert fitted.values == {"hold": "10s", "sets": "1", "rest": "5s"}
    assert fitted.total_s == pytest.approx(60 + 20 + 14 + 0.1)
    assert "cannot be made 1:00 long; the shortest it can be is 1:34.100" in fitted.message


def test_too_long_says_the_longest():
    fitted = fit_length(3 * 3600, INFOS, Routine())
    assert not fitted.reached
    assert fitted.values == {"hold": "120s", "sets": "6", "rest": "60s"}
    assert "the longest it can be is" in fitted.message


def test_a_set_var_stays_as_set():
    routine = Routine()
    fitted = fit_length(500, INFOS, lambda v: routine({**v, "sets": "2"}), fixed={"sets"})
    assert "sets" not in fitted.values
    assert fitted.reached


def test_durations_fill_the_gap_between_two_counts():
    """Only a count and a duration that barely moves it: the count's steps
    (100 s each) jump over the length, the duration finds it."""
    infos = (var("sets", 2, 1, 6, "number"), var("pause", 10, 1, 60))

    def planner(v: Mapping[str, str]) -> float:
        return 100 * int(v["sets"]) + seconds(v["pause"])

    fitted = fit_length(351, infos, planner)
    assert fitted.reached, fitted
    assert abs(fitted.total_s - 351) <= 5


def test_already_that_long_changes_nothing():
    routine = Routine()
    now = routine({})
    fitted = fit_length(now + 2, INFOS, routine)
    assert fitted.reached and fitted.plans == 1
    assert fitted.values == {"hold": "30s", "sets": "3", "rest": "20s"}


def test_nothing_to_fit():
    fitted = fit_length(600, (var("word", 1, None, None),), lambda v: 120.0)
    assert not fitted.reached and fitted.values == {}
    assert "no var with a min or a max" in fitted.message
    assert fittable((var("word", 1, None, None),)) == ()


def test_one_sided_bounds_move_only_that_way():
    infos = (var("hold", 30, None, 90),)
    assert fit_length(10, infos, lambda v: seconds(v["hold"])).values == {"hold": "30s"}
    assert fit_length(60, infos, lambda v: seconds(v["hold"])).values == {"hold": "60s"}
