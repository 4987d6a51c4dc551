"""Script model and parsing: YAML file -> typed, resolved ``Script``."""

from __future__ import annotations

from cuecast.script.durations import duration_words, number_words, parse_duration
from cuecast.script.load import MAPPING_NAME, ScriptMapping, ScriptSource, load
from cuecast.script.model import Script
from cuecast.script.schema import schema
from cuecast.script.varinfo import VarInfo, describe_vars
from cuecast.script.vars import parse_set

__all__ = [
    "MAPPING_NAME",
    "Script",
    "ScriptMapping",
    "ScriptSource",
    "VarInfo",
    "describe_vars",
    "duration_words",
    "load",
    "number_words",
    "parse_duration",
    "parse_set",
    "schema",
]
