"""The publish stage: a catalogue -> a folder a static web host can serve.

    catalogue = load_catalogue(path)                 # checked, exit 2 before any render
    jobs      = [make_job(track) ...]                # inputs as bytes, input hashes
    results   = run(stale jobs, executor)            # local processes or a Dask cluster
    each finished track -> its files (atomic), then the manifest
    last: cover, feed.xml, playlist.m3u8, index.html, clients/TOKEN/feed.xml

Only complete tracks are listed; a track that fails is reported and the
rest finish. Nothing here prints or exits.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

from cuecast import __version__
from cuecast.atomic import TempFile, clean_stale_temps
from cuecast.catalogue import Catalogue, load_catalogue
from cuecast.errors import EncodeError, InputError
from cuecast.publish import manifest as mf
from cuecast.publish.chapters import chapters_json
from cuecast.publish.episodes import MIME_TYPES, TRANSCRIPT_TYPES, Episode
from cuecast.publish.inputs import TrackInfo, TrackJob, make_job
from cuecast.publish.playlist import playlist_m3u8
from cuecast.publish.worker import Failure, TrackResult
from cuecast.script.yamlnodes import did_you_mean

Progress = Callable[[TrackResult], None]
"""Called as each track finishes rendering (or fails)."""


@dataclass
class Report:
    out: Path
    rendered: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    failed: list[tuple[str, Failure]] = field(default_factory=list)
    new_feeds: list[tuple[str, str]] = field(default_factory=list)
    """(client id, feed URL) for each client feed made or moved this run."""
    listed: int = 0
    """Tracks the public feed lists."""


def publish(catalogue_path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
            *, jobs: int | None = None, cluster: str | None = None,
            revoke: Sequence[str] = (), allow_outside: bool = False,
            progress: Progress | None = None) -> Report:  # fmt: skip
    """Publish the catalogue at ``catalogue_path`` into ``out`` (default:
    ``public/`` beside it)."""
    catalogue = load_catalogue(catalogue_path, allow_outside=allow_outside)
    _check_revoke(catalogue, revoke)
    folder = Path(out) if out is not None else catalogue.folder / "public"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise EncodeError(f"cannot make the output folder {folder}: {err.strerror}") from None
    clean_stale_temps(os.fspath(folder))
    state = mf.read(folder)
    report = Report(folder)
    speech_jobs = 1 if cluster else max(1, default_jobs() // (jobs or default_jobs()))
    planned = [make_job(catalogue, track, jobs=speech_jobs) for track in catalogue.tracks]
    infos = {job.id: info for job, info in planned}
    stale = [job for job, _ in planned if not state.up_to_date(folder, job.id, job.input_hash)]
    checked = {job.id for job, _ in planned if job not in stale}  # files hashed just now
    report.up_to_date = [job.id for job, _ in planned if job not in stale]
    if stale:  # processes, Dask: loaded only when something renders
        from cuecast.publish.batch import cluster_executor, local_executor, run

        if not cluster:  # the lines the tracks share spoken once, before they render
            _speak_first(catalogue, [job.id for job in stale])

        executor = cluster_executor(cluster) if cluster else local_executor(
            max(1, min(jobs or default_jobs(), len(stale))))  # fmt: skip
        with executor as pool:
            for result in run(stale, pool):
                _take(folder, catalogue, state, result, report)
                if progress is not None:
                    progress(result)
    checked.update(report.rendered)
    _list(folder, catalogue, state, infos, checked, revoke, report)
    return report


def _speak_first(catalogue: Catalogue, ids: Sequence[str]) -> None:
    """Speak every line the tracks ``ids`` need, once, on every core, into
    the speech cache their render processes read (``pipeline.speak``).
    Tracks of one script (its profiles, per-voice copies) share most of
    their lines: rendered side by side from a cold cache, each process
    spoke them again, each loading the engine. A track whose lines cannot
    be made here makes them in its own render, which reports why."""
    from cuecast.catalogue import track_options
    from cuecast.pipeline import speak
    from cuecast.request import RenderRequest

    requests = [RenderRequest(str(track.script), track_options(catalogue, track, jobs=None))
                for track in catalogue.tracks if track.id in ids]
    speak(requests)


def _check_revoke(catalogue: Catalogue, revoke: Sequence[str]) -> None:
    ids = [c.id for c in catalogue.clients]
    for client_id in revoke:
        if client_id not in ids:
            hint = did_you_mean(client_id, ids) or (
                "Its clients: " + ", ".join(ids) + "." if ids else "It has no clients.")
            raise InputError(f"--revoke {client_id}: the catalogue has no client "
                             f"'{client_id}'", file=str(catalogue.path), hint=hint)  # fmt: skip


def default_jobs() -> int:
    """Tracks at a time on this machine: what the cores allow."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


