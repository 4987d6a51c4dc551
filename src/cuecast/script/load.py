"""The load stage: a routine file -> a resolved, checked ``Script``.

Takes the path of a YAML routine script, the chosen profile, ``--set``
values and whether files may lie outside the script's folder; gives a
``Script`` with vars substituted, defaults applied, includes inlined and
every step's source position kept. Every problem is an ``InputError``
naming the file, line and column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import yaml

from cuecast.errors import InputError
from cuecast.script import settings
from cuecast.script.context import MAX_INCLUDE_DEPTH, Ctx, Session
from cuecast.script.keys import META_KEYS, TOP_KEYS
from cuecast.script.model import Meta, Script, Src, Step, VoiceSpec
from cuecast.script.steps import steps
from cuecast.script.vars import NAME, PLACEHOLDERS, Var, VarError, override, typed_var
from cuecast.script.yamlnodes import Reader, compose, did_you_mean, is_yaml_number, read_text

Items = dict[str, tuple[yaml.Node, yaml.Node]]
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def load(
    path: str | os.PathLike[str],
    *,
    profile: str | None = None,
    sets: Mapping[str, str] | None = None,
    allow_outside: bool = False,
) -> Script:
    """Read, check and resolve the routine script at ``path``."""
    display = os.fspath(path)
    try:
        return _load(display, profile, dict(sets or {}), allow_outside)
    except RecursionError:
        raise InputError("the script is nested too deeply to read", file=display) from None


def _load(display: str, profile: str | None, sets: dict[str, str], allow_outside: bool) -> Script:
    real = os.path.realpath(display)
    reader = Reader(display, [0])
    root = compose(read_text(real, display), display)
    items = _top(reader, root, required=("title", "steps"))
    folder = os.path.dirname(os.path.abspath(display))
    session = Session(os.path.realpath(folder), allow_outside, {}, reader.visits)
    ctx = Ctx(session, reader, folder, {}, chain=(real,))
    profiles = _profiles(ctx, items)
    _choose_overrides(ctx, profiles, profile, sets)
    ctx = ctx.with_(env=own_vars(ctx, items, {}))
    script = _script(ctx, root, items)
    _check_overrides(ctx, profiles, sets)
    return script


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
    voice = settings.voice(ctx, get["voice"]) if "voice" in get else VoiceSpec()
    ctx = ctx.with_(defaults=settings.defaults(ctx, get["defaults"])) if "defaults" in get else ctx
    return Script(
        meta=_meta(ctx, get),
        steps=steps(ctx, get["steps"]),
        src=Src(ctx.file, root.start_mark.line + 1, root.start_mark.column + 1),
        language=_language(ctx, get["language"]) if "language" in get else "en",
        voice=voice,
        defaults=ctx.defaults,
        background=settings.background(ctx, get["background"]) if "background" in get else None,
        lexicon=settings.lexicon(ctx, get["lexicon"]) if "lexicon" in get else (),
        vars={name: var.value for name, var in ctx.session.defined.items()},
    )


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
        var = _default(ctx, name, value)
        if name in env:
            continue
        var = _overridden(ctx, var)
        ctx.session.defined.setdefault(name, var)
        env[name] = var
    return env


def _default(ctx: Ctx, name: str, node: yaml.Node) -> Var:
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
            raise InputError(f"--set {var.name}={raw}: {e.message}", hint=e.hint) from None
        reader.fail(node, f"{origin} sets {e.message}", e.hint)


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
    ctx: Ctx, profiles: Profiles, profile: str | None, sets: dict[str, str]
) -> None:
    overrides = ctx.session.overrides
    if profile is not None:
        if profile not in profiles:
            listed = ", ".join(profiles) if profiles else None
            hint = did_you_mean(profile, profiles) or ""
            hint += f" Its profiles are: {listed}." if listed else " It defines none."
            raise InputError(
                f"--profile {profile}: this script has no profile '{profile}'",
                file=ctx.file,
                hint=hint.strip(),
            )
        for name, (_, value) in profiles[profile][1].items():
            overrides[name] = (str(value.value), f"profile '{profile}'", value, ctx.reader)
    for name, raw in sets.items():
        overrides[name] = (raw, f"--set {name}={raw}", None, None)


def _check_overrides(ctx: Ctx, profiles: Profiles, sets: dict[str, str]) -> None:
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
            raise InputError(f"--set {name}={raw}: the script has no var '{name}'", hint=hint)


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
