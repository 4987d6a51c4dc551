"""The house's rules that import-linter cannot see by itself: every module
of cuecast stands in a layer of the contract, no module of cuecast is
imported by name at run time (where no contract would see the tie), and
the verbs are plain functions (no module made callable)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "cuecast"


def _layer_names() -> set[str]:
    """The modules the layers contract names (pyproject.toml; read as text:
    tomllib is Python 3.11's)."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r'type = "layers"\n(?:.*\n)*?layers = \[\n((?:.*\n)*?)\]', text)
    assert block is not None
    layers = re.findall(r'"([^"]+)"', block.group(1))
    return {name.strip().strip("()") for layer in layers for name in re.split(r"[|:]", layer)}


def test_every_top_level_module_stands_in_a_layer() -> None:
    modules = {p.stem if p.suffix == ".py" else p.name for p in SRC.iterdir()
               if not p.name.startswith(("_", ".")) and (p.suffix == ".py" or
                                                         (p / "__init__.py").exists())}
    assert modules - _layer_names() == set(), "add them to [tool.importlinter] layers"
    assert _layer_names() - modules == set(), "the layers name modules that are gone"


def _runtime_imports_of_cuecast(tree: ast.AST) -> list[tuple[int, str]]:
    """``importlib.import_module("cuecast...")``/``__import__("cuecast...")`` calls
    with a literal name (a name from data, like a plugin's, is another matter)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        if name in ("import_module", "__import__") and isinstance(first, (ast.Constant,
                                                                          ast.JoinedStr)):
            text = first.value if isinstance(first, ast.Constant) else ast.unparse(first)
            if "cuecast" in str(text):
                found.append((node.lineno, str(text)))
    return found


def test_no_module_of_cuecast_is_imported_by_name_at_run_time() -> None:
    """Nor named for a loader as ``cuecast.x:Class`` (the engines are plain imports)."""
    found = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for line, text in _runtime_imports_of_cuecast(tree):
            found.append(f"{path.relative_to(ROOT)}:{line}: {text}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.fullmatch(r"cuecast(\.\w+)+:\w+", node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert found == []


def test_nothing_swaps_a_module_class() -> None:
    found = [str(p.relative_to(ROOT)) for p in SRC.rglob("*.py")
             if re.search(r"\.__class__\s*=", p.read_text())]
    assert found == []


def test_the_command_line_imports_only_the_rendering_commands_until_asked():
    """A render pays for importing the command line: the editor's, the
    server's, publishing's and the voice store's commands are imported
    only when one of theirs runs or the commands are listed."""
    import subprocess
    import sys

    code = ("import sys, cuecast.cli as c; from click.testing import CliRunner;"
            "later = ['cuecast.cli.edit', 'cuecast.cli.serve', 'cuecast.cli.publish',"
            " 'cuecast.cli.voices', 'cuecast.cli.voices_get'];"
            "print(sorted(m for m in later if m in sys.modules));"
            "out = CliRunner().invoke(c.main, ['--help']).output;"
            "print(all(f'  {n} ' in out for n in ['edit', 'serve', 'publish', 'voices']));"
            "print(CliRunner().invoke(c.main, ['voices', 'get', '--help']).exit_code)")  # fmt: skip
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split("\n")  # fmt: skip
    assert lines[:3] == ["[]", "True", "0"]
