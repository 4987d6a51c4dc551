"""The load stage: a routine file -> a resolved, checked ``Script``.

Takes the path of a YAML routine script (or a ``ScriptMapping``: the same
structure built in Python, read from memory), the chosen profile, ``--set``
values and whether files may lie outside the script's folder; gives a
``Script`` with vars substituted, defaults applied, includes inlined and
every step's source position kept. Every problem is an ``InputError``
naming the file, line and column (for a mapping: its name and the place,
``<mapping>:steps[3].hold``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from cuecast import limits
from cuecast.errors import InputError
from cuecast.language import LanguageError, Phrases, phrases_for, unsupported
from cuecast.script import settings
from cuecast.script.context import MAX_INCLUDE_DEPTH, Ctx, Session
from cuecast.script.keys import META_KEYS, TOP_KEYS
from cuecast.script.model import BreathPrompts, Defaults, Meta, Script, Step, VoiceSpec
from cuecast.script.needs import missing_phrases
from cuecast.script.steps import steps
from cuecast.script.vars import (
    NAME,
    PLACEHOLDERS,
    Var,
    VarError,
    check_bounds,
    number_text,
    override,
    parse_bound,
    typed_var,
)
from cuecast.script.yamlnodes import (
    Reader,
    compose,
    did_you_mean,
    is_yaml_number,
    key_paths,
    read_text,
)

Items = dict[str, tuple[yaml.Node, yaml.Node]]
DESCRIPTOR_KEYS = ("value", "label", "min", "max")
MAX_LABEL_CHARS = limits.MAX_LABEL_CHARS
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


MAPPING_NAME = "<mapping>"
"""How errors and the timeline name a script given as a mapping."""


@dataclass(frozen=True)
class ScriptMapping:
    """A routine given as a mapping: the structure of its YAML, built in
    Python. Read from memory (no file is written); its relative file names
    (includes, sounds, the cover) start from ``folder``, and errors name it
    ``name`` and the place in the mapping (``<mapping>:steps[3].hold``)."""

    data: Mapping[str, Any]
    folder: str
    """An absolute folder."""
    name: str = MAPPING_NAME


@dataclass(frozen=True)
class ScriptText:
    """A routine's YAML text as typed, not (yet) saved (``cuecast edit``):
    read from memory as if it were the file at ``path``, so its relative
    file names start beside that file and errors name it with the line and
    column in ``text``."""

    text: str
    path: str


ScriptSource = str | os.PathLike[str] | ScriptMapping | ScriptText
"""What ``load`` reads: a routine file, a mapping, or the text of a file."""


def source_name(source: ScriptSource) -> str:
    """How errors name a source: its path, or a mapping's name."""
    if isinstance(source, ScriptMapping):
        return source.name
    return source.path if isinstance(source, ScriptText) else os.fspath(source)


def load(
    source: ScriptSource,
    *,
    profile: str | None = None,
    sets: Mapping[str, str] | None = None,
    allow_outside: bool = False,
    flags: bool = True,
) -> Script:
    """Read, check and resolve the routine script at ``source`` (a path or a
    ``ScriptMapping``). ``flags`` names the profile and set values in
    messages as the command line does (``--set hold=5m: ...``); without,
    as a catalogue or Python does (``set hold=5m: ...``)."""
    return load_with_vars(source, profile=profile, sets=sets, allow_outside=allow_outside,
                          flags=flags).script  # fmt: skip


@dataclass(frozen=True)
class Loaded:
    """A loaded script with what the load saw of its vars: every var any
    file defines (after the profile and ``--set``), and each profile's
    entries as written (profile -> var name -> value text)."""

    script: Script
    vars: Mapping[str, Var]
    profiles: Mapping[str, Mapping[str, str]]


def load_with_vars(
    source: ScriptSource,
    *,
    profile: str | None = None,
    sets: Mapping[str, object] | None = None,
    allow_outside: bool = False,
    flags: bool = True,
) -> Loaded:
    """``load``, also giving the vars and profiles (for ``describe_vars``)."""
    display = source_name(source)
    texts = {name: set_text(value) for name, value in (sets or {}).items()}
    try:
        return _load(_opened(source), profile, texts, allow_outside, flags)
    except RecursionError:
        raise InputError("the script is nested too deeply to read", file=display) from None


