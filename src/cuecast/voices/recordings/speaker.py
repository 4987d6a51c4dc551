"""A speaker that plays a teacher's recordings where the folder has them.

Takes a ``Folder`` and the speaker a script would otherwise use; gives a
``Speaker`` that plays the recording for every line that has one, assembles
a line from recorded pieces when all of its words were recorded (numbers,
"seconds", "minutes", "and", ...), and synthesises the rest with the
script's engine and voice. Recorded clips are cached by their content
(``decode.py``); the two groups are made one loudness by
``cuecast.loudness.match``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from cuecast.errors import EngineError, InputError
from cuecast.loudness.match import SpeechGroups, matched_gains, scaled
from cuecast.timeline import Timeline, Utterance
from cuecast.units import SAMPLE_RATE
from cuecast.voices.recordings.decode import (
    decode,
    finish_recording,
    read_recording,
    recording_key,
)
from cuecast.voices.recordings.folder import Folder, Recording
from cuecast.voices.speaker import Speaker

PIECE_GAP_S = 0.06
"""Silence between recorded pieces of an assembled line (a word boundary)."""


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
        """The planned timeline (``with_origins`` keeps it), for that matching."""
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

    def with_origins(self, timeline: Timeline) -> Timeline:
        """Each speech event says which recordings spoke it; the timeline
        is kept to match the groups' loudness as the render will hear them."""
        events = tuple(
            replace(e, origin=self.origin(e.source).files)
            if e.kind == "speech" and isinstance(e.source, Utterance) else e
            for e in timeline.events
        )
        self.timeline = replace(timeline, events=events)
        self._gains = None
        return self.timeline

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
        volume_scale = np.float32(1.0 if volume is None else volume)
        return (np.concatenate(parts) * volume_scale).astype(np.float32)

    def _plain_clip(self, utt: Utterance) -> np.ndarray:
        """The line's clip before its group's gain."""
        return self._recorded_clip(utt) if self.recordings_for(utt) else super().clip(utt)

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

    def identity(self, utt: Utterance) -> str | None:
        """None: a line's clip here is not one file's (its pieces joined,
        its group's gain applied)."""
        return None

    def clip(self, utt: Utterance) -> np.ndarray:
        recorded, synthesised = self.gains()
        return scaled(self._plain_clip(utt), recorded if self.recordings_for(utt) else synthesised)

    def gains(self) -> tuple[float, float]:
        """``(recorded_db, synthesised_db)``: the louder group comes down to
        the quieter one's loudness (never up: no peak is raised)."""
        if self._gains is None:
            clips = {u: self._plain_clip(u) for u in self._lines}
            recorded = frozenset(u for u in self._lines if self.recordings_for(u))
            self._gains = matched_gains(SpeechGroups(clips, recorded), self.timeline,
                                        self.target_lufs)
        return self._gains

    def describe(self) -> dict:
        out = super().describe()
        recorded = sum(1 for u in self._lines if self.recordings_for(u))
        out["recordings"] = {"recorded": recorded, "synthesised": len(self._lines) - recorded}
        return out
