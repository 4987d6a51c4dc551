"""Speech speed and memory per engine: the seed routine's lines, cold.

For each engine installed (espeak-ng, Pico, hibari, piper, or those named)
it voices every distinct line of the seed routine (``scripts/lower-back-
relief.yaml``, in English) with an empty speech cache, through the whole
speaker path a render takes (worker processes, model loading, synthesis,
trimming, resampling, cache writes), as its own process, and prints:

- wall and CPU seconds (the process and its workers),
- x real time: seconds of speech made per second of wall time,
- first-clip latency: seconds from the start until the first line is in
  the cache (imports, worker start, model load, one line),
- peak memory: the largest resident set among the process and its
  workers (``wait4``, launched from a bare Python as ``render_speed.py`` does).

    .venv/bin/python benchmarks/speech_speed.py                  # every engine installed
    .venv/bin/python benchmarks/speech_speed.py pico hibari --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = HERE.parent / "scripts" / "lower-back-relief.yaml"
sys.path.insert(0, str(HERE))

ENGINES = ("pyttsx3", "pico", "hibari", "piper")


def one(engine: str, jobs: int | None, out: Path) -> None:
    """In the measured process: voice the seed with ``engine``, cold; write
    the numbers as JSON to ``out``."""
    start = time.perf_counter()
    first: list[float] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "speech" and done >= 1 and not first:
            first.append(time.perf_counter() - start)

    from cuecast.pipeline import Options, prepare
    from cuecast.units import SAMPLE_RATE

    prepared = prepare(SEED, Options(engine=engine, jobs=jobs, loudness_lufs=None), progress)
    wall = time.perf_counter() - start
    speech = prepared.timeline.events
    lines = {e.text: e.end - e.start for e in speech if e.kind == "speech"}
    audio_s = sum(lines.values()) / SAMPLE_RATE
    out.write_text(json.dumps({"wall_s": wall, "first_s": first[0] if first else wall,
                               "lines": len(lines), "audio_s": audio_s,
                               "voice": prepared.timeline.voice.get("voice", "")}))  # fmt: skip


def available(engine: str) -> bool:
    from cuecast.errors import CuecastError
    from cuecast.script.model import VoiceSpec
    from cuecast.voices.registry import get_engine

    try:
        get_engine(engine).resolve(VoiceSpec(), "en")
    except CuecastError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("engines", nargs="*", help=f"engines to measure (default: {' '.join(ENGINES)})")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.one:
        one(opts.one, opts.jobs, Path(opts.out))
        return 0
    from render_speed import measure

    engines = opts.engines or [e for e in ENGINES if available(e)]
    print(f"{os.cpu_count()} cores; the seed's distinct lines, cold cache, "
          f"jobs {opts.jobs or 'all cores'}\n")  # fmt: skip
    print(f"{'engine':8} {'voice':18} {'lines':>5} {'speech s':>8} {'wall s':>7} {'cpu s':>6} "
          f"{'x real':>7} {'first s':>7} {'peak MB':>8}")  # fmt: skip
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix="cuecast-speech-") as tmp:
            out = Path(tmp) / "numbers.json"
            me = str(Path(__file__).resolve())
            cmd = [sys.executable, me, "--one", engine, "--out", str(out)]
            if opts.jobs:
                cmd += ["--jobs", str(opts.jobs)]
            env = {**os.environ, "CUECAST_CACHE_DIR": str(Path(tmp) / "cache")}
            run = measure(cmd, env=env, what=f"{engine} speech")
            n = json.loads(out.read_text())
        print(f"{engine:8} {n['voice'][:18]:18} {n['lines']:5d} {n['audio_s']:8.1f} "
              f"{n['wall_s']:7.2f} {run.cpu_s:6.2f} {n['audio_s'] / n['wall_s']:7.1f} "
              f"{n['first_s']:7.2f} {run.peak_mb:8.1f}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
