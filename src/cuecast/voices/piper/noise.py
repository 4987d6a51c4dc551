"""Piper's noise, drawn by cuecast: the model rewritten once so it is an input.

A Piper (VITS) model draws its noise inside the graph (two
``RandomNormalLike`` nodes: the duration predictor's and the latent's), from
a generator that onnxruntime seeds when it builds a session and that
advances on every run. Building a session per line made lines deterministic
but cost as much as speaking them. Instead the model is rewritten once
(with the ``onnx`` library): each ``RandomNormalLike`` becomes a slice,
shaped like the node's input, of a noise tensor the caller passes in
(tiled first when the tensor is smaller than the slice, so no sentence is
too long for it); ``SeededSession`` draws that tensor from a generator
seeded by the sentence's phoneme ids. One session then speaks every line,
and a sentence gets the same noise (so the same samples) whatever was
spoken before it, in any process.

What the rewrite assumes is checked, and a model that breaks it is an
``EngineError`` naming what was found: the default-domain opset is at least
``MIN_OPSET`` (``Slice`` with its bounds as inputs), every noise node is in
the top graph (not inside an ``If`` or ``Loop``), makes float32 and has a
rank-3 input (``[batch, channels, frames]``, by ONNX shape inference), and
there is at least one.

The rewritten model is cached on disk, in the speech cache's folder under
``piper-noise/<sha256 of the model>-r<REWRITE>.onnx`` with a JSON index
beside it (its noise inputs and the rewritten model's own sha256, checked
when it is used: a damaged entry is made again), so each model is
rewritten once, not once per process. Nothing here is imported until a line is spoken.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cuecast.atomic import TempFile
from cuecast.errors import EngineError, InputError

if TYPE_CHECKING:
    import onnx

REWRITE = 1
"""Bump when the rewrite changes: part of the cached model's name."""
CACHE_FOLDER = "piper-noise"
MIN_OPSET = 10
"""``Slice`` takes its bounds as inputs from opset 10; ``Shape``, ``Tile``
and integer ``Add``/``Sub``/``Div`` are older."""
NOISE_OP = "RandomNormalLike"
NOISE_SEED = 0
"""Seed of the noise each sentence is spoken with."""
NOISE_CHANNELS = 256
"""Channels of the noise passed in: at least the model's widest noise (192
for the latent of Piper's medium voices), so it is sliced, not tiled."""
NOISE_FRAMES_PER_PHONEME = 24.0
"""Frames of noise passed in per phoneme id at length scale 1.0 (Piper's
durations stay far under it, so it is sliced, not tiled)."""


@dataclass(frozen=True)
class NoiseInput:
    """A noise input of the rewritten model, and the ``mean`` and ``scale``
    of the node it replaces (the caller applies them)."""

    name: str
    mean: float
    scale: float


@dataclass(frozen=True)
class SeedableModel:
    """The rewritten model on disk and its noise inputs, in node order."""

    path: Path
    noises: tuple[NoiseInput, ...]


def seedable(model: Path, sha256: str, cache_root: Path) -> SeedableModel:
    """The model at ``model`` (whose content hash is ``sha256``) rewritten
    to take its noise as inputs: from the cache, or made and cached."""
    folder = cache_root / CACHE_FOLDER
    target = folder / f"{sha256}-r{REWRITE}.onnx"
    index = folder / f"{sha256}-r{REWRITE}.json"
    cached = _cached(target, index)
    if cached is not None:
        return cached
    proto = _read(model)
    noises = rewrite(proto)
    data = proto.SerializeToString()
    del proto
    folder.mkdir(parents=True, exist_ok=True)
    _write(target, data)
    # the index last, with the rewritten model's hash: a reader takes the
    # model only when the index is there and the model's bytes match it
    rows = {"sha256": hashlib.sha256(data).hexdigest(), "noises": [asdict(n) for n in noises]}
    _write(index, json.dumps(rows).encode())
    return SeedableModel(target, noises)


def _cached(target: Path, index: Path) -> SeedableModel | None:
    """The cached rewrite, if its index is there and the model's bytes are
    what it says (the cache's contents are checked, not trusted: a damaged
    entry is made again)."""
    try:
        rows = json.loads(index.read_text("utf-8"))
        noises = tuple(NoiseInput(str(r["name"]), float(r["mean"]), float(r["scale"]))
                       for r in rows["noises"])
        digest = hashlib.sha256()
        with target.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not noises or digest.hexdigest() != rows["sha256"]:
        return None
    return SeedableModel(target, noises)


