"""Built-in sounds, synthesised by code, and audio files decoded for the mix.

Gives float32 mono samples at ``SAMPLE_RATE``: the chimes (``bell``,
``bowl``, ``beep``, ``chime``, ``tick``), the breathing tones, audio files
decoded by ffmpeg, and the ``rain`` and ``ocean`` ambiences that stream
block by block (``beds`` levels them, and loops files, for a background).
Everything is deterministic: the same name (and seed) gives the same samples.

Every chime starts on its first sample (the mixer puts sample 0 exactly on
the timeline), so onsets are a few-sample ramp, never a fade-in.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cuecast import ffmpeg, limits
from cuecast.errors import InputError
from cuecast.script.model import SoundRef
from cuecast.units import SAMPLE_RATE, db_to_gain
from cuecast.voices.cache import cache_dir

BUILTINS = frozenset({"bell", "bowl", "beep", "chime", "tick"})
AMBIENCES = frozenset({"rain", "ocean"})

ADVANCE_S = {"bell": 1.2, "bowl": 2.0, "beep": 0.15, "chime": 0.9, "tick": 0.02}
"""How long a sequence waits after a built-in starts before the next step
(the rest of the sound rings on under it)."""

TONE_PEAK_DBFS = -33.0
"""Breath tones sit under the voice (about 15 LU below speech after
normalising): they run through whole holds, so louder ones tire the ear."""
AMBIENCE_RMS_DBFS = -20.0
"""Ambience level as synthesised (``beds`` levels it to the voice)."""


def _t(length_s: float) -> np.ndarray:
    return np.arange(int(round(length_s * SAMPLE_RATE))) / SAMPLE_RATE


def _onset(n: int, ramp_s: float = 0.0005) -> np.ndarray:
    """Envelope rising over ``ramp_s`` (a strike, not a fade) then flat."""
    ramp = max(1, int(ramp_s * SAMPLE_RATE))
    env = np.ones(n)
    k = min(ramp, n)
    env[:k] = np.sin(0.5 * np.pi * (np.arange(k) + 1) / ramp)
    return env


def _tail_fade(x: np.ndarray, fade_s: float) -> np.ndarray:
    k = min(x.size, int(fade_s * SAMPLE_RATE))
    if k:
        x[-k:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(k) / k)
    return x


def _partials(
    t: np.ndarray, f0: float, partials: Sequence[tuple[float, float, float]], beat_hz: float = 0.0
) -> np.ndarray:
    """Sum of decaying sines: ``(ratio, amplitude, decay_s)``; with
    ``beat_hz`` each partial is a detuned pair that shimmers."""
    out = np.zeros_like(t)
    for i, (ratio, amp, decay_s) in enumerate(partials):
        f = f0 * ratio
        wave = np.sin(2 * np.pi * f * t + 0.3 * i)
        if beat_hz:  # a quieter detuned twin: shimmer, not tremolo
            wave = 0.8 * wave + 0.2 * np.sin(2 * np.pi * (f + beat_hz * (1 + 0.37 * i)) * t)
        out += amp * np.exp(-t / decay_s) * wave
    return out


def _level(x: np.ndarray, peak_dbfs: float) -> np.ndarray:
    return (x * (db_to_gain(peak_dbfs) / np.max(np.abs(x)))).astype(np.float32)


# --- the built-ins ----------------------------------------------------------------


def _bell() -> np.ndarray:
    """A struck bell: inharmonic partials (hum, prime, tierce, quint,
    nominal...) decaying over about 3 s, upper ones faster."""
    t = _t(4.0)
    partials = [
        (0.5, 0.45, 3.2), (1.0, 1.0, 2.6), (1.19, 0.35, 1.7), (1.5, 0.22, 1.3),
        (2.0, 0.45, 1.2), (2.51, 0.16, 0.7), (2.66, 0.12, 0.6), (3.01, 0.1, 0.45),
        (4.17, 0.05, 0.25),
    ]  # fmt: skip
    x = _partials(t, 528.0, partials, beat_hz=0.8) * _onset(t.size)
    return _level(_tail_fade(x, 0.8), -6.0)


def _bowl() -> np.ndarray:
    """A singing bowl: low fundamental with the bowl's wide mode ratios,
    slow beating, a soft (3 ms) strike and a long (~5 s) ring."""
    t = _t(7.0)
    partials = [(1.0, 1.0, 5.0), (2.76, 0.5, 3.5), (5.4, 0.18, 1.8), (8.93, 0.06, 0.9)]
    x = _partials(t, 196.0, partials, beat_hz=1.1) * _onset(t.size, 0.003)
    return _level(_tail_fade(x, 1.5), -8.0)


def _beep() -> np.ndarray:
    """880 Hz for 150 ms, 5 ms ends."""
    t = _t(0.15)
    x = np.sin(2 * np.pi * 880.0 * t) * _onset(t.size, 0.002)
    return _level(_tail_fade(x, 0.005), -9.0)


def _chime() -> np.ndarray:
    """Two light notes, a fifth apart going down (E6 then A5)."""
    t = _t(2.0)
    note = [(1.0, 1.0, 0.7), (2.0, 0.25, 0.35), (3.0, 0.08, 0.2)]
    first = _partials(t, 1318.5, note) * _onset(t.size)
    lag = int(0.22 * SAMPLE_RATE)
    second = np.zeros_like(t)
    second[lag:] = _partials(t[: t.size - lag], 880.0, note) * _onset(t.size - lag)
    return _level(_tail_fade(first + 0.9 * second, 0.3), -9.0)


def _tick() -> np.ndarray:
    """A 20 ms soft click-tone marking a rep."""
    t = _t(0.02)
    x = np.sin(2 * np.pi * 1600.0 * t) * np.exp(-t / 0.004) * _onset(t.size, 0.0003)
    return _level(_tail_fade(x, 0.004), -14.0)


_MAKERS = {"bell": _bell, "bowl": _bowl, "beep": _beep, "chime": _chime, "tick": _tick}


@functools.cache
def builtin(name: str) -> np.ndarray:
    """A built-in sound (float32 at ``SAMPLE_RATE``); do not modify it."""
    if name not in _MAKERS:
        raise InputError(
            f"unknown built-in sound {name!r}",
            hint=f"Built-ins: {', '.join(sorted(BUILTINS))}; or give an audio file path.",
        )
    clip = _kept(name)
    clip.setflags(write=False)
    return clip


def _kept(name: str, make: Callable[[], np.ndarray] | None = None) -> np.ndarray:
    """A built-in (or, with ``make``, a breathing tone named by its shape
    and length) as made before in the cache folder (``sounds/``), by this
    very source and numpy, else made now and kept there: making the bell
    (nine decaying partials, each a detuned pair, over 4 s) takes 60 ms of
    every render that plays it, reading it back 1 ms. A file that does not
    check out (its SHA-256 is its last 32 bytes) is made again."""
    path = cache_dir() / "sounds" / f"{name}-{_source_version()}.f32"
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    body, check = data[:-32], data[-32:]
    if body and len(body) % 4 == 0 and hashlib.sha256(body).digest() == check:
        return np.frombuffer(body, dtype="<f4").astype(np.float32)
    clip = (make or _MAKERS[name])()
    body = np.ascontiguousarray(clip, dtype="<f4").tobytes()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".f32", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(body + hashlib.sha256(body).digest())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a cache that cannot be written: made each time, as before
    return clip


@functools.cache
def _source_version() -> str:
    """What a kept built-in depends on: this file and numpy's version."""
    try:
        source = Path(__file__).read_bytes()
    except OSError:  # pragma: no cover - no source beside the module
        source = b"?"
    return hashlib.sha256(source + b" numpy " + np.__version__.encode()).hexdigest()[:24]


