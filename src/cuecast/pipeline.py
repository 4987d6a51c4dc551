"""The whole pipeline, as the library's entry points.

    script   = load(path, profile, sets)         # script/: YAML -> resolved Script
    timeline = plan(script, speech lengths)      # planner.py: pure; voices/ speak the lines
    levelled = level(timeline, clips)            # loudness/: gain, limited clips, measured
                                                 #   from the clips (no mix is made); a
                                                 #   customised session keeps the gain of
                                                 #   its script's default session if near
    blocks   = mix(levelled.timeline, clips)     # mix.py: streamed PCM, made once
    encode(blocks, out)                          # encode.py: ffmpeg, tags, atomic

``prepare`` does the first two (what ``cuecast plan`` and ``check`` need);
``render`` does it all. Both take a script (a path or a ``ScriptMapping``)
and ``Options`` as ``cuecast.request`` parsed them. Nothing here prints or
exits.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cuecast import blocks as blocks_module
from cuecast import ffmpeg, sounds
from cuecast import mix as mix_module
from cuecast.atomic import Batch, check_writable, make_folder
from cuecast.beds import bed_source
from cuecast.blocks import Stream, Stretch
from cuecast.captions import caption_texts
from cuecast.diskstore import DiskStore
from cuecast.encode import EncodeSettings, PieceOptions, dry_run, encode, format_for, pieced
from cuecast.errors import CuecastError, EngineError, InputError
from cuecast.ffmpeg import ffmpeg_exe
from cuecast.loudness import (
    CEILING_DBFS,
    CODEC_CEILING_DBFS,
    Anchor,
    Default,
    KeptAnchors,
    LevelledMix,
    Loudness,
    groups,
    guard,
    level,
    limiter,
)
from cuecast.loudness.groups import clip_identity
from cuecast.memo import ClipMemo, digest
from cuecast.mix import Bed, ClipFor, Names, mix, stretches
from cuecast.pieces import Stats, cuts
from cuecast.pieces import stretches as stretch_module
from cuecast.pieces.stretches import GAP_SLOTS, GRID, HEAD_SLOTS, LEAD_SLOTS, TRAIL_SLOTS
from cuecast.planner import Plan, walk
from cuecast.request import Options, RenderRequest, default_output
from cuecast.script.load import ScriptSource, load
from cuecast.script.model import Script, SoundRef, VoiceSpec
from cuecast.timeline import SoundPlay, Source, Timeline, Tone, Utterance
from cuecast.units import SAMPLE_RATE, clock_text, db_to_gain
from cuecast.voices import cache as voice_cache
from cuecast.voices.cache import energy_store
from cuecast.voices.recordings import make_speaker, mark_origins
from cuecast.voices.speaker import Speaker
from cuecast.voices.workers import KeptWorkers

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is ``"speech"`` or ``"audio"``."""


@dataclass(frozen=True)
class Prepared:
    script: Script
    timeline: Timeline
    speaker: Speaker


@dataclass
class Loaded:
    """A request read once (``load_request``: its script loaded and its speaker
    made) for the steps a server takes one after another: count its new
    lines (``lines_to_speak``), speak them with others' (``speak``), render
    (``render``). ``anchors`` and ``default_key``: the server's kept
    default sessions' levelling (``loudness.KeptAnchors``) and the key of
    this one's (a fingerprint of the script, its files and the options of
    its default session): with the anchor kept, the default session is
    neither loaded, spoken nor levelled again."""

    request: RenderRequest
    script: Script
    speaker: Speaker
    kept: KeptWorkers | None = None
    anchors: KeptAnchors | None = None
    default_key: str = ""
    _default: tuple[Script, Speaker] | None | bool = False
    """The default session's script and speaker once looked for (False: not yet)."""

    def anchor(self, target_lufs: float | None, ceiling_dbfs: float) -> Anchor | None:
        """The default session's anchor kept for this target and ceiling."""
        if self.anchors is None or not self.default_key or target_lufs is None:
            return None
        return self.anchors.get(self.default_key, target_lufs, ceiling_dbfs)

    def default_plan(self) -> tuple[Script, Speaker] | None:
        """``_default_plan``, once."""
        if self._default is False:
            request = self.request
            self._default = _default_plan(request.script, request.options, self.script,
                                          self.speaker, self.kept)  # fmt: skip
        return self._default  # type: ignore[return-value]


