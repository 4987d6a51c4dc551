"""Running ffmpeg: the one place that builds its command lines.

Finds the binary; streams float32 mono blocks at ``SAMPLE_RATE`` into it
with a list of output arguments (``encode`` writes a file, ``loudness``
measures and writes nothing) and gives its stderr text; and runs the short
jobs: decoding a sound, bed or recording file, resampling speech, probing
a file a script names. ffmpeg's stderr is drained by
a thread so a chatty ffmpeg can never fill its pipe and deadlock us, and
ffmpeg runs in its own session so a Ctrl-C reaches only Python, which then
kills it (its whole process group) and cleans up.

A hung ffmpeg cannot hang cuecast: a watchdog kills it when a single write
of the mix, or its finishing once its input is closed, takes longer than
``ffmpeg_timeout_s()`` (120 s, or ``$CUECAST_FFMPEG_TIMEOUT``); time spent
making the mix between writes does not count.
"""

from __future__ import annotations

import collections
import functools
import math
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from cuecast import envvars
from cuecast.blocks import is_silence
from cuecast.errors import CuecastError, EncodeError
from cuecast.units import SAMPLE_RATE

PIPE_BYTES = 1 << 20
"""Size asked for ffmpeg's stdin pipe (Linux): 1 MB rather than 64 kB
means a few large writes per mix block instead of many small wake-ups."""

MIN_VERSION = (7, 1)
"""The oldest ffmpeg cuecast runs: every render measures its encoded track
with ffmpeg's loopback decoder (``-dec``, ``MEASURE_ENCODED``), new in 7.1."""

FFMPEG_TIMEOUT_S = 120.0
"""Longest a write to ffmpeg, or its finishing, may take before it counts as hung."""

STDERR_KEEP_LINES = 400
"""How many of ffmpeg's last stderr lines are kept (errors show the last few)."""

PCM_INPUT = ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0"]
"""ffmpeg input arguments for the raw mix on stdin."""

PCM_OUTPUT = ["-f", "f32le", "pipe:1"]
"""ffmpeg output arguments for raw float32 samples on stdout."""

NULL_OUTPUT = ["-f", "null", "-"]
"""ffmpeg output arguments that keep nothing (a measuring filter prints)."""

MEASURE_ENCODED = [
    "-dec", "0:0", "-filter_complex", "[dec:0]ebur128=peak=true:framelog=quiet[measured]",
    "-map", "[measured]", *NULL_OUTPUT,
]  # fmt: skip
"""A second output that decodes what the encoder made (ffmpeg's loopback
decoder, as a player would decode the file) and measures it with
``ebur128``: its summary is printed at the ``info`` log level."""


def frame_peaks_args(path: str) -> list[str]:
    """Decode ``path`` (its first audio stream, as a player would) through
    ``ebur128`` logging each 100 ms frame's true peak (``FTPK``, at the
    ``info`` log level), keeping nothing: where a codec put its peaks."""
    return ["-nostats", "-i", path, "-map", "0:a:0",
            "-af", "ebur128=peak=true:framelog=info", *NULL_OUTPUT]  # fmt: skip


def encoder_args(
    fmt: str, kbps: int | None, out: str, *, chapters_file: str | None = None,
    tap: bool = False, measure: bool = False,
) -> list[str]:
    """The raw mix on stdin encoded as ``fmt`` into ``out``: mono,
    bit-exact (no version strings, fixed Ogg serials, no MP4 creation time),
    no metadata but the chapters of ``chapters_file`` (ffmetadata).
    ``kbps`` None: the codec's quality default (ogg).
    ``tap`` (mp3 only): the encoded frames also go to stdout as they are
    made (ffmpeg's tee muxer: encoded once, written twice; the file is
    byte for byte the one without the tap, stdout gets its audio frames
    without the ID3 tag and the LAME/Info frame).
    With ``measure`` the encoded stream is also decoded and measured
    (``MEASURE_ENCODED``), in the same run."""
    args = list(PCM_INPUT)
    if chapters_file is not None:
        args += ["-f", "ffmetadata", "-i", chapters_file, "-map", "0:a"]
        args += ["-map_metadata", "1", "-map_chapters", "1"]
    else:
        args += ["-map", "0:a", "-map_metadata", "-1", "-map_chapters", "-1"]
    args += ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-ac", "1"]
    measured = MEASURE_ENCODED if measure else []
    if tap and fmt == "mp3":
        codec = _codec_args(fmt, kbps)[:-4]  # without -write_xing 1 -f mp3: on the file's side
        both = (f"[f=mp3:write_xing=1:fflags=+bitexact]{_tee_escaped(out)}|"
                "[f=mp3:write_xing=0:id3v2_version=0:fflags=+bitexact:onfail=ignore]pipe\\:1")
        return [*args, *codec, "-f", "tee", "-y", both, *measured]
    return [*args, *_codec_args(fmt, kbps), "-y", out, *measured]