# -- one finished track ----------------------------------------------------------------------


def _take(folder: Path, catalogue: Catalogue, state: mf.Manifest, result: TrackResult,
          report: Report) -> None:  # fmt: skip
    """Write a finished track's files, then record it in the manifest."""
    if result.failure is not None:
        report.failed.append((result.id, _located(catalogue, result)))
        return
    track = catalogue.track(result.id)
    files = list(result.files)
    timeline = json.loads(files[1][1])
    title = track.title or timeline.get("title") or track.id
    chapters = chapters_json(timeline, title, catalogue.series.title)
    if any(e.get("kind") == "section" for e in timeline.get("events", ())):
        files.append((f"{track.id}.chapters.json", chapters.encode()))
    _write_files(folder, files)
    old = state.tracks.get(track.id)
    published = old.published if old else _today()
    guid = old.guid if old else mf.item_guid(catalogue.series.link, track.id)
    state.tracks[track.id] = mf.TrackEntry(
        input_hash=result.input_hash,
        files=tuple(mf.file_entry(name, data) for name, data in files),
        duration_s=result.duration_s, guid=guid, published=published,
    )  # fmt: skip
    mf.write(folder, state)
    if old is not None:  # files the new version no longer has (another format, no chapters)
        kept = {name for name, _ in files}
        _remove(folder, [f.name for f in old.files if f.name not in kept])
    report.rendered.append(track.id)


def _located(catalogue: Catalogue, result: TrackResult) -> Failure:
    """A failure without a position names the track's script and its line
    in the catalogue."""
    failure = result.failure
    assert failure is not None
    if failure.file is not None:
        return failure
    track = catalogue.track(result.id)
    message = f"track '{track.id}' ({track.script.name}): {failure.message}"
    return replace(failure, file=str(catalogue.path), line=track.line, message=message)


def _write_files(folder: Path, files: Sequence[tuple[str, bytes]]) -> None:
    """Every file complete in its temporary first; then renamed, the
    sidecars first and the track (the first file) last. A file that already
    holds these bytes is left alone (a re-run changes no dates on the host)."""
    files = [(name, data) for name, data in files if not _holds(folder / name, data)]
    if not files:
        return
    temps = []
    try:
        for name, data in files:
            tmp = TempFile(os.fspath(folder / name), os.path.splitext(name)[1]).__enter__()
            temps.append(tmp)
            _write_bytes(tmp.path, data, name)
        for tmp in [*temps[1:], temps[0]]:
            tmp.commit()
    finally:
        for tmp in temps:
            tmp.__exit__(None, None, None)


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _write_bytes(path: str, data: bytes, name: str) -> None:
    try:
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        raise EncodeError(f"cannot write {name}: {err.strerror}") from err


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def _remove(folder: Path, names: Iterable[str]) -> None:
    for name in names:
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            pass


# -- the listings, written last -------------------------------------------------------------


def _list(folder: Path, catalogue: Catalogue, state: mf.Manifest, infos: dict[str, TrackInfo],
          checked: set[str], revoke: Sequence[str], report: Report) -> None:  # fmt: skip
    series = catalogue.series
    episodes = _episodes(folder, catalogue, state, infos, checked)
    report.listed = len(episodes)
    key = _listing_key(catalogue, episodes, state)
    if not revoke and state.listing == key and _listings_there(folder, catalogue, state):
        return  # the same listings as last time, all in place
    from cuecast.publish.feed import feed_xml  # feedgen and Jinja2 load only when needed
    from cuecast.publish.page import page_html

    cover = _copy_cover(folder, catalogue)
    state.guid = state.guid or mf.channel_guid(series.link)
    feed = feed_xml(series, episodes, self_url=series.link + "feed.xml", guid=state.guid,
                    cover_name=cover[0] if cover else None)  # fmt: skip
    _write_files(folder, [("feed.xml", feed)])
    _write_files(folder, [("playlist.m3u8", playlist_m3u8(series.author, episodes).encode())])
    _write_files(folder, [("index.html", page_html(series, episodes, cover).encode())])
    _client_feeds(folder, catalogue, state, episodes, revoke, report)
    _drop_removed_tracks(folder, catalogue, state)
    state.listing = _listing_key(catalogue, episodes, state)
    mf.write(folder, state)


