"""Studio-ready output, end to end through ``cuecast render``: the example
script with metadata, cover, sections and a rain bed, rendered short, then
every promise read back from the files themselves: tags and cover with
mutagen, chapters against the timeline, loudness with ffmpeg's ebur128 on
the decoded track, captions, the bed as the exact difference it makes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.ffmpeg import ffmpeg_exe
from cuecast.loudness import Loudness, parse_summary
from cuecast.mix import mix
from cuecast.pipeline import Options, _bed, _ClipSource, prepare, render
from cuecast.timeline import SAMPLE_RATE as SR
from tests.audio_check import decode, ffmpeg_chapters

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scripts" / "studio-example.yaml"
COVER = ROOT / "scripts" / "studio-cover.png"
SHORT = {"breaths": "1", "stretch": "6s", "rest": "3s"}  # about 36 s of audio
SETS = [a for k, v in SHORT.items() for a in ("--set", f"{k}={v}")] + ["--engine", "pyttsx3"]
LSB = 1 / 32768


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One speech cache for the module (renders share their clips)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CUECAST_CACHE_DIR", str(tmp_path_factory.mktemp("studio-cache")))
        yield


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, ["render", *args, *SETS])
    assert result.exit_code == 0, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def out(tmp_path_factory, cache) -> Path:
    """The example rendered to mp3, m4a (with captions) and m4b."""
    folder = tmp_path_factory.mktemp("studio")
    logs = {}
    for fmt in ("mp3", "m4a", "m4b"):
        extra = ["--captions", "vtt,srt,lrc"] if fmt == "m4a" else []
        logs[fmt] = cli(str(EXAMPLE), "-o", str(folder / f"studio.{fmt}"), *extra)
    (folder / "logs.json").write_text(json.dumps(logs))
    return folder


def timeline(folder: Path) -> dict:
    return json.loads((folder / "studio.timeline.json").read_text())


def sections_ms(folder: Path) -> list[tuple[str, float]]:
    return [(e["text"], 1000 * e["start"]) for e in timeline(folder)["events"]
            if e["kind"] == "section"]  # fmt: skip


def file_loudness(path: Path) -> Loudness:
    """EBU R128 of the decoded file, by ffmpeg's ebur128 (true peak on)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a"]
    cmd += ["-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"]
    return parse_summary(subprocess.run(cmd, capture_output=True, check=True).stderr.decode())


# -- tags and cover ---------------------------------------------------------------


def test_mp3_id3_tags_and_cover(out):
    from mutagen.id3 import ID3

    tags = ID3(out / "studio.mp3")
    assert tags.version[:2] == (2, 4)
    text = {k: str(tags[k].text[0]) for k in ("TIT2", "TIT3", "TPE1", "TALB", "TDRC", "TCON")}
    assert text == {
        "TIT2": "Evening Wind-Down", "TIT3": "Breath, a long stretch and the rain",
        "TPE1": "cuecast studio", "TALB": "cuecast examples", "TDRC": "2025",
        "TCON": "Meditation",
    }  # fmt: skip
    assert tags["TRCK"].text == ["1/3"]
    assert tags.getall("COMM")[0].text[0].startswith("A short guided wind-down")
    (apic,) = tags.getall("APIC")
    assert apic.data == COVER.read_bytes() and apic.mime == "image/png" and apic.type == 3


@pytest.mark.parametrize("fmt", ["m4a", "m4b"])
def test_mp4_tags_and_cover(out, fmt):
    from mutagen.mp4 import MP4

    tags = MP4(out / f"studio.{fmt}").tags
    assert tags["\xa9nam"] == ["Evening Wind-Down"] and tags["\xa9ART"] == ["cuecast studio"]
    assert tags["\xa9alb"] == ["cuecast examples"] and tags["\xa9day"] == ["2025"]
    assert tags["\xa9gen"] == ["Meditation"] and tags["trkn"] == [(1, 3)]
    assert tags["\xa9cmt"][0].startswith("A short guided wind-down")
    assert bytes(tags["covr"][0]) == COVER.read_bytes()
    assert tags.get("stik") == ([2] if fmt == "m4b" else None)  # m4b: an audiobook


# -- chapters ---------------------------------------------------------------------


def test_mp3_chapters_are_the_sections_in_order(out):
    from mutagen.id3 import ID3

    tags = ID3(out / "studio.mp3")
    (toc,) = tags.getall("CTOC")
    assert toc.flags & 0x03 == 0x03  # top level, ordered
    chaps = [tags[f"CHAP:{cid}"] for cid in toc.child_element_ids]
    expected = sections_ms(out)
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [t for t, _ in expected]
    assert [t for t, _ in expected] == ["Arrive", "Stretch", "Rest"]
    for chap, (_, start_ms) in zip(chaps, expected, strict=True):
        assert abs(chap.start_time - start_ms) <= 1
    starts = [c.start_time for c in chaps]
    assert starts == sorted(starts) and [c.end_time for c in chaps][:-1] == starts[1:]
    assert [t for _, _, t in ffmpeg_chapters(str(out / "studio.mp3"))] == [t for t, _ in expected]


