"""Recorded lines: a teacher's own voice where a recording exists.

Takes a folder of recordings (audio files named by line id, or listed in a
``lines.csv`` beside them) and the speaker a script would otherwise use;
gives a speaker that plays the recording for every line that has one,
assembles a line from recorded pieces when all of its words were recorded
(numbers, "seconds", "minutes", "and", ...), and synthesises the rest with
the script's engine and voice.

Recordings are decoded by ffmpeg (any format it reads, any rate, mono or
stereo), then trimmed and levelled exactly as synthesised clips are
(``voices/clip.py``: peak -3 dBFS, trimmed to the speech) and cached by
their content. The louder of the two groups (recorded, synthesised) is
turned down to the other's loudness (K-weighted, gated like the mix, and
judged as the render's limiter will leave them), so the teacher and the
engine sit level and no clip's peak is raised.

The line id is a contract (a studio names its files by it)::

    text   = the line as displayed (after vars, before the lexicon), NFC,
             runs of white space made one space, stripped
    digest = sha256("<language>\\n<text>" in UTF-8), first ten hex digits;
             language is the script's tag, lower case, "_" read as "-"
    id     = "<slug>-<digest>", slug = the text's first words (at most
             five, 32 characters) in lower-case ASCII joined by "-"

A file is matched by its digest (the ten hex digits after the last "-" of
its name without the extension), so the slug is only for people. Changing
this rule changes every id; studios would have to rename their files.

A piece (for assembly) is the text of a run of words in lower case, single
spaced, without punctuation ("forty-five", "seconds"); its id follows the
same rule. Nothing outside the folder is read: symlinks are resolved and
must stay inside it; pipes, devices and sockets are refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cuecast import ffmpeg
from cuecast.errors import EngineError, InputError
from cuecast.language import Phrases
from cuecast.script.files import inside
from cuecast.timeline import Timeline, Utterance
from cuecast.units import SAMPLE_RATE
from cuecast.voices.clip import PEAK_DBFS, scale_to_peak, trim
from cuecast.voices.speaker import Speaker

RECORDING_FORMAT = 1
"""Part of every recorded clip's cache key: bump when processing changes."""
MAX_RECORDING_S = 60.0
"""A recording longer than this is refused (a line, not a session)."""
MAX_RECORDING_BYTES = 200_000_000
"""Read whole to hash it: a bound on memory for a mistaken file."""
DECODE_TIMEOUT_S = 60.0
PIECE_GAP_S = 0.06
"""Silence between recorded pieces of an assembled line (a word boundary)."""
MAX_PIECE_WORDS = 12
"""The longest run of words looked up as one piece."""
MAPPING_FILE = "lines.csv"
DIGEST_CHARS = 10
_DIGEST = re.compile(r"(?:^|-)([0-9a-f]{" + str(DIGEST_CHARS) + r"})$")
_WORD = re.compile(r"[\w]+(?:['’-][\w]+)*")


# --- ids ------------------------------------------------------------------------


def normal_text(text: str) -> str:
    """The text an id is made from: NFC, white space collapsed, stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normal_language(language: str) -> str:
    return language.strip().replace("_", "-").lower()


def digest(text: str, language: str) -> str:
    raw = f"{normal_language(language)}\n{normal_text(text)}".encode()
    return hashlib.sha256(raw).hexdigest()[:DIGEST_CHARS]


def slug(text: str) -> str:
    """Lower-case ASCII of the first words, for people reading file names."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:5]
    return "-".join(words)[:32].strip("-")


def line_id(text: str, language: str) -> str:
    """The stable id of a line (see the module docstring: a contract)."""
    head = slug(text)
    tail = digest(text, language)
    return f"{head}-{tail}" if head else tail


def words(text: str) -> tuple[str, ...]:
    """The words of a line, lower case, punctuation dropped (hyphens and
    apostrophes inside a word kept: "forty-five", "don't")."""
    return tuple(w.casefold() for w in _WORD.findall(unicodedata.normalize("NFC", text)))


def piece_text(ws: Iterable[str]) -> str:
    return " ".join(ws)


