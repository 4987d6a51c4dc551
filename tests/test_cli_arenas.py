"""The command line caps glibc's malloc arenas (issue 19: peak memory)."""

from __future__ import annotations

import ctypes
import os

import pytest

from cuecast.cli import base


class _Libc:
    def __init__(self, calls: list[tuple[int, int]]) -> None:
        self.calls = calls

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return 1


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    made: list[tuple[int, int]] = []
    monkeypatch.setattr(ctypes, "CDLL", lambda *_a, **_k: _Libc(made))
    monkeypatch.delenv(base.ARENA_VAR, raising=False)
    return made


def test_one_arena_a_core_on_glibc(calls: list[tuple[int, int]],
                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(os, "confstr", lambda name: "glibc 2.36")
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    base.fewer_arenas()
    assert calls == [(base.M_ARENA_MAX, 4)]


def test_the_environment_wins(calls: list[tuple[int, int]],
                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(os, "confstr", lambda name: "glibc 2.36")
    monkeypatch.setenv(base.ARENA_VAR, "8")
    base.fewer_arenas()
    assert calls == []


def test_nothing_elsewhere_than_glibc(calls: list[tuple[int, int]],
                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    def no_such_name(name: str) -> str:
        raise ValueError("unrecognized configuration name")

    monkeypatch.setattr(os, "confstr", no_such_name)
    base.fewer_arenas()
    monkeypatch.setattr(os, "confstr", lambda name: None)
    base.fewer_arenas()
    assert calls == []