@pytest.mark.parametrize("fmt", ["m4a", "m4b"])
def test_mp4_chapters_are_the_sections(out, fmt):
    from mutagen.mp4 import MP4

    chapters = MP4(out / f"studio.{fmt}").chapters
    expected = sections_ms(out)
    assert [c.title for c in chapters] == [t for t, _ in expected]
    for chapter, (_, start_ms) in zip(chapters, expected, strict=True):
        assert abs(1000 * chapter.start - start_ms) <= 1
    found = ffmpeg_chapters(str(out / f"studio.{fmt}"))
    assert [t for _, _, t in found] == [t for t, _ in expected]


# -- loudness ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mp3", "m4a", "m4b"])
def test_decoded_track_is_at_minus_16_lufs_under_minus_1_dbtp(out, fmt):
    measured = file_loudness(out / f"studio.{fmt}")
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert measured.true_peak_dbtp <= -1.0
    # the CLI reports the track's level (and the mix's, before normalising)
    log = json.loads((out / "logs.json").read_text())[fmt]
    found = re.search(r", (\S+) LUFS / (\S+) dBTP \(the mix was (\S+) LUFS", log)
    assert found is not None, log
    assert float(found.group(1)) == pytest.approx(-16.0, abs=0.15)
    assert float(found.group(1)) == pytest.approx(measured.integrated_lufs, abs=0.3)


def test_loudness_option_sets_the_target_and_overrides_win(out, tmp_path):
    cover = tmp_path / "other.jpg"
    cover.write_bytes(b"\xff\xd8\xff\xe0" + bytes(64) + b"\xff\xd9")
    track = tmp_path / "override.mp3"
    cli(str(EXAMPLE), "-o", str(track), "--loudness", "-20", "--title", "Night Rain",
        "--author", "Someone Else", "--cover", str(cover), "--track", "2/3")  # fmt: skip
    assert file_loudness(track).integrated_lufs == pytest.approx(-20.0, abs=0.5)
    from mutagen.id3 import ID3

    tags = ID3(track)
    assert tags["TIT2"].text == ["Night Rain"] and tags["TPE1"].text == ["Someone Else"]
    assert tags["TALB"].text == ["cuecast examples"] and tags["TRCK"].text == ["2/3"]
    (apic,) = tags.getall("APIC")
    assert apic.data == cover.read_bytes() and apic.mime == "image/jpeg"


# -- captions ---------------------------------------------------------------------


