"""The inspector explains a layer from its convolution parts: a kind it has never heard of
is inspected like the built-in ones, with torch's numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch

from explorer.core.analysis.inspect import PointwiseBreakdown, WindowBreakdown
from explorer.core.compute.run import run_stack
from explorer.core.model.kinds import REGISTRY
from explorer.core.model.kinds.base import LayerSpec, conv_steps
from explorer.core.model.kinds.parts import Conv, Part
from explorer.core.model.specs import DepthwiseSpec, SeparableSpec, StandardSpec
from explorer.ui.tools.inspector_dock import inspect_pixel

torch.set_num_threads(1)


@dataclass(frozen=True, kw_only=True)
class ExpandSpec(LayerSpec):
    """A kind the inspector has never seen: a 1×1 channel expansion named ``expand``."""

    kind: ClassVar[str] = "test_expand_inspector"
    weight_paths: ClassVar[dict[str, str]] = {"w": "expand.weight", "b": "expand.bias"}
    factor: int = 2

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        conv = Conv("expand", "expand", in_channels, in_channels * self.factor, (1, 1), matrix=True)
        return tuple(conv_steps(self, conv))


def _image(channels: int = 3) -> np.ndarray:
    return np.random.default_rng(1).standard_normal((channels, 9, 10)).astype(np.float32)


def test_new_kind_is_inspected_as_a_matrix(monkeypatch):
    monkeypatch.setitem(REGISTRY, ExpandSpec.kind, ExpandSpec)
    layers = [StandardSpec(out_channels=4, padding=1), ExpandSpec(activation="hardswish")]
    x = _image()
    results = dict(enumerate(run_stack(layers, x, seed=2, device="cpu")))
    ins = inspect_pixel(layers, 1, None, results, x, 7, 3, 4)
    assert isinstance(ins.breakdown, PointwiseBreakdown)
    assert ins.part == "expand" and ins.convolutions == 1
    assert ins.value == pytest.approx(float(results[1].output[7, 3, 4]), rel=1e-4, abs=1e-5)
    np.testing.assert_allclose(ins.breakdown.x, results[0].output[:, 3, 4], rtol=1e-6)


@pytest.mark.parametrize("part", ["depthwise", "pointwise"])
def test_separable_parts_read_x_then_d(part):
    layers = [SeparableSpec(out_channels=5, padding=1, stride=2)]
    x = _image()
    results = dict(enumerate(run_stack(layers, x, seed=2, device="cpu")))
    ins = inspect_pixel(layers, 0, part, results, x, 1, 2, 3)
    assert ins.convolutions == 2
    kind = PointwiseBreakdown if part == "pointwise" else WindowBreakdown
    assert isinstance(ins.breakdown, kind)
    assert ins.value == pytest.approx(float(results[0].parts[part][1, 2, 3]), rel=1e-4, abs=1e-5)
    if part == "pointwise":  # reads D, the depthwise output, at the same pixel
        np.testing.assert_allclose(
            ins.breakdown.x, results[0].parts["depthwise"][:, 2, 3], rtol=1e-6
        )


@pytest.mark.parametrize(
    "spec",
    [
        StandardSpec(out_channels=3, kernel_size=3, stride=2, padding=(0, 1, 0, 1)),
        DepthwiseSpec(kernel_size=(3, 2), padding=(2, 0, 1, 0), activation="hardswish"),
    ],
    ids=["tf-same-s2", "top-left"],
)
def test_asymmetric_padding_is_inspected_with_its_zero_pad(spec):
    layers = [spec]
    x = _image()
    (result,) = run_stack(layers, x, seed=2, device="cpu")
    out = result.output
    top, _, left, _ = spec.padding
    for row, col in ((0, 0), (out.shape[1] - 1, out.shape[2] - 1), (2, 1)):
        ins = inspect_pixel(layers, 0, None, {0: result}, x, 1, row, col)
        assert ins.value == pytest.approx(float(out[1, row, col]), rel=1e-4, abs=1e-5)
        bd = ins.breakdown
        assert (
            bd.rows[0] == row * spec.stride[0] - top and bd.cols[0] == col * spec.stride[1] - left
        )