def load_request(request: RenderRequest, *, kept: KeptWorkers | None = None,
                 anchors: KeptAnchors | None = None, default_key: str = "",
                 script: Script | None = None) -> Loaded:  # fmt: skip
    """The request read once (``Loaded``); ``InputError`` as ``render``
    gives. ``kept``: as ``prepare``'s. ``script``: the request's script
    loaded already, as ``script.load`` loads it with the request's profile,
    values and ``allow_outside`` (then it is not read again)."""
    script, speaker = _script_and_speaker(request.script, request.options, kept, script)
    return Loaded(request, script, speaker, kept, anchors, default_key)


@dataclass(frozen=True, repr=False)
class Result:
    """A finished render: the track, its timeline file and what was measured
    (``cuecast.render`` gives this too)."""

    path: str
    """The audio file written."""
    timeline_path: str
    """``NAME.timeline.json`` beside it."""
    timeline: Timeline
    loudness: Loudness | None
    """The mix as made, before normalising (None with ``--loudness off``)."""
    extra_paths: tuple[str, ...] = ()
    """Captions written beside the track."""
    final_loudness: Loudness | None = None
    """The track as encoded, measured on the encoded stream (``loudness/guard.py``)."""

    @property
    def loudness_lufs(self) -> float | None:
        """Integrated loudness of the track as encoded (None with ``loudness="off"``)."""
        final = self.final_loudness or self.loudness
        return None if final is None else final.integrated_lufs

    @property
    def true_peak_dbtp(self) -> float | None:
        final = self.final_loudness or self.loudness
        return None if final is None else final.true_peak_dbtp

    def __repr__(self) -> str:
        level = "" if self.loudness_lufs is None else f", {self.loudness_lufs:.1f} LUFS"
        return f"Result({self.path!r}, {clock_text(self.timeline.length)}{level})"


def prepare(path: ScriptSource, options: Options = Options(),
            progress: Progress | None = None, *, kept: KeptWorkers | None = None,
            loaded: Loaded | None = None) -> Prepared:  # fmt: skip
    """Load, voice and plan a script (a path or a ``ScriptMapping``).
    Warnings are on the timeline; with ``strict`` they are an ``InputError``.
    ``kept``: speech worker processes kept between renders (a server's),
    else the lines not cached are spoken by workers started for them.
    ``loaded``: this script and options read already (``load_request``)."""
    script, speaker = (loaded.script, loaded.speaker) if loaded is not None \
        else _script_and_speaker(path, options, kept)
    timeline = _plan(script, speaker, progress)
    timeline = replace(mark_origins(timeline, speaker), voice=speaker.describe())
    if options.strict and timeline.warnings:
        first = timeline.warnings[0]
        raise InputError(
            "; ".join(str(w) for w in timeline.warnings) + " (--strict makes warnings errors)",
        ) if len(timeline.warnings) > 1 else InputError(
            first.message + " (--strict makes warnings errors)",
            file=first.file, line=first.line, column=first.column, key=first.key,
        )
    return Prepared(script, timeline, speaker)


def lines_to_speak(path: ScriptSource, options: Options = Options(), *,
                   loaded: Loaded | None = None) -> int:  # fmt: skip
    """How many distinct lines a render of the script would have to speak
    (those not in the speech cache yet). Never synthesises; milliseconds.
    ``loaded``: this path and options read already (``load_request``)."""
    if loaded is not None:
        return len(_unspoken(path, options, loaded.script, loaded.speaker, loaded))
    script, speaker = _script_and_speaker(path, options)
    return len(_unspoken(path, options, script, speaker))


