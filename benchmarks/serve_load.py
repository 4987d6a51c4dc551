"""The listener's page under load (loopback only): 1, 20 and 100 at once.

Starts ``cuecast serve`` on 127.0.0.1 (a free port, a fresh store, its own
speech cache) with a catalogue of the seed routine (pyttsx3, MP3 96
kbit/s), makes the track warm (its default session rendered once), then
sends rounds of listeners at the same moment: each from its own address,
as a reverse proxy on this machine reports it in ``X-Forwarded-For``
(``cuecast serve`` trusts 127.0.0.1 by default, so rate limits are per
listener), each asking for a lunge hold no one asked for before (so each
session is new, and one spoken line, "N seconds on each side", is new).

Per listener: the POST, then the live audio opened at once (time to first
audio byte), the status polled until done (every ``POLL_S``, as the
session page's script does) and the file downloaded (time to finished
file). Every answer is counted: 303 accepted, 503 busy, 429 rate
limited. ``--verify N`` downloads are compared byte for byte with
``cuecast render`` of the same values (in this process, after the round).

Before and after in the same run: the same rounds against the server of
another checkout (``--baseline TREE``, e.g. ``git worktree add /tmp/base
REV``) or revision of this repository (``--before REV``, unpacked with
``git archive`` into a temporary folder; default the tree before issue
19), on its own store and speech cache, then against this tree's. Every
listener is bounded (``--deadline`` seconds a round; HTTP timeouts), so a
slow server makes a slow run, never a hung one. Per round: the answers
(303 accepted, 503, 429), time to first byte and to finished file
(median, 95th percentile, max), how many finished within 60 s, and the
server's CPU seconds (its process and the ffmpeg and speech processes it
waited for, from /proc) per session.

    .venv/bin/python benchmarks/serve_load.py --baseline /tmp/base   # 1, 20, 100; before + after
    .venv/bin/python benchmarks/serve_load.py --rounds 1,4 --no-before   # a quick look
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from installed import as_installed

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "scripts" / "lower-back-relief.yaml"
BEFORE = "3c2fbee"
"""main before issue 19's serve work (the hand-written queue and limiter, one queue)."""
TRACK = "/t/lower-back-relief"
POLL_S = 1.0
"""How often a listener asks for the status: as the session page's script
(``web/templates/app.js``) does. Polling four times as often (0.25 s, before)
cost the server ~1.6 ms of CPU a request, 400 a second at 100 listeners:
a third of the two cores, on top of the sessions."""
HOLDS_S = [s for s in range(20, 181) if s != 60]
"""The lunge holds the seed allows (20 s to 3 min), but its default (the warm session)."""
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
class Listener:
    address: str
    hold_s: int
    status: int = 0
    first_byte_s: float | None = None
    finished_s: float | None = None
    body: bytes = b""
    why: str = ""
    statuses: list[int] = field(default_factory=list)


def listen(base: str, who: Listener, start: threading.Event, deadline: float) -> None:
    headers = {"X-Forwarded-For": who.address}
    try:
        with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
            start.wait()
            t0 = time.monotonic()
            made = client.post(TRACK, data={"lunge_hold": f"{who.hold_s}s"},
                               follow_redirects=False)
            who.status = made.status_code
            if made.status_code != 303:
                who.why = f"HTTP {made.status_code}"
                return
            session = made.headers["location"].removeprefix(base)
            waiting = httpx.Timeout(120, read=max(1.0, deadline - time.monotonic()))
            try:  # a session still queued sends no byte: wait up to the round's deadline
                with client.stream("GET", session + "/live.mp3", timeout=waiting) as live:
                    for chunk in live.iter_bytes():
                        if chunk:
                            who.first_byte_s = time.monotonic() - t0
                            break
            except httpx.ReadTimeout:
                pass  # counted as no first byte; the file may still come
            while True:
                state = client.get(session + "/status")
                who.statuses.append(state.status_code)
                if state.status_code == 200 and state.json()["state"] in ("done", "failed"):
                    break
                if time.monotonic() > deadline:
                    who.why = "not finished by the round's deadline"
                    return
                time.sleep(POLL_S)
            got = client.get(session + "/download")
            if got.status_code == 200:
                who.finished_s = time.monotonic() - t0
                who.body = got.content
            else:
                who.why = f"download: HTTP {got.status_code}"
    except httpx.HTTPError as err:
        who.why = f"{type(err).__name__}: {err}"


