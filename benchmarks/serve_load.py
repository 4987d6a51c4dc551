"""Load on ``cuecast serve`` (loopback only): 20 listeners at once.

Starts ``cuecast serve`` on 127.0.0.1 (a free port, a fresh store) with a
catalogue of the seed routine (pyttsx3, MP3 96 kbit/s), then sends
``--clients`` customised requests at the same moment, each with its own
lunge hold and bridge sets. Every request must either be accepted (303 to
its session) or refused with 503 and ``Retry-After``; an accepted one
opens the live audio at once (time to first audio byte), waits for the
session and downloads the finished file (time to finished file), which
must decode to exactly the length its plan gives. The server's memory
(its own resident set, and with the speech workers and encoders it
starts) is sampled throughout.

Rounds: one listener on an empty speech cache (the cold time to play);
then ``--clients`` at once with new values (cold: most of the speech is
cached by then, the values' own lines are not), again with other new values
(warm), the warm round again (what it accepted is served from disk), and
one listener with new values on a warm server.

    .venv/bin/python benchmarks/serve_load.py              # 20 clients
    .venv/bin/python benchmarks/serve_load.py --clients 8 --queue 8

Latest run (2 cores shared with other jobs, load average 7-17 throughout,
so every time is several times a quiet machine's; seed routine, 16 min):

    one listener, empty cache   1 accepted      first byte 30.7 s  file 60.4 s
    20 at once, new values      8 + 12 x 503    first byte 15.3 s (median 88.7)
                                (Retry-After 59) file 56.2 s (median 122.5)
    20 at once, warm cache      8 + 12 x 503    first byte 6.6 s (median 45.7)
                                (Retry-After 42) file 23.7 s (median 65.1)
    the same 20 again           16 + 4 x 503    first byte 0.46 s, file 0.94 s (from disk)
    one listener, warm cache    1 accepted      first byte 3.3 s   file 14.5 s
    none corrupt; server peak 720 MB resident (812 MB with its children)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "scripts" / "lower-back-relief.yaml"
CATALOGUE = """\
series:
  title: Desk Recovery
  author: Riverside Pilates
  description: Short routines for people who sit all day.
  link: https://example.com/desk-recovery/
defaults: {format: mp3, bitrate: 96, engine: pyttsx3}
tracks:
  - script: lower-back-relief.yaml