def speak(requests: Iterable[RenderRequest | Loaded], *,
          kept: KeptWorkers | None = None) -> list[RenderRequest | Loaded]:
    """Make the speech of several renders in one go: every distinct line
    they need that is not in the speech cache, on one set of engine
    workers per voice (a server with many sessions waiting, each needing a
    line or two, starts the engine's workers once instead of per session).
    Gives the requests whose speech could not be made (a script that does
    not load, an engine that fails): their own render reports why.
    ``kept``: as ``prepare``'s. A ``Loaded`` request is not read again."""
    groups: dict[str, tuple[Speaker, list[Utterance], list[RenderRequest | Loaded]]] = {}
    failed: list[RenderRequest | Loaded] = []
    for asked_for in requests:
        request = asked_for.request if isinstance(asked_for, Loaded) else asked_for
        try:
            if isinstance(asked_for, Loaded):
                script, speaker = asked_for.script, asked_for.speaker
            else:
                script, speaker = _script_and_speaker(request.script, request.options, kept)
            unspoken = _unspoken(request.script, request.options, script, speaker,
                                 asked_for if isinstance(asked_for, Loaded) else None)
        except CuecastError:
            failed.append(asked_for)
            continue
        if not unspoken:
            continue
        options = request.options
        # what the speaker is made from (``_script_and_speaker``): one speaker per voice
        voice = repr((options.engine, options.voice, options.rate_wpm, options.strict,
                      options.loudness_lufs, options.recordings, options.jobs,
                      script.language, script.lexicon, script.voice))  # fmt: skip
        _, lines, asked = groups.setdefault(voice, (speaker, [], []))
        lines.extend(unspoken)
        asked.append(asked_for)
    for speaker, lines, asked in groups.values():
        try:
            speaker.prepare(lines)
        except CuecastError:
            failed.extend(asked)
    return failed


def _unspoken(path: ScriptSource, options: Options, script: Script,
              speaker: Speaker, loaded: Loaded | None = None) -> list[Utterance]:  # fmt: skip
    """The lines a render of ``script`` must speak that are not in the
    speech cache: the session's own, and its default session's (whose gain
    it may keep: ``_default_session``), when spoken by the same speaker
    and its anchor is not kept (``Loaded``)."""
    lines = list(walk(script, speaker.length, _sound_length).unmeasured)
    if loaded is not None and loaded.anchor(options.loudness_lufs, _ceiling(options)):
        return list(dict.fromkeys(lines))
    default = _default_plan(path, options, script, speaker) if loaded is None \
        else loaded.default_plan()
    if default is not None and default[1] is speaker:
        lines += walk(default[0], speaker.length, _sound_length).unmeasured
    return list(dict.fromkeys(lines))


def _script_and_speaker(path: ScriptSource, options: Options, kept: KeptWorkers | None = None,
                        loaded: Script | None = None) -> tuple[Script, Speaker]:  # fmt: skip
    script = loaded if loaded is not None else load(
        path, profile=options.profile, sets=options.sets, allow_outside=options.allow_outside)
    script = _with_meta(script, options.meta)
    speaker = make_speaker(
        options.recordings or script.voice.recordings,
        strict=options.strict,
        target_lufs=options.loudness_lufs,
        engine_name=options.engine,
        language=script.language,
        lexicon=script.lexicon,
        base_voice=script.voice,
        override=VoiceSpec(engine=options.engine, name=options.voice, rate_wpm=options.rate_wpm),
        jobs=options.jobs,
        kept=kept,
    )
    return script, speaker


