"""Publish speed: the example catalogue with --jobs 1 and --jobs 2, cold
and warm, and a re-run with nothing to render.

Copies ``scripts/`` to a temporary folder and times ``cuecast publish``
as its own process each time:

- cold: an empty speech cache and an empty output folder;
- warm: the speech cache of the cold run, an empty output folder (every
  track renders; only the speech is cached);
- no change: the warm run's folder again (nothing renders; the manifest
  check, then the listings compared with what is there). The target is
  under 1 s for the whole command; the library call alone is timed too.

The baseline in the same run is ``--jobs 1``: the ``--jobs 2`` rows show
their speed-up over it. ``--quick`` publishes a short version of the
catalogue (every var set low) with the pyttsx3 engine, to try the script.

    .venv/bin/python benchmarks/publish_speed.py            # the example as it is
    .venv/bin/python benchmarks/publish_speed.py --quick
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CUECAST = Path(sys.executable).parent / "cuecast"
TARGET_NO_CHANGE_S = 1.0
QUICK_SETS = {  # each var at its lowest allowed value
    "lower-back-relief.yaml": "{release_hold: 30s, lunge_hold: 20s, bridge_hold: 15s, "
    "bridge_sets: 1, bridge_rest: 10s, press_reps: 4, climber_reps: 6, vsit_reps: 3, "
    "scooter_reps: 4, standing_hold: 15s}",
    "studio-example.yaml": "{breaths: 1, stretch: 10s, rest: 5s}",
}


def _catalogue(folder: Path, quick: bool) -> Path:
    shutil.copytree(ROOT / "scripts", folder / "scripts")
    path = folder / "scripts" / "catalogue.yaml"
    if quick:  # short tracks spoken by pyttsx3: the same work, in seconds
        text = path.read_text().replace("engine: best", "engine: pyttsx3")
        for script, sets in QUICK_SETS.items():
            text = re.sub(rf"(- script: {re.escape(script)}\n)", rf"\1    set: {sets}\n", text)
        path.write_text(text)  # a set wins over the track's profile, as on the command line
    return path


def _run(path: Path, out: Path, jobs: int, cache: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system, with every process it waited
    for: on a busy machine the CPU time is what the command itself costs)."""
    env = {**os.environ, "CUECAST_CACHE_DIR": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(CUECAST), "publish", str(path), "-o", str(out), "--jobs",
                           str(jobs)], env=env, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"publish failed:\n{done.stderr}")
    summary = next(line for line in done.stderr.splitlines() if " up to date" in line)
    return wall_s, cpu_s, summary.split(";")[0]


def _library_no_change(path: Path, out: Path, cache: Path) -> float:
    code = ("import time; from cuecast.publish import publish; t = time.perf_counter(); "
            f"r = publish({str(path)!r}, {str(out)!r}); "
            "assert not r.rendered; print(time.perf_counter() - t)")
    env = {**os.environ, "CUECAST_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short tracks, pyttsx3")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    rows: list[tuple[str, float, float, str]] = []
    no_change: list[tuple[float, float]] = []
    print(f"{'run':<24} {'wall':>9} {'CPU':>9}   result")
    with tempfile.TemporaryDirectory(prefix="cuecast-publish-bench-") as tmp:
        path = _catalogue(Path(tmp), args.quick)
        for jobs in args.jobs:
            cache = Path(tmp) / f"cache-{jobs}"
            for kind in ("cold", "warm", "no change"):
                out = Path(tmp) / f"out-{jobs}-{'warm' if kind == 'no change' else kind}"
                wall_s, cpu_s, summary = _run(path, out, jobs, cache)
                rows.append((f"--jobs {jobs} {kind}", wall_s, cpu_s, summary))
                print(f"{rows[-1][0]:<24} {wall_s:8.2f}s {cpu_s:8.2f}s   {summary}", flush=True)
                if kind == "no change":
                    no_change.append((wall_s, cpu_s))
        library_s = _library_no_change(path, out, cache)
    print(f"{'no change, library call':<24} {library_s:8.2f}s   (after imports)")
    timings = {name: wall_s for name, wall_s, _, _ in rows}
    for kind in ("cold", "warm"):
        one, two = timings.get(f"--jobs 1 {kind}"), timings.get(f"--jobs 2 {kind}")
        if one and two:
            print(f"--jobs 2 {kind} speed-up over --jobs 1: {one / two:.2f}x")
    wall_s, cpu_s = max(no_change)
    verdict = "PASS" if wall_s < TARGET_NO_CHANGE_S else "FAIL"
    print(f"{verdict}: a re-run with nothing to render took {wall_s:.2f} s wall, {cpu_s:.2f} s "
          f"CPU (target < {TARGET_NO_CHANGE_S:g} s; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

if __name__ == "__main__":
    main()
