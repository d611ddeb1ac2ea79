"""The model importer: every imported stack equals the source model's own intermediate
tensor (onnxruntime on a cut sub-graph, or the LiteRT interpreter), on random inputs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.core.build import build_stack
from explorer.core.importers import Capabilities, import_model, to_scene
from explorer.core.importers.matcher import match

sys.path.insert(0, str(Path(__file__).parent))
from model_refs import close, layer_forward, onnx_reference, tflite_reference  # noqa: E402

pytest.importorskip("onnxruntime")
torch.set_num_threads(1)

MODELS = Path(__file__).resolve().parents[2] / "assets" / "models"
OCR = MODELS / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
FACE = MODELS / "face_detection_short_range.tflite"
#: What issue 10's kinds add (activations, asymmetric padding): the matcher's folds are
#: checked with these too, layer by layer, with torch's functional ops.
WIDE = Capabilities(frozenset({"none", "relu", "relu6", "hardswish", "hardsigmoid", "sigmoid",
                               "silu", "leaky_relu"}), asymmetric_padding=True)


def _stack_output(scene, x: np.ndarray) -> np.ndarray:
    module = build_stack(scene.layers, x.shape[1], seed=scene.seed)
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()[0]


def test_paddleocr_prefix_equals_onnxruntime():
    result = import_model(OCR, (3, 48, 192))
    assert len(result.layers) >= 1
    scene = to_scene(result)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32)
    want = onnx_reference(str(OCR), "x", result.layers[-1].output, x)
    assert close(_stack_output(scene, x), want) <= 1e-4
    assert scene.layers[0].source.output == result.layers[-1].output == "batch_norm_0.tmp_2"
    # it stops at the hardswish and says so, naming the node
    assert result.stop.node == "Add@0" and "hardswish" in result.stop.reason


def test_paddleocr_layer_by_layer_with_wider_kinds():
    graph = import_model(OCR, (3, 48, 192)).graph
    result = match(graph, (3, 48, 192), WIDE)
    assert [layer.activation for layer in result.layers] == ["hardswish", "relu", "relu"]
    assert result.layers[2].stride == (2, 1) and result.layers[2].groups == 8
    x = np.random.default_rng(1).uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32)
    y = torch.from_numpy(x)
    for layer in result.layers:
        y = layer_forward(layer, y)
        want = onnx_reference(str(OCR), "x", layer.output, x)
        assert close(y.numpy()[0], want) <= 1e-4, layer.output
    assert "2 nodes" in result.stop.reason  # the squeeze-excitation branch


def test_blazeface_first_layer_equals_litert():
    pytest.importorskip("ai_edge_litert")
    from explorer.core.importers import read_model

    g = read_model(FACE)
    result = match(g, (3, 128, 128), WIDE)
    assert len(result.layers) == 1
    layer = result.layers[0]
    assert layer.pads == (1, 2, 1, 2) and layer.activation == "relu"
    x = np.random.default_rng(2).uniform(-1, 1, (1, 3, 128, 128)).astype(np.float32)
    want = tflite_reference(str(FACE), x, layer.output)
    got = layer_forward(layer, torch.from_numpy(x)).numpy()[0]
    assert close(got, want) <= 1e-4
    assert result.stop.tensor == "activation" and "skip add" in result.stop.reason


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