def advance_s(name: str | SoundRef) -> float:
    """How long the sequence waits after this sound starts: a built-in's
    table entry, a file's whole length."""
    if isinstance(name, SoundRef):
        if name.path is not None:
            return load_file(name.path).size / SAMPLE_RATE
        name = name.name
    if name in ADVANCE_S:
        return ADVANCE_S[name]
    if name in BUILTINS:  # pragma: no cover - every built-in has an entry
        return builtin(name).size / SAMPLE_RATE
    return load_file(name).size / SAMPLE_RATE


def sound(ref: SoundRef) -> np.ndarray:
    """The samples of a built-in or a file."""
    return builtin(ref.name) if ref.path is None else load_file(ref.path)


# --- breathing tones --------------------------------------------------------------

TONE_HZ = {"rise": (220.0, 330.0), "fall": (330.0, 220.0)}


def tone(shape: str, length: int) -> np.ndarray:
    """A soft sine glide lasting ``length`` samples: ``rise`` (inhale,
    220 to 330 Hz) or ``fall`` (exhale, 330 to 220 Hz), faded in and out."""
    if shape not in TONE_HZ:
        raise ValueError(f"tone shape must be 'rise' or 'fall', not {shape!r}")
    return _tone(shape, int(length)).copy()


@functools.lru_cache(maxsize=64)
def _tone(shape: str, length: int) -> np.ndarray:
    """Kept in the cache folder like the built-ins: the seed's three tones
    took 40 ms of every render to make, reading them back 1 ms."""
    if length <= 0:
        return np.zeros(0, dtype=np.float32)
    return _kept(f"tone-{shape}-{length}", lambda: _make_tone(shape, length))