def run_round(base: str, listeners: list[Listener], deadline_s: float) -> float:
    start = threading.Event()
    deadline = time.monotonic() + deadline_s
    threads = [threading.Thread(target=listen, args=(base, who, start, deadline))
               for who in listeners]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    start.set()
    for t in threads:
        t.join()
    return time.monotonic() - t0


class Server:
    """``cuecast serve`` from the tree ``src`` on its own store and cache."""

    def __init__(self, name: str, src: Path, folder: Path) -> None:
        self.name = name
        work = folder / name
        work.mkdir(parents=True)
        shutil.copy(SEED, work / SEED.name)
        (work / "catalogue.yaml").write_text(CATALOGUE)
        env = {**os.environ, "PYTHONPATH": str(src), "CUECAST_CACHE_DIR": str(work / "cache")}
        self.work = work
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cuecast.cli", "serve", str(work / "catalogue.yaml"),
             "--host", "127.0.0.1", "--port", "0", "--store", str(work / "store")],
            stdout=subprocess.PIPE, text=True, env=env, start_new_session=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not found:
            self.stop()
            raise SystemExit(f"{name}: the server printed no URL: {line!r}")
        self.base = found.group(0)

    def warm(self, deadline_s: float) -> float:
        """The track's default session, made once: the track is warm after."""
        who = Listener("192.0.2.1", 60)
        took = run_round(self.base, [who], deadline_s)
        if who.finished_s is None:
            raise SystemExit(f"{self.name}: warming failed: {who.why}")
        return took

    def cpu_s(self) -> float:
        """CPU seconds of the server, the children it has waited for and
        those still running (``tree_cpu_s``)."""
        return tree_cpu_s(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of process ``pid`` and the children it has waited for
    (ffmpeg), plus those of its children still running and theirs: the
    speech workers a server keeps between sessions are waited for only
    when it stops, and their lines are part of each session's cost."""
    ticks = 0
    parents = {pid}
    procs = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            procs.append((int(entry.name), int(fields[1]), fields))
    found = True
    while found:  # the tree under pid, whatever the order /proc lists it in
        found = False
        for child, parent, _ in procs:
            if parent in parents and child not in parents:
                parents.add(child)
                found = True
    for child, _, fields in procs:
        if child in parents:
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def unpack(rev: str, into: Path) -> Path:
    """The ``src`` folder of revision ``rev`` of this repository."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src"],
                             check=True, capture_output=True).stdout
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def verify(listeners: list[Listener], count: int, folder: Path) -> tuple[int, int]:
    """(equal, compared): downloads against ``cuecast render`` of the same values."""
    from cuecast.catalogue import load_catalogue
    from cuecast.pipeline import render
    from cuecast.web.library import serve_options

    catalogue = load_catalogue(folder / "catalogue.yaml")
    done = [w for w in listeners if w.body][:count]
    equal = 0
    for who in done:
        options = serve_options(catalogue, catalogue.tracks[0], "",
                                {"lunge_hold": f"{who.hold_s}s"})
        result = render(catalogue.tracks[0].script, folder / "verify.mp3", options)
        equal += Path(result.path).read_bytes() == who.body
    return equal, len(done)


def summary(name: str, listeners: list[Listener], wall_s: float,
            checked: tuple[int, int], cpu_s: float) -> str:
    by = {code: sum(1 for w in listeners if w.status == code) for code in (303, 429, 503)}
    first = [w.first_byte_s for w in listeners if w.first_byte_s is not None]
    done = [w.finished_s for w in listeners if w.finished_s is not None]
    within = sum(1 for s in done if s <= 60)

    def spread(xs: list[float]) -> str:
        if not xs:
            return "     -      -      -"
        xs = sorted(xs)
        p95 = xs[min(len(xs) - 1, math.ceil(0.95 * len(xs)) - 1)]
        return f"{statistics.median(xs):6.2f} {p95:6.2f} {xs[-1]:6.2f}"

    return (f"{name:7} {len(listeners):4} | {by[303]:4} {by[503]:4} {by[429]:4} | "
            f"{spread(first)} | {spread(done)} | {within:4} | {checked[0]}/{checked[1]:<3}"
            f" | {wall_s:6.1f} | {cpu_s / max(1, len(done)):5.2f}")


HEADER = ("server  listn | 303  503  429 | 1st byte s           | finished s           | <60s "
          "| same  | wall s | cpu s\n        ers   |               | median    p95    max | "
          "median    p95    max |      | bytes |        | /file\n" + "-" * 104)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", default="1,20,100", help="listeners at once, per round")
    ap.add_argument("--before", default=BEFORE, help="the revision to compare with")
    ap.add_argument("--baseline", type=Path, help="a checkout to compare with (its src/), "
                                                  "instead of --before")
    ap.add_argument("--no-before", action="store_true", help="this tree only")
    ap.add_argument("--after", help="another revision instead of this tree (then --verify "
                                    "compares with this tree's render)")
    ap.add_argument("--verify", type=int, default=3, help="downloads compared per round")
    ap.add_argument("--deadline", type=float, default=600, help="seconds a round may take")
    ap.add_argument("--keep", type=Path, help="work here and keep it")
    args = ap.parse_args()
    rounds = [int(n) for n in args.rounds.split(",")]
    if sum(rounds) > len(HOLDS_S):
        raise SystemExit(f"at most {len(HOLDS_S)} listeners in all (the seed's lunge hold)")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cuecast-serve-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    trees = [] if args.no_before else [("before", args.baseline / "src" if args.baseline
                                        else unpack(args.before, folder / "before-tree"))]
    trees.append(("after", unpack(args.after, folder / "after-tree") if args.after
                   else ROOT / "src"))
    as_installed(*(src for _, src in trees))  # from bytecode, as an install runs (installed.py)
    print(f"cuecast serve on 127.0.0.1, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; seed routine, pyttsx3, MP3 96 kbit/s; each listener "
          f"its own X-Forwarded-For and a lunge hold no one asked for before")
    lines = []
    failures = 0
    try:
        for name, src in trees:
            server = Server(name, src, folder)
            try:
                warm_s = server.warm(args.deadline)
                print(f"{name}: the track made warm in {warm_s:.1f} s (its default session)",
                      flush=True)
                holds = iter(HOLDS_S)
                for r, n in enumerate(rounds):
                    listeners = [Listener(f"10.{r}.{i // 250}.{i % 250 + 1}", next(holds))
                                 for i in range(n)]
                    cpu0 = server.cpu_s()
                    wall_s = run_round(server.base, listeners, args.deadline)
                    cpu_s = server.cpu_s() - cpu0
                    checked = (0, 0)
                    if name == "after":  # another tree may rightly make other bytes
                        os.environ["CUECAST_CACHE_DIR"] = str(server.work / "cache")
                        checked = verify(listeners, args.verify, server.work)
                    line = summary(name, listeners, wall_s, checked, cpu_s)
                    lines.append(line)
                    print(line, flush=True)
                    for who in listeners:
                        if who.why and who.status not in (503, 429):
                            print(f"    {who.address}: {who.why}")
                    if name == "after":
                        failures += sum(1 for w in listeners if w.finished_s is None
                                        or w.finished_s > 60)
                        failures += checked[1] - checked[0]
            finally:
                server.stop()
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print("\n" + HEADER)
    print("\n".join(lines))
    verdict = "PASS" if failures == 0 else "FAIL"
    print(f"\n{verdict}: after: every listener's file within 60 s, no 503 or 429, the "
          f"compared downloads equal to cuecast render ({failures} failures)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