def _tee_escaped(path: str) -> str:
    """A file name as one output of ffmpeg's tee muxer (its separators escaped)."""
    return "".join("\\" + c if c in "\\'[]|:;,=@" else c for c in path)


def _codec_args(fmt: str, kbps: int | None) -> list[str]:
    rate = f"{kbps or 0}k"
    if fmt == "mp3":
        return ["-c:a", "libmp3lame", "-b:a", rate, "-write_xing", "1", "-f", "mp3"]
    if fmt in ("m4a", "m4b"):
        # the 'fast' coder: the default (twoloop) decoded 4 dB over its input on
        # a loud espeak vowel at 96k (its noise substitution), fast stays within 0.5
        aac = ["-c:a", "aac", "-aac_coder", "fast", "-b:a", rate]
        return [*aac, "-movflags", "+faststart", "-f", "ipod"]
    if fmt == "ogg":
        quality = ["-b:a", rate] if kbps else ["-q:a", "4"]
        return ["-c:a", "libvorbis", *quality, "-serial_offset", "0", "-f", "ogg"]
    if fmt == "opus":
        ogg = ["-serial_offset", "0", "-f", "opus"]
        # constrained VBR: unconstrained ran at twice the asked rate on tonal voices
        return ["-c:a", "libopus", "-b:a", rate, "-vbr", "constrained", "-ar", "48000", *ogg]
    if fmt == "flac":
        return ["-c:a", "flac", "-f", "flac"]
    return ["-c:a", "pcm_s16le", "-f", "wav"]


def mp3_piece_args(kbps: int) -> list[str]:
    """The raw mix on stdin to MP3 frames on stdout for one piece
    (``pieces.py``): CBR at ``kbps``, mono, the bit reservoir off so every
    frame carries its own bits, no ID3 tag and no Info frame (the joined
    file gets one)."""
    return [
        *PCM_INPUT, "-map", "0:a", "-map_metadata", "-1", "-fflags", "+bitexact",
        "-flags:a", "+bitexact", "-ac", "1", "-c:a", "libmp3lame", "-b:a", f"{kbps}k",
        "-reservoir", "0", "-write_xing", "0", "-id3v2_version", "0", "-f", "mp3", "pipe:1",
    ]  # fmt: skip


def mp3_template_args(kbps: int, out: str) -> list[str]:
    """Like ``mp3_piece_args`` but into the file ``out`` with its Info
    frame (ffmpeg writes it only to a file it can seek in)."""
    args = mp3_piece_args(kbps)
    return [*args[: args.index("-write_xing")], "-write_xing", "1", "-id3v2_version", "0",
            "-f", "mp3", "-y", out]  # fmt: skip


def mp3_batch_args(kbps: int, inputs: Sequence[str], outputs: Sequence[str]) -> list[str]:
    """Several pieces in one ffmpeg, each encoded as ``mp3_piece_args``
    encodes it alone: the raw float32 file ``inputs[i]`` through a
    libmp3lame of its own into ``outputs[i]`` (the same bytes: an output's
    encoder sees only its input)."""
    if len(inputs) != len(outputs):
        raise ValueError("a batch needs one output per input")
    one = mp3_piece_args(kbps)
    at = one.index("-map")
    source, codec = one[: at - 1], one[at:-1]  # without "pipe:0" / "pipe:1"
    args = ["-y"]
    for path in inputs:
        args += [*source, path]
    for i, path in enumerate(outputs):
        args += ["-map", f"{i}:a", *codec[2:], path]
    return args


def decode_mp3_args() -> list[str]:
    """MP3 frames on stdin decoded to float32 mono on stdout, every sample
    the decoder gives (no Info frame: the delay is not skipped): how a
    piece is measured where libsndfile cannot decode MP3 (``pieces.meter``)."""
    return ["-f", "mp3", "-i", "pipe:0", "-map", "0:a", "-ac", "1", *PCM_OUTPUT]