def _make_tone(shape: str, length: int) -> np.ndarray:
    f0, f1 = TONE_HZ[shape]
    t = np.arange(length) / SAMPLE_RATE
    duration_s = length / SAMPLE_RATE
    ratio = f1 / f0
    # exponential glide: f(t) = f0 * ratio ** (t / T); phase is its integral
    phase = 2 * np.pi * f0 * duration_s / np.log(ratio) * (ratio ** (t / duration_s) - 1)
    wave = np.sin(phase) + 0.12 * np.sin(2 * phase)
    # a slow swell in and out (a third of the phase each), like a breath
    fade = max(1, length // 3)
    env = np.ones(length)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    env[:fade] = ramp
    env[length - fade :] = np.minimum(env[length - fade :], ramp[::-1])
    return (wave * env * (db_to_gain(TONE_PEAK_DBFS) / 1.1)).astype(np.float32)


# --- files ---------------------------------------------------------------------------


MAX_SOUND_FILE_S = limits.MAX_SOUND_FILE_S
"""A sound step's file is held whole while it plays, so it is capped (5
minutes, 53 MB); longer audio belongs in ``background``, which streams."""


def load_file(path: str) -> np.ndarray:
    """An audio file decoded by ffmpeg to float32 mono at ``SAMPLE_RATE``;
    ``InputError`` if it is missing, cannot be decoded or is longer than
    ``MAX_SOUND_FILE_S``."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"cannot read sound file {path}: {exc.strerror}") from exc
    return _decode(os.path.abspath(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _decode(path: str, mtime_ns: int, size: int) -> np.ndarray:  # noqa: ARG001 - cache key
    proc = ffmpeg.run(ffmpeg.file_pcm_args(path, MAX_SOUND_FILE_S))
    if proc.returncode != 0 or not proc.stdout:
        why = ffmpeg.last_line(proc.stderr, "no audio in it")
        raise InputError(f"cannot decode sound file {path}: {why}")
    clip = np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)
    if len(clip) > MAX_SOUND_FILE_S * SAMPLE_RATE:
        raise InputError(
            f"sound file {path} is longer than {MAX_SOUND_FILE_S / 60:g} minutes",
            hint="Play long audio as the script's 'background', which is streamed.",
        )
    clip.setflags(write=False)
    return clip


# --- background beds -------------------------------------------------------------

CHUNK = 1 << 17
"""Ambience samples per independently generated chunk (~3 s)."""
OVERLAP = 1 << 13
"""Samples over which neighbouring chunks crossfade (~190 ms)."""
SWELL_STEP = 441
"""Control rate of the slow swell (every 10 ms)."""


class Ambience:
    """A seeded, endless ambience: ``block(start, n)`` gives samples
    ``[start, start + n)``, the same whatever the block sizes, in constant
    memory. Each chunk is noise shaped in the frequency domain from its
    own seed; slow swells are functions of absolute time, so nothing loops."""

    def __init__(self, name: str, seed: int = 0) -> None:
        if name not in AMBIENCES:
            raise InputError(
                f"unknown ambience {name!r}",
                hint=f"Ambiences: {', '.join(sorted(AMBIENCES))}; or give an audio file path.",
            )
        self.name = name
        self.seed = seed
        self._chunks: dict[int, np.ndarray] = {}
        self._rng = np.random.default_rng(_seed(name, seed, -1))
        self._swells = self._rng.uniform([5.5, 0.0], [14.0, 2 * np.pi], size=(5, 2))

    def block(self, start: int, n: int) -> np.ndarray:
        out = np.empty(n, dtype=np.float32)
        pos = start
        while pos < start + n:
            index = pos // CHUNK
            take = min(start + n, (index + 1) * CHUNK) - pos
            local = pos - index * CHUNK
            out[pos - start : pos - start + take] = self._region(index, local, take)
            pos += take
        return out

    def _region(self, index: int, local: int, n: int) -> np.ndarray:
        """Samples ``[local, local + n)`` of chunk ``index``'s span, its head
        crossfaded with the previous chunk's overlap tail."""
        cur = self._chunk(index)[local : local + n].astype(np.float64)
        head = max(0, min(OVERLAP - local, n))
        if head and index > 0:
            prev = self._chunk(index - 1)[CHUNK + local : CHUNK + local + head]
            k = (np.arange(local, local + head) + 0.5) / OVERLAP * (np.pi / 2)
            cur[:head] = cur[:head] * np.sin(k) + prev * np.cos(k)  # equal power
        swell = self._swell(index * CHUNK + local, n)
        return (cur * swell).astype(np.float32)

    def _chunk(self, index: int) -> np.ndarray:
        if index not in self._chunks:
            if len(self._chunks) > 3:
                self._chunks.pop(min(self._chunks))
            rng = np.random.default_rng(_seed(self.name, self.seed, index))
            make = _rain_chunk if self.name == "rain" else _ocean_chunk
            self._chunks[index] = make(rng, CHUNK + OVERLAP)
        return self._chunks[index]

    def _swell(self, start: int, n: int) -> np.ndarray:
        """A slow gain from incommensurate sines of absolute time, computed
        every ``SWELL_STEP`` samples (on an absolute grid) and interpolated."""
        first, last = start // SWELL_STEP, (start + n) // SWELL_STEP + 1
        grid = np.arange(first, last + 1) * SWELL_STEP
        t = grid / SAMPLE_RATE
        depth = 0.35 if self.name == "ocean" else 0.12
        s = np.zeros(grid.size)
        for period_s, phase in self._swells:
            s += np.sin(2 * np.pi * t / period_s + phase)
        gain = 1.0 + depth * s / len(self._swells) * 2
        return np.interp(start + np.arange(n), grid, gain)


def _seed(name: str, seed: int, index: int) -> int:
    digest = hashlib.sha256(f"{name}:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _hiss(f: np.ndarray) -> np.ndarray:
    """Rain's spectrum: pinkish, 300 Hz to 9 kHz."""
    return f**-0.35 / (1 + (300 / f) ** 4) / (1 + (f / 9000) ** 4)


def _roar(f: np.ndarray) -> np.ndarray:
    """Ocean's spectrum: a deep brownish roar under 1.2 kHz."""
    return f**-0.8 / (1 + (40 / f) ** 4) / (1 + (f / 1200) ** 2)


@functools.lru_cache(maxsize=4)
def _spectrum(shape: Callable[[np.ndarray], np.ndarray], n: int) -> np.ndarray:
    return shape(np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE), 1.0))