def render(path: ScriptSource, out: str | os.PathLike | None = None,
           options: Options = Options(), progress: Progress | None = None, *,
           audio_out: Callable[[bytes], None] | None = None,
           pieces: PieceOptions | None = None, kept: KeptWorkers | None = None,
           memo: ClipMemo | None = None, loaded: Loaded | None = None) -> Result:
    """Render a script to an audio file with its timeline (and captions) beside it.
    ``audio_out``: the MP3 encoder's audio frames as they are made (``encode``).
    An MP3 is made of pieces, each encoded once and cached: when every piece
    is cached (a re-render, a listener's session that differs only in hold,
    rest or pause lengths), the render only mixes and joins. ``pieces``
    (``encode.PieceOptions``) sets the cache and the executor and gets what
    was done (``stats``). ``kept``: speech workers kept between renders
    (``prepare``). ``memo`` (``cuecast.memo.ClipMemo``) keeps the clips
    loaded, limited and measured: a server keeps one across renders so
    that its sessions of a track do that work once, and a clip that plays
    again in a render is limited once (none: nothing is kept). ``loaded``:
    this path and options read already (``load_request``), and the default
    session's levelling kept, if it is (``Loaded``)."""
    fmt, out_path = _output(path, out, options.fmt)
    prepared = prepare(path, options, progress, kept=kept, loaded=loaded)  # load, plan, speak
    memo = _memo(prepared.speaker, memo)
    timeline, bed = prepared.timeline, _bed(prepared.script)
    clips, target = _ClipSource(prepared.speaker), options.loudness_lufs
    ceiling = CODEC_CEILING_DBFS.get(fmt, CEILING_DBFS)
    energies = _energies(prepared.speaker)
    default = _default_session(path, options, prepared, clips, kept, loaded, ceiling)
    levelled = _level(timeline, clips, bed, target, ceiling, energies, memo, default)
    _keep_anchor(loaded, levelled, target, ceiling)
    correction = None if target is None else guard.Correction(target)
    for take in range(guard.MAX_CORRECTIONS + 1):
        try:
            written, measured = _encode_levelled(levelled, bed, out_path, fmt, options, prepared,
                                                 progress, target, correction,
                                                 audio_out if take == 0 else None,
                                                 pieces, clips)  # fmt: skip
            break
        except guard.Missed as missed:  # the codec moved it: correct (``guard.Correction``)
            # a listener following ``audio_out`` has had the first take whole (the
            # miss is known at its end) and keeps it; the file is a later take,
            # the bytes ``cuecast render`` writes
            assert correction is not None
            if take == guard.MAX_CORRECTIONS:
                raise missed.miss.error(out_path) from None
            aim = correction.aim_lufs
            correction = correction.after(missed.miss)
            if correction.aim_lufs != aim:
                if loaded is not None:  # the default's anchor at the new aim, if kept
                    default = _default_session(path, options, prepared, clips, kept, loaded,
                                               ceiling, correction.aim_lufs)  # fmt: skip
                levelled = _level(timeline, clips, bed, correction.aim_lufs, ceiling,
                                  energies, memo, default)  # fmt: skip
                _keep_anchor(loaded, levelled, correction.aim_lufs, ceiling)
    return Result(out_path, written[0], timeline, levelled.before, written[1:],
                  measured if measured is not None else levelled.after)


