"""TFLite weights stored as int8 (per-channel scales) or fp16 behind DEQUANTIZE, 'SAME'
and 'VALID' padding, fused ReLU6: imported layers equal the LiteRT interpreter's tensors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.core.compute.run import run_stack
from explorer.core.io.importers import import_model, to_scene

sys.path.insert(0, str(Path(__file__).parent))
from model_refs import close, tflite_reference  # noqa: E402
from tflite_builder import conv_model  # noqa: E402

pytest.importorskip("ai_edge_litert")
torch.set_num_threads(1)


@pytest.mark.parametrize("storage", ["int8", "fp16"])
@pytest.mark.parametrize(
    "depthwise,same,stride",
    [(False, True, 2), (True, True, 2), (False, False, 1), (True, False, 1)],
)
def test_quantized_kernels_import_exactly(tmp_path: Path, storage, depthwise, same, stride):
    rng = np.random.default_rng(5)
    kernel = rng.standard_normal((1, 3, 3, 4) if depthwise else (6, 3, 3, 4)).astype(np.float32)
    bias = rng.standard_normal(4 if depthwise else 6).astype(np.float32)
    data, real = conv_model(
        kernel, bias, (9, 10), stride=stride, depthwise=depthwise, same=same, storage=storage
    )
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    result = import_model(path)
    layer = result.layers[0]
    want_w = real.transpose(3, 0, 1, 2) if depthwise else real.transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(layer.weight, want_w)  # the de-quantized values exactly
    scene = to_scene(result)
    spec = scene.layers[0]
    assert spec.kind == ("depthwise" if depthwise else "standard")
    assert spec.activation == "relu6"
    x = rng.uniform(-1, 1, (1, 4, 9, 10)).astype(np.float32)
    got = next(iter(run_stack(scene.layers, x[0], device="cpu"))).output
    assert close(got, tflite_reference(str(path), x, "output")) <= 1e-4