"""


@dataclass
class Outcome:
    status: int
    retry_after: str | None = None
    first_byte_s: float | None = None
    finished_s: float | None = None
    ok: bool | None = None
    why: str = ""
    samples: int | None = None


def values(i: int, round_no: int) -> dict[str, str]:
    """A distinct customisation per client and round (20-179 s holds, 1-5 sets)."""
    return {"lunge_hold": f"{20 + (i * 7 + round_no * 3) % 160}s",
            "bridge_sets": str(1 + (i + round_no) % 5),
            "bridge_rest": f"{10 + (round_no * 7 + i) % 80}s"}


def planned_samples(folder: Path, sets: dict[str, str]) -> int:
    from cuecast.pipeline import Options, prepare

    options = Options(sets=sets, engine="pyttsx3", bitrate_kbps=96, fmt="mp3")
    return prepare(folder / SEED.name, options).timeline.length


def decoded_samples(path: Path) -> int:
    from cuecast.ffmpeg import ffmpeg_exe

    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "f32le", "-ac",
                          "1", "-ar", "44100", "-"], check=True, capture_output=True).stdout
    return len(np.frombuffer(raw, dtype=np.float32))


def one(base: str, sets: dict[str, str], folder: Path, out: Outcome,
        start: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=600) as client:
        start.wait()
        t0 = time.monotonic()
        made = client.post("/t/lower-back-relief", data=sets, follow_redirects=False)
        out.status, out.retry_after = made.status_code, made.headers.get("retry-after")
        if made.status_code != 303:
            out.ok = made.status_code == 503 and out.retry_after is not None
            out.why = "" if out.ok else f"HTTP {made.status_code}"
            return
        session = made.headers["location"]
        with client.stream("GET", session + "/live.mp3") as live:
            for chunk in live.iter_bytes():
                if chunk:
                    out.first_byte_s = time.monotonic() - t0
                    break
        while client.get(session + "/status").json()["state"] not in ("done", "failed"):
            time.sleep(0.2)
        got = client.get(session + "/download")
        out.finished_s = time.monotonic() - t0
        target = folder / f"dl-{threading.get_ident()}.mp3"
        target.write_bytes(got.content)
        out.samples = decoded_samples(target) if got.status_code == 200 else None
        out.ok = got.status_code == 200
        out.why = "" if out.ok else f"download: HTTP {got.status_code}"
        target.unlink()


class Memory:
    """Peak resident set of the server, and of the server with its children."""

    def __init__(self, pid: int) -> None:
        self.pid, self.own_mb, self.tree_mb = pid, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            own = _rss_mb(self.pid)
            tree = own + sum(_rss_mb(p) for p in _descendants(self.pid))
            self.own_mb, self.tree_mb = max(self.own_mb, own), max(self.tree_mb, tree)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
                found += kids
                todo += kids
        except OSError:
            continue
    return found


def run_round(name: str, base: str, folder: Path, clients: int, round_no: int,
              memory: Memory) -> list[Outcome]:
    asked = [values(i, round_no) for i in range(clients)]
    outcomes = [Outcome(0) for _ in asked]
    start = threading.Event()
    threads = [threading.Thread(target=one, args=(base, s, folder, o, start))
               for s, o in zip(asked, outcomes, strict=True)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    start.set()
    for t in threads:
        t.join()
    wall_s = time.monotonic() - t0
    for sets, o in zip(asked, outcomes, strict=True):  # planned after, so "cold" stays cold
        if o.samples is not None:
            planned = planned_samples(folder, sets)
            o.ok = o.samples == planned
            o.why = "" if o.ok else f"decoded {o.samples} samples, planned {planned}"
    report(name, outcomes, wall_s, memory)
    return outcomes


def report(name: str, outcomes: list[Outcome], wall_s: float, memory: Memory) -> None:
    served = [o for o in outcomes if o.status == 303]
    refused = [o for o in outcomes if o.status == 503]
    bad = [o for o in outcomes if not o.ok]
    first = [o.first_byte_s for o in served if o.first_byte_s is not None]
    done = [o.finished_s for o in served if o.finished_s is not None]
    print(f"\n{name}: {len(outcomes)} requests at once, {wall_s:.1f} s in all")
    print(f"  accepted {len(served)}, refused 503 {len(refused)} "
          f"(Retry-After: {sorted({o.retry_after for o in refused})}), "
          f"corrupt or wrong {len(bad)}")
    for o in bad:
        print(f"    FAIL: {o.why}")
    if first:
        print(f"  time to first audio byte: min {min(first):.2f} s, median "
              f"{statistics.median(first):.2f} s, max {max(first):.2f} s")
    if done:
        print(f"  time to finished file:    min {min(done):.2f} s, median "
              f"{statistics.median(done):.2f} s, max {max(done):.2f} s")
    print(f"  server memory so far: {memory.own_mb:.0f} MB peak resident, "
          f"{memory.tree_mb:.0f} MB with its speech workers and encoders")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--queue", type=int, default=0, help="the server's queue bound [4/worker]")
    ap.add_argument("--keep", type=Path, help="work here and keep it")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cuecast-serve-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    (folder / "catalogue.yaml").write_text(CATALOGUE)
    cache = folder / "speech-cache"
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(folder / "store", ignore_errors=True)
    os.environ["CUECAST_CACHE_DIR"] = str(cache)
    command = [sys.executable, "-m", "cuecast.cli", "serve", str(folder / "catalogue.yaml"),
               "--host", "127.0.0.1", "--port", "0", "--store", str(folder / "store")]
    if args.queue:
        command += ["--queue", str(args.queue)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if not found:
            print(f"the server printed no URL: {line!r}")
            return 1
        base = found.group(0).rstrip("/")
        print(f"cuecast serve at {base} ({os.cpu_count()} cores), seed routine, pyttsx3, "
              f"MP3 96 kbit/s; {args.clients} clients per round")
        memory = Memory(server.pid)
        rounds = [("one listener, cold (empty speech cache)", 3, 1),
                  ("cold (new values, speech cache holds only the first listener's)", 0,
                   args.clients),
                  ("warm (speech cache full, new values)", 1, args.clients),
                  ("stored (the warm round again: what it accepted comes from disk)", 1,
                   args.clients),
                  ("one listener, warm (new values)", 2, 1)]
        failures = 0
        for name, round_no, clients in rounds:
            outcomes = run_round(name, base, folder, clients, round_no, memory)
            failures += sum(1 for o in outcomes if not o.ok)
            alive = httpx.get(base + "/", timeout=30).status_code
            print(f"  the server answers afterwards: HTTP {alive}")
        memory.stop()
        print(f"\n{'PASS' if failures == 0 else 'FAIL'}: every request completed or was "
              f"refused with 503 + Retry-After, none corrupt ({failures} failures); peak "
              f"server memory {memory.own_mb:.0f} MB ({memory.tree_mb:.0f} MB with children)")
        return 0 if failures == 0 else 1
    finally:
        server.terminate()
        server.wait(30)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
