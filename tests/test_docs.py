"""The docs say what the code does.

- docs/cli.md is the commands' --help (``make docs`` rewrites it);
- every YAML example in README.md and docs/*.md passes ``cuecast check
  --strict`` (a fragment is completed with a title and a step), or is
  marked as one that shows an error and fails with that message; a
  catalogue example loads as a catalogue;
- every ``$ command`` in a ``console`` block runs as written, in a copy of
  the repository's scripts, and prints what the block shows;
- docs/api.md's Python examples run (doctest);
- the Limits table is ``cuecast.limits``, whole.

The markers are described in docs/writing-docs.md.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cuecast import limits
from cuecast.cli import main
from tests.cli_docs import COMMANDS, DOC, cli_doc, help_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.S | re.M,
)
MARK = re.compile(r"^\s*<!--\s*example:\s*(?P<what>.*?)\s*-->\s*$")
NUMBER = re.compile(r"[-+]?\d+(?:[.:,]\d+)*")


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    lang: str
    body: str
    mark: str
    """What the ``<!-- example: ... -->`` line before the fence says, or ""."""

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"

    def option(self, name: str) -> str | None:
        """``name VALUE`` in the mark (``name lower-back.yaml``, ``in scripts``),
        or ``error MESSAGE`` (the rest of the mark)."""
        match = re.search(rf"(?:^|;)\s*{name}(?:\s+(?P<value>[^;]*))?\s*(?:;|$)", self.mark)
        if match is None:
            return None
        return (match.group("value") or "").strip().strip("\"'")


QUOTED = re.compile(r"^(?P<indent>[ \t]*)````[^\n]*\n.*?^(?P=indent)````[ \t]*$", re.S | re.M)
"""A four-backtick fence quotes Markdown (docs/writing-docs.md): not examples."""


def blocks(doc: Path) -> list[Block]:
    text = QUOTED.sub(lambda m: "\n" * m.group(0).count("\n"), doc.read_text(encoding="utf-8"))
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = MARK.match(before)
        indent = len(match.group("indent"))
        lines = match.group("body").splitlines(True)
        body = "".join(line[indent:] for line in lines)
        line = text.count("\n", 0, match.start()) + 1
        what = mark.group("what") if mark else ""
        found.append(Block(doc, line, match.group("lang"), body, what))
    return found


ALL = [b for doc in DOCS for b in blocks(doc)]
YAML = [b for b in ALL if b.lang == "yaml"]
CONSOLE = [b for b in ALL if b.lang == "console" and "\n$ " in "\n" + b.body]


# --- the command reference --------------------------------------------------------------


def test_cli_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == cli_doc(), "run `make docs` and review the diff"


def test_every_command_has_real_help():
    for args in COMMANDS:
        text = help_text(args)
        assert "Usage: cuecast" in text
        # a one-line summary under the usage line, not just the option list
        assert len(text.split("\n\n")[1].strip()) > 20, args


# --- YAML examples ----------------------------------------------------------------------


def example_text(block: Block) -> str | None:
    """The script (or catalogue) a block stands for: itself when whole; a
    fragment completed with a title and a step; ``continues`` adds it to the
    previous YAML example of the same document. None for comments only."""
    data = yaml.safe_load(block.body)
    if data is None:
        return None
    if block.option("continues") is not None:
        earlier = [b for b in YAML if b.doc == block.doc and b.line < block.line]
        assert earlier, f"{block.where}: 'continues' but no YAML example before it"
        base = yaml.safe_load(example_text(earlier[-1]) or "{}")
        data = {**base, **(data if isinstance(data, dict) else {"steps": data})}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if isinstance(data, list):
        steps = "".join(f"  {line}" for line in block.body.splitlines(True))
        return "title: Example\nsteps:\n" + steps
    assert isinstance(data, dict), f"{block.where}: a YAML example is a mapping or a list of steps"
    if is_catalogue(data):
        return block.body
    text = block.body
    if "title" not in data:
        text = "title: Example\n" + text
    if "steps" not in data:
        text = text.rstrip("\n") + "\nsteps:\n  - say: Hello.\n"
    return text


def is_catalogue(data: object) -> bool:
    return isinstance(data, dict) and "tracks" in data


def write_example(block: Block, text: str, folder: Path) -> Path:
    """The example as a file: in ``folder``, or in the repository folder the
    mark names (``in scripts``), under a hidden name removed by the caller."""
    where = block.option("in")
    if where:
        target = ROOT / where
        assert target.is_dir(), f"{block.where}: 'in {where}': no such folder"
        path = target / f".docs-example-{os.getpid()}-{block.line}.yaml"
    else:
        path = folder / (block.option("name") or "example.yaml")
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.e2e  # each example is checked with a real engine
@pytest.mark.parametrize("block", YAML, ids=[b.where for b in YAML])
def test_yaml_example_checks(block: Block, tmp_path: Path) -> None:
    text = example_text(block)
    if text is None:
        return  # only comments (a schema line for editors): nothing to drift
    path = write_example(block, text, tmp_path)
    try:
        if is_catalogue(yaml.safe_load(text)):
            check_catalogue(block, path)
        else:
            check_script(block, text, path)
    finally:
        if block.option("in"):
            path.unlink()


def check_script(block: Block, text: str, path: Path) -> None:
    args = ["check", "--strict", str(path)]
    if "engine:" not in text and "voice:" not in text and "recordings" not in text:
        args += ["--engine", "pyttsx3"]  # fast; the examples are about the format
    result = CliRunner().invoke(main, args)
    expected = block.option("error")
    if expected is None:
        assert result.exit_code == 0, f"{block.where}: {result.stderr}"
        assert "warning" not in result.stderr, f"{block.where}: {result.stderr}"
    else:
        assert expected, f"{block.where}: 'error' needs the message it shows"
        assert result.exit_code == 2, f"{block.where} should fail: {result.output}"
        assert expected in result.stderr, f"{block.where}: {result.stderr}"


def check_catalogue(block: Block, path: Path) -> None:
    from cuecast.catalogue import load_catalogue
    from cuecast.errors import InputError

    expected = block.option("error")
    if expected is None:
        load_catalogue(path)
        return
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    assert expected in str(err.value), block.where


def test_every_mark_is_understood() -> None:
    known = {"name", "in", "error", "continues", "not run", "exit"}
    for block in ALL:
        for part in filter(None, (p.strip() for p in block.mark.split(";"))):
            word = "not run" if part.startswith("not run") else part.split()[0]
            assert word in known, f"{block.where}: unknown example mark {part!r}"
            if word == "not run":
                assert len(part) > len("not run") + 5, f"{block.where}: say why it is not run"


# --- console examples -------------------------------------------------------------------


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """``(command, documented output lines)`` for each ``$ `` line."""
    out: list[tuple[str, list[str]]] = []
    for line in block.body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
    return out


def shape(line: str) -> str:
    """A line with its numbers and spacing evened out: times, levels and
    column widths vary with the voice and the machine, words do not."""
    return " ".join(NUMBER.sub("#", line).split())


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's scripts to run the console examples in."""
    folder = tmp_path_factory.mktemp("docs-console")
    shutil.copytree(ROOT / "scripts", folder / "scripts")
    return folder


