"""The block kind's BlazeFace skip: max-pooled for a stride-2 block (``skip_pool``) and
padded with zero channels up to the output (``skip_pad``), checked against torch written
by hand, through the runner, the generated script, the costs and the scene file."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_layer
from explorer.core.compute.codegen import scene_code
from explorer.core.compute.run import run_stack
from explorer.core.errors import SceneError, SpecError
from explorer.core.io.scene import Scene, scene_from_dict, scene_to_dict
from explorer.core.model.specs import BlockSpec, DepthwiseSpec, PointwiseSpec

torch.set_num_threads(1)


def blaze(c_in: int, c_out: int, stride: int, size: int = 8, **changes) -> BlockSpec:
    """BlazeFace's block: depthwise 3×3 (stride, TensorFlow's 'SAME' for ``size``),
    pointwise to ``c_out``, skip, ReLU."""
    pad = (0, 1, 0, 1) if stride == 2 and size % 2 == 0 else (1, 1)
    inner = (
        DepthwiseSpec(kernel_size=3, stride=stride, padding=pad),
        PointwiseSpec(out_channels=c_out),
    )
    fields = {
        "layers": inner,
        "skip": True,
        "activation": "relu",
        "skip_pool": stride,
        "skip_pad": c_out > c_in,
        **changes,
    }
    return BlockSpec(**fields)


def by_hand(module, x: torch.Tensor, stride: int) -> torch.Tensor:
    y = module.body[1](module.body[0](x))
    s = F.max_pool2d(x, stride, stride, ceil_mode=True) if stride > 1 else x
    s = torch.cat([s, torch.zeros(1, y.shape[1] - s.shape[1], *s.shape[2:])], dim=1)
    return torch.relu(y + s)


@pytest.mark.parametrize(
    ("c_in", "c_out", "stride", "size"),
    [(24, 28, 1, 8), (24, 32, 2, 8), (16, 16, 2, 7), (8, 8, 1, 5)],
)
def test_padded_pooled_skip_equals_torch_by_hand(c_in, c_out, stride, size):
    spec = blaze(c_in, c_out, stride, size)
    module = build_layer(spec, c_in, seed=1, index=0)
    x = torch.randn(1, c_in, size, size)
    with torch.no_grad():
        want = by_hand(module, x, stride)
        torch.testing.assert_close(module(x), want)
    (result,) = run_stack([spec], x[0].numpy(), seed=1, device="cpu")
    np.testing.assert_allclose(result.output, want[0].numpy(), rtol=1e-6, atol=1e-6)
    assert list(result.parts)[-2:] == ["add", "act"]
    # costs: torch's parameters; the pool (one comparison per input value), the zero
    # channels (one write each) and the add are element-wise work
    cost = stack_cost((c_in, size, size), [spec])
    assert cost.params == sum(p.numel() for p in module.parameters())
    out = math.prod(want.shape[1:])
    oh = -(-size // stride)
    pool = c_in * size * size if stride > 1 else 0
    zeros = (c_out - c_in) * oh * oh
    assert cost.layers[0].elementwise == pool + zeros + out
    assert cost.layers[0].output_shape == tuple(want.shape[1:])


def test_generated_script_and_scene_file_keep_the_skip():
    spec = blaze(24, 32, 2)
    scene = Scene(layers=(spec,), seed=3)
    code = scene_code(scene, (24, 8, 8))
    assert "skip_pool=2" in code and "skip_pad=True" in code
    namespace: dict = {}
    exec(compile(code.replace('if __name__ == "__main__":', "if False:"), "gen", "exec"), namespace)
    generated = namespace["ConvStack"]().eval()
    ours = build_layer(spec, 24, seed=3, index=0)
    x = torch.randn(1, 24, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(generated(x), ours(x))
    data = scene_to_dict(scene)
    assert data["layers"][0]["skip_pool"] == 2 and data["layers"][0]["skip_pad"] is True
    assert scene_from_dict(data).layers == (spec,)
    plain = scene_to_dict(Scene(layers=(blaze(8, 8, 1),)))
    assert "skip_pool" not in plain["layers"][0] and "skip_pad" not in plain["layers"][0]


def test_skip_that_does_not_fit_says_why():
    with pytest.raises(SpecError, match="skip_pool") as info:
        stack_cost((24, 8, 8), [blaze(24, 32, 2, skip_pool=1)])
    assert info.value.field == "skip"
    with pytest.raises(SpecError, match="skip_pad"):
        stack_cost((24, 8, 8), [blaze(24, 28, 1, skip_pad=False)])
    with pytest.raises(SpecError, match="same channels"):
        stack_cost((32, 8, 8), [blaze(32, 24, 1, skip_pad=True)])  # fewer out channels
    bad = {
        "kind": "block",
        "skip": True,
        "skip_pool": 0,
        "layers": [{"kind": "depthwise", "kernel_size": 3, "padding": 1}],
    }
    data = scene_to_dict(Scene(layers=(blaze(8, 8, 1),)))
    data["layers"] = [bad]
    with pytest.raises(SceneError, match="skip_pool"):
        scene_from_dict(data)