def _encode_levelled(levelled: LevelledMix, bed: Bed | None, out_path: str, fmt: str,
                     options: Options, prepared: Prepared, progress: Progress | None,
                     target: float | None, correction: guard.Correction | None,
                     audio_out: Callable[[bytes], None] | None = None,
                     pieces: PieceOptions | None = None, clips: _ClipSource | None = None,
                     ) -> tuple[tuple[str, ...], Loudness | None]:
    """Mix ``levelled`` into the encoder, with the correction's dips; with a
    target, the encoded stream is measured and ``guard.Missed`` raised
    (nothing written) if it missed. An MP3 of pieces gets the stretches
    of sound ``clips`` can name as ``blocks.Stretch``es (``mix.stretches``:
    one whose pieces are known by its recipe is not mixed)."""
    bed = _levelled_bed(bed, levelled)
    settings = EncodeSettings(fmt=fmt, bitrate_kbps=options.bitrate_kbps,
                              gain_db=levelled.gain_db, measure=target is not None)
    blocks: Stream
    if (clips is not None and bed is None and levelled.mix_limit is None
            and (correction is None or not correction.dips)
            and pieced(settings, prepared.timeline.length)):  # fmt: skip
        blocks = stretches(levelled.timeline, levelled.clip_for, _names(levelled, clips),
                           grid=GRID, lead=LEAD_SLOTS, trail=TRAIL_SLOTS, head=HEAD_SLOTS,
                           gap=GAP_SLOTS, salt=_stretch_code())  # fmt: skip
    else:
        blocks = levelled.finished(mix(levelled.timeline, levelled.clip_for, bed=bed))
        if correction is not None:
            blocks = correction.dips.apply(blocks)
    blocks = _counted(blocks, prepared.timeline.length, progress)
    accept = None if target is None else guard.accept(target)
    return _encode(blocks, out_path, settings, prepared, options.captions, accept, audio_out,
                   pieces)


def _output(path: ScriptSource, out: str | os.PathLike | None,
            fmt_option: str | None) -> tuple[str, str]:
    """The format and the file to write, checked before any speech is made
    (a broken ffmpeg or an unwritable folder fails now)."""
    fmt = format_for(str(out), fmt_option) if out else format_for("", fmt_option or "mp3")
    out_path = str(out) if out else default_output(path, fmt)
    ffmpeg_exe()
    make_folder(out_path)
    check_writable(out_path)
    return fmt, out_path


def _encode(blocks: Stream, out_path: str, settings: EncodeSettings,
            prepared: Prepared, captions: Sequence[str],
            accept: Callable[[Loudness, str], None] | None = None,
            audio_out: Callable[[bytes], None] | None = None,
            pieces: PieceOptions | None = None,
            ) -> tuple[tuple[str, ...], Loudness | None]:
    """The track, its timeline and captions, all renamed into place together
    (``atomic.Batch``); the sidecars' paths, the timeline's first, and the
    track's loudness as encoded (with ``settings.measure``)."""
    timeline = prepared.timeline
    timeline_path = sibling(out_path, ".timeline.json")
    with Batch() as sidecars:  # every file complete before any is renamed: see atomic.py
        sidecars.write_text(timeline_path, timeline.dumps())
        texts = caption_texts(timeline, sibling(out_path, ""), captions)
        extra = [sidecars.write_text(p, text) for p, text in texts]
        measured = encode(blocks, out_path, settings, meta=prepared.script.meta,
                          chapters=timeline.chapters(), total_samples=timeline.length,
                          before_commit=sidecars.commit, accept=accept,
                          audio_out=audio_out, pieces=pieces)  # fmt: skip
    return (timeline_path, *extra), measured


def missing_pieces(path: str | os.PathLike, options: Options = Options(), *,
                   pieces: PieceOptions | None = None,
                   memo: ClipMemo | None = None) -> Stats | None:
    """What ``render`` with these options would encode, encoding nothing:
    its pieces, how many are cached, and the keys of those that are not
    (``Stats.missing``: empty means the render only mixes and joins). None
    for a format that is not made of pieces (everything is encoded). The
    speech must be made (``speech_ready``) or it is made now. ``memo``: as
    ``render``'s."""
    fmt = format_for("", options.fmt or "mp3")
    prepared = prepare(path, options)
    memo = _memo(prepared.speaker, memo)
    timeline, bed, clips = prepared.timeline, _bed(prepared.script), _ClipSource(prepared.speaker)
    levelled = _level(timeline, clips, bed, options.loudness_lufs,
                      CODEC_CEILING_DBFS.get(fmt, CEILING_DBFS), _energies(prepared.speaker), memo,
                      _default_session(path, options, prepared, clips))  # fmt: skip
    settings = EncodeSettings(fmt=fmt, bitrate_kbps=options.bitrate_kbps,
                              gain_db=levelled.gain_db)
    if not pieced(settings, timeline.length):
        return None
    blocks = levelled.finished(mix(levelled.timeline, levelled.clip_for,
                                   bed=_levelled_bed(bed, levelled)))  # fmt: skip
    store = pieces.store if pieces is not None else None
    return dry_run(blocks, settings, timeline.length, store)


