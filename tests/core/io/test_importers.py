"""The model importer: every imported stack equals the source model's own intermediate
tensor (onnxruntime on a cut sub-graph, or the LiteRT interpreter), on random inputs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.core.compute.build import build_stack
from explorer.core.compute.run import run_stack
from explorer.core.io.importers import Capabilities, import_model, to_scene
from explorer.core.io.importers.matcher import match

sys.path.insert(0, str(Path(__file__).parent))
from model_refs import close, layer_forward, onnx_reference, tflite_reference  # noqa: E402

pytest.importorskip("onnxruntime")
torch.set_num_threads(1)

MODELS = Path(__file__).resolve().parents[3] / "assets" / "models"
OCR = MODELS / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
FACE = MODELS / "face_detection_short_range.tflite"
#: The kinds before issue 10 (three activations, symmetric padding).
NARROW = Capabilities(frozenset({"none", "relu", "relu6"}), asymmetric_padding=False)


def _stack_output(scene, x: np.ndarray) -> np.ndarray:
    module = build_stack(scene.layers, x.shape[1], seed=scene.seed)
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()[0]


def _every_output(scene, x: np.ndarray) -> list[np.ndarray]:
    return [r.output for r in run_stack(scene.layers, x[0], seed=scene.seed, device="cpu")]


def test_paddleocr_every_layer_equals_onnxruntime():
    result = import_model(OCR, (3, 48, 192))
    scene = to_scene(result)
    kinds = [spec.kind for spec in scene.layers]
    assert len(kinds) == 19 and kinds[:4] == ["standard", "pointwise", "block", "pointwise"]
    assert scene.layers[0].activation == "hardswish"
    se_block = scene.layers[2]
    assert se_block.se and se_block.se_gate == "hardsigmoid" and not se_block.skip
    assert scene.layers[6].skip  # the first stride-1 block with matching channels
    x = np.random.default_rng(0).uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32)
    outputs = _every_output(scene, x)
    for spec, got in zip(scene.layers, outputs, strict=True):
        want = onnx_reference(str(OCR), "x", spec.source.output, x)
        assert close(got, want) <= 1e-4, (spec.kind, spec.source.output)
    assert result.stop.node == "GlobalAveragePool@9"
    assert "global average pool" in result.stop.reason


def test_paddleocr_with_the_first_kinds_only_stops_at_hardswish():
    graph = import_model(OCR, (3, 48, 192)).graph
    result = match(graph, (3, 48, 192), NARROW)
    assert len(result.layers) == 1 and result.layers[0].output == "batch_norm_0.tmp_2"
    assert result.stop.node == "Add@0" and "hardswish" in result.stop.reason
    x = np.random.default_rng(1).uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32)
    got = layer_forward(result.layers[0], torch.from_numpy(x)).numpy()[0]
    assert close(got, onnx_reference(str(OCR), "x", "batch_norm_0.tmp_2", x)) <= 1e-4


def test_blazeface_layers_equal_litert():
    pytest.importorskip("ai_edge_litert")
    result = import_model(FACE)
    scene = to_scene(result)
    assert [spec.kind for spec in scene.layers] == ["standard"] + ["block"] * 11
    assert scene.layers[0].padding == (1, 2, 1, 2) and scene.layers[0].activation == "relu"
    blocks = scene.layers[1:]
    assert all(b.skip and b.activation == "relu" for b in blocks)
    assert all([inner.kind for inner in b.layers] == ["depthwise", "pointwise"] for b in blocks)
    # the model's skips: channels padded with zeros (24 -> 28, ...), max-pooled at stride 2
    assert [b.skip_pad for b in blocks] == [False] + [True] * 10
    assert [b.skip_pool for b in blocks] == [1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1]
    x = np.random.default_rng(2).uniform(-1, 1, (1, 3, 128, 128)).astype(np.float32)
    for spec, got in zip(scene.layers, _every_output(scene, x), strict=True):
        want = tflite_reference(str(FACE), x, spec.source.output)
        assert close(got, want) <= 1e-4, spec.source.output
    # the 12th block's input also feeds the first detection heads
    assert result.stop.node == "depthwise_conv2d_11" and "feeds 4 nodes" in result.stop.reason
    assert "classificator_8" in result.stop.reason


def _golden_cases() -> list[Path]:
    import onnx

    root = Path(onnx.__file__).parent / "backend" / "test" / "data" / "pytorch-converted"
    return sorted(root.glob("test_Conv2d*"))


@pytest.mark.parametrize("case", _golden_cases(), ids=lambda p: p.name)
def test_onnx_pytorch_converted_conv2d_golden(case: Path):
    import onnx
    from onnx import numpy_helper

    def tensor(name: str) -> np.ndarray:
        proto = onnx.TensorProto()
        proto.ParseFromString((case / "test_data_set_0" / name).read_bytes())
        return numpy_helper.to_array(proto)

    x, want = tensor("input_0.pb"), tensor("output_0.pb")
    result = import_model(case / "model.onnx", tuple(x.shape[1:]))
    assert result.stop.reason.startswith("this is an output"), result.stop.describe()
    scene = to_scene(result)
    got = _stack_output(scene, x.astype(np.float32))
    assert close(got, want[0]) <= 1e-4


def test_generated_script_keeps_the_trained_weights(tmp_path: Path):
    import runpy

    from explorer.core.compute.codegen import scene_code

    result = import_model(OCR, (3, 48, 192), layers=4)
    script = tmp_path / "stack.py"
    script.write_text(scene_code(to_scene(result), (3, 48, 192)))
    model = runpy.run_path(str(script), run_name="generated")["ConvStack"]().eval()
    x = np.random.default_rng(4).uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32)
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()[0]
    want = onnx_reference(str(OCR), "x", result.layers[3].output, x)
    assert close(got, want) <= 1e-4
