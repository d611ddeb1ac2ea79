"""Building blocks: the layers match the MobileNet blocks they are named after."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_stack
from explorer.core.errors import SpecError
from explorer.core.model.blocks import (
    BLOCKS,
    make_block,
    mobilenet_v1_block,
    mobilenet_v2_inverted_residual,
)
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, SeparableSpec


def conv_bn(c_in, c_out, k, stride, groups, act):
    layers = [
        nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    return layers + ([act()] if act else [])


def reference_v1(c_in, c_out, stride):
    """MobileNetV1's block as the paper (and torchvision-style code) writes it."""
    return nn.Sequential(
        *conv_bn(c_in, c_in, 3, stride, c_in, nn.ReLU), *conv_bn(c_in, c_out, 1, 1, 1, nn.ReLU)
    )


def reference_v2(c_in, c_out, t, stride):
    """torchvision's InvertedResidual without the residual add."""
    hidden = c_in * t
    layers = conv_bn(c_in, hidden, 1, 1, 1, nn.ReLU6) if t != 1 else []
    layers += conv_bn(hidden, hidden, 3, stride, hidden, nn.ReLU6)
    layers += conv_bn(hidden, c_out, 1, 1, 1, None)
    return nn.Sequential(*layers)


def params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("c_in,c_out,stride", [(32, 64, 1), (64, 128, 2), (3, 8, 1)])
def test_v1_matches_reference(split, c_in, c_out, stride):
    layers = mobilenet_v1_block(c_out, stride, split=split)
    cost = stack_cost((c_in, 28, 28), layers)
    ref = reference_v1(c_in, c_out, stride).eval()
    x = torch.randn(1, c_in, 28, 28)
    assert cost.params == params(ref)
    assert tuple(ref(x).shape[1:]) == cost.output_shape
    built = build_stack(layers, c_in)
    assert params(built) == params(ref)
    kinds = [type(m).__name__ for m in built.modules() if not isinstance(m, nn.Sequential)]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU"]


def test_v1_split_and_joined_cost_the_same():
    joined = stack_cost((32, 56, 56), mobilenet_v1_block(64))
    split = stack_cost((32, 56, 56), mobilenet_v1_block(64, split=True))
    assert (joined.params, joined.macs, joined.output_shape) == (
        split.params,
        split.macs,
        split.output_shape,
    )
    assert isinstance(mobilenet_v1_block(64)[0], SeparableSpec)
    assert [type(s) for s in mobilenet_v1_block(64, split=True)] == [DepthwiseSpec, PointwiseSpec]


@pytest.mark.parametrize(
    "c_in,c_out,t,stride", [(24, 24, 6, 1), (16, 24, 6, 2), (32, 16, 1, 1), (8, 8, 4, 1)]
)
def test_v2_matches_torchvision_structure(c_in, c_out, t, stride):
    layers = mobilenet_v2_inverted_residual(c_in, c_out, t, stride)
    assert len(layers) == (3 if t != 1 else 2)
    assert layers[-1].activation == "none" and layers[-1].batch_norm
    assert all(s.activation == "relu6" for s in layers[:-1])
    cost = stack_cost((c_in, 20, 20), layers)
    ref = reference_v2(c_in, c_out, t, stride).eval()
    assert cost.params == params(ref) == params(build_stack(layers, c_in))
    with torch.no_grad():
        assert tuple(ref(torch.randn(1, c_in, 20, 20)).shape[1:]) == cost.output_shape


def test_registry_builds_valid_stacks_and_says_what_it_leaves_out():
    for name, block in BLOCKS.items():
        layers = make_block(name, 16, 32, stride=2)
        cost = stack_cost((16, 32, 32), layers)
        assert cost.output_shape == (32, 16, 16)
        assert block.title and block.description and block.caption
    assert "residual" in BLOCKS["mobilenet_v2"].caption
    assert "residual" in mobilenet_v2_inverted_residual.__doc__
    (block,) = make_block("mobilenet_v2", 16, 32, expansion=1)
    assert len(block.layers) == 2 and not block.skip  # channels differ: no skip
    (block,) = make_block("mobilenet_v2", 16, 16)
    assert len(block.layers) == 3 and block.skip


def test_bad_block_arguments():
    with pytest.raises(SpecError, match="unknown block"):
        make_block("resnet", 3, 8)
    with pytest.raises(SpecError) as info:
        mobilenet_v1_block(0)
    assert info.value.field == "out_channels"
    with pytest.raises(SpecError) as info:
        make_block("mobilenet_v2", 8, 8, expansion="six")
    assert info.value.field == "expansion"