def version_line(exe: str) -> str:
    """The first line of ``ffmpeg -version`` (what a piece's bytes depend on),
    from the run that checked ``exe`` works (``_check_runs``: one run of the
    172 MB binary a process, not two); "" if it does not run."""
    try:
        return _check_runs(exe)
    except EncodeError:
        return ""


def meter_args(chain: str) -> list[str]:
    """The raw mix on stdin through the filters ``chain`` (which print what
    they measure), keeping nothing."""
    return [*PCM_INPUT, "-af", chain, *NULL_OUTPUT]


def ffmpeg_exe() -> str:
    """Path of the ffmpeg to run: ``$CUECAST_FFMPEG`` if set, else the one
    bundled with imageio-ffmpeg. Raises EncodeError if it is missing or
    does not run."""
    path = os.environ.get("CUECAST_FFMPEG")
    if not path:
        try:
            import imageio_ffmpeg

            path = imageio_ffmpeg.get_ffmpeg_exe()
        except Exception as exc:  # noqa: BLE001 - any failure means "no ffmpeg"
            raise EncodeError(
                f"ffmpeg not found ({exc})",
                hint="Install imageio-ffmpeg or set CUECAST_FFMPEG to an ffmpeg binary.",
            ) from exc
    _check_runs(path)
    return path


def ffmpeg_exe_or_none() -> str | None:
    """The ffmpeg to run if it works, else None (for checks that leave the
    report of a missing ffmpeg to the render stage)."""
    try:
        return ffmpeg_exe()
    except CuecastError:
        return None


