"""A folder of routines and the editor's app on it, in process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cuecast.edit import create_app
from cuecast.request import Options

TOKEN = "test-token-0123456789abcdef"
TINY = """\
# A tiny routine for the editor's tests.
title: Tiny   # a comment the editor keeps
vars:
  hold: {value: 3s, label: Stretch hold, min: 2s, max: 20s}
steps:
  - section: Stretch
  - say: Hold for {hold}.
  - hold: $hold
  - say: Well done.
"""


@pytest.fixture
def studio(tmp_path: Path) -> Path:
    root = tmp_path / "studio"
    root.mkdir()
    (root / "tiny.yaml").write_text(TINY)
    (tmp_path / "secret.yaml").write_text("title: not yours\n")
    os.symlink(tmp_path / "secret.yaml", root / "link-out.yaml")
    return root


@pytest.fixture
def client(studio: Path) -> Iterator[TestClient]:
    app = create_app(studio, Options(engine="pyttsx3"), TOKEN)
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        yield c


@pytest.fixture
def entered(client: TestClient) -> TestClient:
    """The client after following the link (it holds the cookie)."""
    answer = client.get(f"/?token={TOKEN}", follow_redirects=False)
    assert answer.status_code == 303
    return client