def number_pieces(language: str, phrases: Phrases | None = None) -> list[str]:
    """What a studio records to have customised durations assembled, in the
    script's language (``cuecast.language``) and with its ``phrases:`` when
    given: the numbers one to sixty, then every other word durations are
    said with ("seconds", "minute", "and", and forms such as German "eine"
    before a noun)."""
    from cuecast.language import LanguageError, phrases_for

    if phrases is None:
        try:
            phrases = phrases_for(language)
        except LanguageError:
            return []
    numbers = [piece_text(words(phrases.number(n))) for n in range(1, 61)]
    known = set(numbers)
    others: dict[str, None] = {}
    samples = [*range(1, 61), *(60 * m for m in range(1, 61)), 135, 150, 195, 3661]
    for seconds in samples:
        for w in words(phrases.duration(seconds)):
            if w not in known:
                others.setdefault(w, None)
    return list(dict.fromkeys(numbers)) + list(others)


# --- the folder -----------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """One usable file: its real path and its name relative to the folder."""

    path: str
    name: str


class Folder:
    """A folder of recordings: which line ids have a file.

    Scanning reads only names (and ``lines.csv``); a file is decoded only
    when a line needs it.
    """

    def __init__(self, folder: str | os.PathLike[str], language: str) -> None:
        self.root = os.path.realpath(os.fspath(folder))
        self.language = language
        self.by_digest: dict[str, Recording] = {}
        if not os.path.exists(self.root):
            raise InputError(f"recordings folder {os.fspath(folder)} does not exist")
        if not os.path.isdir(self.root):
            raise InputError(f"recordings folder {os.fspath(folder)} is not a folder")
        self._scan_names()
        self._read_mapping()

    def _add(self, key: str, rec: Recording, where: str) -> None:
        had = self.by_digest.get(key)
        if had is not None and had.path != rec.path:
            raise InputError(
                f"two recordings of one line in {self.root}: {had.name} and {rec.name}",
                file=where, hint="Keep one take per line (move the other out of the folder).",
            )
        self.by_digest[key] = rec

    def _scan_names(self) -> None:
        try:
            names = sorted(os.listdir(self.root))
        except OSError as exc:
            raise InputError(f"cannot read recordings folder {self.root}: {exc.strerror}") from exc
        for name in names:
            if name.startswith(".") or name == MAPPING_FILE:
                continue
            stem = os.path.splitext(name)[0]
            found = _DIGEST.search(stem)
            if found is None or stem == name:  # no digest, or no extension
                continue
            path = os.path.join(self.root, name)
            self._add(found.group(1), Recording(path, name), path)

    def _read_mapping(self) -> None:
        mapping = os.path.join(self.root, MAPPING_FILE)
        if not os.path.lexists(mapping):
            return
        real = self.checked(mapping, MAPPING_FILE)
        try:
            with open(real, encoding="utf-8-sig", newline="") as f:
                text = f.read(5_000_000)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {mapping}: {exc}") from exc
        for row_no, name, line in _mapping_rows(text, mapping):
            where = f"{mapping}:{row_no}"
            path = os.path.join(self.root, name)
            if not os.path.lexists(path):
                raise InputError(f"{where}: no file '{name}' in {self.root}")
            rec = Recording(path, os.path.normpath(name))
            self._add(digest(line, self.language), rec, where)
            piece = piece_text(words(line))
            if piece and piece != normal_text(line):
                self.by_digest.setdefault(digest(piece, self.language), rec)

    def checked(self, path: str, name: str) -> str:
        """The real path of a file in the folder; ``InputError`` if it
        leads outside, is missing or is not a regular file."""
        real = os.path.realpath(path)
        if not inside(real, self.root):
            raise InputError(f"recording {name} leads outside the recordings folder "
                             f"{self.root}; nothing outside it is read")
        if not os.path.exists(real):
            raise InputError(f"recording {name} in {self.root} does not exist")
        if not os.path.isfile(real):
            raise InputError(f"recording {name} in {self.root} is not a regular file "
                             "(a folder, pipe, device or socket)")
        return real

    def find(self, text: str) -> Recording | None:
        """The recording of this line, if the studio made one."""
        return self.by_digest.get(digest(text, self.language))

    def pieces(self, text: str) -> list[Recording] | None:
        """The fewest recorded pieces that say every word of ``text`` in
        order, or None if some run of words was not recorded."""
        ws = words(text)
        if not ws:
            return None
        best: list[list[Recording] | None] = [[]] + [None] * len(ws)
        for end in range(1, len(ws) + 1):
            for start in range(max(0, end - MAX_PIECE_WORDS), end):
                before = best[start]
                if before is None:
                    continue
                rec = self.by_digest.get(digest(piece_text(ws[start:end]), self.language))
                if rec is None:
                    continue
                if best[end] is None or len(before) + 1 < len(best[end] or ()):
                    best[end] = [*before, rec]
        return best[len(ws)]


