"""The JSON Schema for editors: same keys as the loader, and valid scripts pass it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cuecast.script import schema
from cuecast.script.keys import (
    BACKGROUND_KEYS,
    COUNTDOWN_KEYS,
    DEFAULTS_KEYS,
    STEP_OPTIONS,
    TOP_KEYS,
)

FIXTURES = Path(__file__).parent / "fixtures" / "scripts"


def test_schema_is_draft_2020_12_and_json() -> None:
    s = schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert json.loads(json.dumps(s)) == s
    assert s["required"] == ["title", "steps"]


def test_schema_keys_match_the_loader() -> None:
    s = schema()
    assert tuple(s["properties"]) == TOP_KEYS
    assert set(s["properties"]["defaults"]["properties"]) == set(DEFAULTS_KEYS)
    background = s["properties"]["background"]["anyOf"][2]
    assert set(background["properties"]) == set(BACKGROUND_KEYS)
    countdown = s["$defs"]["countdown"]["anyOf"][0]
    assert set(countdown["properties"]) == set(COUNTDOWN_KEYS)
    steps = s["$defs"]["step"]["oneOf"]
    assert [next(iter(step["properties"])) for step in steps] == list(STEP_OPTIONS)
    for step in steps:
        kind, *options = step["properties"]
        assert tuple(options) == STEP_OPTIONS[kind]


def test_kitchen_sink_validates() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = yaml.safe_load((FIXTURES / "kitchen-sink.yaml").read_text())
    jsonschema.validate(data, schema())
