"""One fingerprint of a render's inputs (cuecast.fingerprint): content, not
file times; the same in every process; one versions helper."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cuecast import fingerprint, versions
from cuecast.fingerprint import canonical, digest, of_contents, of_files, of_render
from cuecast.request import parse_options
from cuecast.script import ScriptMapping

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """title: Teacher
voice: {recordings: teacher/}
vars: {hold: 5s}
steps:
  - say: Hello there.
  - hold: $hold
  - include: part.yaml
"""


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "part.yaml").write_text("steps:\n  - say: From the part.\n")
    (tmp_path / "teacher").mkdir()
    (tmp_path / "teacher" / "hello-there-0123456789.wav").write_bytes(b"first take" * 100)
    (tmp_path / "s.yaml").write_text(SCRIPT)
    return tmp_path / "s.yaml"


def _options(**raw: object) -> dict:
    return parse_options(raw, check_voice=False).as_dict()


def test_a_retaken_line_changes_it_with_the_same_size_and_time(tmp_path: Path) -> None:
    script = _folder(tmp_path)
    take = tmp_path / "teacher" / "hello-there-0123456789.wav"
    first = of_render(script, _options())
    assert "teacher/hello-there-0123456789.wav" in first.document
    stat = take.stat()
    take.write_bytes(b"other take" * 100)  # same size
    os.utime(take, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same time
    assert take.stat().st_size == stat.st_size and take.stat().st_mtime_ns == stat.st_mtime_ns
    assert of_render(script, _options()).digest != first.digest


def test_every_input_counts_and_jobs_do_not(tmp_path: Path) -> None:
    script = _folder(tmp_path)
    base = of_render(script, _options()).digest
    assert of_render(script, _options()).digest == base
    assert of_render(script, _options(jobs=3)).digest == base
    assert of_render(script, _options(loudness="-20")).digest != base
    assert of_render(script, _options(set={"hold": "6s"})).digest != base
    (tmp_path / "part.yaml").write_text("steps:\n  - say: From the part!\n")
    assert of_render(script, _options()).digest != base


def test_the_same_in_another_process(tmp_path: Path) -> None:
    script = _folder(tmp_path)
    here = of_render(script, _options(loudness="off", captions="vtt")).digest
    code = ("import sys; from cuecast.fingerprint import of_render; "
            "from cuecast.request import parse_options; "
            "print(of_render(sys.argv[1], parse_options({'loudness': 'off', 'captions': 'vtt'}, "
            "check_voice=False).as_dict()).digest)")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT / "src")}
    there = subprocess.run([sys.executable, "-c", code, str(script)], capture_output=True,
                           text=True, check=True, env=env, cwd=tmp_path).stdout.strip()
    assert there == here


def test_files_as_bytes_give_what_files_on_disk_give(tmp_path: Path) -> None:
    """Publish hashes a job's bytes, the page the files: the same inputs agree."""
    script = _folder(tmp_path)
    paths = [script, tmp_path / "part.yaml", tmp_path / "teacher" / "hello-there-0123456789.wav"]
    files = [(os.path.relpath(p, tmp_path), p.read_bytes()) for p in paths]
    options = _options()
    on_disk = of_files([str(p) for p in paths], options, script=str(script))
    assert of_contents(files, options, script="s.yaml") == on_disk


def test_a_mapping_is_hashed_as_data(tmp_path: Path) -> None:
    mapping = {"title": "T", "steps": [{"say": "Hi."}]}
    first = of_render(ScriptMapping(mapping, str(tmp_path)), _options())
    again = of_render(ScriptMapping(dict(mapping), str(tmp_path)), _options())
    other = of_render(ScriptMapping({**mapping, "title": "U"}, str(tmp_path)), _options())
    assert first == again and other.digest != first.digest


def test_versions_name_cuecast_the_engines_and_ffmpeg(monkeypatch, tmp_path: Path) -> None:
    found = versions.versions()
    assert found["cuecast"] != versions.MISSING and found["numpy"] != versions.MISSING
    assert found["ffmpeg"].startswith("ffmpeg version")
    assert set(versions.VERSIONED) < set(found)
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho 'ffmpeg version 99.0-test'\n")
    fake.chmod(0o755)
    before = of_contents([("s.yaml", b"x")], {}, script="s.yaml").digest
    monkeypatch.setenv("CUECAST_FFMPEG", str(fake))
    assert versions.versions()["ffmpeg"] == "ffmpeg version 99.0-test"
    assert of_contents([("s.yaml", b"x")], {}, script="s.yaml").digest != before


def test_digest_is_canonical_json_then_the_bytes() -> None:
    """The layout other keys (the piece cache) can build on."""
    document = {"v": 1, "settings": ("a", "b"), "keep": [0, None]}
    assert canonical(document) == b'{"keep":[0,null],"settings":["a","b"],"v":1}'
    expected = hashlib.sha256(canonical(document) + b"\n" + b"pcm").hexdigest()
    assert digest(document, b"pcm") == expected
    assert digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})


def test_an_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    from cuecast.errors import InputError

    with pytest.raises(InputError, match="cannot read the file"):
        fingerprint.file_digest(tmp_path / "missing.wav")
