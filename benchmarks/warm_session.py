"""A customised session of a warm track, timed inside the server.

Issue 19: when a listener changes only hold, rest or set values of a track
whose default session was made, the finished file should be there in well
under a second (0.5 s asked) and the first byte at once. This times the
server's own work, without HTTP: in one process, the listener page's
``Sessions`` (``cuecast.web``) on the seed routine (pyttsx3, MP3 96 kbit/s,
its own empty speech cache and store), the track made warm (its default
session made), then one new lunge hold at a time (each a session no one
asked for before, with one new spoken line, "N seconds on each side"):

- first byte: from the listener's form read (``Library.choose``) to the
  first audio byte of the live stream;
- finished: to the finished file in the store;
- CPU: the process's and its children's CPU time for the session.

``--baseline TREE`` runs the same in another checkout first (its ``src``
on the path, its own cache), so before and after come from one run.

    .venv/bin/python benchmarks/warm_session.py --sessions 5
    .venv/bin/python benchmarks/warm_session.py --baseline /tmp/pagebase
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installed import as_installed
from serve_load import CATALOGUE, tree_cpu_s  # the catalogue the load benchmark serves

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "scripts" / "lower-back-relief.yaml"
TARGET_S = 0.5


def _cpu() -> float:
    """This process's CPU, its children's it waited for and those still
    running (the speech workers the server keeps: ``serve_load.tree_cpu_s``)."""
    return tree_cpu_s(os.getpid())


def measure(folder: Path, holds: list[int]) -> dict[str, object]:
    """In this process (the tree on ``sys.path``): the warm-up and each session."""
    from cuecast.catalogue import load_catalogue
    from cuecast.web.library import Library
    from cuecast.web.sessions import Sessions, Settings

    shutil.copy(SEED, folder / SEED.name)
    (folder / "catalogue.yaml").write_text(CATALOGUE)
    library = Library(load_catalogue(folder / "catalogue.yaml"))
    sessions = Sessions(library, Settings(store_dir=folder / "store", workers=2))
    view = next(iter(library.tracks.values()))
    rows = []
    try:
        for hold in [None, *holds]:  # None: the default session, which makes the track warm
            t0, c0 = time.monotonic(), _cpu()
            choice = library.choose(view, {} if hold is None else {"lunge_hold": f"{hold}s"})
            job = sessions.start(choice)
            first = None
            if not isinstance(job, Path):
                while not job.finished.wait(0.002):
                    if first is None and job.live.length > 0:
                        first = time.monotonic() - t0
                if job.state != "done":
                    raise SystemExit(f"hold {hold}: {job.error}")
            done = time.monotonic() - t0
            rows.append({"hold": hold, "first_s": first if first is not None else done,
                         "done_s": done, "cpu_s": _cpu() - c0})
    finally:
        sessions.close()
    return {"warm": rows[0], "sessions": rows[1:]}


def run_tree(name: str, src: Path, holds: list[int], folder: Path) -> dict[str, object]:
    work = folder / name
    work.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(src), "CUECAST_CACHE_DIR": str(work / "cache")}
    proc = subprocess.run([sys.executable, __file__, "--inside", str(work),
                           "--holds", ",".join(map(str, holds))],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{name}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=5, help="new holds, one after another")
    ap.add_argument("--baseline", type=Path, help="another checkout, measured first")
    ap.add_argument("--inside", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--holds", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside is not None:
        print(json.dumps(measure(args.inside, [int(h) for h in args.holds.split(",")])))
        return 0
    holds = [61 + 2 * i for i in range(args.sessions)]
    folder = Path(tempfile.mkdtemp(prefix="cuecast-warm-session-"))
    trees = [("before", args.baseline / "src")] if args.baseline else []
    trees.append(("after", ROOT / "src"))
    as_installed(*(src for _, src in trees))  # from bytecode, as an install runs (installed.py)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; seed routine, "
          f"pyttsx3, MP3 96 kbit/s; {args.sessions} new lunge holds one after another")
    failed = False
    try:
        for name, src in trees:
            got = run_tree(name, src, holds, folder)
            warm = got["warm"]
            print(f"{name}: the track made warm (its default session) in {warm['done_s']:.2f} s")
            rows = got["sessions"]
            for row in rows:
                print(f"  {name:6} hold {row['hold']:3d} s: first byte {row['first_s']:6.3f} s  "
                      f"finished {row['done_s']:6.3f} s  cpu {row['cpu_s']:6.2f} s")
            done = [r["done_s"] for r in rows]
            first = [r["first_s"] for r in rows]
            cpu = [r["cpu_s"] for r in rows]
            print(f"  {name:6} median: first byte {statistics.median(first):.3f} s, finished "
                  f"{statistics.median(done):.3f} s, cpu {statistics.median(cpu):.2f} s")
            if name == "after":
                failed = statistics.median(done) > TARGET_S
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'FAIL' if failed else 'PASS'}: a warm track's customised session finished in "
          f"under {TARGET_S} s (median, after)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
