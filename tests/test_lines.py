"""``cuecast lines``: every distinct line of a render with its id, and the
round trip: a folder recorded from that list voices every line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.lines import script_lines
from cuecast.pipeline import Options, prepare
from cuecast.voices.recordings import line_id
from tests.teacher import record

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

ROUTINE = """\
title: Round trip
vars: {hold: 12s}
profiles: {gentle: {hold: 8s}}
defaults:
  countdown: {halfway: false, remaining: [], count: 2}
lexicon:
  psoas: SO-az
steps:
  - say: Release the psoas. We hold for {hold}.
  - hold: $hold
    release: And release.
  - sides: [left, right]
    steps:
      - say: Reach {side}.
  - reps: 2
    tempo: 2s
  - breathe: 4-4
    cycles: 1
  - say: Release the psoas. We hold for {hold}.
"""


def lines_of(path: Path, *args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["lines", str(path), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_script(tmp_path: Path) -> Path:
    path = tmp_path / "routine.yaml"
    path.write_text(ROUTINE)
    return path


def test_every_line_once_with_its_id_uses_and_places(tmp_path):
    path = write_script(tmp_path)
    rows = lines_of(path)
    texts = [r["text"] for r in rows]
    assert len(texts) == len(set(texts))
    # both profiles' holds, the built-in phrases, the sides and the count
    for text in ("Release the psoas. We hold for twelve seconds.",
                 "Release the psoas. We hold for eight seconds.",
                 "And release.", "Switch sides.", "Reach left.", "Reach right.",
                 "One.", "Two.", "Breathe in.", "And breathe out."):
        assert text in texts, text
    first = rows[texts.index("Release the psoas. We hold for twelve seconds.")]
    assert first["id"] == line_id(first["text"], "en")
    assert first["spoken"] == "Release the SO-az. We hold for twelve seconds."  # lexicon
    assert first["uses"] == 2  # twice in the default render; the profile says eight
    assert [w.rsplit("/", 1)[-1] for w in first["where"]] == ["routine.yaml:9",
                                                              "routine.yaml:19"]
    assert first["recordings"] == []


def test_a_profile_lists_only_its_own_render(tmp_path):
    path = write_script(tmp_path)
    texts = [r["text"] for r in lines_of(path, "--profile", "gentle")]
    assert "Release the psoas. We hold for eight seconds." in texts
    assert "Release the psoas. We hold for twelve seconds." not in texts
    texts = [r["text"] for r in lines_of(path, "--set", "hold=45s")]
    assert "Release the psoas. We hold for forty-five seconds." in texts


def test_csv_and_text_forms(tmp_path):
    path = write_script(tmp_path)
    result = CliRunner().invoke(main, ["lines", str(path), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0].keys() >= {"id", "text", "spoken", "uses", "where", "recording"}
    assert [r["id"] for r in rows] == [r["id"] for r in lines_of(path)]
    text = CliRunner().invoke(main, ["lines", str(path)]).stdout
    assert rows[0]["id"] in text and rows[0]["text"] in text


def test_pieces_for_durations_are_listed_in_the_scripts_language(tmp_path):
    path = write_script(tmp_path)
    pieces = [r["text"] for r in lines_of(path, "--pieces") if r["piece"]]
    assert pieces[:3] == ["one", "two", "three"] and "forty-five" in pieces
    assert {"seconds", "minutes", "and"} <= set(pieces)


def test_pieces_follow_the_scripts_own_phrases(tmp_path):
    """A studio that says "secs" in its phrases records "secs", not "seconds"."""
    path = write_script(tmp_path)
    text = path.read_text()
    assert text.startswith("title:")
    path.write_text("phrases: {seconds: secs}\n" + text)
    pieces = [r["text"] for r in lines_of(path, "--pieces") if r["piece"]]
    assert "secs" in pieces and "seconds" not in pieces


def test_round_trip_a_folder_recorded_from_the_list_voices_every_line(tmp_path):
    path = write_script(tmp_path)
    folder = tmp_path / "teacher"
    folder.mkdir()
    result = CliRunner().invoke(main, ["lines", str(path), "--format", "csv"])
    for row in csv.DictReader(io.StringIO(result.stdout)):
        record(row["text"], folder / f"{row['id']}.wav")
    for profile in (None, "gentle"):
        timeline = prepare(path, Options(engine="pyttsx3", profile=profile,
                                         recordings=str(folder))).timeline
        spoken = [e for e in timeline.events if e.kind == "speech"]
        assert spoken and all(e.origin for e in spoken), [e.text for e in spoken if not e.origin]
    # and the list now says so
    assert all(r["recordings"] for r in lines_of(path, "--recordings", str(folder)))
    missing = CliRunner().invoke(main, ["lines", str(path), "--recordings", str(folder),
                                        "--missing"])
    assert missing.exit_code == 0 and missing.stdout == ""


def test_round_trip_through_lines_csv(tmp_path):
    """A studio that names its takes its own way maps them in lines.csv."""
    path = write_script(tmp_path)
    folder = tmp_path / "takes"
    folder.mkdir()
    mapping = ["file,text"]
    for i, line in enumerate(script_lines([path], profile="gentle")):
        record(line.text, folder / f"take-{i:02d}.ogg", rate=22050, channels=1)
        text = line.text.replace('"', '""')
        mapping.append(f'take-{i:02d}.ogg,"{text}"')
    (folder / "lines.csv").write_text("\n".join(mapping) + "\n")
    timeline = prepare(path, Options(engine="pyttsx3", profile="gentle",
                                     recordings=str(folder))).timeline
    origins = [e.origin for e in timeline.events if e.kind == "speech"]
    assert origins and all(o and o[0].startswith("take-") for o in origins)
