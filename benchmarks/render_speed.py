"""Render speed and memory: cuecast against bare ffmpeg and the naive approach.

For each session length (60 and 120 minutes by default) it writes the
session of issue 10: N x (a spoken line + a 52 s hold with the default
chime and countdown), or with ``--realistic`` a varied routine
(``sessions.py``), then times, each as its own process:

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
issues 3, 10 and 18. The seed routine is rendered cold and warm too, with
the default English voice (``--engine best``: hibari with the neural extra;
the cold render includes making every line). ``speech_speed.py`` measures
each engine alone.

    make bench                                     # seed, 60 and 120 minutes
    .venv/bin/python benchmarks/render_speed.py --quick          # 10 min only
    .venv/bin/python benchmarks/render_speed.py --minutes 60 --no-seed
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
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

from installed import as_installed  # noqa: E402
from sessions import session_yaml  # noqa: E402

import cuecast  # noqa: E402
import cuecast.pipeline as render_mod  # noqa: E402
from cuecast.blocks import flat  # noqa: E402
from cuecast.encode import encoder_input  # noqa: E402
from cuecast.ffmpeg import as_pcm, ffmpeg_exe  # noqa: E402
from cuecast.voices.cache import wav_header  # noqa: E402

WARM_RATIO_MAX = 0.65
"""Warm 60-minute render (speech cached, no MP3 pieces) against the bare
encode (issue 19: the pieces are encoded on every core)."""
SEED_RATIO_MAX = 0.9
"""Warm seed render (speech cached, no pieces) against the bare encode."""
HOLD_RATIO_MAX = 0.15
"""The 60-minute script with one hold changed, re-rendered with the pieces
of the first render cached, against the bare encode (issue 19)."""
PEAK_MB_MAX = 100.0
COLD_SEED_S_MAX = 12.0
"""Cold seed render with the default English voice, every line made (2 cores; issue 18)."""
COLD_SEED_PEAK_MB_MAX = 300.0
"""Peak memory of that cold render (issue 18; Piper took 450-520 MB)."""
PLAN_S_MAX = 1.0
SEED_ENGINE = "best"
"""The seed speaks with the default English voice (hibari with the neural extra)."""
SESSION_ENGINE = "pyttsx3"
"""Generated sessions are spoken by espeak-ng: their cold renders stay short."""


def hold_session_yaml(minutes: float) -> str:
    """Issue 10's session: ``minutes`` x (a spoken line + a 52 s hold with
    the default chime and countdown), every line different."""
    steps = []
    for n in range(1, max(1, round(minutes)) + 1):
        steps.append(f"  - say: Round {n}. Settle into the stretch and let your breath slow down.")
        steps.append("  - hold: 52s")
    return "title: Holds\nlanguage: en\nsteps:\n" + "\n".join(steps) + "\n"


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
    pieces_cached: Run | None = None
    """Warm again, every MP3 piece in the cache too."""
    hold_changed: Run | None = None
    """One hold changed, the first render's pieces in the cache."""
    naive: Run | None = None
    plan: Run | None = None
    before_cold: Run | None = None
    before_warm: Run | None = None
    """The same renders by another cuecast tree (``--baseline``), same run."""


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


def render_cmd(script: Path, work: Path, engine: str) -> list[str]:
    return cuecast_cmd("render", str(script), "-o", str(work / "cuecast.mp3"), "-q",
                       "--engine", engine)  # fmt: skip


def render_cold(script: Path, work: Path, engine: str) -> Run:
    """A render with an empty speech cache (every line made), a process."""
    shutil.rmtree(work / "cache", ignore_errors=True)
    return measure(render_cmd(script, work, engine), env=with_cache(work / "cache"),
                   what=f"cold render of {script.name}")  # fmt: skip


def render_warm(script: Path, work: Path, engine: str, *extra: str, pieces: bool = False) -> Run:
    """A render with the speech cached; the MP3 pieces too if ``pieces``,
    else none (every piece encoded: what a render of a new script costs)."""
    if not pieces:
        shutil.rmtree(work / "cache" / "pieces", ignore_errors=True)
    return measure([*render_cmd(script, work, engine), *extra], env=with_cache(work / "cache"),
                   what=f"warm render of {script.name} {' '.join(extra)}")  # fmt: skip