def _listing_key(catalogue: Catalogue, episodes: Sequence[Episode], state: mf.Manifest) -> str:
    """What the feeds, playlist and page are made from, hashed."""
    cover = catalogue.series.cover
    document = {
        "cuecast": __version__,
        "series": asdict(catalogue.series),
        "cover": hashlib.sha256(cover.read_bytes()).hexdigest() if cover else None,
        "episodes": [{**asdict(e), "timeline": None} for e in episodes],
        "timelines": [state.tracks[e.id].files[1].sha256 for e in episodes],
        "clients": [asdict(c) for c in catalogue.clients],
        "tokens": state.tokens,
        "guid": state.guid,
        "tracks": [t.id for t in catalogue.tracks],
    }
    text = json.dumps(document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _listings_there(folder: Path, catalogue: Catalogue, state: mf.Manifest) -> bool:
    names = ["feed.xml", "playlist.m3u8", "index.html"]
    names += [f"clients/{state.tokens.get(c.id)}/feed.xml" for c in catalogue.clients]
    return all((folder / name).is_file() for name in names)


def _episodes(folder: Path, catalogue: Catalogue, state: mf.Manifest,
              infos: dict[str, TrackInfo], checked: set[str]) -> list[Episode]:  # fmt: skip
    """The catalogue's tracks whose files are all there and whole (those
    not ``checked`` this run are hashed now: an older version of a track
    that failed to render)."""
    out = []
    for number, track in enumerate(catalogue.tracks, start=1):
        entry = state.tracks.get(track.id)
        if entry is None or (track.id not in checked
                             and not all(mf.file_ok(folder, f) for f in entry.files)):
            continue
        names = [f.name for f in entry.files]
        timeline = json.loads((folder / names[1]).read_text(encoding="utf-8"))
        ext = names[0].rsplit(".", 1)[-1]
        info = infos[track.id]
        out.append(Episode(
            id=track.id, number=number, title=info.title, description=info.description,
            subtitle=info.subtitle, file=names[0], bytes=entry.files[0].bytes,
            mime=MIME_TYPES.get(ext, "application/octet-stream"), duration_s=entry.duration_s,
            guid=entry.guid,
            published=track.published or date.fromisoformat(entry.published),
            chapters=next((n for n in names if n.endswith(".chapters.json")), None),
            transcripts=tuple((n, TRANSCRIPT_TYPES[n.rsplit(".", 1)[-1]]) for n in names[2:]
                              if n.rsplit(".", 1)[-1] in TRANSCRIPT_TYPES),
            timeline=timeline,
        ))  # fmt: skip
    return out


def _copy_cover(folder: Path, catalogue: Catalogue) -> tuple[str, bytes] | None:
    source = catalogue.series.cover
    if source is None:
        return None
    data = source.read_bytes()
    name = "cover.png" if data.startswith(b"\x89PNG") else "cover.jpg"
    _write_files(folder, [(name, data)])
    return name, data


def _client_feeds(folder: Path, catalogue: Catalogue, state: mf.Manifest,
                  episodes: Sequence[Episode], revoke: Sequence[str],
                  report: Report) -> None:  # fmt: skip
    from cuecast.publish.feed import feed_xml

    clients_dir = folder / "clients"
    series = catalogue.series
    for client_id in revoke:
        old = state.tokens.pop(client_id, None)
        if old:
            shutil.rmtree(clients_dir / old, ignore_errors=True)
    for client in catalogue.clients:
        token, new = state.token(client.id)
        if new:  # kept in the manifest before the feed appears, so it is never lost
            mf.write(folder, state)
        (clients_dir / token).mkdir(parents=True, exist_ok=True)
        chosen = [e for e in episodes if e.id in client.tracks]
        url = f"{series.link}clients/{token}/feed.xml"
        xml = feed_xml(series, chosen, self_url=url,
                       guid=mf.channel_guid(f"{series.link}clients/{token}/"),
                       cover_name=_cover_name(folder), private=True)  # fmt: skip
        _write_files(clients_dir / token, [("feed.xml", xml)])
        if new:
            report.new_feeds.append((client.id, url))
    kept = {state.tokens[c.id] for c in catalogue.clients}
    for client_id in [c for c in state.tokens if c not in {x.id for x in catalogue.clients}]:
        state.tokens.pop(client_id)
    if clients_dir.is_dir():
        for entry in clients_dir.iterdir():
            if entry.is_dir() and entry.name not in kept:
                shutil.rmtree(entry, ignore_errors=True)


def _cover_name(folder: Path) -> str | None:
    return next((n for n in ("cover.png", "cover.jpg") if (folder / n).is_file()), None)


def _drop_removed_tracks(folder: Path, catalogue: Catalogue, state: mf.Manifest) -> None:
    """Tracks no longer in the catalogue leave the folder once no feed lists them."""
    ids = {t.id for t in catalogue.tracks}
    for track_id in [t for t in state.tracks if t not in ids]:
        _remove(folder, [f.name for f in state.tracks.pop(track_id).files])


__all__ = ["Report", "TrackJob", "publish"]