def _mapping_rows(text: str, where: str) -> Iterable[tuple[int, str, str]]:
    """``(row, file, text)`` of ``lines.csv``: a header naming ``file`` and
    ``text`` columns (others ignored), or no header and those two columns."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return
    head = [c.strip().lower() for c in rows[0]]
    if "file" in head and "text" in head:
        file_col, text_col, first = head.index("file"), head.index("text"), 1
    else:
        file_col, text_col, first = 0, 1, 0
    for number, row in enumerate(rows[first:], start=first + 1):
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(file_col, text_col):
            raise InputError(f"{where}:{number}: expected a file name and the line's text")
        name, line = row[file_col].strip(), row[text_col]
        if not name or not normal_text(line):
            raise InputError(f"{where}:{number}: a row needs both a file name and a text")
        if os.path.isabs(name) or ".." in Path(name).parts:
            raise InputError(f"{where}:{number}: '{name}' must be a file inside the folder")
        yield number, name, line


# --- decoding -------------------------------------------------------------------


def recording_key(content: bytes) -> str:
    """Cache key of a finished recording: its bytes and the processing."""
    obj = {"v": RECORDING_FORMAT, "recording": hashlib.sha256(content).hexdigest(),
           "rate": SAMPLE_RATE, "peak": PEAK_DBFS}
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return "rec-" + hashlib.sha256(canonical.encode()).hexdigest()[4:]


def read_recording(path: str, name: str) -> bytes:
    try:
        size = os.path.getsize(path)
        if size == 0:
            raise InputError(f"recording {name} is empty (0 bytes)", file=path)
        if size > MAX_RECORDING_BYTES:
            raise InputError(f"recording {name} is {size / 1e6:.0f} MB; a line's recording "
                             f"is at most {MAX_RECORDING_BYTES / 1e6:.0f} MB", file=path)
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise InputError(f"cannot read recording {name}: {exc.strerror}", file=path) from exc


def decode(path: str, name: str) -> np.ndarray:
    """The file as float32 mono at ``SAMPLE_RATE`` (ffmpeg, soxr), at most
    a little over ``MAX_RECORDING_S``."""
    args = ffmpeg.file_pcm_args(path, MAX_RECORDING_S, first_audio=True)
    try:
        proc = ffmpeg.run(args, timeout_s=DECODE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise InputError(f"recording {name} could not be decoded within "
                         f"{DECODE_TIMEOUT_S:g} s", file=path) from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else "ffmpeg failed"
        raise InputError(f"recording {name} is not audio ffmpeg can read ({why})", file=path)
    audio = np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)
    if audio.size == 0:
        raise InputError(f"recording {name} holds no audio", file=path)
    if audio.size > MAX_RECORDING_S * SAMPLE_RATE:
        raise InputError(f"recording {name} is longer than {MAX_RECORDING_S:g} s; "
                         "record one line per file", file=path)
    return audio


def finish_recording(audio: np.ndarray, path: str, name: str) -> np.ndarray:
    """Trimmed and levelled as a synthesised clip is (``clip.finish``)."""
    out = trim(scale_to_peak(audio, PEAK_DBFS))
    if out.size == 0 or float(np.max(np.abs(audio))) < 10 ** (-60 / 20):
        raise InputError(f"recording {name} is silent", file=path)
    return out


# --- loudness ---------------------------------------------------------------------


def speech_lufs(clips: Iterable[np.ndarray]) -> float | None:
    """Integrated loudness (BS.1770, gated as the mix is) of the clips
    played one after another, or None if they are silent."""
    from cuecast.loudness.bs1770 import HOP, integrated_lufs, kweight

    played = [np.asarray(c, dtype=np.float32) for c in clips if len(c)]
    if not played:
        return None
    weighted = kweight(np.concatenate(played)).astype(np.float64)
    whole = weighted[: weighted.size - weighted.size % HOP].reshape(-1, HOP)
    lufs = integrated_lufs(np.einsum("ij,ij->i", whole, whole))
    return lufs if np.isfinite(lufs) and lufs > -70.0 else None


MATCH_ROUNDS = 2
"""Rounds of matching the groups as the render's limiter will leave them."""
SAMPLE_S = 600.0
"""Seconds of each group's speech the limiter's effect is judged on (the
first lines, in order): enough to be typical, and a bounded cost however
long the session."""


