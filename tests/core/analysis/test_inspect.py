"""The pixel inspector's numbers equal torch's output at that pixel."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from explorer.core.analysis.costs import stack_cost
from explorer.core.analysis.inspect import (
    format_value,
    pointwise_breakdown,
    receptive_field_box,
    window_breakdown,
)
from explorer.core.compute.build import build_layer, build_stack, layer_weights
from explorer.core.compute.run import quiet_same_padding
from explorer.core.errors import SpecError
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, SeparableSpec, StandardSpec


def conv(x, w, b, **kw) -> np.ndarray:
    t = lambda a: None if a is None else torch.from_numpy(np.asarray(a, dtype=np.float64))  # noqa: E731
    with quiet_same_padding():  # torch's note about even kernels with 'same'
        return F.conv2d(t(x)[None], t(w), t(b), **kw)[0].numpy()


@settings(max_examples=50, deadline=None)
@given(
    c_in=st.integers(1, 12),
    c_out=st.integers(1, 6),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    bias=st.booleans(),
    data=st.data(),
)
def test_pointwise_equals_torch(c_in, c_out, h, w, bias, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x, weight = rng.standard_normal((c_in, h, w)), rng.standard_normal((c_out, c_in, 1, 1))
    b = rng.standard_normal(c_out) if bias else None
    r, c, o = (data.draw(st.integers(0, n - 1)) for n in (h, w, c_out))
    ref = conv(x, weight, b)
    got = pointwise_breakdown(x, weight, b, r, c, o)
    assert got.value == pytest.approx(ref[o, r, c], abs=1e-9)
    np.testing.assert_allclose(got.out_vector, ref[:, r, c], atol=1e-9)
    np.testing.assert_allclose(got.x, x[:, r, c])
    np.testing.assert_allclose(got.products.sum() + got.bias, got.value)
    assert got.formula.startswith(f"Y[{r},{c},{o}] = ")
    assert got.formula.endswith(f"= {format_value(got.value)}")


@settings(max_examples=60, deadline=None)
@given(
    kh=st.integers(1, 5),
    kw=st.integers(1, 5),
    s=st.integers(1, 3),
    d=st.integers(1, 3),
    pad=st.one_of(st.integers(0, 3), st.just("same")),
    groups=st.integers(1, 3),
    per_in=st.integers(1, 3),
    per_out=st.integers(1, 3),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    bias=st.booleans(),
    data=st.data(),
)
def test_window_equals_torch(kh, kw, s, d, pad, groups, per_in, per_out, h, w, bias, data):
    """Standard, grouped and depthwise (per_in = 1) with stride, dilation and padding."""
    if pad == "same":
        s = 1
    c_in, c_out = groups * per_in, groups * per_out
    padded = (
        h + (d * (kh - 1) if pad == "same" else 2 * pad),
        w + (d * (kw - 1) if pad == "same" else 2 * pad),
    )
    assume(padded[0] >= d * (kh - 1) + 1 and padded[1] >= d * (kw - 1) + 1)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = rng.standard_normal((c_in, h, w))
    weight = rng.standard_normal((c_out, per_in, kh, kw))
    b = rng.standard_normal(c_out) if bias else None
    ref = conv(x, weight, b, stride=s, padding=pad, dilation=d, groups=groups)
    r, c, o = (data.draw(st.integers(0, n - 1)) for n in (ref.shape[1], ref.shape[2], c_out))
    got = window_breakdown(x, weight, b, s, pad, d, groups, r, c, o)
    assert got.value == pytest.approx(ref[o, r, c], abs=1e-9)
    np.testing.assert_allclose(got.products.sum() + got.bias, got.value)
    assert got.window.shape == got.kernel.shape == (per_in, kh, kw)
    group = o // per_out
    assert list(got.in_channels) == list(range(group * per_in, (group + 1) * per_in))
    for i, row in enumerate(got.rows):  # the window holds the input (or 0 in the padding)
        for j, col in enumerate(got.cols):
            inside = 0 <= row < h and 0 <= col < w
            expect = x[got.in_channels, row, col] if inside else 0.0
            np.testing.assert_array_equal(got.window[:, i, j], expect)
    with pytest.raises(SpecError):
        window_breakdown(x, weight, b, s, pad, d, groups, ref.shape[1], c, o)


@pytest.mark.parametrize("activation", ["none", "relu", "relu6"])
def test_output_matches_built_layer_with_bn_and_activation(activation):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((5, 6, 6)) * 4).astype(np.float32)
    for spec in (
        PointwiseSpec(out_channels=4, batch_norm=True, activation=activation),
        DepthwiseSpec(
            kernel_size=3, padding="same", batch_norm=True, activation=activation, multiplier=2
        ),
        StandardSpec(out_channels=3, kernel_size=3, stride=2, padding=1, activation=activation),
    ):
        module = build_layer(spec, 5, seed=3)
        weights = layer_weights(module, spec)
        with torch.inference_mode():
            out = module(torch.from_numpy(x)[None])[0].numpy()
        for o, r, c in [(0, 0, 0), (out.shape[0] - 1, out.shape[1] - 1, 1), (1, 2, 2)]:
            if isinstance(spec, PointwiseSpec):
                got = pointwise_breakdown(
                    x,
                    weights["weight"],
                    weights["bias"],
                    r,
                    c,
                    o,
                    batch_norm=spec.batch_norm,
                    activation=activation,
                )
            else:
                groups = 5 if isinstance(spec, DepthwiseSpec) else 1
                got = window_breakdown(
                    x,
                    weights["weight"],
                    weights["bias"],
                    spec.stride,
                    spec.padding,
                    spec.dilation,
                    groups,
                    r,
                    c,
                    o,
                    batch_norm=spec.batch_norm,
                    activation=activation,
                )
            assert got.output == pytest.approx(float(out[o, r, c]), abs=1e-4)
            if activation != "none":
                assert "ReLU" in got.formula


def test_formula_truncates_long_sums():
    rng = np.random.default_rng(0)
    x, w = rng.random((64, 4, 4)), rng.random((128, 64, 1, 1))
    got = pointwise_breakdown(x, w, np.zeros(128), 1, 2, 3, max_terms=3)
    assert "… (61 more terms)" in got.formula
    assert got.formula.count("·") == 3
    assert "+ b[3] (0)" in got.formula
    short = pointwise_breakdown(x[:2], w[:, :2], None, 1, 2, 3)
    assert "…" not in short.formula and "b[" not in short.formula


def test_formula_of_rgb_to_gray_pixel():
    x = np.zeros((3, 2, 2))
    x[:, 1, 0] = [0.5, 0.25, -1.0]
    w = np.array([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1)
    got = pointwise_breakdown(x, w, np.array([0.01]), 1, 0, 0)
    assert got.formula == ("Y[1,0,0] = 0.5·0.299 + 0.25·0.587 + (−1)·0.114 + b[0] (0.01) = 0.192")


def test_format_value():
    assert format_value(-0.0512) == "−0.0512"
    assert format_value(8320.0) == "8320"
    assert format_value(1.23456e-7) == "1.23e−07"
    assert format_value(0) == "0"


layer_specs = st.one_of(
    st.builds(
        StandardSpec,
        out_channels=st.integers(1, 3),
        kernel_size=st.integers(1, 4),
        stride=st.integers(1, 2),
        padding=st.integers(0, 2),
        dilation=st.integers(1, 2),
    ),
    st.builds(PointwiseSpec, out_channels=st.integers(1, 3), stride=st.integers(1, 2)),
    st.builds(
        DepthwiseSpec,
        kernel_size=st.integers(1, 4),
        padding=st.just("same"),
        dilation=st.integers(1, 2),
    ),
    st.builds(
        SeparableSpec,
        out_channels=st.integers(1, 3),
        kernel_size=st.integers(1, 4),
        stride=st.integers(1, 2),
        padding=st.integers(0, 2),
    ),
)


@settings(max_examples=40, deadline=None)
@given(layers=st.lists(layer_specs, min_size=1, max_size=3), data=st.data())
def test_receptive_field_box_is_where_the_gradient_is(layers, data):
    """The input pixels an output pixel depends on (non-zero gradient through all-positive
    weights) lie in the box; its size equals costs' receptive field."""
    shape = (2, 14, 14)
    try:
        cost = stack_cost(shape, layers)
    except SpecError:
        assume(False)
    last = cost.layers[-1]
    r, c = (
        data.draw(st.integers(0, last.output_shape[1] - 1)),
        data.draw(st.integers(0, last.output_shape[2] - 1)),
    )
    box = receptive_field_box(layers, len(layers) - 1, r, c)
    assert (box.height, box.width) == last.receptive_field
    module = build_stack(layers, shape[0]).double()
    for m in module.modules():  # all-ones weights, no bias: nothing cancels
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.ones_(m.weight)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
    x = torch.ones((1, *shape), dtype=torch.float64, requires_grad=True)
    with quiet_same_padding():
        y = module(x)
    y[0, 0, r, c].backward()
    rows, cols = np.nonzero(x.grad[0].sum(0).numpy())
    if rows.size == 0:  # the pixel only sees padding
        return
    assert rows.min() >= box.top and rows.max() < box.bottom
    assert cols.min() >= box.left and cols.max() < box.right
    clipped = box.clipped(14, 14)
    assert clipped.top <= rows.min() and clipped.left <= cols.min()
    if all(getattr(s, "padding", (0, 0)) == (0, 0) for s in layers):
        assert (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) == (
            box.top,
            box.bottom,
            box.left,
            box.right,
        )