@dataclass(frozen=True)
class _Opened:
    """A source's root node, and where it stands."""

    display: str
    root: yaml.Node
    folder: str
    """Where its relative file names start."""
    real: str
    """Its real path (for include cycles; a mapping's name, which no file has)."""
    keys: Mapping[int, str] | None = None


def _opened(source: ScriptSource) -> _Opened:
    if isinstance(source, ScriptMapping):
        return _opened_mapping(source)
    display = source.path if isinstance(source, ScriptText) else os.fspath(source)
    real = os.path.realpath(display)
    text = _typed_text(source) if isinstance(source, ScriptText) else read_text(real, display)
    root = compose(text, display)
    return _Opened(display, root, os.path.dirname(os.path.abspath(display)), real)


def _typed_text(source: ScriptText) -> str:
    """The text as ``read_text`` would give it from the file: within the
    size limit, without a byte order mark."""
    if len(source.text.encode("utf-8", "surrogatepass")) > limits.MAX_FILE_BYTES:
        raise InputError(f"the text is larger than the {limits.MAX_FILE_BYTES:,} byte limit "
                         "for a script", file=source.path)  # fmt: skip
    return source.text.removeprefix("\ufeff")


def _opened_mapping(source: ScriptMapping) -> _Opened:
    """The mapping in its YAML form, composed in memory with the same limits
    as a file (size, depth, nodes), so the loader reads it as it reads a file."""
    if not isinstance(source.data, Mapping):
        raise InputError(f"a script is a path or a mapping, not {type(source.data).__name__}")
    text = yaml.safe_dump(_plain(source.data), sort_keys=False, allow_unicode=True)
    if len(text.encode()) > limits.MAX_FILE_BYTES:
        raise InputError(f"the mapping is larger than the {limits.MAX_FILE_BYTES:,} byte "
                         "limit for a script", file=source.name)  # fmt: skip
    root = compose(text, source.name)
    return _Opened(source.name, root, os.path.abspath(source.folder), source.name,
                   key_paths(root))