def _levelled_bed(bed: Bed | None, levelled: LevelledMix) -> Bed | None:
    """The bed as far under the limited voice as asked (``LevelledMix.bed_db``)."""
    if bed is None or not levelled.bed_db:
        return bed
    return replace(bed, volume_db=bed.volume_db + levelled.bed_db)


def mix_part(prepared: Prepared, start: int, end: int) -> Iterator[np.ndarray]:
    """The samples [start, end) of the script's mix before the loudness
    stage (its speech, sounds, breathing and background, ducked): a part
    to hear while writing (``cuecast edit``), without mixing what comes
    before it."""
    return mix(prepared.timeline, _ClipSource(prepared.speaker), bed=_bed(prepared.script),
               start=start, end=end)


def _level(timeline: Timeline, clips: ClipFor, bed: Bed | None,
           target_lufs: float | None, ceiling_dbfs: float,
           energies: DiskStore | None = None, memo: ClipMemo | None = None,
           default: Default | Anchor | None = None) -> LevelledMix:  # fmt: skip
    """The loudness stage (``loudness/``), to the ceiling of the format;
    each clip's measurement kept in ``energies`` (beside the speech), and in
    ``memo`` with the clips limited; a customised session keeps its
    ``default`` session's gain when near enough (``levelling.Default``)."""
    levelled = level(timeline, clips, _mix_of(bed), target_lufs=target_lufs,
                     ceiling_dbfs=ceiling_dbfs, bed=bed is not None, energies=energies,
                     memo=memo, default=default)  # fmt: skip
    if energies is not None:
        energies.trim_if_grown()
    return levelled


def _mix_of(bed: Bed | None) -> Callable[[Timeline, ClipFor], Iterator[np.ndarray]]:
    def mix_of(tl: Timeline, clip_for: ClipFor) -> Iterator[np.ndarray]:
        return mix(tl, clip_for, bed=bed)

    return mix_of


def _ceiling(options: Options) -> float:
    """The sample ceiling of the format ``options`` ask for (a server's
    renders name no file: the option, else MP3)."""
    return CODEC_CEILING_DBFS.get(options.fmt or "mp3", CEILING_DBFS)


def _keep_anchor(loaded: Loaded | None, levelled: LevelledMix, target_lufs: float | None,
                 ceiling_dbfs: float) -> None:  # fmt: skip
    """Keep the default session's anchor the levelling found (``Loaded.anchors``)."""
    if loaded is None or loaded.anchors is None or not loaded.default_key \
            or levelled.anchor is None or target_lufs is None:
        return
    loaded.anchors.put(loaded.default_key, target_lufs, ceiling_dbfs, levelled.anchor)


def _default_session(path: ScriptSource, options: Options, prepared: Prepared,
                     clips: ClipFor, kept: KeptWorkers | None = None,
                     loaded: Loaded | None = None, ceiling_dbfs: float = CEILING_DBFS,
                     target_lufs: float | None = None) -> Default | Anchor | None:
    """The script's default session (``Options.default_session``), planned,
    for a customised session to keep its gain (``levelling.Default``); None
    when the session is the default one, loudness is left alone, or the
    script's declared values do not make a session (a var with no value).
    Its lines are those of the session but for the values changed: they
    are in the speech cache, but for a default value's own line ("60
    seconds each side"), spoken now if need be (``lines_to_speak`` counts
    it and ``speak`` makes it with the session's). Made with the session's
    own speaker (and clips, measured once) when the voice is the same.
    With ``loaded``, its anchor at ``target_lufs`` (default: the option's)
    and ``ceiling_dbfs`` if kept, else the default session read once."""
    if loaded is not None:
        target = options.loudness_lufs if target_lufs is None else target_lufs
        if options.default_session() is not None:
            anchor = loaded.anchor(target, ceiling_dbfs)
            if anchor is not None:
                return anchor
        planned = loaded.default_plan()
    else:
        planned = _default_plan(path, options, prepared.script, prepared.speaker, kept)
    if planned is None:
        return None
    script, speaker = planned
    timeline = _plan(script, speaker, None)
    bed = _bed(script)
    return Default(timeline, clips if speaker is prepared.speaker else _ClipSource(speaker),
                   None if bed is None else _mix_of(bed))  # fmt: skip


