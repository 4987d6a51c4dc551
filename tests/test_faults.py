"""Faults a render survives with nothing lost, each run through the real
command line in its own process: kill -9 at several moments, Ctrl-C and
SIGTERM, four renders sharing one cache, a poisoned cache, a broken
ffmpeg, a hung or failing engine, a full, read-only or missing folder.

Each asserts the exit code, that stderr holds no traceback, that the
previous track, timeline and captions are byte for byte as they were, that
nothing but our own temporary files appears (and after a clean stop, not
even those), and that no worker or ffmpeg process is left running.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cuecast.atomic import TEMP_MARK
from tests import tally

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads processes from /proc"
)]

ROOT = Path(__file__).resolve().parents[1]
SHORT = (ROOT / "tests" / "e2e" / "scripts" / "short.yaml").read_text()
LONG = textwrap.dedent("""\
    title: Fault drill
    author: cuecast tests
    defaults: {gap: 0.4s}
    steps:
      - section: Warm up
      - say: Lie on your back and let the floor hold you.
      - reps: 40
        tempo: 1.5s
        say: Count with me.
      - section: Holds
      - repeat: 5
        rest: 5s
        steps:
          - say: Lift the hips.
          - hold: 40s
            cues:
              - {at: 10s, say: Keep breathing.}
            release: And lower.
      - say: Done.
