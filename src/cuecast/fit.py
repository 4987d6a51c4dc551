"""Fit a session to a length: the values of a script's vars that make its
plan as long as asked.

Takes the asked length, the script's vars (``VarInfo``: value and bounds)
and a planning function (values as ``--set`` texts -> the planned length
in seconds); gives a ``Fitted``: the values, the length they plan to, and
whether it is within the tolerance. Pure given the planning function: the
command line and the API plan with ``prepare``, the listener's page with
its cached plans.

How: every var that may change is scaled by one factor from its current
value (so their proportions stay), kept within its bounds (a side without
a bound stays at the value: the script's author did not say it may go
further), durations to whole seconds and counts to whole numbers. The
factor is searched by regula falsi (the Illinois variant) between the
values at their bounds, which needs a handful of plans since the length
is nearly linear in it. When the counts' steps jump over the asked length,
the counts are kept where they were on either side and the durations alone
are searched again. Vars given with ``--set`` (``fixed``) are left alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from cuecast.script import VarInfo
from cuecast.units import clock_text, to_samples

TOLERANCE_S = 5.0
"""How near the asked length a fit must plan to."""
MAX_PLANS = 24
"""Plans one fit may ask for (each new value is new speech to measure)."""
MAX_STEPS = 200
"""Steps of one search, planned or remembered (whole values repeat)."""

Planner = Callable[[Mapping[str, str]], float]
"""``--set``-style texts of the fitted vars -> the planned length in seconds."""


@dataclass(frozen=True)
class Fitted:
    """The outcome of a fit: what to ``--set``, and what it gives."""

    asked_s: float
    total_s: float
    """The planned length with ``values``, in seconds."""
    values: Mapping[str, str]
    """Var name -> value text (``"45s"``, ``"3"``), for every var fitted."""
    reached: bool
    """Whether ``total_s`` is within the tolerance of ``asked_s``."""
    plans: int
    """How many plans the search asked for (cached ones included)."""

    @property
    def message(self) -> str:
        """For people: what was fitted, or the nearest length reachable."""
        asked, got = _clock(self.asked_s), _clock(self.total_s)
        if self.reached:
            return f"fitted to {asked}: {got}"
        if not self.values:
            return f"has no var with a min or a max to fit; it is {got}"
        side = "shortest" if self.total_s > self.asked_s else "longest"
        return f"cannot be made {asked} long; the {side} it can be is {got}"


@dataclass(frozen=True)
class _Var:
    name: str
    count: bool
    base: float
    low: float
    high: float

    def at(self, factor: float) -> float:
        value = min(max(self.base * factor, self.low), self.high)
        if self.count:
            return float(min(max(round(value), math.ceil(self.low)), math.floor(self.high)))
        whole = float(round(value))
        return whole if self.low <= whole <= self.high else value

    def text(self, value: float) -> str:
        return f"{value:g}" if self.count else f"{value:g}s"


def fittable(infos: Sequence[VarInfo], fixed: Collection[str] = ()) -> tuple[VarInfo, ...]:
    """The vars a fit may change: durations and whole-number counts with at
    least one bound, not among ``fixed``."""
    return tuple(i for i in infos if i.name not in fixed and _var(i) is not None)


def fit_length(asked_s: float, infos: Sequence[VarInfo], planner: Planner, *,
               fixed: Collection[str] = (), tolerance_s: float = TOLERANCE_S,
               max_plans: int = MAX_PLANS) -> Fitted:
    """Values for the vars in ``infos`` (all but ``fixed``) that plan to
    within ``tolerance_s`` of ``asked_s``; else the nearest found."""
    variables = [v for v in (_var(i) for i in infos if i.name not in fixed) if v is not None]
    search = _Search(asked_s, planner, tolerance_s, max_plans)
    best = search.run(variables)
    if not search.reached(best) and any(v.count for v in variables):
        for values in search.sides():
            counts = {v.name: values[v.name] for v in variables if v.count}
            durations = [_Var(v.name, False, values[v.name], v.low, v.high)
                         for v in variables if not v.count]
            best = search.better(best, search.run(durations, counts))
            if search.reached(best):
                break
    values, total_s = best
    texts = {v.name: v.text(values[v.name]) for v in variables}
    return Fitted(asked_s, total_s, texts, search.reached(best), search.asked)


_Point = tuple[dict[str, float], float]


class _Search:
    def __init__(self, asked_s: float, planner: Planner, tolerance_s: float,
                 max_plans: int) -> None:
        self.asked_s = asked_s
        self.planner = planner
        self.tolerance_s = tolerance_s
        self.max_plans = max_plans
        self.asked = 0
        self._known: dict[tuple[tuple[str, float], ...], float] = {}
        self._below: _Point | None = None
        self._above: _Point | None = None

    def total(self, values: dict[str, float], texts: Callable[[], dict[str, str]]) -> float:
        key = tuple(sorted(values.items()))
        if key not in self._known:
            self.asked += 1
            self._known[key] = self.planner(texts())
        total_s = self._known[key]
        point = (values, total_s)
        if total_s <= self.asked_s and (self._below is None or total_s > self._below[1]):
            self._below = point
        if total_s >= self.asked_s and (self._above is None or total_s < self._above[1]):
            self._above = point
        return total_s

    def reached(self, point: _Point) -> bool:
        return abs(point[1] - self.asked_s) <= self.tolerance_s

    def better(self, a: _Point, b: _Point) -> _Point:
        return b if abs(b[1] - self.asked_s) < abs(a[1] - self.asked_s) else a

    def sides(self) -> list[dict[str, float]]:
        """The values planned nearest under and over the asked length."""
        return [p[0] for p in (self._below, self._above) if p is not None]

    def run(self, variables: Sequence[_Var], kept: Mapping[str, float] | None = None) -> _Point:
        kept = dict(kept or {})

        def point(factor: float) -> _Point:
            values = {**kept, **{v.name: v.at(factor) for v in variables}}
            texts = {**{n: f"{x:g}" for n, x in kept.items()},
                     **{v.name: v.text(values[v.name]) for v in variables}}
            return values, self.total(values, lambda: texts)

        start = point(1.0)
        if self.reached(start) or not variables:
            return start
        shorter = start[1] > self.asked_s
        edge_factor = (min(v.low / v.base for v in variables) if shorter
                       else max(v.high / v.base for v in variables))
        edge = point(edge_factor)
        if (edge[1] > self.asked_s) == shorter and not self.reached(edge):
            return edge  # beyond what the bounds allow: the nearest reachable
        low, high = (edge_factor, 1.0) if shorter else (1.0, edge_factor)
        t_low, t_high = (edge[1], start[1]) if shorter else (start[1], edge[1])
        best = self.better(start, edge)
        side = 0
        for _ in range(MAX_STEPS):
            if self.reached(best) or self.asked >= self.max_plans or t_high == t_low \
                    or high - low < 1e-6:
                break
            factor = low + (self.asked_s - t_low) * (high - low) / (t_high - t_low)
            candidate = point(factor)
            best = self.better(best, candidate)
            if candidate[1] < self.asked_s:
                low, t_low = factor, candidate[1]
                if side == -1:  # Illinois: the same end twice, halve the other's weight
                    t_high = self.asked_s + (t_high - self.asked_s) / 2
                side = -1
            else:
                high, t_high = factor, candidate[1]
                if side == 1:
                    t_low = self.asked_s - (self.asked_s - t_low) / 2
                side = 1
        return best


def _var(info: VarInfo) -> _Var | None:
    if info.min is None and info.max is None:
        return None
    if info.kind == "duration" and info.seconds:
        base = info.seconds
        count = False
    elif info.kind == "number" and info.number and float(info.number).is_integer():
        base = info.number
        count = True
    else:
        return None
    low = info.min if info.min is not None else base
    high = info.max if info.max is not None else base
    if low >= high or base <= 0:
        return None
    return _Var(info.name, count, base, low, high)


def _clock(seconds: float) -> str:
    """``9:58.832``; a whole second without its ``.000`` (an asked ``10:00``)."""
    text = clock_text(to_samples(seconds))
    return text[:-4] if text.endswith(".000") else text