def _read(path: Path) -> onnx.ModelProto:
    import onnx
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped]

    try:
        return onnx.load_model(str(path))
    except (OSError, DecodeError, ValueError) as exc:
        raise InputError(f"cannot load piper model {path}: not an ONNX model ({exc})") from exc


def _write(path: Path, data: bytes) -> None:
    with TempFile(str(path), path.suffix) as tmp:
        Path(tmp.path).write_bytes(data)
        tmp.commit()


def rewrite(model: onnx.ModelProto) -> tuple[NoiseInput, ...]:
    """Rewrite ``model`` in place: each top-level ``RandomNormalLike``
    fed from a new float input (see the module docstring); gives those
    inputs. ``EngineError`` when the model is not what the rewrite assumes."""
    import onnx

    _check_opset(model)
    _check_no_nested_noise(model.graph)
    types = _value_types(model)
    graph = model.graph
    nodes: list[onnx.NodeProto] = []
    noises: list[NoiseInput] = []
    for node in graph.node:
        if node.op_type != NOISE_OP or node.domain not in ("", "ai.onnx"):
            nodes.append(node)
            continue
        k = len(noises)
        noise = _noise_input(node, k, types)
        noises.append(noise)
        nodes += _slice_nodes(node, noise.name, k)
        dims: list[str | int | None] = [1, f"cuecast_noise_{k}_c", f"cuecast_noise_{k}_f"]
        graph.input.append(
            onnx.helper.make_tensor_value_info(noise.name, onnx.TensorProto.FLOAT, dims))
    if not noises:
        raise EngineError(f"this piper model has no {NOISE_OP} node in its graph: it draws no "
                          "noise where cuecast expects it (not a Piper VITS model?)")
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend([
        onnx.numpy_helper.from_array(np.zeros(3, dtype=np.int64), "cuecast/zeros3"),
        onnx.numpy_helper.from_array(np.ones(3, dtype=np.int64), "cuecast/ones3"),
    ])
    return tuple(noises)


def _check_opset(model: onnx.ModelProto) -> None:
    versions = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not versions:
        raise EngineError("this piper model imports no ONNX operator set")
    if versions[0] < MIN_OPSET:
        raise EngineError(f"this piper model uses ONNX opset {versions[0]}; cuecast's noise "
                          f"rewrite needs opset {MIN_OPSET} or later")


def _check_no_nested_noise(graph: onnx.GraphProto, nested: bool = False) -> None:
    for node in graph.node:
        if nested and node.op_type == NOISE_OP:
            raise EngineError(f"this piper model draws noise inside a subgraph (node "
                              f"{node.name!r}); cuecast can only feed a top-level {NOISE_OP}")
        for sub in _subgraphs(node):
            _check_no_nested_noise(sub, nested=True)


def _subgraphs(node: onnx.NodeProto) -> Iterable[onnx.GraphProto]:
    for attr in node.attribute:
        if attr.HasField("g"):
            yield attr.g
        yield from attr.graphs


SMALL_TENSOR_BYTES = 4096
"""Initializers up to this size keep their values for shape inference
(shape constants); larger ones (weights) are given by type and shape only."""


def _value_types(model: onnx.ModelProto) -> dict[str, Any]:
    """Every value's ``TypeProto`` as ONNX shape inference finds it, run on
    the graph without its weights' values (1.2 s -> 0.2 s for joe's 63 MB:
    the types and ranks do not depend on them)."""
    import onnx
    from onnx import helper

    g = model.graph
    small = [t for t in g.initializer if t.ByteSize() <= SMALL_TENSOR_BYTES]
    weights = [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
               for t in g.initializer if t.ByteSize() > SMALL_TENSOR_BYTES]
    light = helper.make_model(
        helper.make_graph(list(g.node), g.name, [*g.input, *weights], list(g.output),
                          initializer=small),
        opset_imports=list(model.opset_import), ir_version=model.ir_version,
    )
    try:
        inferred = onnx.shape_inference.infer_shapes(light)
    except onnx.shape_inference.InferenceError as exc:
        raise EngineError(f"ONNX shape inference fails on this piper model: {exc}") from exc
    g = inferred.graph
    return {v.name: v.type for v in [*g.input, *g.value_info, *g.output]}


