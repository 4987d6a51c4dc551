"""Render speed and memory: cuecast against bare ffmpeg and the naive approach.

For each session length (10, 60 and 120 minutes by default) it writes a
realistic script (``sessions.py``), then times, each as its own process:

- cuecast render, cold (empty speech cache) and warm (the same cache again);
- the floor: ffmpeg alone encoding the very PCM cuecast streams, read from
  a file, with the encoder arguments ``encode.encoder_input`` gives (so
  they cannot drift from what cuecast runs);
- the naive approach (``naive_pydub.py``: pydub ``+`` and ``export()``) on
  the same timeline and clips;
- ``cuecast plan`` with a warm cache.

Wall time, CPU time (user + system, the process and the children it waited
for) and peak memory (largest resident set among them, from ``wait4``) are
printed side by side with the ratios, then a PASS/FAIL line per target of
issue 3. The seed routine is rendered cold and warm too.

    make bench                                     # 10, 60, 120 minutes
    .venv/bin/python benchmarks/render_speed.py --quick          # 10 min only
    .venv/bin/python benchmarks/render_speed.py --minutes 60 --skip-naive-over 60
                                                  # the naive approach at 60 too (slow)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = ROOT / "scripts" / "lower-back-relief.yaml"
sys.path.insert(0, str(HERE))

from sessions import session_yaml  # noqa: E402

import cuecast.render as render_mod  # noqa: E402
from cuecast.encode import encoder_input  # noqa: E402
from cuecast.ffmpeg import as_pcm, ffmpeg_exe  # noqa: E402
from cuecast.voices.cache import wav_header  # noqa: E402

WARM_RATIO_MAX = 1.5
PEAK_MB_MAX = 150.0
PLAN_S_MAX = 1.0


@dataclass(frozen=True)
class Run:
    """One measured process."""

    wall_s: float
    cpu_s: float
    peak_mb: float


@dataclass
class Row:
    """Everything measured for one script."""

    name: str
    audio_min: float
    cold: Run
    warm: Run
    warm_plain: Run
    """Warm, ``--loudness off``: the mix and encode alone, no measuring pass."""
    floor: Run
    naive: Run | None = None
    plan: Run | None = None


# -- measuring a process --------------------------------------------------------


LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as f:
    f.write(f"{usage.ru_utime} {usage.ru_stime} {usage.ru_maxrss} {code}")
"""
"""Runs the measured command from a bare Python (``-S``, only ``os``): Linux
counts the memory of the process a command was forked from in its peak
RSS, so forking it from this benchmark (numpy, cuecast loaded) would put a
floor of ~70 MB under every number."""


def measure(cmd: list[str], *, env: dict[str, str] | None = None, stdin_path: Path | None = None,
            what: str) -> Run:
    """Run ``cmd`` to the end; its wall time, CPU time and peak RSS."""
    with tempfile.TemporaryFile() as err, _opened(stdin_path) as stdin, \
            tempfile.NamedTemporaryFile("r", suffix=".usage") as usage:
        launch = [sys.executable, "-S", "-c", LAUNCHER, usage.name, *cmd]
        start = time.perf_counter()
        code = subprocess.call(launch, env=env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err)
        wall = time.perf_counter() - start
        user, system, rss_kb, status = usage.read().split()
        if code != 0 or int(status) != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise SystemExit(f"{what} failed (exit {status}):\n{tail}")
    return Run(wall, float(user) + float(system), int(rss_kb) / 1024.0)


def _opened(path: Path | None):
    return open(path, "rb") if path is not None else open(os.devnull, "rb")


def cuecast_cmd(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("cuecast")
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "cuecast.cli", *args]


def with_cache(cache: Path) -> dict[str, str]:
    return {**os.environ, "CUECAST_CACHE_DIR": str(cache)}


# -- the three ways to make the track -------------------------------------------


def render_three(script: Path, work: Path) -> tuple[Run, Run, Run]:
    """Cold (fresh cache), warm, and warm with ``--loudness off`` renders
    of ``script``, each a process."""
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    out = work / "cuecast.mp3"
    cmd = cuecast_cmd("render", str(script), "-o", str(out), "-q")
    cold = measure(cmd, env=with_cache(cache), what=f"cold render of {script.name}")
    warm = measure(cmd, env=with_cache(cache), what=f"warm render of {script.name}")
    plain = measure([*cmd, "--loudness", "off"], env=with_cache(cache),
                    what=f"warm render of {script.name} without loudness")
    return cold, warm, plain