@dataclass(frozen=True)
class _Groups:
    """The distinct lines' clips (before any group gain) and which are recorded."""

    clips: Mapping[Utterance, np.ndarray]
    recorded: frozenset[Utterance]

    def scaled(self, utt: Utterance, gains: tuple[float, float]) -> np.ndarray:
        return _scaled(self.clips[utt], gains[0] if utt in self.recorded else gains[1])

    def lufs(self, gains: tuple[float, float], threshold: float | None = None,
             sample_s: float | None = None) -> tuple[float | None, float | None]:
        """Each group's loudness at ``gains`` (limited at ``threshold``; on
        its first ``sample_s`` seconds only)."""
        from cuecast.loudness.limiter import limit

        out = []
        for recorded in (True, False):
            played, total = [], 0
            for utt in self.clips:
                if (utt in self.recorded) != recorded:
                    continue
                if sample_s is not None and total >= sample_s * SAMPLE_RATE:
                    break
                clip = self.scaled(utt, gains)
                played.append(clip if threshold is None else limit(clip, threshold))
                total += len(clip)
            out.append(speech_lufs(played))
        return out[0], out[1]


def matched_gains(groups: _Groups, timeline: Timeline | None,
                  target_lufs: float | None) -> tuple[float, float]:
    """``(recorded_db, synthesised_db)``, each at most 0, that give the two
    groups one loudness. With a target, the render will raise the speech to
    it and limit every clip at the ceiling (``cuecast.loudness``), which
    takes more from the peakier group: the groups are then matched as they
    will be after that limiting, at about the gain the render will need (the
    speech of ``timeline`` measured as the render measures it, raised by
    what the limiting takes off)."""
    rec_lufs, syn_lufs = groups.lufs((0.0, 0.0))
    if rec_lufs is None or syn_lufs is None:
        return 0.0, 0.0
    gains = (min(0.0, syn_lufs - rec_lufs), min(0.0, rec_lufs - syn_lufs))
    if target_lufs is None or timeline is None:
        return gains
    from cuecast.loudness import CEILING_DBFS, measure

    speech = replace(timeline, events=tuple(e for e in timeline.events if e.kind == "speech"))
    for _ in range(MATCH_ROUNDS):
        def clip_for(source: object, now: tuple[float, float] = gains) -> np.ndarray:
            return groups.scaled(source, now)  # type: ignore[arg-type]

        plain = groups.lufs(gains, sample_s=SAMPLE_S)
        gain_db = target_lufs - measure(speech, clip_for).integrated_lufs
        limited = groups.lufs(gains, 10 ** ((CEILING_DBFS - gain_db) / 20), sample_s=SAMPLE_S)
        if None in plain or None in limited:
            break
        # the render makes up what the limiting took
        gain_db += _power_mean(plain, groups) - _power_mean(limited, groups)
        rec_lim, syn_lim = groups.lufs(gains, 10 ** ((CEILING_DBFS - gain_db) / 20),
                                       sample_s=SAMPLE_S)
        if rec_lim is None or syn_lim is None or abs(rec_lim - syn_lim) < 0.1:
            break
        gap = rec_lim - syn_lim
        both = (gains[0] - max(0.0, gap), gains[1] - max(0.0, -gap))
        lift = max(both)  # the louder group stays at 0 dB: nothing is raised
        gains = (both[0] - lift, both[1] - lift)
    return gains