def _plain(value: object) -> object:
    """Mappings, sequences, paths and numbers as YAML can dump them safely."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def set_text(value: object) -> str:
    """A ``--set`` value given from Python as text: 45 -> "45", 1.5 -> "1.5"."""
    if isinstance(value, bool):
        raise InputError(f"a set value must be a duration, a number or text, not {value}")
    if isinstance(value, (int, float)):
        return number_text(value)
    return str(value)


def _load(opened: _Opened, profile: str | None, sets: dict[str, str],
          allow_outside: bool, flags: bool = True) -> Loaded:  # fmt: skip
    reader = Reader(opened.display, [0], opened.keys)
    root = opened.root
    items = _top(reader, root, required=("title", "steps"))
    folder = opened.folder
    session = Session(os.path.realpath(folder), allow_outside, {}, reader.visits,
                      include_steps=include_steps)
    ctx = Ctx(session, reader, folder, {}, chain=(opened.real,))
    profiles = _profiles(ctx, items)
    said = ("--profile", "--set") if flags else ("profile", "set")
    _choose_overrides(ctx, profiles, profile, sets, said)
    ctx = ctx.with_(env=own_vars(ctx, items, {}))
    script = _script(ctx, root, items)
    _check_overrides(ctx, profiles, sets, said[1])
    written = {
        name: {var: str(value.value) for var, (_, value) in entries.items()}
        for name, (_, entries) in profiles.items()
    }
    return Loaded(script, dict(ctx.session.defined), written)


def _top(reader: Reader, root: yaml.Node, required: tuple[str, ...]) -> Items:
    if not isinstance(root, yaml.MappingNode):
        shape = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        reader.fail(
            root,
            "the top level of a routine must be a mapping of keys like 'title:' "
            f"and 'steps:', not {shape}",
        )
    items = reader.mapping(root, "the top level")
    reader.check_keys(items, TOP_KEYS, "the top level")
    for key in required:
        if key not in items:
            reader.fail(
                root,
                f"the script has no '{key}'; a routine needs "
                + " and ".join(f"'{k}'" for k in required),
            )
    return items


def _script(ctx: Ctx, root: yaml.Node, items: Items) -> Script:
    get = {name: value for name, (_, value) in items.items()}
    language = _language(ctx, get["language"]) if "language" in get else "en"
    phrases = _phrases(ctx, get, language)
    ctx = ctx.with_(phrases=phrases, defaults=language_defaults(phrases))
    voice = settings.voice(ctx, get["voice"]) if "voice" in get else VoiceSpec()
    ctx = ctx.with_(defaults=settings.defaults(ctx, get["defaults"])) if "defaults" in get else ctx
    script = Script(
        meta=_meta(ctx, get),
        steps=steps(ctx, get["steps"]),
        src=ctx.reader.src(root),
        language=language,
        phrases=phrases,
        voice=voice,
        defaults=ctx.defaults,
        background=settings.background(ctx, get["background"]) if "background" in get else None,
        lexicon=settings.lexicon(ctx, get["lexicon"]) if "lexicon" in get else (),
        vars={name: var.value for name, var in ctx.session.defined.items()},
    )
    return _check_phrases(ctx, script, get.get("language"))


def _meta(ctx: Ctx, get: dict[str, yaml.Node]) -> Meta:
    text = {k: ctx.text(get[k], k, spoken=False) for k in META_KEYS if k in get and k != "cover"}
    if not text["title"].strip():
        ctx.fail(get["title"], "title is empty; give the routine a name")
    cover = ctx.image_path(get["cover"], "cover") if "cover" in get else None
    return Meta(cover=cover, **text)


def _language(ctx: Ctx, node: yaml.Node) -> str:
    tag = ctx.reader.scalar(node, "language").strip()
    if not _LANGUAGE.match(tag):
        ctx.fail(
            node, f"language '{tag}' is not a BCP-47 tag", "For example: en, en-GB, de, pt-BR."
        )
    return tag


def _phrases(ctx: Ctx, get: dict[str, yaml.Node], language: str) -> Phrases:
    """The built-in lines in ``language``, with the script's ``phrases:``
    on top (for a language with no built-in phrases, the ones it lacks are
    gaps ``_check_phrases`` looks for)."""
    given = settings.phrases(ctx, get["phrases"]) if "phrases" in get else {}
    try:
        # a language without built-in phrases leaves gaps, found once loaded
        return phrases_for(language, given, partial=True)
    except LanguageError as e:
        ctx.fail(get.get("language"), e.message, e.hint)


def _check_phrases(ctx: Ctx, script: Script, node: yaml.Node | None) -> Script:
    """``script``, if its language speaks every phrase it uses; else an
    error at ``language`` naming the ones to give under ``phrases:``."""
    missing = missing_phrases(script)
    if missing:
        e = unsupported(script.language, missing)
        ctx.fail(node, e.message, e.hint)
    return script


def language_defaults(phrases: Phrases) -> Defaults:
    """The format's defaults with the breath prompts in the script's language."""
    base = Defaults()
    prompts = BreathPrompts(*phrases.prompts)
    return replace(base, breath=replace(base.breath, prompts=prompts))


# --- vars, profiles and --set -------------------------------------------------------------


def own_vars(ctx: Ctx, items: Items, parent: Mapping[str, Var]) -> dict[str, Var]:
    """``parent`` plus this file's vars for names ``parent`` leaves
    undefined, each with its profile/``--set`` override applied."""
    env = dict(parent)
    if "vars" not in items:
        return env
    for name, (key, value) in ctx.reader.mapping(items["vars"][1], "vars").items():
        if not NAME.match(name) or name in PLACEHOLDERS:
            why = "is filled in by the planner" if name in PLACEHOLDERS else "is not a var name"
            ctx.fail(
                key,
                f"'{name}' {why}",
                "A var name is letters, digits and '_', "
                "starting with a letter; side, n and total are taken.",
            )
        var = _default(ctx, name, key, value)
        if name in env:
            continue
        var = _overridden(ctx, var)
        ctx.session.defined.setdefault(name, var)
        env[name] = var
    return env


def _default(ctx: Ctx, name: str, key: yaml.Node, node: yaml.Node) -> Var:
    """The var as declared: a plain value, or ``{value, label, min, max}``."""
    items = ctx.reader.mapping(node, f"var '{name}'") if isinstance(node, yaml.MappingNode) else {}
    if items:
        ctx.reader.check_keys(items, DESCRIPTOR_KEYS, f"var '{name}'")
        if "value" not in items:
            ctx.fail(node, f"var '{name}' is a mapping, so it needs 'value:' (its default)")
    value = items["value"][1] if items else node
    place = ctx.reader.src(key)
    var = replace(_plain_default(ctx, name, value), file=place.file, line=place.line,
                  column=place.column, key=place.key)  # fmt: skip
    return _described(ctx, var, items) if items else var


def _plain_default(ctx: Ctx, name: str, node: yaml.Node) -> Var:
    if ctx.reader.is_bool(node) or not isinstance(node, yaml.ScalarNode):
        ctx.fail(node, f"the default of '{name}' must be a duration, a number or text")
    raw = ctx.reader.scalar(node, f"the default of '{name}'")
    where = f"line {node.start_mark.line + 1}"
    if len(ctx.chain) > 1:
        where += f" of {ctx.file}"
    try:
        return typed_var(name, raw, is_yaml_number(node), f"its default on {where}")
    except VarError as e:
        ctx.fail(node, e.message, e.hint)


def _described(ctx: Ctx, var: Var, items: Items) -> Var:
    """``var`` with the descriptor's label and bounds, its default checked
    against them."""
    if "label" in items:
        var = replace(var, label=_label(ctx, var.name, items["label"][1]))
    for which in ("min", "max"):
        if which in items:
            node = items[which][1]
            raw = ctx.reader.scalar(node, f"the {which} of '{var.name}'")
            try:
                bound = parse_bound(var, raw, which)
            except VarError as e:
                ctx.fail(node, e.message, e.hint)
            var = replace(var, low=bound) if which == "min" else replace(var, high=bound)
    if var.low is not None and var.high is not None and var.low > var.high:
        ctx.fail(items["max"][1], f"the max of '{var.name}' is below its min")
    try:
        check_bounds(var)
    except VarError as e:
        ctx.fail(items["value"][1], f"the default of {e.message}", e.hint)
    return var


def _label(ctx: Ctx, name: str, node: yaml.Node) -> str:
    label = ctx.reader.scalar(node, f"the label of '{name}'").strip()
    if not label:
        ctx.fail(node, f"the label of '{name}' is empty; give it a few words or leave it out")
    if len(label) > MAX_LABEL_CHARS:
        ctx.fail(
            node,
            f"the label of '{name}' is {len(label)} characters long; "
            f"a label may be at most {MAX_LABEL_CHARS}",
        )
    return label


def _overridden(ctx: Ctx, var: Var) -> Var:
    if var.name not in ctx.session.overrides:
        return var
    raw, origin, node, reader = ctx.session.overrides[var.name]
    return _override(var, raw, origin, node, reader)


def _override(
    var: Var, raw: str, origin: str, node: yaml.Node | None, reader: Reader | None
) -> Var:
    try:
        return override(var, raw, origin)
    except VarError as e:
        if node is None or reader is None:
            # A command-line value is wrong where the var is declared.
            raise InputError(
                f"{origin}: {e.message}",
                file=var.file or None,
                line=var.line,
                column=var.column,
                key=var.key,
                hint=e.hint,
            ) from None
        reader.fail(node, f"{origin}: {e.message}", _declared(var, e.hint))


def _declared(var: Var, hint: str | None) -> str | None:
    if var.low is None and var.high is None:
        return hint
    place = ":".join(str(p) for p in (var.file, var.key, var.line, var.column) if p)
    where = f"'{var.name}' is declared at {place}."
    return f"{hint} {where}" if hint else where


Profiles = dict[str, tuple[yaml.Node, Items]]


def _profiles(ctx: Ctx, items: Items) -> Profiles:
    if "profiles" not in items:
        return {}
    out: Profiles = {}
    for name, (key, value) in ctx.reader.mapping(items["profiles"][1], "profiles").items():
        entries = ctx.reader.mapping(value, f"profile '{name}'")
        for var_name, (_, var_value) in entries.items():
            ctx.reader.scalar(var_value, f"'{var_name}' in profile '{name}'")
        out[name] = (key, entries)
    return out


def _choose_overrides(
    ctx: Ctx, profiles: Profiles, profile: str | None, sets: dict[str, str],
    said: tuple[str, str],
) -> None:
    """Each chosen value by var name; ``said``: how the caller names the
    profile and the set values (``--profile``, ``--set``)."""
    overrides = ctx.session.overrides
    if profile is not None:
        if profile not in profiles:
            listed = ", ".join(profiles) if profiles else None
            hint = did_you_mean(profile, profiles) or ""
            hint += f" Its profiles are: {listed}." if listed else " It defines none."
            raise InputError(
                f"{said[0]} {profile}: this script has no profile '{profile}'",
                file=ctx.file,
                hint=hint.strip(),
            )
        for name, (_, value) in profiles[profile][1].items():
            overrides[name] = (str(value.value), f"profile '{profile}'", value, ctx.reader)
    for name, raw in sets.items():
        overrides[name] = (raw, f"{said[1]} {name}={raw}", None, None)


def _check_overrides(ctx: Ctx, profiles: Profiles, sets: dict[str, str], said: str) -> None:
    """Every profile entry and ``--set`` names a var some file defines,
    with a value of that var's kind (unchosen profiles too)."""
    defined = ctx.session.defined
    for profile, (_, entries) in profiles.items():
        for name, (key, value) in entries.items():
            if name not in defined:
                ctx.fail(
                    key,
                    f"profile '{profile}' sets '{name}', but no var '{name}' is defined",
                    did_you_mean(name, defined) or "Add it under 'vars:'.",
                )
            _override(defined[name], str(value.value), f"profile '{profile}'", value, ctx.reader)
    for name, raw in sets.items():
        if name not in defined:
            known = ", ".join(sorted(defined)) or "none"
            hint = did_you_mean(name, defined) or f"The script's vars are: {known}."
            raise InputError(f"{said} {name}={raw}: the script has no var '{name}'", hint=hint)