def dump(script: Path, work: Path) -> tuple[list[str], float]:
    """Render in this process once more, capturing what goes to the
    encoder: the PCM (``work/mix.f32``), ffmpeg's arguments, and the clips
    and timeline for the naive approach. Not timed. Gives the arguments
    and the track length in minutes."""
    os.environ["CUECAST_CACHE_DIR"] = str(work / "cache")
    captured: dict[str, list[str]] = {}

    def tee(blocks, out_path, settings, **_):
        args, gain, clip = encoder_input(settings, str(work / "floor.mp3"))
        captured["args"] = args
        with open(work / "mix.f32", "wb") as f:
            for block in blocks:
                f.write(as_pcm(block, gain, clip).tobytes())

    with mock.patch.object(render_mod, "encode", tee):
        result = render_mod.render(script, work / "dump.mp3", render_mod.Options())
    _dump_clips(script, result.timeline, work)
    return captured["args"], result.timeline.length / 44100 / 60


def _dump_clips(script: Path, timeline, work: Path) -> None:
    prepared = render_mod.prepare(script, render_mod.Options())
    clip_for = render_mod._clip_source(prepared.speaker)
    index: dict[object, int] = {}
    events = []
    for ev in timeline.events:
        if ev.source is None:
            continue
        if ev.source not in index:
            index[ev.source] = len(index)
            _write_wav(work / f"{index[ev.source]}.wav", clip_for(ev.source))
        events.append([ev.start, index[ev.source]])
    spec = {"clips": len(index), "events": events, "length": timeline.length}
    (work / "events.json").write_text(json.dumps(spec))


def _write_wav(path: Path, clip) -> None:
    import numpy as np

    pcm = np.clip(np.round(np.asarray(clip, dtype=np.float64) * 32768.0), -32768, 32767)
    path.write_bytes(wav_header(pcm.size) + pcm.astype("<i2").tobytes())