def _power_mean(levels: tuple[float | None, float | None], groups: _Groups) -> float:
    """The loudness of both groups together, weighted by their speech time."""
    weights = [sum(len(c) for u, c in groups.clips.items() if (u in groups.recorded) == want)
               for want in (True, False)]
    power = sum(w * 10 ** ((lv or -70.0) / 10) for w, lv in zip(weights, levels, strict=True))
    return float(10 * np.log10(max(power / max(sum(weights), 1), 1e-12)))


# --- the speaker ------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where a line's clip comes from: recordings (relative file names, in
    play order) or, when ``files`` is empty, the engine."""

    files: tuple[str, ...] = ()

    @property
    def recorded(self) -> bool:
        return bool(self.files)


class RecordedSpeaker(Speaker):
    """A ``Speaker`` that plays recordings where the folder has them."""

    def __init__(self, folder: Folder, *, strict: bool = False,
                 target_lufs: float | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.folder = folder
        self.strict = strict
        self.target_lufs = target_lufs
        """The render's loudness target: the groups are matched as they
        will sound after its limiter (``None``: as they are)."""
        self.timeline: Timeline | None = None
        """The planned timeline (``mark_origins`` gives it), for that matching."""
        self._plans: dict[Utterance, tuple[Recording, ...]] = {}
        self._keys: dict[str, str] = {}
        self._lines: dict[Utterance, None] = {}
        self._gains: tuple[float, float] | None = None

    # --- which lines are recorded ------------------------------------------------

    def recordings_for(self, utt: Utterance) -> tuple[Recording, ...]:
        """The recording of the line, or the pieces that say it, or ()."""
        if utt not in self._plans:
            if utt.voice.engine is not None or utt.voice.name is not None:
                self._plans[utt] = ()  # a line given another voice is another speaker
                return ()
            whole = self.folder.find(utt.text)
            if whole is not None:
                self._plans[utt] = (whole,)
            else:
                self._plans[utt] = tuple(self.folder.pieces(utt.text) or ())
        return self._plans[utt]

    def origin(self, utt: Utterance) -> Origin:
        return Origin(tuple(rec.name for rec in self.recordings_for(utt)))

    # --- clips -------------------------------------------------------------------

    def prepare(self, utterances: Iterable[Utterance],
                progress: Callable[[int, int], None] | None = None) -> None:
        lines = list(utterances)
        self._lines.update(dict.fromkeys(lines))
        self._gains = None
        missing = [u for u in lines if not self.recordings_for(u)]
        if self.strict and missing:
            shown = ", ".join(repr(u.text) for u in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise InputError(
                f"{len(missing)} line(s) have no recording in {self.folder.root}: {shown}{more} "
                "(--strict makes a missing recording an error)",
                hint="`cuecast lines SCRIPT --recordings DIR` lists them with their ids.",
            )
        recs = {rec.path: rec for u in lines for rec in self.recordings_for(u)}
        todo = [rec for rec in recs.values() if rec.path not in self._keys]
        # ffmpeg does the decoding: threads are enough to use every core
        with ThreadPoolExecutor(max_workers=max(1, min(self.jobs, len(todo) or 1))) as pool:
            for _ in pool.map(self._recorded_key, todo):  # in order: the first bad file is named
                pass
        super().prepare(missing, progress)

    def _recorded_key(self, rec: Recording) -> str:
        """Decode, finish and cache a recording (once per content)."""
        if rec.path in self._keys:
            return self._keys[rec.path]
        real = self.folder.checked(rec.path, rec.name)
        key = recording_key(read_recording(real, rec.name))
        if self.cache.length(key) is None:
            self.cache.store(key, finish_recording(decode(real, rec.name), real, rec.name))
        self._keys[rec.path] = key
        return key

    def _recorded_clip(self, utt: Utterance) -> np.ndarray:
        parts: list[np.ndarray] = []
        gap = np.zeros(int(round(PIECE_GAP_S * SAMPLE_RATE)), dtype=np.float32)
        for i, rec in enumerate(self.recordings_for(utt)):
            samples = self.cache.load(self._recorded_key(rec))
            if samples is None:
                raise EngineError(f"the clip of recording {rec.name} vanished from the cache")
            parts += [gap, samples] if i else [samples]
        volume = self.resolve(utt.voice).volume
        scale = np.float32(1.0 if volume is None else volume)
        return (np.concatenate(parts) * scale).astype(np.float32)

    def length(self, utt: Utterance) -> int | None:
        """As ``Speaker.length``: ``None`` until ``prepare`` has decoded the
        line's recordings (or made its clip)."""
        recs = self.recordings_for(utt)
        if not recs:
            return super().length(utt)
        total = 0
        for rec in recs:
            key = self._keys.get(rec.path)
            n = None if key is None else self.cache.length(key)
            if n is None:
                return None
            total += n
        return total + (len(recs) - 1) * int(round(PIECE_GAP_S * SAMPLE_RATE))

    def clip(self, utt: Utterance) -> np.ndarray:
        recorded, synthesised = self.gains()
        if self.recordings_for(utt):
            return _scaled(self._recorded_clip(utt), recorded)
        return _scaled(super().clip(utt), synthesised)

    def gains(self) -> tuple[float, float]:
        """``(recorded_db, synthesised_db)``: the louder group comes down to
        the quieter one's loudness (never up: no peak is raised)."""
        if self._gains is None:
            clips = {u: (self._recorded_clip(u) if self.recordings_for(u)
                         else super(RecordedSpeaker, self).clip(u)) for u in self._lines}
            recorded = frozenset(u for u in self._lines if self.recordings_for(u))
            self._gains = matched_gains(_Groups(clips, recorded), self.timeline,
                                        self.target_lufs)
        return self._gains

    def describe(self) -> dict:
        out = super().describe()
        recorded = sum(1 for u in self._lines if self.recordings_for(u))
        out["recordings"] = {"recorded": recorded, "synthesised": len(self._lines) - recorded}
        return out


