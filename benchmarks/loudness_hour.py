"""Loudness exact on an hour: the encoded file measured by ffmpeg's ebur128.

Writes a cheap hour (few lines, long holds with a chime and a countdown,
long rests) over an ocean bed 20 LU under the voice, ducked (the hidden
studio track's shape, stretched), renders it with espeak-ng in each format
asked at each target asked, and prints per render: ffmpeg's integrated
loudness and true peak of the file as a player decodes it, the miss, the
render's own report and its wall time. With ``--baseline TREE`` (a source
tree, e.g. from ``git archive``) the same renders run with that tree first,
each in its own process, so before and after come from the same machine
and moment.

    .venv/bin/python benchmarks/loudness_hour.py                       # 60 min, mp3, -16
    .venv/bin/python benchmarks/loudness_hour.py --minutes 5 --formats mp3,m4a,opus \\
        --targets=-16,-20 --baseline /tmp/before/src
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SECTION = """
  - section: Round {n}
  - say: Round {n}. Settle into the stretch and let the breath slow down.
  - hold: 4m
    countdown: {{halfway: true, remaining: [30], count: 3}}
    release: And release.
  - pause: 50s
"""


def script(minutes: int) -> str:
    """About ``minutes`` of mostly bed: a round is five minutes."""
    head = ("title: Loudness hour\n"
            "background: {sound: ocean, volume: -20, duck: 8, fade: 3s}\n"
            "steps:\n  - say: Welcome. Lie down, and let the ocean carry you.\n")  # fmt: skip
    return head + "".join(SECTION.format(n=n + 1) for n in range(max(1, minutes // 5)))


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated LUFS and true peak dBTP of the file as ffmpeg decodes it."""
    from cuecast.ffmpeg import ffmpeg_exe

    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a",
           "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"]  # fmt: skip
    text = subprocess.run(cmd, capture_output=True, check=True).stderr.decode()
    summary = text[text.rfind("Summary:") :]
    lufs = re.search(r"I:\s+(\S+) LUFS", summary)
    peak = re.search(r"Peak:\s+(\S+) dBFS", summary)
    assert lufs is not None and peak is not None, text[-500:]
    return float(lufs.group(1)), float(peak.group(1))


def render_once(src: str, yaml: Path, out: Path, target: float) -> tuple[str, float]:
    """Render in a process of its own with ``src`` first on the path: its
    last stderr line (the report or the error) and the wall time."""
    env = dict(os.environ, PYTHONPATH=src)
    cmd = [sys.executable, "-c", "from cuecast.cli import main; main()", "render", str(yaml),
           "-o", str(out), "--engine", "pyttsx3", "--loudness", f"{target:g}"]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    lines = [line for line in done.stderr.splitlines() if line.startswith(("wrote", "cuecast"))]
    return (lines[0] if lines else done.stderr.strip()[-200:]), wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--formats", default="mp3")
    ap.add_argument("--targets", default="-16")
    ap.add_argument("--baseline", metavar="TREE", help="a source tree to run first (before)")
    args = ap.parse_args(argv)
    trees = ([("before", args.baseline)] if args.baseline else []) + [("after", str(ROOT / "src"))]
    with tempfile.TemporaryDirectory(prefix="cuecast-loudness-") as tmp:
        folder = Path(tmp)
        yaml = folder / "hour.yaml"
        yaml.write_text(script(args.minutes))
        os.environ.setdefault("CUECAST_CACHE_DIR", str(folder / "cache"))
        print(f"{args.minutes} min, ocean bed -20 LU ducked 8, espeak-ng")
        for fmt in args.formats.split(","):
            for target in (float(t) for t in args.targets.split(",")):
                for name, src in trees:
                    out = folder / f"{name}.{fmt}"
                    report, wall = render_once(src, yaml, out, target)
                    if not out.exists():
                        print(f"  {name:6} {fmt:4} {target:g}: no file ({wall:.0f} s): {report}")
                        continue
                    lufs, peak = ebur128(out)
                    ok = abs(lufs - target) <= 0.5 and peak <= -1.0
                    verdict = "PASS" if ok else "FAIL"
                    print(f"  {name:6} {fmt:4} {target:g}: ebur128 {lufs:6.1f} LUFS"
                          f" {peak:5.1f} dBTP  miss {lufs - target:+.1f}  {verdict}"
                          f"  {wall:6.1f} s  | {report}")  # fmt: skip
                    out.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