def test_captions_beside_the_track_one_cue_per_line(out):
    speech = [e for e in timeline(out)["events"] if e["kind"] == "speech"]
    assert len(speech) >= 8
    vtt = (out / "studio.vtt").read_text()
    srt = (out / "studio.srt").read_text()
    lrc = (out / "studio.lrc").read_text()

    def ms(h, m, s, frac):
        return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac)

    vtt_starts = [ms(*t) for t in re.findall(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) -->", vtt, re.M)]
    srt_starts = [ms(*t) for t in re.findall(r"^(\d\d):(\d\d):(\d\d),(\d{3}) -->", srt, re.M)]
    lrc_cues = re.findall(r"^\[(\d\d):(\d\d)\.(\d\d)\](.+)$", lrc, re.M)
    expected = [1000 * e["start"] for e in speech]
    for starts in (vtt_starts, srt_starts):
        assert len(starts) == len(speech)
        assert all(abs(a - b) <= 0.5 for a, b in zip(starts, expected, strict=True))
    assert [text for *_, text in lrc_cues] == [e["text"] for e in speech]
    lrc_ms = [(int(m) * 60 + int(s)) * 1000 + 10 * int(c) for m, s, c, _ in lrc_cues]
    assert all(abs(a - b) <= 5 for a, b in zip(lrc_ms, expected, strict=True))
    assert speech[0]["text"] in vtt and speech[-1]["text"] in srt


# -- the bed, with --loudness off ---------------------------------------------------


@pytest.fixture(scope="module")
def beds(tmp_path_factory, cache):
    """WAVs of the example with and without its bed, levels as mixed; the
    prepared script, to make the expected samples."""
    folder = tmp_path_factory.mktemp("bed")
    shutil.copy(COVER, folder / COVER.name)
    with_bed = folder / "with.yaml"
    shutil.copy(EXAMPLE, with_bed)
    text = EXAMPLE.read_text()
    without = folder / "without.yaml"
    without.write_text(re.sub(r"^background:.*\n", "", text, flags=re.M))
    options = Options(loudness_lufs=None, sets=SHORT, engine="pyttsx3")
    wet = render(with_bed, folder / "with.wav", options)
    dry = render(without, folder / "without.wav", options)
    return prepare(with_bed, options), decode(wet.path), decode(dry.path)


def test_loudness_off_keeps_the_mix_levels(beds):
    prepared, wet, _ = beds
    made = np.concatenate(list(mix(prepared.timeline, _ClipSource(prepared.speaker),
                                   bed=_bed(prepared.script))))  # fmt: skip
    assert len(wet) == len(made)
    assert np.max(np.abs(wet - made)) <= LSB


def bed_alone(prepared) -> np.ndarray:
    silent = lambda source: np.zeros(0, np.float32)  # noqa: E731
    return np.concatenate(list(mix(prepared.timeline, silent, bed=_bed(prepared.script))))


def test_difference_with_and_without_the_bed_is_exactly_the_bed(beds):
    prepared, wet, dry = beds
    bed = bed_alone(prepared)
    assert len(wet) == len(dry) == len(bed)
    assert np.max(np.abs((wet - dry) - bed)) <= LSB * 1.01
    assert np.sqrt(np.mean(bed**2)) > 100 * LSB  # and there is a bed to hear


def test_bed_is_ducked_under_every_line_and_faded(beds):
    from cuecast.beds import bed_source

    prepared, _, _ = beds
    background = prepared.script.background
    bed = bed_alone(prepared)
    raw = bed_source(background.sound).block(0, len(bed)).astype(np.float64)

    def gain_db(start: int, end: int) -> float:
        """The gain the mixer put on the raw bed over ``[start, end)`` (least squares)."""
        r, d = raw[start:end], bed[start:end]
        return 20 * np.log10(float(np.dot(r, d) / np.dot(r, r)))

    fade = int(background.fade_s * SR)
    events = prepared.timeline.events
    lines = [e for e in events if e.kind == "speech" and fade < e.start and e.end < len(bed) - fade]
    assert len(lines) >= 5
    for line in lines:  # full depth from the line's start to its end
        assert gain_db(line.start, line.end) == pytest.approx(
            background.volume_db - background.duck_db, abs=0.05
        )
    rest = next(e for e in events if e.kind == "silence")
    clear = (rest.start + int(0.7 * SR), rest.end - int(0.3 * SR))
    assert gain_db(*clear) == pytest.approx(background.volume_db, abs=0.05)
    # the duck comes and goes smoothly: no step between neighbouring 10 ms
    steps = [gain_db(a, a + 441) for a in range(lines[0].start - SR, lines[0].start, 441)]
    assert max(np.abs(np.diff(steps))) < 1.0
    # faded in from silence and out to silence
    assert np.max(np.abs(bed[:100])) < 1e-3 and np.max(np.abs(bed[-100:])) < 1e-3
    assert gain_db(0, fade // 4) < gain_db(fade // 2, fade) - 3


# -- determinism ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mp3", "m4a", "m4b"])
def test_same_script_same_bytes_normalised(out, tmp_path, fmt):
    again = render(EXAMPLE, tmp_path / f"again.{fmt}", Options(sets=SHORT, engine="pyttsx3"))
    assert Path(again.path).read_bytes() == (out / f"studio.{fmt}").read_bytes()


@pytest.mark.parametrize("fmt", ["ogg", "opus", "flac", "wav"])
def test_same_script_same_bytes_in_every_format(tmp_path, cache, fmt):
    # the encoder's part: same PCM in
    options = Options(sets=SHORT, loudness_lufs=None, engine="pyttsx3")
    first = render(EXAMPLE, tmp_path / f"a.{fmt}", options)
    second = render(EXAMPLE, tmp_path / f"b.{fmt}", options)
    assert Path(first.path).read_bytes() == Path(second.path).read_bytes()
    if fmt in ("ogg", "opus", "flac"):
        import mutagen

        tags = mutagen.File(first.path).tags
        assert tags["TITLE"] == ["Evening Wind-Down"] and tags["CHAPTER002NAME"] == ["Stretch"]


@pytest.mark.parametrize("with_bed", [True, False])
def test_numpy_loudness_agrees_with_ffmpeg_on_the_example(cache, with_bed):
    """The numpy meter's loudness of the example's mix (speech, chimes,
    breath tones, with and without the rain bed) is ffmpeg's ebur128
    reading within 0.1 LU: measured as blocks under the bed, from the clips
    (never mixed) without it."""
    from cuecast.loudness import measure, measure_loudness

    prepared = prepare(EXAMPLE, Options(sets=SHORT, engine="pyttsx3"))
    clips = _ClipSource(prepared.speaker)
    bed = _bed(prepared.script) if with_bed else None

    def mix_of(tl, clip_for):
        return mix(tl, clip_for, bed=bed)

    ours = measure(prepared.timeline, clips, mix_of if with_bed else None)
    theirs = measure_loudness(mix(prepared.timeline, clips, bed=bed))
    assert ours.integrated_lufs == pytest.approx(theirs.integrated_lufs, abs=0.1)
    assert ours.true_peak_dbtp == pytest.approx(theirs.true_peak_dbtp, abs=0.2)
