"""What the weight view draws comes from a kind's declared parts, not from its name."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.analysis.weight_plan import weight_parts, weights_title
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, SeparableSpec, StandardSpec


def _w(*shape: int) -> np.ndarray:
    return np.zeros(shape, np.float32)


@pytest.mark.parametrize(
    ("spec", "weights", "drawn", "declared"),
    [
        (
            StandardSpec(out_channels=4),
            {"weight": _w(4, 3, 3, 3), "bias": _w(4)},
            ["kernels"],
            [False],
        ),
        (
            StandardSpec(out_channels=4, kernel_size=(1, 1), padding=(0, 0)),
            {"weight": _w(4, 3, 1, 1)},
            ["matrix"],
            [False],
        ),
        (PointwiseSpec(out_channels=4), {"weight": _w(4, 3, 1, 1)}, ["matrix"], [True]),
        (DepthwiseSpec(), {"weight": _w(3, 1, 3, 3)}, ["mosaic"], [False]),
        (
            SeparableSpec(out_channels=4),
            {"depthwise.weight": _w(3, 1, 3, 3), "pointwise.weight": _w(4, 3, 1, 1)},
            ["mosaic", "matrix"],
            [False, True],
        ),
    ],
)
def test_each_conv_is_drawn_as_what_its_part_is(spec, weights, drawn, declared):
    parts = weight_parts(spec, weights, 3)
    assert [p.drawn_as for p in parts] == drawn
    assert [p.declared_matrix for p in parts] == declared
    # the kind's name gives the same plan (the roles do not depend on field values)
    by_name = weight_parts(spec.kind, weights, 3)
    assert [p.drawn_as for p in by_name] == drawn


def test_the_bias_of_each_conv_and_the_channels_into_it():
    spec = SeparableSpec(out_channels=4, multiplier=2)
    weights = {
        "depthwise.weight": _w(6, 1, 3, 3),
        "depthwise.bias": _w(6),
        "pointwise.weight": _w(4, 6, 1, 1),
    }
    dw, pw = weight_parts(spec, weights, 3)
    assert (dw.weight, dw.bias, dw.in_channels) == ("depthwise.weight", "depthwise.bias", 3)
    assert (pw.weight, pw.bias, pw.in_channels) == ("pointwise.weight", "pointwise.bias", 6)
    assert weights_title((dw, pw), weights).startswith("Depthwise-separable: depthwise 3×3")


def test_kinds_without_conv_weights_have_nothing_to_draw():
    assert weight_parts("maxpool", {}) == ()
    assert weight_parts("activation", {}) == ()
    assert weight_parts("block", {}) == ()


def test_an_unknown_kind_or_a_missing_weight_is_refused():
    with pytest.raises(ValueError, match="unknown layer kind 'nope'"):
        weight_parts("nope", {})
    with pytest.raises(ValueError, match="have no 'pointwise.weight'"):
        weight_parts("separable", {"depthwise.weight": _w(3, 1, 3, 3)}, 3)
