"""What the pipeline calls to voice a script.

Takes utterances (display text and a per-line voice); gives each one's
clip length in samples (from the cache's headers only, so planning with a
warm cache is fast; ``None`` while the clip is not made: measuring never
starts synthesis) and its float32 clip at ``SAMPLE_RATE``. ``prepare``
synthesises every distinct line that is not cached, in worker processes
(so a hanging engine can be killed: ``EngineError`` naming the line), and
stores the finished clips (``voices/clip.py``) in the cache.

A line's voice is its own voice over the script's, with the command line's
override on top, resolved by the engine (so the cache key names what is
really spoken). The lexicon is applied to the text before synthesis and
before the key, so a respelled word and its respelling share a clip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from cuecast.errors import EngineError
from cuecast.script.model import VoiceSpec
from cuecast.timeline import Timeline, Utterance
from cuecast.voices.cache import Cache, cache_key
from cuecast.voices.registry import canonical_name, get_engine
from cuecast.voices.workers import Job, KeptWorkers, run_jobs

NO_VOICE = VoiceSpec()
"""Nothing requested: every field falls back."""


class Speaker:
    def __init__(
        self,
        engine_name: str | None = None,
        *,
        language: str = "en",
        lexicon: Sequence[tuple[str, str]] = (),
        base_voice: VoiceSpec = NO_VOICE,
        override: VoiceSpec = NO_VOICE,
        cache: Cache | None = None,
        jobs: int | None = None,
        kept: KeptWorkers | None = None,
    ) -> None:
        self.engine_name = engine_name
        self.language = language
        self.base_voice = base_voice
        self.override = override
        self.cache = cache if cache is not None else Cache()
        self.jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
        self.kept = kept
        """Worker processes kept between renders (the page's server), or None:
        this speaker's own, stopped when its lines are spoken."""
        self._respell = compile_lexicon(lexicon)
        self._resolved: dict[VoiceSpec, VoiceSpec] = {}
        self._versions: dict[str, str] = {}
        self._jobs: dict[Utterance, Job] = {}
        self._lengths: dict[str, int] = {}
        """Clip lengths read from the cache, by key: a render (or a server's
        session) walks its script two or three times, and reads each clip's
        header once. A clip gone from the cache since is found out when it
        is loaded (``clip``), and made again."""

    # --- voices ------------------------------------------------------------

    def _engine_for(self, spec: VoiceSpec) -> str:
        engine = self.engine_name or spec.engine
        if self.override.name and not self.override.engine:
            engine = None  # a voice named on the command line brings its own engine
        return canonical_name(engine, self.language, spec.name)

    def resolve(self, voice: VoiceSpec | None = None) -> VoiceSpec:
        """The line's voice over the script's, the override on top,
        resolved by the engine (``InputError`` for an unknown voice)."""
        spec = self.override.over((voice or VoiceSpec()).over(self.base_voice))
        if spec not in self._resolved:
            name = self._engine_for(spec)
            resolved = get_engine(name).resolve(spec, self.language)
            self._resolved[spec] = VoiceSpec(
                engine=name,
                name=resolved.name,
                rate_wpm=resolved.rate_wpm,
                pitch=resolved.pitch,
                volume=resolved.volume,
            )
        return self._resolved[spec]

    def _version(self, engine: str) -> str:
        if engine not in self._versions:
            self._versions[engine] = get_engine(engine).version()
        return self._versions[engine]

    def job(self, utt: Utterance) -> Job:
        if utt not in self._jobs:
            voice = self.resolve(utt.voice)
            engine = voice.engine or canonical_name(None)
            text = self._respell(utt.text)
            key = cache_key(engine, self._version(engine), voice, text)
            self._jobs[utt] = Job(engine, voice, text, key)
        return self._jobs[utt]

    def with_origins(self, timeline: Timeline) -> Timeline:
        """``timeline`` with each speech event saying where its clip comes
        from; every line is the engine's here (a speaker that plays
        recordings says which, ``voices/recordings``)."""
        return timeline

    # --- clips -------------------------------------------------------------

    def prepare(
        self,
        utterances: Iterable[Utterance],
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Synthesise, finish and cache every distinct line not yet cached."""
        todo: dict[str, Job] = {}
        for utt in utterances:
            job = self.job(utt)
            if job.key not in todo and self._length(job.key) is None:
                todo[job.key] = job
        if not todo:
            return
        by_engine: dict[str, list[Job]] = {}
        for job in todo.values():
            by_engine.setdefault(job.engine, []).append(job)
        done = 0
        for engine, jobs in by_engine.items():
            limit = getattr(get_engine(engine), "max_jobs", 1) or self.jobs
            workers = max(1, min(self.jobs, limit, len(jobs)))
            offset = done

            def tick(n: int, _offset: int = offset) -> None:
                if progress is not None:
                    progress(_offset + n, len(todo))

            run_jobs(jobs, workers, self.cache.root, tick, kept=self.kept)
            done += len(jobs)

    def length(self, utt: Utterance) -> int | None:
        """Samples of the line's trimmed clip at ``SAMPLE_RATE``; ``None``
        until ``prepare`` has made it (this never synthesises)."""
        return self._length(self.job(utt).key)

    def _length(self, key: str) -> int | None:
        n = self._lengths.get(key)
        if n is None:
            n = self.cache.length(key)
            if n is not None:
                self._lengths[key] = n
        return n

    def identity(self, utt: Utterance) -> str | None:
        """What names the line's clip file as it is now (``Cache.identity``),
        without reading it; None until ``prepare`` has made it."""
        return self.cache.identity(self.job(utt).key)

    def clip(self, utt: Utterance) -> np.ndarray:
        """The line's clip: float32 in [-1, 1] at ``SAMPLE_RATE``, trimmed."""
        key = self.job(utt).key
        samples = self.cache.load(key)
        if samples is None:
            self._lengths.pop(key, None)  # gone since its length was read: made again
            self.prepare([utt])
            samples = self.cache.load(key)
        if samples is None:
            raise EngineError(f"the clip for {utt.text!r} vanished from the cache")
        return samples

    def describe(self) -> dict:
        """What voices the script, for the timeline JSON: the session's voice
        (what a line without a voice of its own speaks with) and, when some
        lines of those seen by ``job`` speak with another engine, voice or
        rate, those under ``others`` (sorted, each listed once)."""
        main = self._voice_json(self.resolve(VoiceSpec()))
        seen = {tuple(self._voice_json(job.voice).items()) for job in self._jobs.values()}
        others = sorted(seen - {tuple(main.items())}, key=lambda v: repr(v))
        if others:
            main["others"] = [dict(v) for v in others]
        return main

    def _voice_json(self, voice: VoiceSpec) -> dict:
        engine = voice.engine or canonical_name(None)
        return {
            "engine": engine,
            "voice": voice.name,
            "rate": voice.rate_wpm,
            "version": self._version(engine),
        }


# --- lexicon -------------------------------------------------------------------

_LEFT = r"(?<!\w)(?<!\w['’-])"
_RIGHT = r"(?!\w)(?!['’-]\w)"
"""Whole words: a hyphen or apostrophe inside a word joins it (``psoas``
is not replaced in ``psoas-like``), at a word's edge it does not."""


def compile_lexicon(lexicon: Sequence[tuple[str, str]]) -> Callable[[str], str]:
    """A function applying the respellings: whole words, case-insensitive,
    longest entries first."""
    table = {word.strip().casefold(): say for word, say in lexicon if word.strip()}
    if not table:
        return lambda text: text
    words = sorted(table, key=lambda w: (-len(w), w))
    pattern = re.compile(
        _LEFT + "(" + "|".join(re.escape(w) for w in words) + ")" + _RIGHT, re.IGNORECASE
    )
    return lambda text: pattern.sub(lambda m: table[m.group(1).casefold()], text)
