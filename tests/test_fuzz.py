"""A mutation fuzzer over the example scripts and fixtures: each case is a
real script with a few random byte, line or token mutations, checked by
``cuecast check`` through the CLI. It must end in exit 0 (still valid) or
2 (an input error), never in a traceback or another exit code.

Seeded, and a fixed number of cases (``CASES``; ``CUECAST_FUZZ_CASES`` and
``CUECAST_FUZZ_SEED`` change them for a longer hunt), so the run is
repeatable and its time bounded. The fuzzer aims at the loader and the
planner: speech lengths come from a word count, not from synthesis.
"""

from __future__ import annotations

import functools
import os
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.script import context
from cuecast.timeline import to_samples
from cuecast.voices.speaker import Speaker
from tests import tally

pytestmark = pytest.mark.slow  # many generated cases or timings: left out of make test-fast

ROOT = Path(__file__).resolve().parents[1]
CASES = int(os.environ.get("CUECAST_FUZZ_CASES", "300"))
SEED = int(os.environ.get("CUECAST_FUZZ_SEED", "20240605"))
SOURCES = sorted([
    *ROOT.glob("scripts/*.yaml"),
    *(ROOT / "tests" / "fixtures" / "scripts").rglob("*.yaml"),
    *(ROOT / "tests" / "e2e" / "scripts").glob("*.yaml"),
])

SPICE = [":", "-", "- ", "[", "]", "{", "}", "&a", "*a", "!!python/object:os.system", "!x",
         "\t", "\n", '"', "'", "\x00", "\ufeff", "$", "{n}", "{side}", "#", "|", ">", "%",
         "@", "`", "<<: *a", "? ", ",", "\u202e", "\\", "~", "..", "/"]
NUMBERS = ["0", "-1", "10001", "1e400", ".nan", "-.inf", "99999999999999999999", "0x10",
           "1:2:3", "25h", "0.0001s", "1_000"]
WORDS = ["say", "hold", "repeat", "steps", "include", "sound", "cover", "voice", "engine",
         "vars", "profiles", "defaults", "breathe", "cycles", "sides", "reps", "null", "true"]


def _flip(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    return text[:i] + chr(rng.randrange(1, 0x250)) + text[i + 1:]


def _spice(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text) + 1)
    return text[:i] + rng.choice(SPICE) + text[i:]


def _cut(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    return text[:i] + text[i + rng.randrange(1, 40):]


def _lines(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    how = rng.choice(["drop", "copy", "swap", "indent", "dedent"])
    if how == "drop":
        del lines[i]
    elif how == "copy":
        lines.insert(j, lines[i])
    elif how == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "indent":
        lines[i] = "  " + lines[i]
    else:
        lines[i] = lines[i][2:]
    return "\n".join(lines) + "\n"


def _token(text: str, rng: random.Random) -> str:
    tokens = list(re.finditer(r"[A-Za-z_]+|\d+(?:\.\d+)?", text))
    if not tokens:
        return text
    m = rng.choice(tokens)
    pool = NUMBERS if m.group()[0].isdigit() else WORDS + [t.group() for t in tokens[:50]]
    return text[:m.start()] + rng.choice(pool) + text[m.end():]


def _truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text))]


MUTATIONS = [_flip, _spice, _cut, _lines, _token, _token, _truncate]


def mutate(text: str, rng: random.Random) -> tuple[str, list[str]]:
    names = []
    for _ in range(rng.choice([1, 1, 2, 3, 5])):
        how = rng.choice(MUTATIONS)
        names.append(how.__name__.strip("_"))
        text = how(text, rng) if text else text
    return text, names


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The scripts and fixtures copied with the files they name; speech
    measured by words; each audio file probed once."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "scripts", tmp_path, dirs_exist_ok=True)
    for extra in ROOT.glob("scripts/*.png"):
        shutil.copy(extra, tmp_path)
    monkeypatch.setattr(Speaker, "prepare", lambda self, utterances, progress=None: None)
    monkeypatch.setattr(Speaker, "length",
                        lambda self, utt: to_samples(0.3 * len(utt.text.split()) + 0.1))
    monkeypatch.setattr(context, "probe_audio", functools.lru_cache(context.probe_audio))
    return tmp_path


def test_mutated_scripts_never_crash(workspace: Path) -> None:
    rng = random.Random(SEED)
    texts = {p: p.read_text(encoding="utf-8") for p in SOURCES}
    codes: Counter[int] = Counter()
    runner = CliRunner()
    for case in range(CASES):
        source = rng.choice(SOURCES)
        text, how = mutate(texts[source], rng)
        path = workspace / f"fuzz-{case % 7}.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        result = runner.invoke(main, ["check", str(path), "--engine", "pyttsx3"])
        where = f"case {case} ({source.name}, {'+'.join(how)}, seed {SEED})"
        assert result.exit_code in (0, 2), f"{where}: {result.output}\n{result.exception!r}"
        assert "Traceback" not in result.output, where
        if result.exit_code == 2:
            assert result.stderr.startswith("cuecast: error: "), (where, result.stderr)
        codes[result.exit_code] += 1
    tally.add("fuzz cases run", CASES)
    tally.add("fuzz cases still valid (exit 0)", codes[0])
    tally.add("bad inputs tried", codes[2])
    assert codes[2] > CASES // 4  # the mutations do break scripts