""")
"""Five minutes of audio from about 150 distinct lines: long enough to stop
during speech, during the loudness pass and during encoding."""

OUTPUTS = ("long.mp3", "long.timeline.json", "long.vtt", "long.srt")
RENDER = ["render", "long.yaml", "-o", "out/long.mp3", "--captions", "vtt,srt", "-q",
          "--engine", "pyttsx3"]
FAST = [*RENDER, "--loudness", "off"]
TEMP_RE = re.compile(r"^\..*" + re.escape(TEMP_MARK) + r"\d+-[0-9a-f]+")


# --- running cuecast -------------------------------------------------------------


def environment(cache: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, CUECAST_CACHE_DIR=str(cache), **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def start(args: list[str], cwd: Path, cache: Path, **extra: str) -> subprocess.Popen:
    """``cuecast ARGS`` in its own session (so a signal to its group is what a
    terminal's Ctrl-C would send)."""
    command = [sys.executable, "-c", "from cuecast.cli import main; main()", *args]
    return subprocess.Popen(command, cwd=cwd, env=environment(cache, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def run(args: list[str], cwd: Path, cache: Path, timeout: float = 120, **extra: str):
    proc = start(args, cwd, cache, **extra)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def finished(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    return proc.returncode, err


# --- processes, from /proc ----------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def children(pid: int) -> dict[int, str]:
    """Child pid -> command line, of the processes whose parent is ``pid``."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) and int(fields[1]) == pid:
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            found[int(entry)] = cmd.decode("utf-8", "replace")
    return found


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def assert_gone(pids: dict[int, str], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = {p: cmd for p, cmd in pids.items() if alive(p)}
    assert not left, f"still running: {left}"


# --- moments to strike at -----------------------------------------------------------

Moment = Callable[[subprocess.Popen, Path, Path], bool]


def during_speech(proc: subprocess.Popen, folder: Path, cache: Path) -> bool:
    clips = [p for p in cache.glob("??/*.wav") if not p.name.startswith(".")]
    return bool(clips) and any("cuecast.voices.workers" in c for c in children(proc.pid).values())


def encoding_past(fraction: float, full_size: int) -> Moment:
    def moment(proc: subprocess.Popen, folder: Path, cache: Path) -> bool:
        temps = list((folder / "out").glob(f".long{TEMP_MARK}*.mp3"))
        return any(t.stat().st_size > fraction * full_size for t in temps if t.exists())

    return moment


def after_s(seconds: float) -> Moment:
    start_s = time.monotonic()
    return lambda proc, folder, cache: time.monotonic() - start_s >= seconds


def strike_when(proc: subprocess.Popen, moment: Moment, folder: Path, cache: Path) -> dict:
    """Wait for ``moment``; its children then. Fails if the render ends first."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if moment(proc, folder, cache):
                return children(proc.pid)
        except OSError:
            pass  # a temporary file vanished while we looked
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the render ended before the moment: {proc.communicate()[1]}")
        time.sleep(0.005)


# --- folders and their files --------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def assert_nothing_lost(folder: Path, before: dict[str, bytes], temps_ok: bool) -> None:
    """Every file of ``before`` is byte-identical; anything new is one of our
    temporary files (and only if ``temps_ok``)."""
    now = snapshot(folder)
    lost = [name for name, data in before.items() if now.get(name) != data]
    tally.add("files lost", len(lost))
    assert not lost, f"changed or removed: {lost}"
    new = sorted(set(now) - set(before))
    if temps_ok:
        assert all(TEMP_RE.match(name) for name in new), new
    else:
        assert new == [], new


def previous_outputs(folder: Path) -> dict[str, bytes]:
    """Stand-ins for a previous render's files: any change to them shows."""
    out = folder / "out"
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        (out / name).write_bytes(f"previous {name}\n".encode())
    return snapshot(out)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A warm cache for LONG and the files a clean render of it makes."""
    folder = tmp_path_factory.mktemp("reference")
    cache = tmp_path_factory.mktemp("reference-cache")
    (folder / "long.yaml").write_text(LONG)
    (folder / "out").mkdir()
    code, _, err = run(FAST, folder, cache)
    assert code == 0, err
    return cache, snapshot(folder / "out")


@pytest.fixture(scope="module")
def short_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warm cache for SHORT, so faults after the speech come quickly."""
    folder = tmp_path_factory.mktemp("short")
    cache = tmp_path_factory.mktemp("short-cache")
    (folder / "short.yaml").write_text(SHORT)
    args = ["render", "short.yaml", "-o", "s.wav", "--loudness", "off", "--engine", "pyttsx3"]
    code, _, err = run(args, folder, cache)
    assert code == 0, err
    return cache


def drill(tmp_path: Path) -> Path:
    (tmp_path / "long.yaml").write_text(LONG)
    (tmp_path / "out").mkdir()
    return tmp_path


# --- kill -9 ------------------------------------------------------------------------


def test_kill_9_at_any_moment_loses_nothing(tmp_path, reference) -> None:
    warm, clean = reference
    folder = drill(tmp_path)
    before = previous_outputs(folder)
    cold = tmp_path / "cold-cache"
    size = len(clean["long.mp3"])
    strikes = [
        (FAST, cold, during_speech),
        (RENDER, warm, after_s(0.4)),  # levelling: numpy, no ffmpeg pass to wait for
        (FAST, warm, encoding_past(0.05, size)),
        (FAST, warm, encoding_past(0.6, size)),
        (FAST, warm, after_s(0.3)),
        (FAST, warm, after_s(0.9)),
        (FAST, cold, after_s(1.5)),
    ]
    for args, cache, moment in strikes:
        proc = start(args, folder, cache)
        kids = strike_when(proc, moment, folder, cache)
        proc.kill()
        proc.wait()
        assert_gone(kids)  # workers die with cuecast; ffmpeg ends at its input's end
        assert_nothing_lost(folder / "out", before, temps_ok=True)
        tally.add("faults survived")
    code, _, err = run(FAST, folder, warm)
    assert code == 0, err
    assert snapshot(folder / "out") == clean  # and every temporary file is gone


# --- Ctrl-C and SIGTERM ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("signum", "to_group", "moment"),
    [
        (signal.SIGINT, True, "speech"),
        (signal.SIGINT, True, "encoding"),
        (signal.SIGTERM, False, "speech"),
        (signal.SIGTERM, False, "encoding"),
        (signal.SIGTERM, True, "speech"),
    ],
    ids=["ctrl-c-speech", "ctrl-c-encoding", "term-speech", "term-encoding", "term-group"],
)
def test_signal_stops_cleanly(tmp_path, reference, signum, to_group, moment) -> None:
    warm, clean = reference
    folder = drill(tmp_path)
    before = previous_outputs(folder)
    if moment == "speech":
        cache, when = tmp_path / "cold-cache", during_speech
    else:
        cache, when = warm, encoding_past(0.1, len(clean["long.mp3"]))
    proc = start(FAST, folder, cache)
    kids = strike_when(proc, when, folder, cache)
    (os.killpg if to_group else os.kill)(proc.pid, signum)
    code, err = finished(proc)
    assert code == 128 + signum, err
    assert "stopped" in err and "no output was written" in err
    assert_gone(kids)
    assert_nothing_lost(folder / "out", before, temps_ok=False)
    tally.add("faults survived")


# --- the shared cache ---------------------------------------------------------------


def test_four_renders_share_one_fresh_cache(tmp_path) -> None:
    (tmp_path / "short.yaml").write_text(SHORT)
    cache = tmp_path / "cache"
    targets = ["a.mp3", "b.mp3", "same.mp3", "same.mp3"]
    procs = [start(["render", "short.yaml", "-o", t, "-q", "-j", "1", "--engine", "pyttsx3"],
                   tmp_path, cache)
             for t in targets]
    for proc in procs:
        code, err = finished(proc)
        assert code == 0, err
    tracks = {(tmp_path / t).read_bytes() for t in targets}
    timelines = {(tmp_path / t).with_suffix(".timeline.json").read_bytes() for t in targets}
    assert len(tracks) == 1 and len(timelines) == 1
    assert not [p for p in tmp_path.iterdir() if TEMP_MARK in p.name]
    assert not list(cache.glob("??/.tmp-*"))
    tally.add("faults survived", len(procs))


def test_poisoned_cache_is_synthesised_again(tmp_path, reference) -> None:
    warm, clean = reference
    folder = drill(tmp_path)
    cache = tmp_path / "cache"
    shutil.copytree(warm, cache)
    clips = sorted(cache.glob("??/*.wav"))
    assert len(clips) >= 5
    poison = {
        "truncated": lambda d: d[: len(d) // 2],
        "garbled header": lambda d: b"\x00" * 44 + d[44:],
        "wrong length in header": lambda d: d[:40] + (len(d) * 4).to_bytes(4, "little") + d[44:],
        "empty": lambda d: b"",
        "not a wav": lambda d: b"ID3" + os.urandom(len(d) - 3),
    }
    for clip, damage in zip(clips, poison.values(), strict=False):
        clip.write_bytes(damage(clip.read_bytes()))
    (clips[0].parent / ".tmp-leftover.wav").write_bytes(b"half a clip")
    code, _, err = run(FAST, folder, cache)
    assert code == 0, err
    assert snapshot(folder / "out") == clean
    tally.add("faults survived", len(poison))
    code, out, _ = run(["cache", "info"], tmp_path, cache)
    assert code == 0 and f": {len(clips)} clips" in out
    code, out, _ = run(["cache", "clear"], tmp_path, cache)
    assert code == 0 and out.splitlines()[0] == f"removed {len(clips)} clips"
    assert not list(cache.glob("??/*")) and not list(cache.glob("pieces/??/*"))


# --- ffmpeg and the engine fail -----------------------------------------------------


def fake_ffmpeg(folder: Path, body: str) -> str:
    path = folder / "fake-ffmpeg"
    version = 'case "$*" in *-version*) echo "ffmpeg version fake"; exit 0;; esac\n'
    path.write_text("#!/bin/sh\n" + version + body)
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(
    "kind", ["missing", "exits 1", "hangs", "hangs on -version", "dies midway"]
)
def test_broken_ffmpeg_is_exit_1_naming_ffmpeg(tmp_path, short_cache, kind) -> None:
    (tmp_path / "short.yaml").write_text(SHORT)
    (tmp_path / "s.mp3").write_bytes(b"previous track")
    ffmpeg = {
        "missing": str(tmp_path / "no-such-ffmpeg"),
        "exits 1": fake_ffmpeg(tmp_path, "echo 'Segmentation fault' >&2; exit 1\n"),
        "hangs": fake_ffmpeg(tmp_path, "sleep 600\n"),
        "hangs on -version": _hang_everything(tmp_path),
        "dies midway": fake_ffmpeg(tmp_path, "head -c 100000 >/dev/null; kill -9 $$\n"),
    }[kind]
    before = snapshot(tmp_path)
    args = ["render", "short.yaml", "-o", "s.mp3", "-q", "--engine", "pyttsx3"]
    code, _, err = run(args, tmp_path, short_cache,
                       CUECAST_FFMPEG=ffmpeg, CUECAST_FFMPEG_TIMEOUT="1")
    assert code == 1 and "ffmpeg" in err and "Traceback" not in err, err
    if kind.startswith("hangs"):  # killed at the 1 s timeout, not ended by the fake's 600 s
        killed = ("timed out", "stopped responding for 1 s", "exit code -9")
        assert any(words in err for words in killed), err
    assert_nothing_lost(tmp_path, before, temps_ok=False)
    tally.add("faults survived")


def _hang_everything(folder: Path) -> str:
    path = folder / "hang-ffmpeg"
    path.write_text("#!/bin/sh\nsleep 600\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(
    ("engine", "line", "says"),
    [
        ("HangOnLine", "Hold still, HANG on.", "did not finish 'Hold still, HANG on.' within 2 s"),
        ("FailOnLine", "This line will FAIL.", "the synthesiser broke"),
        ("CrashOnLine", "A CRASH here.", "stopped while speaking 'A CRASH here.'"),
    ],
)
def test_engine_fault_is_exit_1_naming_the_line(tmp_path, engine, line, says) -> None:
    text = SHORT.replace("say: Done.", f"say: {line}")
    (tmp_path / "short.yaml").write_text(text)
    (tmp_path / "s.mp3").write_bytes(b"previous track")
    before = snapshot(tmp_path)
    proc = start(["render", "short.yaml", "-o", "s.mp3", "-q", "--engine",
                  f"tests.fault_engines:{engine}"], tmp_path, tmp_path / "cache",
                 CUECAST_TTS_TIMEOUT="2")
    kids: dict[int, str] = {}
    while proc.poll() is None:
        kids.update(children(proc.pid))
        time.sleep(0.05)
    code, err = finished(proc)
    assert code == 1 and says in err, err  # a hang: "within 2 s", the timeout's kill
    assert_gone(kids)
    assert_nothing_lost(tmp_path, before, temps_ok=False)
    tally.add("faults survived")


# --- the disk -----------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):
    """Mount a tmpfs at ``tmp_path/disk`` (root only); gives a mounter."""
    mounted: list[Path] = []

    def mount(size: str, read_only: bool = False) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        opts = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                              capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_full_disk_keeps_the_previous_files(tmp_path, reference, small_disk) -> None:
    warm, _ = reference
    folder = drill(tmp_path)
    disk = small_disk("1m")
    (disk / "long.mp3").write_bytes(b"previous track " * 1000)
    (disk / "long.timeline.json").write_text("previous timeline")
    before = snapshot(disk)
    args = ["render", "long.yaml", "-o", str(disk / "long.mp3"), "-q", "--loudness", "off",
            "--engine", "pyttsx3"]
    code, _, err = run(args, folder, warm)
    assert code == 1 and "disk is full" in err and "Traceback" not in err, err
    assert_nothing_lost(disk, before, temps_ok=False)
    tally.add("faults survived")


def test_disk_full_before_the_timeline_fits(tmp_path, reference, small_disk) -> None:
    warm, _ = reference
    folder = drill(tmp_path)
    disk = small_disk("256k")
    (disk / "long.timeline.json").write_text("previous timeline")
    free = os.statvfs(disk)
    # all but 8 kB taken: the timeline needs about 20 kB
    (disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 8192))
    before = snapshot(disk)
    args = ["render", "long.yaml", "-o", str(disk / "long.mp3"), "-q", "--loudness", "off",
            "--engine", "pyttsx3"]
    code, _, err = run(args, folder, warm)
    assert code == 1 and "disk is full" in err and "timeline" in err, err
    assert_nothing_lost(disk, before, temps_ok=False)
    tally.add("faults survived")


@pytest.mark.parametrize("where", ["read-only", "missing folder", "a file as folder"])
def test_unwritable_output_folder(tmp_path, reference, small_disk, where) -> None:
    warm, _ = reference
    folder = drill(tmp_path)
    if where == "read-only":
        target, says = small_disk("1m", read_only=True) / "long.mp3", "read-only"
    elif where == "missing folder":
        # missing folders are made, but not inside a read-only one
        target, says = small_disk("1m", read_only=True) / "new" / "long.mp3", "read-only"
    else:
        (tmp_path / "plain").write_text("x")
        target, says = tmp_path / "plain" / "long.mp3", "cannot write"
    before = snapshot(tmp_path)
    code, _, err = run(["render", "long.yaml", "-o", str(target), "-q", "--loudness", "off",
                        "--engine", "pyttsx3"],
                       folder, warm)
    assert code == 1 and says in err and "Traceback" not in err, err
    assert_nothing_lost(tmp_path, before, temps_ok=False)
    tally.add("faults survived")
