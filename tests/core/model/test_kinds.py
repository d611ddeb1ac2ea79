"""The kind registry: every kind is declared once and drives the builder, costs, codegen
and the file; the new kinds and options behave as torch does."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_layer
from explorer.core.compute.codegen import scene_code
from explorer.core.errors import SpecError
from explorer.core.io.scene import Scene, scene_from_dict, scene_to_dict
from explorer.core.model.kinds import REGISTRY, kind_class
from explorer.core.model.kinds.curves import PRELU_INIT, activation_curve, curve_of
from explorer.core.model.specs import ACTIVATIONS, default_spec

torch.set_num_threads(1)


@pytest.mark.parametrize("function", ACTIVATIONS[1:])
def test_activation_curves_match_torch(function):
    x = np.linspace(-7, 7, 57)
    spec = default_spec("activation", activation=function, negative_slope=0.2)
    module = build_layer(spec, 1)
    with torch.no_grad():
        expected = module(torch.from_numpy(x).float().reshape(1, 1, 1, -1)).numpy().ravel()
    fn, slope = curve_of(spec)
    assert fn == function and slope == (PRELU_INIT if function == "prelu" else 0.2)
    np.testing.assert_allclose(activation_curve(fn, x, slope), expected, atol=1e-6)


@pytest.mark.parametrize("function", ACTIVATIONS[1:])
def test_activation_curves_at_extreme_inputs_match_torch_without_overflow(function):
    """An input map's range can be huge (the monkey's extreme edits): sigmoid's exp(-x)
    overflowed below x = -709 and numpy warned."""
    x = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])
    module = build_layer(default_spec("activation", activation=function, negative_slope=0.2), 1)
    with torch.no_grad():
        expected = module.double()(torch.from_numpy(x).reshape(1, 1, 1, -1)).numpy().ravel()
    slope = PRELU_INIT if function == "prelu" else 0.2
    np.testing.assert_allclose(activation_curve(function, x, slope), expected, rtol=1e-6)


@pytest.mark.parametrize("kind", list(REGISTRY))
def test_every_kind_builds_counts_codes_and_round_trips(kind, tmp_path):
    spec = default_spec(kind)
    assert kind_class(kind) is type(spec) and type(spec).tip
    cost = stack_cost((4, 9, 9), [spec])
    module = build_layer(spec, 4, seed=1)
    with torch.no_grad():
        y = module(torch.randn(1, 4, 9, 9))
    assert tuple(y.shape[1:]) == cost.output_shape
    assert sum(p.numel() for p in module.parameters()) == cost.params
    code = scene_code(Scene(layers=(spec,), seed=1), (4, 9, 9))
    ns: dict = {}
    exec(compile(code.replace('if __name__ == "__main__":', "if False:"), "gen", "exec"), ns)
    x = torch.randn(1, 4, 9, 9)
    with torch.no_grad():
        torch.testing.assert_close(ns["ConvStack"]().eval()(x), module(x))
    assert scene_from_dict(scene_to_dict(Scene(layers=(spec,)))).layers == (spec,)


def test_prelu_counts_one_slope_per_channel():
    spec = default_spec("pointwise", out_channels=6, activation="prelu")
    cost = stack_cost((3, 5, 5), [spec])
    assert cost.params == 3 * 6 + 6 + 6  # weights, bias, PReLU slopes
    assert cost.macs == 5 * 5 * 6 * 3


def test_asymmetric_padding_is_tensorflow_same_with_stride_2():
    # TF 'SAME', k=3, s=2 on 8×8: total padding 1, all of it at the bottom/right
    spec = default_spec("standard", out_channels=2, kernel_size=3, stride=2, padding=(0, 1, 0, 1))
    module = build_layer(spec, 1)
    assert isinstance(module.pad, nn.ZeroPad2d) and module.pad.padding == (0, 1, 0, 1)
    x = torch.randn(1, 1, 8, 8)
    with torch.no_grad():
        expected = nn.functional.conv2d(
            nn.functional.pad(x, (0, 1, 0, 1)), module.conv.weight, module.conv.bias, stride=2
        )
        torch.testing.assert_close(module(x), expected)
    assert stack_cost((1, 8, 8), [spec]).output_shape == (2, 4, 4)
    data = scene_to_dict(Scene(layers=(spec,)))
    assert data["version"] == 2 and data["layers"][0]["padding"] == [0, 1, 0, 1]


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pools_count_elementwise_not_macs(ceil_mode):
    spec = default_spec("maxpool", kernel_size=3, stride=2, padding=1, ceil_mode=ceil_mode)
    cost = stack_cost((2, 10, 10), [spec])
    ref = nn.MaxPool2d(3, 2, 1, ceil_mode=ceil_mode)(torch.randn(1, 2, 10, 10))
    assert cost.output_shape == tuple(ref.shape[1:]) and cost.macs == cost.params == 0
    assert cost.elementwise == ref.numel() * 9


def test_bad_new_fields_name_the_field():
    with pytest.raises(SpecError) as info:
        stack_cost((3, 8, 8), [default_spec("avgpool", kernel_size=2, padding=2)])
    assert info.value.field == "padding"
    with pytest.raises(SpecError) as info:
        stack_cost((3, 8, 8), [default_spec("block", se=True, se_gate="tanh")])
    assert info.value.field == "se_gate"
    with pytest.raises(SpecError) as info:
        stack_cost((3, 8, 8), [default_spec("activation", activation="none")])
    assert info.value.field == "activation"


def test_version_1_files_refuse_new_kinds_with_a_hint():
    data = {"format": "conv-explorer-scene", "version": 1, "layers": [{"kind": "maxpool"}]}
    with pytest.raises(Exception, match='version 2 kind: set "version": 2'):
        scene_from_dict(data)