def changed_hold(script: Path) -> Path | None:
    """The script with its middle hold 7 s shorter (a listener's change), or
    None if it has no hold written as ``hold: Ns``."""
    lines = script.read_text(encoding="utf-8").splitlines(keepends=True)
    holds = [i for i, line in enumerate(lines) if re.match(r"\s*(- )?hold: \d+s\s*$", line)]
    if not holds:
        return None
    i = holds[len(holds) // 2]
    seconds = int(re.search(r"(\d+)s", lines[i]).group(1))  # type: ignore[union-attr]
    lines[i] = lines[i].replace(f"{seconds}s", f"{max(5, seconds - 7)}s")
    out = script.with_name(script.stem + "-hold-changed.yaml")
    out.write_text("".join(lines), encoding="utf-8")
    return out


def render_hold_changed(script: Path, changed: Path, work: Path, engine: str) -> Run:
    """The changed script rendered with the pieces of ``script``'s render
    (made first, not timed) in the cache: what a listener's change costs."""
    shutil.rmtree(work / "cache" / "pieces", ignore_errors=True)
    render_warm(script, work, engine, pieces=True)
    return measure(render_cmd(changed, work, engine), env=with_cache(work / "cache"),
                   what=f"render of {changed.name}")


def before_cmd(script: Path, work: Path, engine: str, baseline: Path) -> tuple[list[str], dict]:
    env = {**with_cache(work / "cache-before"), "PYTHONPATH": str(baseline / "src")}
    cmd = [sys.executable, "-m", "cuecast.cli", "render", str(script), "-o",
           str(work / "before.mp3"), "-q", "--engine", engine]  # fmt: skip
    return cmd, env


def render_before_cold(script: Path, work: Path, engine: str,
                       baseline: Path) -> tuple[Run | None, Path]:
    """A cold render by the cuecast in ``baseline`` (a tree with
    ``src/cuecast``), with its own cache; if it cannot read ``script`` (an
    older loader, a newer script), its own copy of the same file. Gives the
    run and the script it rendered."""
    shutil.rmtree(work / "cache-before", ignore_errors=True)
    tries = [script]
    if script.is_relative_to(ROOT):
        tries.append(baseline / script.relative_to(ROOT))
    for candidate in tries:
        cmd, env = before_cmd(candidate, work, engine, baseline)
        try:
            return measure(cmd, env=env, what=f"cold render of {candidate} by the baseline"), \
                candidate
        except SystemExit as failed:
            print(f"  (the baseline cannot render {candidate}: {str(failed)[:160]})", flush=True)
    return None, script


def dump(script: Path, work: Path, engine: str) -> tuple[list[str], float]:
    """Render in this process once more, capturing what goes to the
    encoder: the PCM (``work/mix.f32``), ffmpeg's arguments, and the clips
    and timeline for the naive approach. Not timed. Gives the arguments
    and the track length in minutes."""
    os.environ["CUECAST_CACHE_DIR"] = str(work / "cache")
    captured: dict[str, list[str]] = {}

    def tee(blocks, out_path, settings, **_):
        # the floor is one LAME process encoding the PCM (issue 19): the
        # encoder's own settings without the loudness guard's measuring pass
        bare = dataclasses.replace(settings, measure=False)
        args, gain, clip = encoder_input(bare, str(work / "floor.mp3"))
        captured["args"] = args
        with open(work / "mix.f32", "wb") as f:
            for block in flat(blocks):  # a stretch named by its recipe, made
                f.write(as_pcm(block, gain, clip).tobytes())

    with mock.patch.object(render_mod, "encode", tee):
        result = render_mod.render(script, work / "dump.mp3", render_mod.Options(engine=engine))
    _dump_clips(script, result.timeline, work, engine)
    return captured["args"], result.timeline.length / 44100 / 60


def _dump_clips(script: Path, timeline, work: Path, engine: str) -> None:
    prepared = render_mod.prepare(script, render_mod.Options(engine=engine))
    clip_for = render_mod._ClipSource(prepared.speaker)
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


def plan_time(script: Path, work: Path, engine: str) -> Run:
    cmd = cuecast_cmd("plan", str(script), "--engine", engine)
    return measure(cmd, env=with_cache(work / "cache"), what=f"plan of {script.name}")


# -- one script, all of it -------------------------------------------------------


def bench(name: str, script: Path, work: Path, *, engine: str, run_naive: bool,
          run_plan: bool, baseline: Path | None, repeat: int) -> Row:
    """Cold renders once; the warm renders, the floor (and the baseline's
    warm render) ``repeat`` times, interleaved so load on the machine falls
    on all of them alike; the median of each."""
    work.mkdir(parents=True, exist_ok=True)
    print(f"[{name}] cuecast render ({engine}), cold ...", flush=True)
    cold = render_cold(script, work, engine)
    args, minutes = dump(script, work, engine)
    before_cold, before_script = None, script
    if baseline is not None:
        print(f"[{name}] the baseline's render, cold ...", flush=True)
        before_cold, before_script = render_before_cold(script, work, engine, baseline)
    runs: dict[str, list[Run]] = {"warm": [], "plain": [], "floor": [], "before": [],
                                  "cached": [], "hold": []}  # fmt: skip
    changed = changed_hold(script)
    for round_ in range(1, repeat + 1):
        print(f"[{name}] warm renders and the bare ffmpeg encode ({minutes:.1f} min of audio),"
              f" round {round_}/{repeat} ...", flush=True)
        runs["warm"].append(render_warm(script, work, engine))
        runs["plain"].append(render_warm(script, work, engine, "--loudness", "off"))
        runs["floor"].append(floor(args, work))
        render_warm(script, work, engine, pieces=True)  # the pieces of this script, cached
        runs["cached"].append(render_warm(script, work, engine, pieces=True))
        if changed is not None:
            runs["hold"].append(render_hold_changed(script, changed, work, engine))
        if before_cold is not None and baseline is not None:
            cmd, env = before_cmd(before_script, work, engine, baseline)
            # warm as the row above: speech cached, no MP3 pieces (a baseline
            # that makes pieces would otherwise join its cached ones)
            shutil.rmtree(work / "cache-before" / "pieces", ignore_errors=True)
            runs["before"].append(measure(cmd, env=env, what="warm render by the baseline"))
    row = Row(name, minutes, cold, median(runs["warm"]), median(runs["plain"]),
              median(runs["floor"]))  # fmt: skip
    row.pieces_cached = median(runs["cached"])
    row.hold_changed = median(runs["hold"]) if runs["hold"] else None
    if runs["before"]:
        row.before_cold, row.before_warm = before_cold, median(runs["before"])
    if run_naive:
        print(f"[{name}] naive pydub render ...", flush=True)
        row.naive = naive(work)
    if run_plan:
        row.plan = plan_time(script, work, engine)
    (work / "mix.f32").unlink(missing_ok=True)
    return row


def median(runs: list[Run]) -> Run:
    """The run of median wall time (its CPU and memory with it)."""
    return sorted(runs, key=lambda run: run.wall_s)[len(runs) // 2]


# -- report ---------------------------------------------------------------------


def report(rows: list[Row], skipped: list[str]) -> bool:
    head = f"{'session':<10} {'audio':>6} | {'what':<13} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}"
    print("\n" + head + "\n" + "-" * len(head))
    for row in rows:
        runs = [("cold render", row.cold), ("warm render", row.warm),
                ("warm, no LUFS", row.warm_plain), ("ffmpeg floor", row.floor)]
        runs += [("pieces cached", row.pieces_cached)] if row.pieces_cached else []
        runs += [("hold changed", row.hold_changed)] if row.hold_changed else []
        runs += [("naive pydub", row.naive)] if row.naive else []
        if row.before_cold and row.before_warm:
            runs += [("before, cold", row.before_cold), ("before, warm", row.before_warm)]
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
        if row.hold_changed:
            line += f"   hold changed/floor {row.hold_changed.wall_s / fl:5.2f}"
        if row.pieces_cached:
            line += f"   pieces cached/floor {row.pieces_cached.wall_s / fl:5.2f}"
        if row.before_warm:
            line += f"   before: warm/floor {row.before_warm.wall_s / fl:5.2f}"
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
        if r.hold_changed:
            ratio = r.hold_changed.wall_s / r.floor.wall_s
            checks.append((f"60-min render, one hold changed, <= {HOLD_RATIO_MAX}x bare encode:"
                           f" {ratio:.2f}x", ratio <= HOLD_RATIO_MAX))
    for name in ("60 min", "120 min"):
        if name in by_name:
            r = by_name[name]
            peak = max(r.cold.peak_mb, r.warm.peak_mb,
                       r.hold_changed.peak_mb if r.hold_changed else 0.0)
            checks.append((f"peak memory at {name} (loudness on) < {PEAK_MB_MAX:.0f} MB:"
                           f" {peak:.0f} MB", peak < PEAK_MB_MAX))
    if "seed" in by_name:
        r = by_name["seed"]
        ratio = r.warm.wall_s / r.floor.wall_s
        checks.append((f"warm seed render <= {SEED_RATIO_MAX}x bare encode: {ratio:.2f}x",
                       ratio <= SEED_RATIO_MAX))
        checks.append((f"cold seed render ({SEED_ENGINE}) <= {COLD_SEED_S_MAX:.0f} s:"
                       f" {r.cold.wall_s:.1f} s", r.cold.wall_s <= COLD_SEED_S_MAX))
        checks.append((f"cold seed render peak memory < {COLD_SEED_PEAK_MB_MAX:.0f} MB:"
                       f" {r.cold.peak_mb:.0f} MB", r.cold.peak_mb < COLD_SEED_PEAK_MB_MAX))
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
    ap.add_argument("--minutes", default="60,120",
                    help="session lengths to generate, comma-separated (default 60,120)")
    ap.add_argument("--realistic", action="store_true",
                    help="generate varied routines (sessions.py) instead of line + hold x N")
    ap.add_argument("--quick", action="store_true", help="10 minutes only, no seed (CI smoke)")
    ap.add_argument("--skip-naive-over", type=float, default=30.0, metavar="MIN",
                    help="skip the naive pydub render above this many minutes (default 30:"
                         " its cost grows with the square of the length; 60 takes many"
                         " minutes and most of a gigabyte)")
    ap.add_argument("--no-seed", action="store_true", help="do not bench the seed routine")
    ap.add_argument("--repeat", type=int, default=3, metavar="N",
                    help="warm renders and floors per session, interleaved; medians (default 3)")
    ap.add_argument("--baseline", metavar="TREE",
                    help="also render with the cuecast in TREE (a checkout: TREE/src/cuecast),"
                         " for before/after numbers from the same run")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temp dir)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    minutes = [10.0] if opts.quick else [float(m) for m in opts.minutes.split(",") if m.strip()]
    root = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="cuecast-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    baseline = Path(opts.baseline).resolve() if opts.baseline else None
    # the timed processes run from bytecode, as an install does (installed.py)
    as_installed(Path(cuecast.__file__).parent, *([baseline / "src"] if baseline else []))
    rows: list[Row] = []
    skipped: list[str] = []
    try:
        if not (opts.quick or opts.no_seed):
            rows.append(bench("seed", SEED, root / "seed", engine=SEED_ENGINE, run_naive=True,
                              run_plan=False, baseline=baseline, repeat=opts.repeat))
        for m in minutes:
            name = f"{m:g} min"
            script = root / f"session-{m:g}.yaml"
            script.write_text(session_yaml(m) if opts.realistic else hold_session_yaml(m))
            run_naive = m <= opts.skip_naive_over
            if not run_naive:
                limit = f"{opts.skip_naive_over:g}"
                skipped.append(f"naive pydub at {name} (over --skip-naive-over {limit})")
            rows.append(bench(name, script, root / f"session-{m:g}", engine=SESSION_ENGINE,
                              run_naive=run_naive, run_plan=m == max(minutes),
                              baseline=baseline, repeat=opts.repeat))
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if report(rows, skipped) else 1


if __name__ == "__main__":
    sys.exit(main())