@pytest.mark.e2e
@pytest.mark.parametrize("block", CONSOLE, ids=[b.where for b in CONSOLE])
def test_console_example_runs_as_written(block: Block, workspace: Path, tmp_path: Path) -> None:
    if block.option("not run") is not None:
        pytest.skip(f"{block.where}: {block.mark}")
    cwd = tmp_path / "here"
    shutil.copytree(workspace, cwd)
    for earlier in YAML:  # the named examples of this document, as files
        name = earlier.option("name")
        if earlier.doc == block.doc and name:
            (cwd / name).write_text(example_text(earlier) or "", encoding="utf-8")
    code = int(block.option("exit") or 0)
    for command, shown in commands(block):
        output = run(command, cwd, code)
        got = [shape(line) for line in output.splitlines()]
        at = 0
        for line in shown:
            if line.strip() in ("", "..."):
                continue
            want = shape(line)
            assert want in got[at:], f"{block.where}: `{command}` did not print {line!r}:\n{output}"
            at = got.index(want, at) + 1


def run(command: str, cwd: Path, code: int = 0) -> str:
    argv = shlex.split(command, comments=True)
    bin_dir = Path(sys.executable).parent
    if argv[0] == "cuecast":
        argv[0] = str(bin_dir / "cuecast")
    elif argv[0] == "python":
        argv[0] = sys.executable
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == code, f"`{command}` exited {done.returncode}:\n{done.stderr}"
    return done.stdout + done.stderr


