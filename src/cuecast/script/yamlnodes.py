"""YAML text -> composed nodes that keep their line and column, within limits.

Takes a file's bytes and gives the root ``yaml.Node`` from a safe
composition (nothing is constructed, so no tag can run code), after
checking the hostile-input limits: file size, nesting depth, and, while the
loader walks the nodes, how many it visits (aliases included), so a "billion
laughs" file stops early. ``Reader`` is the loader's view of nodes: typed
access that raises ``InputError`` at the node's position.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import NoReturn

import yaml

from cuecast import limits
from cuecast.errors import InputError
from cuecast.script.model import Src

MAX_FILE_BYTES = limits.MAX_FILE_BYTES
MAX_DEPTH = limits.MAX_YAML_DEPTH
MAX_NODES = limits.MAX_YAML_NODES

_STD = "tag:yaml.org,2002:"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml when PyYAML has it (ten times faster on big files); both keep marks."""
_ALLOWED_TAGS = {_STD + t for t in ("str int float bool null timestamp merge seq map".split())}


def read_text(path: str, display: str) -> str:
    """The file's text: at most ``MAX_FILE_BYTES``, UTF-8 (a BOM is fine)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise InputError("this is a folder, not a script file", file=display) from None
    except OSError as e:
        raise InputError(f"cannot read the file: {e.strerror}", file=display) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            f"the file is larger than the {MAX_FILE_BYTES:,} byte limit for a script", file=display
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line, column = _byte_position(data, e.start)
        raise InputError(
            f"the file is not UTF-8 text (byte 0x{data[e.start]:02x}); save it as UTF-8",
            file=display,
            line=line,
            column=column,
        ) from None


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def compose(text: str, display: str) -> yaml.Node:
    """The root node of the single YAML document in ``text``."""
    if not text.strip():
        raise InputError(
            "the file is empty; a routine needs at least 'title' and 'steps'",
            file=display,
            line=1,
            column=1,
        )
    try:
        _check_depth(text, display)
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        raise _yaml_error(e, text, display) from None
    except yaml.YAMLError as e:
        raise InputError(f"this is not valid YAML: {e}", file=display) from None
    except RecursionError:
        raise InputError(
            f"the YAML is nested more than {MAX_DEPTH} levels deep", file=display
        ) from None
    if root is None:
        raise InputError(
            "the file holds only comments; a routine needs 'title' and 'steps'",
            file=display,
            line=1,
            column=1,
        )
    return root


def _check_depth(text: str, display: str) -> None:
    """Nesting and node count are checked on the event stream, which is
    parsed without recursion and without building nodes, before composing
    (which recurses and is slow on a huge file)."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            nodes += 1
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth, nodes = depth + 1, nodes + 1
            if depth > MAX_DEPTH:
                _limit(event, display, f"the YAML is nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if nodes > MAX_NODES:
            _limit(event, display, _TOO_MANY)


_TOO_MANY = (
    f"the script has more than {MAX_NODES:,} YAML nodes (counting each use of an alias "
    "'*name' in full); this limit guards against hostile files"
)


def _limit(event: yaml.Event, display: str, message: str) -> NoReturn:
    mark = event.start_mark
    if mark is None:  # PyYAML always marks parsed events; a hand-made one may not be
        raise InputError(message, file=display)
    raise InputError(message, file=display, line=mark.line + 1, column=mark.column + 1)


_PLAIN_WORDS = (
    ("expected a single document", "the file holds more than one YAML document (a '---' "
     "line); one routine per file"),
    ("expected <block end>", "this line's indentation does not line up with the lines above it"),
    ("did not find expected '-'", "this line's indentation does not line up with the lines "
     "above it"),
    ("did not find expected key", "this line's indentation does not line up with the lines "
     "above it"),
    ("mapping values are not allowed", "a ':' here needs quotes around the text, or the line "
     "is indented wrongly"),
    ("could not find expected ':'", "a line here is missing its ':' (write key: value)"),
    ("found undefined alias", "an alias '*name' here has no anchor '&name' before it"),
)  # fmt: skip
_QUOTE_HINT = "Check the indentation, and put quotes around text that holds ':', '{', ',' or '#'."


def _yaml_error(e: yaml.MarkedYAMLError, text: str, display: str) -> InputError:
    mark = e.problem_mark or e.context_mark
    if e.context_mark and "end of stream" in str(e.problem):
        mark = e.context_mark  # an unclosed quote or bracket: point where it opened
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    tab_line = _first_tab_indent(text, line)
    if tab_line is not None:
        message = f"line {tab_line} is indented with a tab; YAML needs spaces for indentation"
        return InputError(message, file=display, line=tab_line, column=1,
                          hint="Replace the tabs with spaces.")  # fmt: skip
    raw = " ".join(p for p in (e.context, e.problem) if p)
    plain = next((words for key, words in _PLAIN_WORDS if key in raw), None)
    if "end of stream" in raw and e.context_mark:
        plain = f"something opened here is never closed ({raw})"
    message = plain or f"this is not valid YAML: {raw}"
    return InputError(message, file=display, line=line, column=column, hint=_QUOTE_HINT)


def _first_tab_indent(text: str, up_to_line: int | None) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if up_to_line is not None and number > up_to_line:
            return None
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return number
    return None


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """`` Did you mean 'X'?`` for the closest choice, if one is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"Did you mean '{close[0]}'?" if close else None


def kind_of(node: yaml.Node) -> str:
    """What a user would call this node: "a list", "a mapping", "text"..."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    short = node.tag.removeprefix(_STD)
    return {"null": "empty", "bool": "true/false", "int": "a number", "float": "a number"}.get(
        short, f"'{node.value}'"
    )


class Reader:
    """Typed access to the nodes of one file; every error names the node's
    file, line and column. The visit counter is shared across included
    files, so the node limit holds for the whole load."""

    def __init__(self, file: str, visits: list[int],
                 keys: Mapping[int, str] | None = None) -> None:
        self.file = file
        self.visits = visits
        self.keys = keys
        """For a script given as a mapping: ``id(node)`` -> where it is in the
        mapping (``steps[3].hold``, see ``key_paths``), said in errors
        instead of the line of the mapping's YAML form."""

    def fail(self, node: yaml.Node | None, message: str, hint: str | None = None) -> NoReturn:
        if node is None:
            raise InputError(message, file=self.file, hint=hint)
        if self.keys is not None:
            raise InputError(message, file=self.file, key=self.keys.get(id(node)), hint=hint)
        mark = node.start_mark
        raise InputError(
            message, file=self.file, line=mark.line + 1, column=mark.column + 1, hint=hint
        )

    def src(self, node: yaml.Node) -> Src:
        """Where ``node`` is, for the timeline and messages after loading:
        its line and column, or in a mapping its place (``steps[3]``)."""
        if self.keys is not None:
            return Src(self.file, None, None, self.keys.get(id(node), "?"))
        return Src(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def visit(self, node: yaml.Node) -> None:
        self.visits[0] += 1
        if self.visits[0] > MAX_NODES:
            self.fail(node, _TOO_MANY)
        if node.tag not in _ALLOWED_TAGS:
            self.fail(
                node, f"the YAML tag '{node.tag}' is not supported here", hint="Remove the '!' tag."
            )

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Key text -> (key node, value node), in order; merge keys (``<<``)
        are applied and a key given twice is an error."""
        self.visit(node)
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping of 'key: value' lines, not {kind_of(node)}")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            self.visit(key)
            if key.tag == _STD + "merge":
                for name, pair in self._merge_source(value, what).items():
                    merged.setdefault(name, pair)
                continue
            if not isinstance(key, yaml.ScalarNode):
                self.fail(key, f"a key in {what} must be a plain word, not {kind_of(key)}")
            if key.value in out:
                first = out[key.value][0].start_mark.line + 1
                self.fail(key, f"'{key.value}' is given twice in {what} (first on line {first})")
            out[key.value] = (key, value)
        return {**merged, **out}

    def _merge_source(self, value: yaml.Node, what: str) -> dict:
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for source in sources:
            for name, pair in self.mapping(source, f"a '<<' merge in {what}").items():
                merged.setdefault(name, pair)
        return merged

    def check_keys(
        self, items: dict[str, tuple[yaml.Node, yaml.Node]], allowed: Iterable[str], what: str
    ) -> None:
        allowed = list(allowed)
        for name, (key, _) in items.items():
            if name not in allowed:
                hint = did_you_mean(name, allowed) or ("Known keys: " + ", ".join(allowed) + ".")
                self.fail(key, f"unknown key '{name}' in {what}", hint)

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        self.visit(node)
        if not isinstance(node, yaml.SequenceNode):
            self.fail(
                node, f"{what} must be a list (lines starting with '- '), not {kind_of(node)}"
            )
        return list(node.value)

    def scalar(self, node: yaml.Node, what: str) -> str:
        """The text of a scalar as written (``1:30`` stays ``1:30``, ``on``
        stays ``on``); null, lists and mappings are errors."""
        self.visit(node)
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, f"{what} must be a single value, not {kind_of(node)}")
        if node.tag == _STD + "null":
            self.fail(node, f"{what} is empty; give it a value")
        return str(node.value)

    def is_null(self, node: yaml.Node) -> bool:
        return isinstance(node, yaml.ScalarNode) and node.tag == _STD + "null"

    def boolean(self, node: yaml.Node, what: str) -> bool:
        self.scalar(node, what)
        if node.tag != _STD + "bool":
            self.fail(node, f"{what} must be true or false, not {kind_of(node)}")
        return node.value.lower() in ("true", "yes", "on", "y")

    def is_bool(self, node: yaml.Node) -> bool:
        return isinstance(node, yaml.ScalarNode) and node.tag == _STD + "bool"


def key_paths(root: yaml.Node) -> dict[int, str]:
    """``id(node)`` -> its place under ``root`` as a Python user writes it:
    ``title``, ``steps[3]``, ``steps[3].hold`` (a key's node has its value's
    place). For errors in a script given as a mapping (see ``script.load``)."""
    out: dict[int, str] = {}
    todo: list[tuple[yaml.Node, str]] = [(root, "")]
    while todo:  # no recursion: the depth was checked, but stay flat anyway
        node, where = todo.pop()
        if id(node) in out:
            continue  # an alias: the first place it was written
        out[id(node)] = where or "(top level)"
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                place = f"{where}.{name}" if where else name
                out.setdefault(id(key), place)
                todo.append((value, place))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((item, f"{where}[{i}]") for i, item in enumerate(node.value))
    return out


def is_yaml_number(node: yaml.Node) -> bool:
    """A plain (unquoted) scalar YAML reads as an int or a float."""
    return isinstance(node, yaml.ScalarNode) and node.tag in (_STD + "int", _STD + "float")
