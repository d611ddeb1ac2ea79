"""The walk-through reads a layer's typed parts, not its kind: padding, activations and a kind
it has never heard of are walked through with torch's numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch

from explorer.core.analysis.conv_chain import conv_chain
from explorer.core.analysis.walkthrough import Region, build_walk, default_region
from explorer.core.compute.run import run_stack
from explorer.core.errors import SpecError
from explorer.core.model.kinds import REGISTRY
from explorer.core.model.kinds.base import LayerSpec, conv_steps
from explorer.core.model.kinds.parts import Conv, Part
from explorer.core.model.specs import (
    ActivationSpec,
    BlockSpec,
    DepthwiseSpec,
    MaxPoolSpec,
    PointwiseSpec,
    SeparableSpec,
    StandardSpec,
)

torch.set_num_threads(1)


@dataclass(frozen=True, kw_only=True)
class ExpandSpec(LayerSpec):
    """A kind the walk-through has never seen: a 1×1 channel expansion named ``expand``."""

    kind: ClassVar[str] = "test_expand"
    weight_paths: ClassVar[dict[str, str]] = {"w": "expand.weight", "b": "expand.bias"}
    factor: int = 3

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        conv = Conv("expand", "expand", in_channels, in_channels * self.factor, (1, 1), matrix=True)
        return tuple(conv_steps(self, conv))


def _input(channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((channels, 11, 12)) * 2).astype(np.float32)


def _walk_equals_runner(spec, channels: int, region: Region | None = None):
    x = _input(channels)
    (result,) = run_stack([spec], x, seed=5, device="cpu")
    chosen = result.output.shape[0] - 1
    walk = build_walk(
        spec,
        x,
        result.weights,
        region=region or default_region(spec, x.shape[1:], 5),
        out_channel=chosen,
    )
    assert walk.out_shape == result.output.shape
    outputs = [s for s in walk.steps if s.phase == "output"]
    assert len(outputs) == len(walk.positions) >= 1
    for step in outputs:
        np.testing.assert_allclose(
            step.values, result.output[:, step.row, step.col], rtol=1e-4, atol=1e-5
        )
    return walk


@pytest.mark.parametrize(
    "spec",
    [
        StandardSpec(out_channels=3, kernel_size=3, stride=2, padding=(0, 1, 0, 1)),
        StandardSpec(out_channels=2, kernel_size=(3, 2), padding=(2, 0, 1, 0)),
        SeparableSpec(out_channels=4, kernel_size=3, stride=2, padding=(1, 0, 0, 1)),
    ],
    ids=["tf-same-s2", "top-left", "separable"],
)
def test_asymmetric_padding_is_walked_with_its_zero_pad(spec):
    walk = _walk_equals_runner(spec, 3, Region(0, 0, 11, 12))
    top, _, left, _ = spec.padding
    assert walk.geometry.pad == (top, left)
    first = next(s for s in walk.steps if s.phase == "window")
    assert first.rows[0] == walk.positions[0][0] * walk.geometry.stride[0] - top


@pytest.mark.parametrize(
    "activation", ["hardswish", "hardsigmoid", "sigmoid", "silu", "leaky_relu", "prelu"]
)
def test_every_activation_has_torch_values(activation):
    spec = DepthwiseSpec(kernel_size=3, padding=1, activation=activation, negative_slope=0.2)
    walk = _walk_equals_runner(spec, 3)
    assert any(s.phase == "activation" for s in walk.steps)


def test_a_new_kind_is_walked_through_from_its_parts(monkeypatch):
    monkeypatch.setitem(REGISTRY, ExpandSpec.kind, ExpandSpec)  # the runner builds it by kind
    walk = _walk_equals_runner(ExpandSpec(batch_norm=True, activation="hardswish"), 4)
    assert {s.part for s in walk.steps} == {"expand"}
    matrix = [s for s in walk.steps if s.phase == "matrix"]
    assert matrix and all(s.source == "X" and s.matrix.shape == (12, 4) for s in matrix)
    assert walk.reads_pixel


def test_chain_names_the_intermediate_output_d():
    sep = conv_chain(SeparableSpec(out_channels=4), 3)
    assert [(s.conv.group, s.source, s.result) for s in sep] == [
        ("depthwise", "X", "D"),
        ("pointwise", "D", "Y"),
    ]
    assert [s.weight for s in sep] == ["depthwise.weight", "pointwise.weight"]
    assert [s.conv.matrix for s in sep] == [False, True]
    (pw,) = conv_chain(PointwiseSpec(bias=False, batch_norm=True, activation="relu"), 3)
    assert pw.conv.matrix and pw.bias == "bias" and len(pw.post) == 2
    walk = _walk_equals_runner(SeparableSpec(out_channels=4, padding=1), 3)
    matrix = [s for s in walk.steps if s.phase == "matrix"]
    assert matrix and all(s.source == "D" for s in matrix) and not walk.reads_pixel
    assert "D[" in next(s for s in walk.steps if s.phase == "window").text


@pytest.mark.parametrize(
    "spec",
    [
        MaxPoolSpec(),
        ActivationSpec(),
        BlockSpec(layers=(PointwiseSpec(out_channels=4), DepthwiseSpec(padding=1))),
    ],
    ids=["pool", "activation", "block"],
)
def test_layers_without_a_conv_chain_are_refused_by_name(spec):
    assert conv_chain(spec, 4) == ()
    x = _input(4)
    with pytest.raises(SpecError, match=spec.kind):
        build_walk(spec, x, {})


def test_steps_say_what_they_compute():
    dw = _walk_equals_runner(DepthwiseSpec(padding=1), 3)
    assert {(s.result, s.per_channel) for s in dw.steps} == {("Y", True)}  # a layer's output
    sep = _walk_equals_runner(SeparableSpec(out_channels=4, padding=1), 3)
    assert {(s.part, s.result, s.per_channel) for s in sep.steps if s.phase != "output"} == {
        ("depthwise", "D", True),
        ("pointwise", "Y", False),
    }
