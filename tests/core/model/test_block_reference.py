"""Blocks against references written directly in torch from torchvision's source
(``torchvision/models/mobilenetv2.py`` and ``mobilenetv3.py``: ``InvertedResidual``,
``SqueezeExcitation``, ``_make_divisible``), with the weights copied across: the outputs
must agree to 1e-5, and the costs must count the reference's parameters exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_layer
from explorer.core.compute.codegen import scene_code
from explorer.core.compute.run import run_stack
from explorer.core.io.scene import Scene, scene_from_dict, scene_to_dict
from explorer.core.model.blocks import mobilenet_v2_block, mobilenet_v3_block
from explorer.core.model.kinds.block import make_divisible

torch.set_num_threads(1)


def conv_bn_act(c_in, c_out, k, stride=1, groups=1, act=None):
    """torchvision's ConvBNActivation: conv (no bias, padding (k-1)//2), BN, activation."""
    layers = [
        nn.Conv2d(c_in, c_out, k, stride, (k - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class RefV2(nn.Module):
    """mobilenetv2.InvertedResidual: expand (t ≠ 1), depthwise, linear project, residual."""

    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.use_res_connect = stride == 1 and inp == oup
        layers = [conv_bn_act(inp, hidden, 1, act=nn.ReLU6)] if t != 1 else []
        layers += [
            conv_bn_act(hidden, hidden, 3, stride, hidden, nn.ReLU6),
            conv_bn_act(hidden, oup, 1),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class RefSE(nn.Module):
    """mobilenetv3.SqueezeExcitation: avg pool, fc1, ReLU, fc2, hardsigmoid, multiply."""

    def __init__(self, channels, squeeze_factor=4):
        super().__init__()
        squeeze = make_divisible(channels // squeeze_factor, 8)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x):
        scale = self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1))))
        return F.hardsigmoid(scale) * x


class RefV3(nn.Module):
    """mobilenetv3.InvertedResidual (HS: hardswish) with SE after the depthwise."""

    def __init__(self, inp, kernel, expanded, oup, use_se, stride):
        super().__init__()
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expanded != inp:
            layers.append(conv_bn_act(inp, expanded, 1, act=nn.Hardswish))
        layers.append(conv_bn_act(expanded, expanded, kernel, stride, expanded, nn.Hardswish))
        if use_se:
            layers.append(RefSE(expanded))
        layers.append(conv_bn_act(expanded, oup, 1))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        y = self.block(x)
        return y + x if self.use_res_connect else y


def _randomise(module: nn.Module, seed: int) -> None:
    """Random BN statistics and affine parameters (fresh BN is the identity in eval)."""
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def _copy(ours: nn.Module, ref: nn.Module) -> None:
    """Copy ours → reference: convs and BNs in order; the SE's fc1, fc2 by name."""

    def split(m):
        se = [c for c in m.modules() if hasattr(c, "fc1")]
        inside = {id(c) for s in se for c in s.modules()}
        plain = [
            c
            for c in m.modules()
            if isinstance(c, (nn.Conv2d, nn.BatchNorm2d)) and id(c) not in inside
        ]
        return plain, se

    (a, a_se), (b, b_se) = split(ours), split(ref)
    assert [type(x) for x in a] == [type(x) for x in b]
    with torch.no_grad():
        for x, y in zip(a, b, strict=True):
            y.load_state_dict(x.state_dict())
        for x, y in zip(a_se, b_se, strict=True):
            y.fc1.load_state_dict(x.fc1.state_dict())
            y.fc2.load_state_dict(x.fc2.state_dict())


def _params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("inp,oup,stride,t", [(16, 16, 1, 6), (16, 24, 2, 6), (8, 8, 1, 1)])
def test_mobilenet_v2_block_equals_reference(inp, oup, stride, t):
    (spec,) = mobilenet_v2_block(inp, oup, t, stride)
    assert spec.skip == (stride == 1 and inp == oup)
    ours = build_layer(spec, inp, seed=3, index=1)
    _randomise(ours, 1)
    ref = RefV2(inp, oup, stride, t).eval()
    _copy(ours, ref)
    x = torch.randn(2, inp, 14, 14)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)
    cost = stack_cost((inp, 14, 14), [spec])
    assert cost.params == _params(ref) == _params(ours)
    assert cost.output_shape == tuple(ref(x).shape[1:])


@pytest.mark.parametrize(
    "inp,kernel,expanded,oup,stride",
    [(40, 5, 120, 40, 1), (24, 5, 72, 40, 2), (16, 3, 16, 16, 1)],  # rows of the V3 tables
)
def test_mobilenet_v3_block_equals_reference(inp, kernel, expanded, oup, stride):
    (spec,) = mobilenet_v3_block(inp, oup, expanded, stride, kernel_size=kernel)
    ours = build_layer(spec, inp, seed=5, index=0)
    _randomise(ours, 2)
    ref = RefV3(inp, kernel, expanded, oup, True, stride).eval()
    _copy(ours, ref)
    x = torch.randn(2, inp, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)
    cost = stack_cost((inp, 16, 16), [spec])
    assert cost.params == _params(ref)
    # MACs: the convolutions, the SE's two 1×1 on a 1×1 map included
    squeeze = make_divisible(expanded // 4, 8)
    h = w = (16 + 2 * ((kernel - 1) // 2) - kernel) // stride + 1
    expand = 16 * 16 * expanded * inp if expanded != inp else 0
    expected = (
        expand
        + h * w * expanded * kernel * kernel
        + 2 * expanded * squeeze
        + h * w * oup * expanded
    )
    assert cost.macs == expected
    skip = h * w * oup if spec.skip else 0
    assert cost.layers[0].elementwise == 2 * h * w * expanded + skip  # pool + gate, add


def test_block_runner_yields_inner_parts_and_output():
    (spec,) = mobilenet_v3_block(16, 16, 64, 1)
    image = torch.rand(16, 12, 12).numpy()
    (result,) = list(run_stack([spec], image, seed=0, device="cpu"))
    assert list(result.parts) == ["1.pointwise", "2.depthwise", "se", "3.pointwise", "add"]
    module = build_layer(spec, 16, seed=0, index=0)
    with torch.no_grad():
        expected = module(torch.from_numpy(image)[None])[0].numpy()
    np.testing.assert_allclose(result.output, expected, rtol=1e-6, atol=1e-6)


def test_block_codegen_rebuilds_the_same_module(tmp_path):
    (spec,) = mobilenet_v3_block(8, 8, 32, 1)
    scene = Scene(layers=(spec,), seed=4)
    code = scene_code(scene, (8, 10, 10))
    namespace: dict = {}
    exec(compile(code.replace('if __name__ == "__main__":', "if False:"), "gen", "exec"), namespace)
    generated = namespace["ConvStack"]().eval()
    ours = build_layer(spec, 8, seed=4, index=0)
    x = torch.randn(1, 8, 10, 10)
    with torch.no_grad():
        torch.testing.assert_close(generated(x), ours(x))


def test_block_scene_round_trips_as_version_2():
    (spec,) = mobilenet_v3_block(8, 8, 32, 1)
    scene = Scene(layers=(spec,))
    data = scene_to_dict(scene)
    assert data["version"] == 2 and data["layers"][0]["kind"] == "block"
    assert scene_from_dict(data).layers == (spec,)
    plain = scene_to_dict(Scene())
    assert plain["version"] == 1  # nothing new: still written as version 1
