"""The speeds the unit suite used to assert, measured here against a baseline
in the same run (a loaded machine slows both alike).

The unit tests now assert the behaviour behind each (a length reads the
header only; a hostile script is refused before any speech; the loader
stops at the node limit; a hung engine is killed by its timeout). This
prints what each costs, beside what it is compared with:

- 1000 lengths: ``Cache.length`` of 1000 cached clips (the header only),
  against ``Cache.load`` of the same 1000;
- hostile check: ``cuecast check`` of a script that includes itself, against
  ``cuecast check`` of a one-step script;
- billion laughs: loading 10**9 aliased nodes (refused at 100,000), against
  loading the seed routine;
- hung engine: a worker whose engine never answers, killed at its timeout,
  against the timeout itself.

    python benchmarks/unit_timings.py [--repeat 5]

Each row is the median of ``--repeat`` runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import numpy as np  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from cuecast.cli import main  # noqa: E402
from cuecast.errors import CuecastError, EngineError  # noqa: E402
from cuecast.script import load  # noqa: E402
from cuecast.script.model import VoiceSpec  # noqa: E402
from cuecast.voices.cache import Cache, cache_key  # noqa: E402

SEED = ROOT / "scripts" / "lower-back-relief.yaml"


def median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cache_rows(folder: Path, repeat: int) -> tuple[float, float]:
    os.environ["CUECAST_CACHE_DIR"] = str(folder / "cache")
    cache = Cache()
    voice = VoiceSpec(engine="pyttsx3", name="en", rate_wpm=150.0, volume=1.0)
    keys = [cache_key("pyttsx3", "1", voice, f"line {i}") for i in range(1000)]
    for key in keys:
        cache.store(key, np.zeros(44100, dtype=np.float32))  # a second each
    lengths = median_ms(lambda: [cache.length(k) for k in keys], repeat)
    loads = median_ms(lambda: [cache.load(k) for k in keys], repeat)
    return lengths, loads


def hostile_rows(folder: Path, repeat: int) -> tuple[float, float]:
    (folder / "self.yaml").write_text("title: T\nsteps:\n  - include: self.yaml\n")
    (folder / "ok.yaml").write_text("title: T\nsteps:\n  - pause: 1s\n")

    def check(name: str, code: int) -> Callable[[], object]:
        def run() -> None:
            result = CliRunner().invoke(main, ["check", str(folder / name), "--engine", "pyttsx3"])
            assert result.exit_code == code, result.output

        return run

    check("ok.yaml", 0)()  # the engine started once, as a warm process would have it
    return median_ms(check("self.yaml", 2), repeat), median_ms(check("ok.yaml", 0), repeat)


def laughs_rows(folder: Path, repeat: int) -> tuple[float, float]:
    lines = ["title: T", "steps:", "  - repeat: 1", "    steps: &a"]
    lines += ["      - say: lol"] * 10
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines += ["  - repeat: 1", f"    steps: &{name}"]
        lines += [f"      - {{repeat: 1, steps: *{prev}}}"] * 10
    (folder / "laughs.yaml").write_text("\n".join(lines) + "\n")

    def laughs() -> None:
        try:
            load(folder / "laughs.yaml")
        except CuecastError:
            return
        raise AssertionError("the billion laughs loaded")

    return median_ms(laughs, repeat), median_ms(lambda: load(SEED), repeat)


def hung_rows(repeat: int) -> tuple[float, float]:
    from tests.test_speaker import utt

    from cuecast.voices import workers
    from cuecast.voices.speaker import Speaker

    workers.TIMEOUT_BASE_S, workers.TIMEOUT_PER_CHAR_S, workers.STARTUP_TIMEOUT_S = 0.5, 0.0, 0.5

    def hung() -> None:
        try:
            Speaker("tests.test_speaker:HangingEngine").prepare([utt("Hold it.")])
        except EngineError:
            return
        raise AssertionError("the hung engine answered")

    return median_ms(hung, repeat), workers.TIMEOUT_BASE_S * 1000


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cuecast-bench-") as tmp:
        folder = Path(tmp)
        rows = [
            ("1000 lengths", "1000 loads", *cache_rows(folder, args.repeat)),
            ("hostile check", "plain check", *hostile_rows(folder, args.repeat)),
            ("billion laughs", "seed load", *laughs_rows(folder, args.repeat)),
            ("hung engine", "its timeout", *hung_rows(max(1, args.repeat // 2))),
        ]
    print(f"{'row':<16}{'ms':>10}   {'baseline':<14}{'ms':>10}   ratio")
    for name, base, ms, base_ms in rows:
        print(f"{name:<16}{ms:>10.1f}   {base:<14}{base_ms:>10.1f}   {ms / base_ms:5.2f}x")


if __name__ == "__main__":
    main_()