def _noise_input(node: onnx.NodeProto, k: int, types: dict[str, Any]) -> NoiseInput:
    """The input that replaces ``node``, after checking its type and shape."""
    import onnx

    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    where = f"{NOISE_OP} node {node.name or node.output[0]!r}"
    source = types.get(node.input[0])
    if source is None or not source.HasField("tensor_type"):
        raise EngineError(f"{where}: the type of its input {node.input[0]!r} is unknown")
    tensor = source.tensor_type
    dtype = int(attrs.get("dtype", tensor.elem_type))
    if dtype != onnx.TensorProto.FLOAT:
        name = onnx.TensorProto.DataType.Name(dtype)
        raise EngineError(f"{where} makes {name}; cuecast feeds float32 noise only")
    if not tensor.HasField("shape") or len(tensor.shape.dim) != 3:
        rank = len(tensor.shape.dim) if tensor.HasField("shape") else "unknown"
        raise EngineError(f"{where}: its input has rank {rank}; cuecast feeds noise shaped "
                          "[batch, channels, frames] (rank 3)")
    return NoiseInput(f"cuecast/noise_{k}", float(attrs.get("mean", 0.0)),
                      float(attrs.get("scale", 1.0)))


def _slice_nodes(node: onnx.NodeProto, noise: str, k: int) -> list[onnx.NodeProto]:
    """``node``'s output as ``noise`` tiled to cover the node's input shape,
    then sliced to it: ``repeats = ceil(wanted / have)`` per axis (1 when the
    noise is large enough, so the slice is of the noise as drawn)."""
    from onnx.helper import make_node

    p = f"cuecast/noise_{k}_"
    return [
        make_node("Shape", [node.input[0]], [p + "wanted"], name=p + "Wanted"),
        make_node("Shape", [noise], [p + "have"], name=p + "Have"),
        make_node("Add", [p + "wanted", p + "have"], [p + "sum"], name=p + "Sum"),
        make_node("Sub", [p + "sum", "cuecast/ones3"], [p + "up"], name=p + "Up"),
        make_node("Div", [p + "up", p + "have"], [p + "repeats"], name=p + "Repeats"),
        make_node("Tile", [noise, p + "repeats"], [p + "tiled"], name=p + "Tile"),
        make_node("Slice", [p + "tiled", "cuecast/zeros3", p + "wanted"], [node.output[0]],
                  name=p + "Slice"),
    ]


# --- the session ------------------------------------------------------------------


class SeededSession:
    """An onnxruntime session of the rewritten model that passes each run
    its noise, drawn from the run's phoneme ids (what ``PiperVoice`` calls)."""

    def __init__(self, session: Any, noises: tuple[NoiseInput, ...]) -> None:
        self.session = session
        self.noises = noises

    def run(self, outputs: Any, feeds: dict[str, np.ndarray]) -> Any:
        ids = [int(v) for v in np.asarray(feeds["input"]).reshape(-1)]
        length_scale = float(np.asarray(feeds["scales"]).reshape(-1)[1])
        frames = int(16 + NOISE_FRAMES_PER_PHONEME * max(length_scale, 1.0) * len(ids))
        noise = {n.name: draw(n, k, ids, NOISE_CHANNELS, frames)
                 for k, n in enumerate(self.noises)}
        return self.session.run(outputs, {**feeds, **noise})


def draw(noise: NoiseInput, k: int, ids: list[int], channels: int, frames: int) -> np.ndarray:
    """Normal noise ``[1, channels, frames]`` (``noise``'s mean and scale)
    from a generator seeded by ``NOISE_SEED``, ``k`` and the phoneme ids;
    drawn frame by frame, so more frames extend it without changing the
    first ones."""
    rng = np.random.default_rng([NOISE_SEED, k, *ids])
    z = rng.standard_normal((frames, channels), dtype=np.float32)
    return np.ascontiguousarray(z.T[None]) * np.float32(noise.scale) + np.float32(noise.mean)