@functools.lru_cache(maxsize=8)
def _check_runs(path: str) -> str:
    """Run ``ffmpeg -version`` once per path; raise EncodeError if it fails;
    give its first line."""
    try:
        proc = subprocess.run(
            [path, "-hide_banner", "-version"], capture_output=True,
            timeout=min(20.0, ffmpeg_timeout_s()), check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EncodeError(
            f"ffmpeg at {path} cannot run: {exc}",
            hint="Set CUECAST_FFMPEG to a working ffmpeg binary.",
        ) from exc
    if proc.returncode != 0:
        raise EncodeError(
            f"ffmpeg at {path} does not work (exit code {proc.returncode})",
            hint="Set CUECAST_FFMPEG to a working ffmpeg binary.",
        )
    first = proc.stdout.decode("utf-8", "replace").partition("\n")[0].strip()
    version = release(first)
    if version is not None and version < MIN_VERSION:
        need = ".".join(map(str, MIN_VERSION))
        raise EncodeError(
            f"ffmpeg at {path} is version {'.'.join(map(str, version))}; cuecast needs "
            f"ffmpeg {need} or newer (it measures each encoded track with ffmpeg's "
            "loopback decoder, -dec)",
            hint=f"Set CUECAST_FFMPEG to ffmpeg {need} or newer, or unset it to use the "
                 "one imageio-ffmpeg bundles.",
        )
    return first


def release(version_line: str) -> tuple[int, int] | None:
    """``(major, minor)`` of ``ffmpeg -version``'s first line (``ffmpeg
    version 7.1.1``, ``n9.0.2-17-g…``, ``6.1.1-3ubuntu5``), or None when it
    names no release (a git snapshot, ``N-113000-g…``: taken as new enough)."""
    match = re.match(r"ffmpeg version n?(\d+)\.(\d+)", version_line)
    return None if match is None else (int(match.group(1)), int(match.group(2)))


def ffmpeg_timeout_s() -> float:
    """``$CUECAST_FFMPEG_TIMEOUT`` (seconds) if set, else ``FFMPEG_TIMEOUT_S``."""
    value = envvars.seconds("CUECAST_FFMPEG_TIMEOUT", EncodeError)
    return FFMPEG_TIMEOUT_S if value is None else value


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process started with ``start_new_session`` and everything
    it started (a wrapper script's children hold its pipes too)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (AttributeError, OSError):
        if proc.poll() is None:
            proc.kill()


class _Watchdog:
    """Kills ``proc``'s group if it stays inside one ``armed`` block too long."""

    def __init__(self, proc: subprocess.Popen, timeout_s: float) -> None:
        self.proc = proc
        self.timeout_s = timeout_s
        self.fired = False
        self._since: float | None = None
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    @contextmanager
    def armed(self) -> Iterator[None]:
        self._since = time.monotonic()
        try:
            yield
        finally:
            self._since = None

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(min(0.25, self.timeout_s / 4)):
            since = self._since
            if since is not None and time.monotonic() - since > self.timeout_s:
                self.fired = True
                kill_group(self.proc)
                return


def as_pcm(block: np.ndarray, gain_lin: float, clip: float) -> np.ndarray:
    """One mix block as contiguous little-endian float32, gain applied,
    NaN/inf zeroed and clipped to ``[-clip, clip]``. A silent block
    (``blocks.silence``) is given back as it is: zeros need neither."""
    if is_silence(block):
        return block
    x = np.asarray(block, dtype=np.float32).reshape(-1)
    # one new array, changed in place: scaled, clipped (which takes an
    # infinity to the clip level), and, only if the sum says a NaN is
    # there (a clipped block's sum is finite otherwise), NaN zeroed
    x = x * np.float32(gain_lin) if gain_lin != 1.0 else x.copy()
    np.clip(x, -clip, clip, out=x)
    if x.size and not math.isfinite(float(np.add.reduce(x))):
        x[np.isnan(x)] = 0.0
    return np.ascontiguousarray(x, dtype="<f4")


class FfmpegRun:
    """One ffmpeg process reading the raw mix on stdin.

    Use as a context manager: leaving the block by an exception kills
    ffmpeg. ``write`` streams one block; ``finish`` closes stdin, waits and
    raises EncodeError (with ffmpeg's last lines) if ffmpeg failed.
    """

    def __init__(self, args: list[str], *, what: str, loglevel: str = "warning",
                 on_output: Callable[[bytes], None] | None = None) -> None:
        """``on_output`` gets ffmpeg's stdout as it comes (on a thread of
        its own; it must not block), else stdout is discarded."""
        self.what = what
        self.lines: collections.deque[str] = collections.deque(maxlen=STDERR_KEEP_LINES)
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", loglevel, *args]
        timeout_s = ffmpeg_timeout_s()
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL if on_output is None else subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise EncodeError(f"cannot start ffmpeg: {exc}") from exc
        _widen(self.proc.stdin)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self._output: threading.Thread | None = None
        if on_output is not None:
            self._output = threading.Thread(target=self._pass_on, args=(on_output,), daemon=True)
            self._output.start()
        self._watchdog = _Watchdog(self.proc, timeout_s)

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    def _pass_on(self, on_output: Callable[[bytes], None]) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while data := os.read(fd, 64 * 1024):
            on_output(data)

    def __enter__(self) -> FfmpegRun:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.kill()

    def write(self, pcm: np.ndarray) -> None:
        assert self.proc.stdin is not None
        try:
            with self._watchdog.armed():
                self.proc.stdin.write(pcm.data.cast("B"))
        except (BrokenPipeError, ValueError, OSError):
            self._fail()

    def finish(self) -> str:
        """Close stdin and wait; the stderr text, or EncodeError on failure."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        with self._watchdog.armed():
            self.proc.wait()
            self._reader.join()
            if self._output is not None:
                self._output.join()
        self._watchdog.stop()
        if self.proc.returncode != 0 or self._watchdog.fired:
            self._fail()
        return "\n".join(self.lines)

    def kill(self) -> None:
        self._watchdog.stop()
        kill_group(self.proc)
        self.proc.wait()
        self._reader.join(timeout=5)
        if self._output is not None:
            self._output.join(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stderr, self.proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass

    def _fail(self) -> None:
        self.kill()
        tail = [line for line in self.lines if line.strip()][-6:]
        text = "\n".join(tail) or f"exit code {self.proc.returncode}"
        if self._watchdog.fired:
            raise EncodeError(
                f"{self.what}: ffmpeg stopped responding for {self._watchdog.timeout_s:g} s "
                "and was killed",
                hint="Check the ffmpeg in CUECAST_FFMPEG; CUECAST_FFMPEG_TIMEOUT sets the limit.",
            )
        if any("No space left" in line for line in tail):
            raise EncodeError(f"{self.what}: the disk is full (no space left on device)")
        raise EncodeError(f"{self.what}: ffmpeg failed:\n{text}")


def _widen(pipe: object) -> None:
    """Enlarge a pipe's buffer where the platform allows (else leave it)."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        pass


def stream(run: FfmpegRun, blocks: Iterable[np.ndarray], gain_lin: float, clip: float) -> int:
    """Feed every block to ``run``; the number of samples written."""
    written = 0
    for pcm in _pcm_blocks(blocks, gain_lin, clip):
        run.write(pcm)
        written += pcm.size
    return written


def _pcm_blocks(blocks: Iterable[np.ndarray], gain_lin: float, clip: float) -> Iterator[np.ndarray]:
    for block in blocks:
        pcm = np.ascontiguousarray(as_pcm(block, gain_lin, clip))  # silence too: ffmpeg reads bytes
        if pcm.size:
            yield pcm


# --- short runs: decoding files, resampling, probing ---------------------------------


def command(args: Sequence[str], loglevel: str = "error", exe: str | None = None) -> list[str]:
    """A whole command line: the binary, its log level, no reading of the
    keyboard, then ``args``."""
    return [exe or ffmpeg_exe(), "-v", loglevel, "-nostdin", *args]


def file_pcm_args(path: str, max_s: float, *, first_audio: bool = False) -> list[str]:
    """Decode ``path`` to float32 mono at ``SAMPLE_RATE`` on stdout (soxr),
    stopping a second past ``max_s`` (so a longer file can be told apart);
    ``first_audio`` takes the first audio stream, as ``probe_args`` checks it."""
    pick = ["-map", "0:a:0"] if first_audio else []
    return [
        "-i", path, *pick, "-vn", "-t", f"{max_s + 1:g}",
        "-af", "aresample=resampler=soxr", "-ac", "1", "-ar", str(SAMPLE_RATE), *PCM_OUTPUT,
    ]  # fmt: skip


def bed_args(path: str, then: str = "", out: Sequence[str] = PCM_OUTPUT) -> list[str]:
    """Decode a background file to mono at ``SAMPLE_RATE`` (soxr), then the
    filters ``then`` (``,name=...``), to ``out``."""
    chain = f"aresample={SAMPLE_RATE}:resampler=soxr,aformat=channel_layouts=mono{then}"
    return ["-i", path, "-vn", "-af", chain, "-ac", "1", *out]


def resample_args(rate: int) -> list[str]:
    """Float32 mono at ``rate`` Hz on stdin to ``SAMPLE_RATE`` on stdout (soxr)."""
    return [
        "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
        "-af", "aresample=resampler=soxr:precision=28",
        "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "pipe:1",
    ]  # fmt: skip


def probe_args(path: str, seconds: float = 0.1) -> list[str]:
    """Decode the first ``seconds`` of the first audio stream of ``path``, keeping nothing."""
    return ["-i", path, "-map", "0:a:0", "-t", f"{seconds:g}", "-f", "null", "-"]


def run(
    args: Sequence[str], *, loglevel: str = "error", input_bytes: bytes | None = None,
    timeout_s: float | None = None, exe: str | None = None, pass_fds: Sequence[int] = (),
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg to its end with ``args``, its output captured (stdin is
    ``input_bytes``, or nothing; ``pass_fds`` stay open in it, under the
    same numbers). ``subprocess.TimeoutExpired`` after ``timeout_s``;
    ``OSError`` if it cannot start."""
    stdin = None if input_bytes is not None else subprocess.DEVNULL
    return subprocess.run(
        command(args, loglevel, exe), input=input_bytes, stdin=stdin,
        capture_output=True, timeout=timeout_s, check=False, pass_fds=tuple(pass_fds),
    )  # fmt: skip


def reader(args: Sequence[str], loglevel: str = "error") -> subprocess.Popen[bytes]:
    """ffmpeg started with ``args``, its stdout and stderr to be read by the caller."""
    return subprocess.Popen(command(args, loglevel), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip


def failure(what: str, proc: subprocess.CompletedProcess[bytes]) -> EncodeError:
    """The error for a short run that failed: a full disk said so, else
    ffmpeg's last line."""
    text = proc.stderr.decode("utf-8", "replace")
    if "No space left" in text:
        return EncodeError(f"{what}: the disk is full (no space left on device)")
    return EncodeError(f"{what}: ffmpeg failed: "
                       + last_line(proc.stderr, f"exit code {proc.returncode}"))


def last_line(stderr: bytes, default: str) -> str:
    """ffmpeg's last line of complaint, for an error message."""
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else default