def _default_plan(path: ScriptSource, options: Options, session: Script, speaker: Speaker,
                  kept: KeptWorkers | None = None) -> tuple[Script, Speaker] | None:
    """The default session's script and a speaker for it, or None (see
    ``_default_session``). The session's own ``speaker`` when the voice is
    the same; a speaker of its own with recorded lines (a recorded
    speaker matches its synthesised lines to the lines it was asked for:
    the default's would change the session's), never strict (a default
    value's line with no recording is spoken, as the default session's
    own render would, rather than failing the session's)."""
    base = options.default_session()
    if base is None:
        return None
    try:
        script = load(path, allow_outside=options.allow_outside)
    except InputError:  # the declared values alone do not load: no default session
        return None
    recorded = options.recordings or session.voice.recordings or script.voice.recordings
    if _same_voice(script, session) and not recorded:
        return script, speaker
    return _script_and_speaker(path, replace(base, strict=False), kept)


def _same_voice(a: Script, b: Script) -> bool:
    """What ``make_speaker`` takes from a script is the same in both."""
    return (a.voice, a.language, a.lexicon) == (b.voice, b.language, b.lexicon)


def _memo(speaker: Speaker, memo: ClipMemo | None) -> ClipMemo | None:
    """The memo given, also made the speaker's cache's: a clip read for the
    levelling is not read again for the mix. None: nothing is kept (a memo
    kept for one render only raised the hour's peak memory past 100 MB,
    by 7 MB at 4 MB and 26 MB at 16 MB, for 0.05 s; the mixer already
    keeps a clip that plays again within ``mix.KEEP_AHEAD``)."""
    if memo is not None:
        speaker.cache.memo = memo
    return memo


def _energies(speaker: Speaker) -> DiskStore:
    """Where levelling keeps its clips' measurements (``loudness/energies.py``):
    beside the speech clips (``voices.cache.energy_store``), so a render whose
    speech is cached measures no clip again, whatever became of its pieces."""
    return energy_store(speaker.cache.root)


def _plan(script: Script, speaker: Speaker, progress: Progress | None) -> Timeline:
    """Walk the script with the lengths in the cache; if some lines are not
    made yet, make them (in parallel) and walk again."""
    planned: Plan = walk(script, speaker.length, _sound_length)
    tick = None if progress is None else (lambda d, t: progress("speech", d, t))
    speaker.prepare([line.utterance for line in planned.lines], tick)
    if planned.unmeasured:
        planned = walk(script, speaker.length, _sound_length)
    if planned.unmeasured:
        text = planned.unmeasured[0].text
        raise EngineError(f"the clip for {text!r} vanished from the cache")
    return planned.timeline


def sibling(track_path: str, suffix: str) -> str:
    """``audio/x.mp3`` -> ``audio/x<suffix>``."""
    root, _ = os.path.splitext(track_path)
    return root + suffix


# -- sources of samples -------------------------------------------------------


def _sound_length(ref: SoundRef) -> tuple[int, int]:
    clip = _sound_clip(ref)
    if ref.path is None:
        return len(clip), int(round(sounds.advance_s(ref.name) * SAMPLE_RATE))
    return len(clip), len(clip)