# --- include ------------------------------------------------------------------------------


def include_steps(ctx: Ctx, node: yaml.Node) -> tuple[Step, ...]:
    """The steps of the routine file ``node`` names, seeing ``ctx``'s vars."""
    raw = ctx.reader.scalar(node, "include").strip()
    if len(ctx.chain) > MAX_INCLUDE_DEPTH:
        ctx.fail(node, f"includes are nested more than {MAX_INCLUDE_DEPTH} deep")
    real = ctx.path(node, "include")
    display = os.path.normpath(os.path.join(os.path.dirname(ctx.file), raw))
    if real in ctx.chain:
        ctx.fail(
            node,
            f"include cycle: {_chain_text(ctx, real, display)}",
            "A file cannot include itself, directly or through others.",
        )
    reader = Reader(display, ctx.session.visits)
    items = _top(reader, compose(read_text(real, display), display), required=("steps",))
    child = ctx.with_(
        reader=reader,
        dir=os.path.dirname(os.path.join(ctx.dir, raw)),
        chain=(*ctx.chain, real),
        depth=ctx.depth + 1,
    )
    child = child.with_(env=own_vars(child, items, ctx.env))
    return steps(child, items["steps"][1])


def _chain_text(ctx: Ctx, real: str, display: str) -> str:
    start = ctx.chain.index(real)
    names = [os.path.basename(p) for p in ctx.chain[start:]]
    return " -> ".join([*names, os.path.basename(display)])