# --- the Python API's docs ---------------------------------------------------------------


@pytest.mark.e2e  # renders with espeak-ng and ffmpeg (50 s under load): not for test-fast
def test_api_doc_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    monkeypatch.chdir(tmp_path)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failed, tried = doctest.testfile(
        str(ROOT / "docs" / "api.md"), module_relative=False, optionflags=flags, verbose=False
    )
    assert tried > 5 and failed == 0


PYTHON = [b for b in ALL if b.lang == "python"]


@pytest.mark.parametrize("block", PYTHON, ids=[b.where for b in PYTHON])
def test_python_snippets_name_what_exists(block: Block) -> None:
    """A ``python`` block (not run: docs/api.md's runnable examples are) at
    least compiles, and every ``cuecast.NAME`` it uses is there."""
    import cuecast

    compile(block.body, block.where, "exec")
    for name in re.findall(r"\bcuecast\.(\w+)", block.body):
        assert hasattr(cuecast, name), f"{block.where}: cuecast.{name} does not exist"


# --- the limits --------------------------------------------------------------------------


def test_the_limits_table_is_the_code_and_whole() -> None:
    text = (ROOT / "docs" / "script-format.md").read_text(encoding="utf-8")
    section = text.split("\n## Limits\n", 1)[1].split("\n## ", 1)[0]
    assert limits.markdown_table() in section
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert len(rows) == len(limits.script_limits_table()) + 2  # one table, nothing after it


# --- the editor's screenshot -------------------------------------------------------------

SEED = ROOT / "scripts" / "lower-back-relief.yaml"
EDIT_SHOT = re.compile(r'<img src="docs/edit\.png" alt="(?P<alt>[^"]*)"')


def edit_shot_alt() -> str:
    """The alt text of README's docs/edit.png (``make shots`` writes the picture)."""
    found = EDIT_SHOT.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md shows no docs/edit.png"
    return found.group("alt")


def test_the_editor_screenshot_is_the_one_make_shots_writes() -> None:
    """docs/edit.png is scripts/dev/shots.py's: a 1280x800 PNG, re-encoded
    small; its alt text names the total and the heading it shows."""
    import struct

    data = (ROOT / "docs" / "edit.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1280, 800)
    assert len(data) < 200_000, f"docs/edit.png is {len(data)} bytes: run make shots"
    alt = edit_shot_alt()
    assert re.search(r"\bthe total \d+:\d\d\.\d{3}\b", alt), alt
    assert "cuecast edit · scripts" in alt and SEED.name in alt


@pytest.mark.e2e  # plans the seed with the default engine, Piper: ~8 s with no speech cached
def test_the_editor_screenshot_states_the_seeds_planned_total() -> None:
    """The total README's alt text gives is the seed's total as planned now
    (as the page and ``cuecast plan`` show it): after a change to the seed,
    the planner or the voice, run ``make shots`` and correct the text."""
    import cuecast
    from cuecast.units import clock_text

    found = re.search(r"\bthe total (\d+:\d\d\.\d{3})\b", edit_shot_alt())
    assert found
    assert found.group(1) == clock_text(cuecast.plan(SEED).length), "run make shots"
