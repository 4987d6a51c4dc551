"""The rewrite of a Piper model's noise nodes, on tiny models built here.

Each model has the kind of node Piper's have (``RandomNormalLike`` of a
``[batch, channels, frames]`` float tensor); the rewritten graph is run by
onnxruntime to check that the noise passed in is what comes out, sliced or
tiled to the node's shape. Models the rewrite does not fit are refused with
an ``EngineError`` that says why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cuecast.errors import EngineError, InputError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402

from cuecast.voices.piper import noise  # noqa: E402


def tiny_model(*, opset: int = 15, rank: int = 3, dtype: int | None = None,
               mean: float = 0.5, scale: float = 2.0, channels: int = 4) -> onnx.ModelProto:
    """``y = x + RandomNormalLike(x)``, ``x`` float ``[1, channels, frames]``."""
    dims: list[int | str | None] = [1, channels, "frames"][:rank]
    attrs: dict[str, object] = {"mean": mean, "scale": scale}
    if dtype is not None:
        attrs["dtype"] = dtype
    nodes = [
        helper.make_node("RandomNormalLike", ["x"], ["n"], name="/RandomNormalLike", **attrs),
        helper.make_node("Add", ["x", "n"], ["y"], name="/Add"),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, dims)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def run(model: onnx.ModelProto, x: np.ndarray, fed: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x, "cuecast/noise_0": fed})[0]


def test_the_noise_node_becomes_an_input_with_its_mean_and_scale() -> None:
    model = tiny_model()
    [fed] = noise.rewrite(model)
    assert fed == noise.NoiseInput("cuecast/noise_0", 0.5, 2.0)
    assert "RandomNormalLike" not in {n.op_type for n in model.graph.node}
    assert "cuecast/noise_0" in {i.name for i in model.graph.input}
    onnx.checker.check_model(model)


def test_the_output_is_the_noise_passed_in_sliced_to_the_nodes_shape() -> None:
    model = tiny_model()
    noise.rewrite(model)
    x = np.arange(4 * 5, dtype=np.float32).reshape(1, 4, 5)
    fed = np.random.default_rng(1).standard_normal((1, 8, 9)).astype(np.float32)
    assert np.array_equal(run(model, x, fed), x + fed[:, :4, :5])


def test_noise_smaller_than_the_node_is_tiled_not_an_error() -> None:
    model = tiny_model()
    noise.rewrite(model)
    x = np.zeros((1, 4, 7), dtype=np.float32)
    fed = np.random.default_rng(2).standard_normal((1, 3, 3)).astype(np.float32)
    expected = np.tile(fed, (1, 2, 3))[:, :4, :7]
    assert np.array_equal(run(model, x, fed), expected)


def test_the_same_sentence_draws_the_same_noise_and_more_frames_extend_it() -> None:
    fed = noise.NoiseInput("n", 0.5, 2.0)
    short = noise.draw(fed, 0, [1, 2, 3], channels=4, frames=10)
    long = noise.draw(fed, 0, [1, 2, 3], channels=4, frames=20)
    assert np.array_equal(short, long[:, :, :10])
    assert not np.array_equal(short, noise.draw(fed, 0, [1, 2, 4], channels=4, frames=10))
    assert not np.array_equal(short, noise.draw(fed, 1, [1, 2, 3], channels=4, frames=10))
    assert abs(float(long.mean()) - 0.5) < 0.5 and 1.5 < float(long.std()) < 2.5


# --- what the rewrite checks -----------------------------------------------------


def test_an_old_opset_is_refused() -> None:
    with pytest.raises(EngineError, match="opset 9; .* opset 10 or later"):
        noise.rewrite(tiny_model(opset=9))


def test_noise_of_another_rank_is_refused() -> None:
    with pytest.raises(EngineError, match="rank 2; .*rank 3"):
        noise.rewrite(tiny_model(rank=2))


def test_noise_of_another_type_is_refused() -> None:
    with pytest.raises(EngineError, match="makes DOUBLE; .*float32"):
        noise.rewrite(tiny_model(dtype=TensorProto.DOUBLE))


def test_a_model_without_noise_is_refused() -> None:
    model = tiny_model()
    model.graph.node[0].op_type = "Identity"
    del model.graph.node[0].attribute[:]
    with pytest.raises(EngineError, match="no RandomNormalLike node"):
        noise.rewrite(model)


def test_noise_inside_a_subgraph_is_refused() -> None:
    inner = helper.make_graph(
        [helper.make_node("RandomNormalLike", ["x"], ["z"], name="/inner")], "inner", [],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
    )
    model = tiny_model()
    model.graph.node.append(helper.make_node(
        "If", ["cond"], ["w"], name="/If", then_branch=inner, else_branch=inner))
    with pytest.raises(EngineError, match="inside a subgraph.*'/inner'"):
        noise.rewrite(model)


# --- once per model, cached on disk ----------------------------------------------


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


def test_the_rewrite_is_cached_by_the_models_hash(tmp_path: Path, monkeypatch) -> None:
    model = save(tiny_model(), tmp_path / "tiny.onnx")
    first = noise.seedable(model, "a" * 64, tmp_path / "cache")
    assert first.path == tmp_path / "cache" / "piper-noise" / f"{'a' * 64}-r{noise.REWRITE}.onnx"
    assert first.noises == (noise.NoiseInput("cuecast/noise_0", 0.5, 2.0),)
    rewritten = onnx.load(str(first.path))
    assert "RandomNormalLike" not in {n.op_type for n in rewritten.graph.node}

    def no_reading(path: Path) -> None:
        raise AssertionError("the cached rewrite should be used")

    monkeypatch.setattr(noise, "_read", no_reading)
    assert noise.seedable(model, "a" * 64, tmp_path / "cache") == first
    with pytest.raises(AssertionError):  # another content is another model
        noise.seedable(model, "b" * 64, tmp_path / "cache")


def test_a_damaged_cache_entry_is_made_again(tmp_path: Path) -> None:
    model = save(tiny_model(), tmp_path / "tiny.onnx")
    first = noise.seedable(model, "e" * 64, tmp_path / "cache")
    good = first.path.read_bytes()
    first.path.write_bytes(good[:-10])  # cut short, as by a full disk
    again = noise.seedable(model, "e" * 64, tmp_path / "cache")
    assert again == first and again.path.read_bytes() == good


def test_a_refused_model_caches_nothing(tmp_path: Path) -> None:
    model = save(tiny_model(opset=9), tmp_path / "old.onnx")
    with pytest.raises(EngineError, match="opset 9"):
        noise.seedable(model, "c" * 64, tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.onnx"))


def test_a_file_that_is_not_onnx_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\xff\xff\xff not a model")
    with pytest.raises(InputError, match="bad.onnx: not an ONNX model"):
        noise.seedable(bad, "d" * 64, tmp_path / "cache")