def _scaled(clip: np.ndarray, gain_db: float) -> np.ndarray:
    if gain_db == 0.0:
        return clip
    return (clip * np.float32(10 ** (gain_db / 20))).astype(np.float32)


# --- the pipeline's hooks ---------------------------------------------------------


def make_speaker(recordings: str | os.PathLike[str] | None, *, strict: bool = False,
                 target_lufs: float | None = None, **kwargs: object) -> Speaker:
    """A plain ``Speaker``, or one reading ``recordings`` when a folder is given."""
    if recordings is None:
        return Speaker(**kwargs)  # type: ignore[arg-type]
    language = str(kwargs.get("language") or "en")
    return RecordedSpeaker(Folder(recordings, language), strict=strict,
                           target_lufs=target_lufs, **kwargs)


def mark_origins(timeline: Timeline, speaker: Speaker) -> Timeline:
    """Each speech event says whether a recording or the engine spoke it
    (only when recordings are in use: other timelines are unchanged)."""
    if not isinstance(speaker, RecordedSpeaker):
        return timeline
    events = tuple(
        replace(e, origin=speaker.origin(e.source).files)
        if e.kind == "speech" and isinstance(e.source, Utterance) else e
        for e in timeline.events
    )
    speaker.timeline = replace(timeline, events=events)
    speaker._gains = None
    return speaker.timeline


def coverage(speaker: Speaker, lines: Iterable[Utterance]) -> Mapping[Utterance, Origin] | None:
    """Each line's origin (for ``cuecast check``), or None without recordings."""
    if not isinstance(speaker, RecordedSpeaker):
        return None
    return {u: speaker.origin(u) for u in lines}
