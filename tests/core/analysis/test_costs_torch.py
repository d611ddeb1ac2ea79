"""The analytic cost model against torch itself, for every kind and field.

When :func:`stack_cost` accepts a stack, torch must produce the same shapes, parameter
count and FLOPs (``FlopCounterMode``); when it refuses, torch must fail too (or give an
empty output), so the validator is neither too strict nor too lax.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from explorer.core.analysis.costs import find_comparisons, separable_ratio_formula, stack_cost
from explorer.core.compute.build import build_layer, build_stack, layer_out_channels
from explorer.core.compute.run import quiet_same_padding
from explorer.core.errors import SpecError
from explorer.core.model.specs import (
    ACTIVATIONS,
    LAYER_KINDS,
    ActivationSpec,
    AvgPoolSpec,
    BlockSpec,
    DepthwiseSpec,
    MaxPoolSpec,
    PointwiseSpec,
    SeparableSpec,
    StandardSpec,
)

pairs = st.tuples


def _pair(lo: int, hi: int) -> st.SearchStrategy[tuple[int, int]]:
    return pairs(st.integers(lo, hi), st.integers(lo, hi))


@st.composite
def layer_spec(draw: st.DrawFn, c_in: int):
    """Any layer but a block: every kind, every activation (PReLU, leaky slope), pools with
    ceil_mode, asymmetric padding."""
    kind = draw(st.sampled_from(LAYER_KINDS))
    common = {
        "bias": draw(st.booleans()),
        "batch_norm": draw(st.booleans()),
        "activation": draw(st.sampled_from(ACTIVATIONS)),
        "negative_slope": draw(st.floats(-1, 1, allow_nan=False)),
    }
    if kind == "pointwise":
        return PointwiseSpec(
            out_channels=draw(st.integers(1, 16)), stride=draw(_pair(1, 3)), **common
        )
    if kind in ("maxpool", "avgpool"):
        cls = MaxPoolSpec if kind == "maxpool" else AvgPoolSpec
        return cls(
            kernel_size=draw(_pair(1, 4)),
            stride=draw(_pair(1, 3)),
            padding=draw(_pair(0, 2)),
            ceil_mode=draw(st.booleans()),
        )
    if kind == "activation":
        return ActivationSpec(
            activation=draw(st.sampled_from(ACTIVATIONS[1:])),
            negative_slope=common["negative_slope"],
        )
    spatial = {
        "kernel_size": draw(_pair(1, 7)),
        "dilation": draw(_pair(1, 3)),
        "padding": draw(
            st.one_of(st.just("same"), _pair(0, 3), st.tuples(*[st.integers(0, 3)] * 4))
        ),
    }
    spatial["stride"] = (1, 1) if spatial["padding"] == "same" else draw(_pair(1, 3))
    if kind == "standard":
        divisors = [g for g in range(1, c_in + 1) if c_in % g == 0]
        # mostly groups that divide, sometimes any (the validator must refuse those)
        groups = draw(st.one_of(st.sampled_from(divisors), st.integers(1, 4)))
        out = draw(st.one_of(st.integers(1, 4).map(lambda m: m * groups), st.integers(1, 16)))
        return StandardSpec(out_channels=out, groups=groups, **spatial, **common)
    multiplier = draw(st.integers(1, 3))
    if kind == "depthwise":
        return DepthwiseSpec(multiplier=multiplier, **spatial, **common)
    return SeparableSpec(
        out_channels=draw(st.integers(1, 16)), multiplier=multiplier, **spatial, **common
    )


@st.composite
def block_spec(draw: st.DrawFn, c_in: int):
    """A block of 1-3 layers with or without skip and squeeze-excitation."""
    inner, channels = [], c_in
    for _ in range(draw(st.integers(1, 3))):
        spec = draw(layer_spec(channels))
        inner.append(spec)
        channels = layer_out_channels(spec, channels)
    return BlockSpec(
        layers=tuple(inner),
        skip=draw(st.booleans()),
        se=draw(st.booleans()),
        se_after=draw(st.integers(1, len(inner))),
        se_channels=draw(st.integers(0, 6)),
        se_activation=draw(st.sampled_from(ACTIVATIONS[1:])),
        se_gate=draw(st.sampled_from(("hardsigmoid", "sigmoid"))),
        activation=draw(st.sampled_from(ACTIVATIONS)),
    )


@st.composite
def stacks(draw: st.DrawFn, blocks: bool = False):
    shape = (draw(st.integers(1, 16)), draw(st.integers(1, 40)), draw(st.integers(1, 40)))
    layers = []
    channels = shape[0]
    for _ in range(draw(st.integers(1, 3))):
        make = block_spec if blocks and draw(st.booleans()) else layer_spec
        spec = draw(make(channels))
        layers.append(spec)
        channels = layer_out_channels(spec, channels)
    return shape, layers


def _n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _torch_forward(layers, shape):
    """Build and run in torch; returns (outputs per layer, flops per layer) or raises."""
    x = torch.randn(1, *shape)
    outputs, flops = [], []
    channels = shape[0]
    with torch.no_grad(), quiet_same_padding():
        for i, spec in enumerate(layers):
            module = build_layer(spec, channels, index=i)
            with FlopCounterMode(display=False) as counter:
                x = module(x)
            outputs.append((x, module))
            flops.append(counter.get_total_flops())
            channels = x.shape[1]
    return outputs, flops


def _check_against_torch(shape, layers):
    try:
        cost = stack_cost(shape, layers)
    except SpecError as exc:
        assert exc.layer is not None and exc.field is not None
        bad = layers[exc.layer]
        if exc.field == "skip":  # torch would broadcast or fail: check the shapes differ
            without = bad.with_changes(skip=False)
            outputs, _ = _torch_forward([*layers[: exc.layer], without], shape)
            block_in = outputs[-2][0] if exc.layer else torch.empty(1, *shape)
            assert outputs[-1][0].shape != block_in.shape
            return
        try:
            outputs, _ = _torch_forward(layers[: exc.layer + 1], shape)
        except (RuntimeError, ValueError):
            return  # torch refuses too
        y = outputs[-1][0]
        assert y.numel() == 0, f"torch ran {bad} on {shape} but we refused: {exc}"
        return
    outputs, flops = _torch_forward(layers, shape)
    for layer_cost, (y, module), layer_flops in zip(cost.layers, outputs, flops, strict=True):
        assert tuple(y.shape) == (1, *layer_cost.output_shape)
        assert _n_params(module) == layer_cost.params
        assert layer_flops == layer_cost.flops == 2 * layer_cost.macs
    assert cost.params == _n_params(build_stack(layers, shape[0]))
    assert cost.output_shape == tuple(outputs[-1][0].shape[1:])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_cost_model_equals_torch(case):
    """Every kind but blocks: pools, activations (PReLU), asymmetric padding included."""
    _check_against_torch(*case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks(blocks=True))
def test_cost_model_equals_torch_with_blocks(case):
    """Blocks (skip, SE with its 1×1 convolutions) among other layers."""
    _check_against_torch(*case)


@settings(max_examples=40, deadline=None)
@given(
    c_in=st.integers(1, 24),
    c_out=st.integers(1, 24),
    k=st.integers(1, 7),
    h=st.integers(1, 24),
    w=st.integers(1, 24),
)
def test_separable_ratio_equals_mac_ratio(c_in, c_out, k, h, w):
    sep = SeparableSpec(out_channels=c_out, kernel_size=k, padding="same", bias=False)
    std = StandardSpec(out_channels=c_out, kernel_size=k, padding="same", bias=False)
    sep_cost = stack_cost((c_in, h, w), [sep])
    std_cost = stack_cost((c_in, h, w), [std])
    formula = separable_ratio_formula(c_out, (k, k))
    assert math.isclose(sep_cost.macs / std_cost.macs, formula, rel_tol=1e-12)
    # biases excluded, the parameters shrink by the same ratio
    assert math.isclose(sep_cost.params / std_cost.params, formula, rel_tol=1e-12)
    (comparison,) = find_comparisons([sep], sep_cost)
    assert math.isclose(comparison.macs_ratio, formula, rel_tol=1e-12)


def test_pointwise_example_from_the_lesson():
    spec = PointwiseSpec(out_channels=128)
    cost = stack_cost((64, 32, 32), [spec])
    module = build_stack([spec], 64)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = module(torch.randn(1, 64, 32, 32))
    assert tuple(y.shape) == (1, 128, 32, 32) == (1, *cost.output_shape)
    assert _n_params(module) == cost.params == 64 * 128 + 128 == 8320
    assert counter.get_total_flops() == cost.flops == 2 * 32 * 32 * 64 * 128


@pytest.mark.parametrize("shape", [(3, 5, 5), (8, 1, 1)])
def test_same_padding_even_kernel_keeps_size(shape):
    spec = StandardSpec(out_channels=2, kernel_size=(2, 4), dilation=(1, 3), padding="same")
    cost = stack_cost(shape, [spec])
    ((y, _),) = _torch_forward([spec], shape)[0]
    assert tuple(y.shape[1:]) == cost.output_shape == (2, shape[1], shape[2])
