"""Publish speed: the example catalogue (four tracks: the seed in three
profiles and the studio example), cold, with its speech and pieces
cached, and a re-run with nothing to render; before and after.

Copies ``scripts/`` to a temporary folder and times ``cuecast publish``
as its own process each time:

- cold: an empty cache (speech and MP3 pieces) and an empty output folder;
- cached: the cache of the cold run, an empty output folder (every track
  renders; its speech and the pieces whose audio did not change are in
  the cache);
- no change: the cached run's folder again (nothing renders; the manifest
  check, then the listings compared with what is there). The target is
  under 1 s for the whole command; the library call alone is timed too.

``--baseline TREE`` runs the same with another checkout's ``src`` first
(``git worktree add /tmp/base REV``), on its own cache: before and after
in one run. ``--jobs 1 2`` adds the tracks-at-a-time comparison (default:
2, the cores here). ``--quick`` publishes a short version of the catalogue
(every var set low) with the pyttsx3 engine, to try the script.

    .venv/bin/python benchmarks/publish_speed.py --baseline /tmp/base
    .venv/bin/python benchmarks/publish_speed.py --quick --jobs 1 2
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

from installed import as_installed

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
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


def _run(path: Path, out: Path, jobs: int, cache: Path,
         src: Path) -> tuple[float, float, str]:  # fmt: skip
    """Wall and CPU seconds (user + system, with every process it waited
    for: on a busy machine the CPU time is what the command itself costs)."""
    env = {**os.environ, "CUECAST_CACHE_DIR": str(cache), "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cuecast.cli", "publish", str(path), "-o",
                           str(out), "--jobs", str(jobs)], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
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
    env = {**os.environ, "CUECAST_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short tracks, pyttsx3")
    parser.add_argument("--jobs", type=int, nargs="+", default=[2])
    parser.add_argument("--baseline", type=Path, help="another checkout, measured first")
    args = parser.parse_args()
    trees = [("before", args.baseline / "src")] if args.baseline else []
    trees.append(("after", ROOT / "src"))
    as_installed(*(src for _, src in trees))  # from bytecode, as an install runs (installed.py)
    rows: list[tuple[str, float, float, str]] = []
    no_change: list[tuple[float, float]] = []
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"{'the quick catalogue (pyttsx3)' if args.quick else 'scripts/catalogue.yaml'}")
    print(f"{'run':<32} {'wall':>9} {'CPU':>9}   result")
    with tempfile.TemporaryDirectory(prefix="cuecast-publish-bench-") as tmp:
        path = _catalogue(Path(tmp), args.quick)
        for name, src in trees:
            for jobs in args.jobs:
                cache = Path(tmp) / f"cache-{name}-{jobs}"
                for kind in ("cold", "cached", "no change"):
                    made = "cached" if kind == "no change" else kind
                    out = Path(tmp) / f"out-{name}-{jobs}-{made}"
                    wall_s, cpu_s, summary = _run(path, out, jobs, cache, src)
                    rows.append((f"{name} --jobs {jobs} {kind}", wall_s, cpu_s, summary))
                    print(f"{rows[-1][0]:<32} {wall_s:8.2f}s {cpu_s:8.2f}s   {summary}",
                          flush=True)
                    if kind == "no change" and name == "after":
                        no_change.append((wall_s, cpu_s))
                        last = (out, cache)
        library_s = _library_no_change(path, *last)
    print(f"{'after, no change, library call':<32} {library_s:8.2f}s   (after imports)")
    timings = {name: (wall_s, cpu_s) for name, wall_s, cpu_s, _ in rows}
    for jobs in args.jobs:
        for kind in ("cold", "cached"):
            before, after = timings.get(f"before --jobs {jobs} {kind}"), \
                timings.get(f"after --jobs {jobs} {kind}")
            if before and after:
                print(f"--jobs {jobs} {kind}: after/before wall {after[0] / before[0]:.2f}x, "
                      f"CPU {after[1] / before[1]:.2f}x")
    wall_s, cpu_s = max(no_change)
    verdict = "PASS" if wall_s < TARGET_NO_CHANGE_S else "FAIL"
    print(f"{verdict}: a re-run with nothing to render took {wall_s:.2f} s wall, {cpu_s:.2f} s "
          f"CPU (target < {TARGET_NO_CHANGE_S:g} s; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
