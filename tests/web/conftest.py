"""A small catalogue and an in-process client for the web tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cuecast.catalogue import load_catalogue
from cuecast.web import Settings, create_app

ROUTINE = """\
title: Tiny Stretch
description: Two holds and a few sets, for the tests.
vars:
  hold: {value: 3s, label: Stretch hold, min: 2s, max: 20s}
  sets: {value: 2, label: Sets, min: 1, max: 4}
  word: calm
profiles:
  gentle: {hold: 2s, sets: 1}
steps:
  - section: Stretch
  - say: Hold for {hold}.
  - hold: $hold
  - repeat: $sets
    rest: 1s
    steps:
      - say: Set {n}.
"""

CATALOGUE = """\
series:
  title: Test Series
  author: Test Studio
  description: Routines for tests.
  link: https://example.com/test/
defaults:
  format: mp3
  bitrate: 64
  engine: pyttsx3
tracks:
  - script: tiny.yaml
  - script: tiny.yaml
    profile: gentle
    title: Tiny Stretch (gentle)
"""


@pytest.fixture
def catalogue_path(tmp_path: Path) -> Path:
    (tmp_path / "tiny.yaml").write_text(ROUTINE)
    path = tmp_path / "catalogue.yaml"
    path.write_text(textwrap.dedent(CATALOGUE))
    return path


@pytest.fixture
def make_client(catalogue_path: Path, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """``make_client(**settings)``: a client of a fresh app on the catalogue."""
    clients: list[TestClient] = []

    def make(**settings: object) -> TestClient:
        app = create_app(load_catalogue(catalogue_path),
                         Settings(store_dir=tmp_path / f"store{len(clients)}",
                                  workers=1, **settings),  # type: ignore[arg-type]
                         warm=False)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