def floor(args: list[str], work: Path) -> Run:
    """ffmpeg alone: the dumped PCM into the encoder cuecast runs."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", *args]
    return measure(cmd, stdin_path=work / "mix.f32", what="bare ffmpeg encode")


def naive(work: Path) -> Run:
    cmd = [sys.executable, str(HERE / "naive_pydub.py"), str(work), str(work / "naive.mp3"),
           ffmpeg_exe()]
    return measure(cmd, what="naive pydub render")


def plan_time(script: Path, work: Path) -> Run:
    cmd = cuecast_cmd("plan", str(script))
    return measure(cmd, env=with_cache(work / "cache"), what=f"plan of {script.name}")


# -- one script, all of it -------------------------------------------------------


def bench(name: str, script: Path, work: Path, *, run_naive: bool, run_plan: bool) -> Row:
    work.mkdir(parents=True, exist_ok=True)
    print(f"[{name}] cuecast render, cold and warm ...", flush=True)
    cold, warm, plain = render_three(script, work)
    args, minutes = dump(script, work)
    print(f"[{name}] bare ffmpeg encode ({minutes:.1f} min of audio) ...", flush=True)
    row = Row(name, minutes, cold, warm, plain, floor(args, work))
    if run_naive:
        print(f"[{name}] naive pydub render ...", flush=True)
        row.naive = naive(work)
    if run_plan:
        row.plan = plan_time(script, work)
    (work / "mix.f32").unlink(missing_ok=True)
    return row


# -- report ---------------------------------------------------------------------


def report(rows: list[Row], skipped: list[str]) -> bool:
    head = f"{'session':<10} {'audio':>6} | {'what':<13} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}"
    print("\n" + head + "\n" + "-" * len(head))
    for row in rows:
        runs = [("cold render", row.cold), ("warm render", row.warm),
                ("warm, no LUFS", row.warm_plain), ("ffmpeg floor", row.floor)]
        runs += [("naive pydub", row.naive)] if row.naive else []
        for i, (label, run) in enumerate(runs):
            lead = f"{row.name:<10} {row.audio_min:5.1f}m" if i == 0 else " " * 17
            print(f"{lead} | {label:<13} {run.wall_s:7.2f} {run.cpu_s:7.2f} {run.peak_mb:8.1f}")
        if row.plan:
            print(f"{'':17} | {'plan (warm)':<13} {row.plan.wall_s:7.2f} {row.plan.cpu_s:7.2f}"
                  f" {row.plan.peak_mb:8.1f}")
    print("\nratios (wall time)")
    for row in rows:
        fl = row.floor.wall_s
        line = (f"  {row.name:<10} warm/floor {row.warm.wall_s / fl:5.2f}"
                f"   no-LUFS/floor {row.warm_plain.wall_s / fl:5.2f}"
                f"   cold/floor {row.cold.wall_s / fl:5.2f}")
        if row.naive:
            line += (f"   naive/warm {row.naive.wall_s / row.warm.wall_s:5.2f}"
                     f"   naive MB / warm MB {row.naive.peak_mb / row.warm.peak_mb:5.1f}")
        print(line)
    for note in skipped:
        print(f"  skipped: {note}")
    return verdicts(rows)


def verdicts(rows: list[Row]) -> bool:
    print("\ntargets")
    ok = True
    by_name = {row.name: row for row in rows}
    checks: list[tuple[str, bool]] = []
    if "60 min" in by_name:
        r = by_name["60 min"]
        ratio = r.warm.wall_s / r.floor.wall_s
        checks.append((f"warm 60-min render <= {WARM_RATIO_MAX}x bare encode: {ratio:.2f}x",
                       ratio <= WARM_RATIO_MAX))
    for name in ("60 min", "120 min"):
        if name in by_name:
            r = by_name[name]
            peak = max(r.cold.peak_mb, r.warm.peak_mb)
            checks.append((f"peak memory at {name} < {PEAK_MB_MAX:.0f} MB: {peak:.0f} MB",
                           peak < PEAK_MB_MAX))
    if "seed" in by_name:
        r = by_name["seed"]
        share = r.floor.wall_s / r.cold.wall_s
        speech = max(r.cold.wall_s - r.warm.wall_s, 0.0)
        checks.append((f"cold seed render: speech (cold - warm) {speech:.1f} s < encoding"
                       f" {r.floor.wall_s:.1f} s (encoding is {share:.0%} of the cold render)",
                       speech < r.floor.wall_s))
    planned = [r for r in rows if r.plan]
    for r in planned:
        checks.append((f"plan of {r.name} (warm) < {PLAN_S_MAX:.0f} s: {r.plan.wall_s:.2f} s",
                       r.plan.wall_s < PLAN_S_MAX))
    for text, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {text}")
        ok &= passed
    return ok


# -- command line ---------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", default="10,60,120",
                    help="session lengths to generate, comma-separated (default 10,60,120)")
    ap.add_argument("--quick", action="store_true", help="10 minutes only, no seed (CI smoke)")
    ap.add_argument("--skip-naive-over", type=float, default=30.0, metavar="MIN",
                    help="skip the naive pydub render above this many minutes (default 30:"
                         " its cost grows with the square of the length; 60 takes many"
                         " minutes and most of a gigabyte)")
    ap.add_argument("--no-seed", action="store_true", help="do not bench the seed routine")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temp dir)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    minutes = [10.0] if opts.quick else [float(m) for m in opts.minutes.split(",") if m.strip()]
    root = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="cuecast-bench-"))
    rows: list[Row] = []
    skipped: list[str] = []
    try:
        if not (opts.quick or opts.no_seed):
            rows.append(bench("seed", SEED, root / "seed", run_naive=True, run_plan=False))
        for m in minutes:
            name = f"{m:g} min"
            script = root / f"session-{m:g}.yaml"
            script.write_text(session_yaml(m))
            run_naive = m <= opts.skip_naive_over
            if not run_naive:
                limit = f"{opts.skip_naive_over:g}"
                skipped.append(f"naive pydub at {name} (over --skip-naive-over {limit})")
            rows.append(bench(name, script, root / f"session-{m:g}", run_naive=run_naive,
                              run_plan=m == max(minutes)))
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if report(rows, skipped) else 1


if __name__ == "__main__":
    sys.exit(main())