def _sound_clip(ref: SoundRef) -> np.ndarray:
    return sounds.builtin(ref.name) if ref.path is None else sounds.load_file(ref.path)


class _ClipSource:
    """The samples of an event's source; also, without reading a speech
    clip, its length (the file's header: ``groups.clip_length``) and what
    names its file as it is now (``groups.clip_identity``: levelling finds
    its measurement by that), so a render reads each clip once, to mix it."""

    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker

    def __call__(self, source: Source) -> np.ndarray:
        if isinstance(source, Utterance):
            return self.speaker.clip(source)
        if isinstance(source, SoundPlay):
            return _sound_clip(source.sound) * db_to_gain(source.volume_db)
        if isinstance(source, Tone):
            return sounds.tone(source.shape, source.length)
        raise TypeError(f"nothing to play for {source!r}")  # pragma: no cover

    def length(self, source: Source) -> int:
        n = self.speaker.length(source) if isinstance(source, Utterance) else None
        return len(self(source)) if n is None else n

    def identity(self, source: Source) -> str | None:
        if isinstance(source, Utterance):
            return self.speaker.identity(source)
        if isinstance(source, Tone) or (isinstance(source, SoundPlay)
                                        and source.sound.path is None):  # fmt: skip
            return _made_identity(source, self)  # made the same all along this process
        if isinstance(source, SoundPlay):  # made in memory: named by their samples
            return f"{type(source).__name__} {digest(self(source)).hex()}"
        return None  # pragma: no cover


_MADE: dict[Source, str] = {}
"""The names of tones and built-in sounds made in this process (their
samples' digest: a breathing session has a few dozen, each hashed once)."""


def _made_identity(source: Tone | SoundPlay, clips: _ClipSource) -> str:
    name = _MADE.get(source)
    if name is None:
        name = f"{type(source).__name__} {digest(clips(source)).hex()}"
        if len(_MADE) < 4096:
            _MADE[source] = name
    return name


def _bed(script: Script) -> Bed | None:
    bg = script.background
    if bg is None:
        return None
    return Bed(bed_source(bg.sound), bg.volume_db, bg.duck_db, bg.fade_s)


def _counted(stream: Stream, total: int,
             progress: Progress | None) -> Iterator[np.ndarray | Stretch]:
    done = 0
    for block in stream:
        yield block
        done += block.stop - block.start if isinstance(block, Stretch) else len(block)
        if progress is not None:
            progress("audio", done, total)


@functools.cache
def _stretch_code() -> str:
    """What a stretch's recipe cannot name and its samples and pieces depend
    on: the code that reads, limits, groups, mixes, scales and cuts them
    (its source, hashed): a record made by other code (kept on disk) is
    not found."""
    h = hashlib.sha256()
    for module in (blocks_module, ffmpeg, groups, limiter, mix_module, cuts, stretch_module,
                   voice_cache):  # fmt: skip
        try:
            h.update(Path(module.__file__ or "").read_bytes())
        except OSError:  # pragma: no cover - no source beside the module
            h.update(module.__name__.encode())
    return h.hexdigest()[:32]


def _names(levelled: LevelledMix, clips: _ClipSource) -> Names:
    """What names each play's clip as ``levelled.clip_for`` gives it: the
    clip's own name (``groups.clip_identity``: a speech clip file's, a
    made sound's digest, a group's members') and the threshold it is
    limited to. Each named once a render."""
    limit = levelled.clip_limit
    named: dict[Source, str | None] = {}

    def name(source: Source) -> str | None:
        if source not in named:
            own = clip_identity(clips, source)
            named[source] = own if own is None or limit is None else f"limited {limit!r}\n{own}"
        return named[source]

    return name


def _with_meta(script: Script, overrides: Mapping[str, str]) -> Script:
    if not overrides:
        return script
    return replace(script, meta=replace(script.meta, **dict(overrides)))
