"""The recordings folder: line ids, how files are found, and bad recordings
refused with the file named (exit 2), nothing outside the folder read."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.errors import InputError
from cuecast.script.model import VoiceSpec
from cuecast.timeline import SAMPLE_RATE, Utterance
from cuecast.voices.recordings import (
    Folder,
    digest,
    line_id,
    make_speaker,
    words,
)
from tests.teacher import record

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

ROUTINE = """\
title: Short
steps:
  - say: Welcome.
  - say: Well done.
"""


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def tone(seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


# --- ids -----------------------------------------------------------------------


def test_the_id_rule_is_the_documented_contract():
    # sha256("en\nWelcome.") starts with these ten hex digits; changing the
    # rule would rename every studio's files
    import hashlib

    assert digest("Welcome.", "en") == hashlib.sha256(b"en\nWelcome.").hexdigest()[:10]
    assert line_id("Welcome.", "en") == "welcome-" + digest("Welcome.", "en")
    assert line_id("  Welcome.\n", "EN") == line_id("Welcome.", "en")  # spaces, case of the tag
    assert line_id("Welcome.", "de") != line_id("Welcome.", "en")
    assert line_id("Welcome!", "en") != line_id("Welcome.", "en")  # said differently
    long_id = line_id("Bring your knees slowly towards your chest now.", "en")
    assert long_id.startswith("bring-your-knees-slowly-towards-")
    assert line_id("Atme ruhig ein, Schultern loslassen.", "de").startswith("atme-ruhig-ein-")
    assert len(line_id("…", "en")) == 10  # no letters: the digest alone


def test_words_keep_numbers_whole():
    assert words("We will hold for forty-five seconds.") == (
        "we", "will", "hold", "for", "forty-five", "seconds")
    assert words("Don't   rush!") == ("don't", "rush")


# --- finding recordings ------------------------------------------------------------


def test_files_are_found_by_digest_and_other_files_are_ignored(tmp_path):
    lid = line_id("Welcome.", "en")
    write_wav(tmp_path / f"{lid}.wav", tone(0.5))
    renamed = tmp_path / f"take-3-{digest('Well done.', 'en')}.flac"  # slug is for people
    renamed.write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("session notes")
    (tmp_path / digest("Hold.", "en")).write_text("no extension: not a recording")
    folder = Folder(tmp_path, "en")
    assert folder.find("Welcome.").name == f"{lid}.wav"  # type: ignore[union-attr]
    assert folder.find("Well done.").name == renamed.name  # type: ignore[union-attr]
    assert folder.find("Hold.") is None
    assert folder.find("Welcome.") is not None and Folder(tmp_path, "de").find("Welcome.") is None


def test_lines_csv_maps_file_names_to_text(tmp_path):
    write_wav(tmp_path / "take01.wav", tone(0.5))
    write_wav(tmp_path / "45.wav", tone(0.5))
    (tmp_path / "lines.csv").write_text(
        "file,text,notes\ntake01.wav,Welcome.,first take\n45.wav,Forty-five,\n")
    folder = Folder(tmp_path, "en")
    assert folder.find("Welcome.").name == "take01.wav"  # type: ignore[union-attr]
    # "Forty-five" is also a piece ("forty-five") for assembling durations
    assert [r.name for r in folder.pieces("Forty-five.") or []] == ["45.wav"]


def test_pieces_cover_a_line_in_the_fewest_recordings(tmp_path):
    for text in ("we will hold for", "we", "will", "forty-five", "seconds"):
        write_wav(tmp_path / f"{line_id(text, 'en')}.wav", tone(0.3))
    folder = Folder(tmp_path, "en")
    got = folder.pieces("We will hold for forty-five seconds.")
    assert [r.name.split("-")[0] for r in got or []] == ["we", "forty", "seconds"]
    assert folder.pieces("We will hold for forty-five minutes.") is None  # no "minutes"


def test_two_takes_of_one_line_are_an_error(tmp_path):
    write_wav(tmp_path / f"{line_id('Welcome.', 'en')}.wav", tone(0.5))
    write_wav(tmp_path / "a.wav", tone(0.5))
    (tmp_path / "lines.csv").write_text("file,text\na.wav,Welcome.\n")
    with pytest.raises(InputError, match="two recordings of one line.*a.wav"):
        Folder(tmp_path, "en")


@pytest.mark.parametrize("row, message", [
    ("../outside.wav,Welcome.", "must be a file inside the folder"),
    ("/etc/hostname,Welcome.", "must be a file inside the folder"),
    ("missing.wav,Welcome.", "no file 'missing.wav'"),
    ("take.wav,", "needs both a file name and a text"),
])
def test_bad_lines_csv_rows_name_the_row(tmp_path, row, message):
    (tmp_path / "lines.csv").write_text(f"file,text\n{row}\n")
    with pytest.raises(InputError, match=message) as err:
        Folder(tmp_path, "en")
    assert "lines.csv:2" in str(err.value)


# --- bad recordings -------------------------------------------------------------------


def bad(tmp_path: Path, make) -> InputError:
    """Prepare a line whose recording ``make(path)`` spoils."""
    folder = tmp_path / "rec"
    folder.mkdir()
    path = folder / f"{line_id('Welcome.', 'en')}.wav"
    make(path)
    speaker = make_speaker(str(folder), engine_name="pyttsx3", language="en")
    with pytest.raises(InputError) as err:
        speaker.prepare([Utterance("Welcome.", VoiceSpec())])
    assert path.name in str(err.value)
    return err.value


def test_not_audio(tmp_path):
    err = bad(tmp_path, lambda p: p.write_text("this is not a wave file\n" * 50))
    assert "is not audio" in str(err)


def test_empty(tmp_path):
    assert "empty" in str(bad(tmp_path, lambda p: p.write_bytes(b"")))


def test_silent(tmp_path):
    err = bad(tmp_path, lambda p: write_wav(p, np.zeros(SAMPLE_RATE, dtype=np.float32)))
    assert "silent" in str(err)


def test_longer_than_a_minute(tmp_path):
    err = bad(tmp_path, lambda p: write_wav(p, tone(61.0, 0.1), rate=8000))
    assert "longer than 60 s" in str(err)


def test_a_folder_where_a_recording_should_be(tmp_path):
    assert "not a regular file" in str(bad(tmp_path, lambda p: p.mkdir()))


def test_a_dangling_link(tmp_path):
    assert "does not exist" in str(bad(tmp_path, lambda p: p.symlink_to(p.parent / "gone.wav")))


def test_a_link_out_of_the_folder_is_not_followed(tmp_path):
    outside = write_wav(tmp_path / "outside.wav", tone(0.5))
    err = bad(tmp_path, lambda p: p.symlink_to(outside))
    assert "outside the recordings folder" in str(err)


def test_a_pipe_is_refused_without_reading_it(tmp_path):
    err = bad(tmp_path, lambda p: os.mkfifo(p))
    assert "not a regular file" in str(err)


def test_bad_recording_is_exit_2_from_check(tmp_path):
    (tmp_path / "short.yaml").write_text(ROUTINE)
    folder = tmp_path / "teacher"
    folder.mkdir()
    (folder / f"{line_id('Welcome.', 'en')}.mp3").write_text("not audio")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "short.yaml"), "--engine",
                                       "pyttsx3", "--recordings", str(folder)])
    assert result.exit_code == 2
    assert f"{line_id('Welcome.', 'en')}.mp3" in result.stderr


# --- the script's key, check and --strict -----------------------------------------------


def test_script_voice_names_its_recordings_and_check_lists_them(tmp_path):
    (tmp_path / "short.yaml").write_text(ROUTINE.replace(
        "title: Short\n", "title: Short\nvoice: {recordings: teacher/}\n"))
    (tmp_path / "teacher").mkdir()
    record("Welcome.", tmp_path / "teacher" / f"{line_id('Welcome.', 'en')}.wav")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "short.yaml"),
                                       "--engine", "pyttsx3"])
    assert result.exit_code == 0, result.output
    assert "1 of 2 lines recorded" in result.stdout
    assert f"recorded     line 4    {line_id('Welcome.', 'en')}.wav" in result.stdout
    assert f"synthesised  line 5    {line_id('Well done.', 'en')}  'Well done.'" in result.stdout
    strict = CliRunner().invoke(main, ["check", str(tmp_path / "short.yaml"),
                                       "--engine", "pyttsx3", "--strict"])
    assert strict.exit_code == 2
    assert "'Well done.'" in strict.stderr and "no recording" in strict.stderr


@pytest.mark.parametrize("value, message", [
    ("teacher/", "does not exist"),
    ("../elsewhere", "outside the script's folder"),
    ("short.yaml", "is not a folder"),
])
def test_the_scripts_recordings_key_is_checked_at_its_line(tmp_path, value, message):
    (tmp_path / "short.yaml").write_text(ROUTINE.replace(
        "title: Short\n", f"title: Short\nvoice: {{recordings: {value}}}\n"))
    (tmp_path.parent / "elsewhere").mkdir(exist_ok=True)
    result = CliRunner().invoke(main, ["check", str(tmp_path / "short.yaml")])
    assert result.exit_code == 2
    assert "short.yaml:2:" in result.stderr and message in result.stderr


def test_a_lines_own_voice_cannot_name_recordings(tmp_path):
    (tmp_path / "short.yaml").write_text(
        "title: Short\nsteps:\n  - say: Hi.\n    voice: {recordings: x}\n")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "short.yaml")])
    assert result.exit_code == 2 and "only the script's voice" in result.stderr


def test_a_catalogue_default_names_the_recordings_for_every_track(tmp_path):
    from cuecast.catalogue import load_catalogue, track_options

    (tmp_path / "short.yaml").write_text(ROUTINE)
    (tmp_path / "teacher").mkdir()
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(
        "series: {title: S, author: A, description: D, link: https://example.com/}\n"
        "defaults: {recordings: teacher}\n"
        "tracks:\n  - script: short.yaml\n")
    loaded = load_catalogue(catalogue)
    options = track_options(loaded, loaded.tracks[0])
    assert options.recordings == os.path.realpath(tmp_path / "teacher")
    catalogue.write_text(catalogue.read_text().replace("teacher}", "../elsewhere}"))
    with pytest.raises(InputError, match="outside the catalogue's folder"):
        load_catalogue(catalogue)