def _shaped_noise(
    rng: np.random.Generator, n: int, shape: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Gaussian noise with spectrum ``shape``, at unit RMS. Drawn straight in
    the frequency domain (white Gaussian noise has a complex Gaussian
    spectrum), so one inverse FFT makes it."""
    spectrum = _spectrum(shape, n)
    real, imag = rng.standard_normal((2, spectrum.size))
    noise = np.fft.irfft((real + 1j * imag) * spectrum, n)
    return noise / (np.sqrt(np.mean(noise**2)) + 1e-12)


DROPS_PER_S = 60
DROP_T = np.arange(int(0.03 * SAMPLE_RATE)) / SAMPLE_RATE
"""A raindrop's 30 ms of time axis (a 6 ms decay: e^-5 by its end)."""
DROP_HZ = (1800.0, 5200.0)
DROP_PITCHES = 256
"""Drops ring at one of this many pitches across ``DROP_HZ`` (13 Hz apart)."""


@functools.cache
def _drop_table() -> np.ndarray:
    """Every drop's waveform, one row per pitch: computed once, so a drop
    costs one scaled add instead of its own ``sin`` and ``exp``."""
    freqs = np.linspace(*DROP_HZ, DROP_PITCHES)
    return np.sin((2 * np.pi * DROP_T) * freqs[:, None]) * np.exp(-DROP_T / 0.006)


def _drops(rng: np.random.Generator, n: int) -> np.ndarray:
    """Scattered raindrops: short decaying pings at random times and pitches."""
    table = _drop_table()
    count = rng.poisson(n / SAMPLE_RATE * DROPS_PER_S)
    at = rng.integers(0, n, count)
    freq = rng.uniform(*DROP_HZ, count)
    amp = rng.uniform(0.3, 1.4, count)
    pitch = np.rint((freq - DROP_HZ[0]) / (DROP_HZ[1] - DROP_HZ[0]) * (DROP_PITCHES - 1))
    out = np.zeros(n + DROP_T.size)
    rows = pitch.astype(np.intp).tolist()
    for start, row, gain in zip(at.tolist(), rows, amp.tolist(), strict=True):
        out[start : start + DROP_T.size] += gain * table[row]
    return out[:n]


def _rain_chunk(rng: np.random.Generator, n: int) -> np.ndarray:
    """Soft broadband hiss with scattered drops."""
    return (_shaped_noise(rng, n, _hiss) + _drops(rng, n)) * db_to_gain(AMBIENCE_RMS_DBFS)


def _ocean_chunk(rng: np.random.Generator, n: int) -> np.ndarray:
    """A deep roar; the swells make it breathe."""
    return _shaped_noise(rng, n, _roar) * db_to_gain(AMBIENCE_RMS_DBFS)


def ambience(name: str, seed: int = 0) -> Ambience:
    return Ambience(name, seed)
