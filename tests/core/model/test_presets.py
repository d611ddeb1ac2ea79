"""Weight presets: the layer the builder makes from them computes what the preset promises."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.compute.build import build_layer, layer_weights
from explorer.core.errors import SpecError
from explorer.core.model.presets import (
    KERNEL_PRESETS,
    POINTWISE_PRESETS,
    YCBCR_MATRIX,
    apply_preset,
    kernel_preset,
    set_weight_value,
    target_shapes,
)
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, SeparableSpec, StandardSpec


def run(spec, x: np.ndarray, seed: int = 0) -> np.ndarray:
    module = build_layer(spec, x.shape[0], seed=seed)
    with torch.inference_mode():
        return module(torch.from_numpy(x.astype(np.float32))[None])[0].numpy().astype(float)


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(1).random((3, 12, 14))


def test_rgb_to_gray_layer_computes_luma(rgb):
    spec = apply_preset(PointwiseSpec(out_channels=1), 3, "rgb_to_gray")
    expected = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    np.testing.assert_allclose(run(spec, rgb)[0], expected, atol=1e-6)
    replicated = apply_preset(PointwiseSpec(out_channels=3, bias=False), 3, "rgb_to_gray")
    out = run(replicated, rgb)
    np.testing.assert_allclose(out, np.stack([expected] * 3), atol=1e-6)


def test_rgb_to_gray_refuses_16_channels():
    with pytest.raises(SpecError) as info:
        apply_preset(PointwiseSpec(out_channels=1), 16, "rgb_to_gray")
    assert info.value.field == "weights"
    assert "3 input channels" in str(info.value) and "16" in str(info.value)


def test_ycbcr_of_gray_pixels_has_no_chroma_and_turns_bias_on(rgb):
    spec = apply_preset(PointwiseSpec(out_channels=3, bias=False), 3, "rgb_to_ycbcr")
    assert spec.bias is True
    gray = np.broadcast_to(rgb[:1], rgb.shape).copy()  # R = G = B
    out = run(spec, gray)
    np.testing.assert_allclose(out[0], gray[0], atol=1e-5)  # Y of gray is the gray
    np.testing.assert_allclose(out[1:], 0.5, atol=1e-5)  # Cb = Cr = offset
    full = run(spec, rgb)
    expected = np.einsum("oc,chw->ohw", YCBCR_MATRIX, rgb) + np.array([0, 0.5, 0.5])[:, None, None]
    np.testing.assert_allclose(full, expected, atol=1e-5)
    with pytest.raises(SpecError, match="3 output channels"):
        apply_preset(PointwiseSpec(out_channels=2), 3, "rgb_to_ycbcr")


def test_yuv_of_white_is_luma_one_no_chroma():
    spec = apply_preset(PointwiseSpec(out_channels=3), 3, "rgb_to_yuv")
    out = run(spec, np.ones((3, 2, 2)))
    np.testing.assert_allclose(out[:, 0, 0], [1.0, 0.0, 0.0], atol=1e-4)


@pytest.mark.parametrize("c_in,c_out", [(4, 4), (3, 5), (6, 2)])
def test_identity_pads_and_crops(c_in, c_out):
    x = np.random.default_rng(2).random((c_in, 5, 5))
    out = run(apply_preset(PointwiseSpec(out_channels=c_out), c_in, "identity"), x)
    n = min(c_in, c_out)
    np.testing.assert_allclose(out[:n], x[:n], atol=1e-6)
    np.testing.assert_allclose(out[n:], 0.0)


def test_permutation_default_reverses_and_order_is_checked():
    x = np.random.default_rng(3).random((4, 3, 3))
    out = run(apply_preset(PointwiseSpec(out_channels=4), 4, "permutation"), x)
    np.testing.assert_allclose(out, x[::-1], atol=1e-6)
    out = run(apply_preset(PointwiseSpec(out_channels=2), 4, "permutation", order=[2, 0]), x)
    np.testing.assert_allclose(out, x[[2, 0]], atol=1e-6)
    with pytest.raises(SpecError, match="order has 4 entries"):
        apply_preset(PointwiseSpec(out_channels=3), 4, "permutation")
    with pytest.raises(SpecError, match="channel 7 does not exist"):
        apply_preset(PointwiseSpec(out_channels=1), 4, "permutation", order=[7])


def test_random_is_seeded_kaiming_uniform():
    spec = PointwiseSpec(out_channels=256)
    a = dict(apply_preset(spec, 64, "random", seed=5).weights)["weight"]
    b = dict(apply_preset(spec, 64, "random", seed=5).weights)["weight"]
    c = dict(apply_preset(spec, 64, "random", seed=6).weights)["weight"]
    assert a == b and a != c
    values = np.array(a.values)
    bound = 1 / math.sqrt(64)
    assert np.abs(values).max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound  # uniform's std


def test_canonical_3x3_kernels():
    np.testing.assert_array_equal(kernel_preset("sobel_x", 3), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(kernel_preset("sobel_y", 3), [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    np.testing.assert_array_equal(kernel_preset("laplacian", 3), [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_array_equal(
        kernel_preset("sharpen", 3), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    )


@pytest.mark.parametrize("k", [3, 5, 7])
def test_kernels_on_ramps_and_constants(k):
    """Each kernel does its job at every size: measured by running the depthwise layer."""
    size = 3 * k
    ramp_x = np.tile(np.arange(size, dtype=float), (size, 1))[None]
    const = np.full((1, size, size), 0.7)
    inner = np.s_[:, k:-k, k:-k]  # away from the zero padding

    def dw(name, x):
        return run(apply_preset(DepthwiseSpec(kernel_size=k, padding="same"), 1, name), x)[inner]

    assert np.all(dw("sobel_x", ramp_x) > 0) and np.ptp(dw("sobel_x", ramp_x)) < 1e-4
    np.testing.assert_allclose(dw("sobel_y", ramp_x), 0, atol=1e-4)
    np.testing.assert_allclose(dw("laplacian", ramp_x), 0, atol=1e-3)
    for name in ("identity", "box_blur", "gaussian", "sharpen"):
        np.testing.assert_allclose(dw(name, const), 0.7, atol=1e-5)  # they sum to 1
    np.testing.assert_allclose(dw("identity", ramp_x), ramp_x[inner], atol=1e-5)
    g = kernel_preset("gaussian", k)
    assert g.argmax() == (k * k) // 2 and np.allclose(g, g.T) and np.allclose(g, g[::-1])


@pytest.mark.parametrize(
    "name,size",
    [("sobel_x", (3, 1)), ("sobel_y", 4), ("laplacian", 2), ("sharpen", (3, 4)), ("identity", 2)],
)
def test_kernel_sizes_without_a_sensible_kernel_are_refused(name, size):
    with pytest.raises(SpecError) as info:
        apply_preset(DepthwiseSpec(kernel_size=size), 3, name)
    assert info.value.field == "kernel_size" and name in str(info.value)


def test_wrong_family_and_unknown_preset():
    with pytest.raises(SpecError, match="k×k kernel preset"):
        apply_preset(PointwiseSpec(), 3, "sobel_x")
    with pytest.raises(SpecError, match="1×1 preset"):
        apply_preset(DepthwiseSpec(), 3, "rgb_to_gray")
    with pytest.raises(SpecError, match="unknown preset"):
        apply_preset(DepthwiseSpec(), 3, "emboss")


def test_depthwise_multiplier_cycles_named_kernels(rgb):
    spec = apply_preset(
        DepthwiseSpec(kernel_size=3, padding=1, multiplier=2), 3, ("sobel_x", "sobel_y")
    )
    out = run(spec, rgb)
    t = torch.from_numpy(rgb)[None, :, None]
    for c in range(3):
        for j, name in enumerate(("sobel_x", "sobel_y")):
            k = torch.from_numpy(kernel_preset(name, 3))[None, None]
            ref = F.conv2d(t[:, c], k, padding=1)[0, 0].numpy()
            np.testing.assert_allclose(out[2 * c + j], ref, atol=1e-5)


def test_standard_spread_diagonal_and_mean(rgb):
    sobel = torch.from_numpy(kernel_preset("sobel_x", 3))[None, None]
    diag = run(apply_preset(StandardSpec(out_channels=3, padding=1), 3, "sobel_x"), rgb)
    for c in range(3):
        ref = F.conv2d(torch.from_numpy(rgb[c])[None, None], sobel, padding=1)[0, 0].numpy()
        np.testing.assert_allclose(diag[c], ref, atol=1e-5)
    mean = run(apply_preset(StandardSpec(out_channels=1, padding=1), 3, "sobel_x"), rgb)
    ref = F.conv2d(torch.from_numpy(rgb.mean(0))[None, None], sobel, padding=1)[0, 0].numpy()
    np.testing.assert_allclose(mean[0], ref, atol=1e-5)


def test_separable_parts():
    spec = SeparableSpec(out_channels=1, kernel_size=3)
    both = apply_preset(apply_preset(spec, 3, "gaussian"), 3, "rgb_to_gray")
    targets = dict(both.weights)
    assert set(targets) == {
        "depthwise.weight",
        "depthwise.bias",
        "pointwise.weight",
        "pointwise.bias",
    }
    assert targets["pointwise.weight"].values == (0.299, 0.587, 0.114)
    ident = apply_preset(spec, 3, "identity", part="depthwise")
    assert dict(ident.weights)["depthwise.weight"].shape == (3, 1, 3, 3)


def test_set_weight_value_edits_one_cell(rgb):
    spec = PointwiseSpec(out_channels=2)
    module = build_layer(spec, 3, seed=4)
    current = layer_weights(module, spec)["weight"]
    before = run(spec, rgb, seed=4)
    edited = set_weight_value(spec, 3, "weight", (1, 2, 0, 0), 5.0, current=current)
    after = run(edited, rgb, seed=4)
    np.testing.assert_allclose(after[0], before[0], atol=1e-5)
    np.testing.assert_allclose(
        after[1], before[1] + (5.0 - current[1, 2, 0, 0]) * rgb[2], atol=1e-5
    )
    with pytest.raises(SpecError, match="outside"):
        set_weight_value(spec, 3, "weight", (2, 0, 0, 0), 1.0, current=current)
    with pytest.raises(SpecError, match="shape"):
        set_weight_value(spec, 4, "weight", (0, 0, 0, 0), 1.0, current=current)
    with pytest.raises(SpecError, match="finite"):
        set_weight_value(spec, 3, "weight", (0, 0, 0, 0), math.nan, current=current)
    with pytest.raises(SpecError, match="no weight"):
        set_weight_value(spec, 3, "depthwise.weight", (0, 0, 0, 0), 1.0, current=current)


kinds = st.sampled_from(["standard", "pointwise", "depthwise", "separable"])


@settings(max_examples=40, deadline=None)
@given(
    kind=kinds,
    c_in=st.integers(1, 6),
    c_out=st.integers(1, 6),
    k=st.sampled_from([3, 5]),
    bias=st.booleans(),
    data=st.data(),
)
def test_every_preset_builds(kind, c_in, c_out, k, bias, data):
    """Whatever fits is accepted by the builder's shape check; whatever does not is a
    SpecError, never another exception."""
    if kind == "standard":
        spec = StandardSpec(out_channels=c_out, kernel_size=k, padding="same", bias=bias)
    elif kind == "pointwise":
        spec = PointwiseSpec(out_channels=c_out, bias=bias)
    elif kind == "depthwise":
        spec = DepthwiseSpec(kernel_size=k, padding="same", multiplier=c_out % 3 + 1, bias=bias)
    else:
        spec = SeparableSpec(out_channels=c_out, kernel_size=k, padding="same", bias=bias)
    names = list(POINTWISE_PRESETS if kind == "pointwise" else KERNEL_PRESETS)
    name = data.draw(st.sampled_from(names))
    try:
        new = apply_preset(spec, c_in, name)
    except SpecError as exc:
        assert name in ("permutation", "rgb_to_gray", "rgb_to_yuv", "rgb_to_ycbcr")
        assert exc.field in ("weights", "out_channels")
        return
    shapes = target_shapes(new, c_in)
    for target, source in new.weights:
        assert source.shape == shapes[target]
    out = run(new, np.random.default_rng(0).random((c_in, 9, 9)))
    assert np.all(np.isfinite(out))


def test_a_preset_keeps_the_batch_norms_set_weights():
    """A layer whose batch norm was set (by a fit, an imported model) took no preset: the
    weights were sorted by the conv targets alone and ``ValueError: tuple.index(x): x not in
    tuple`` escaped (found by the monkey)."""
    from dataclasses import replace

    from explorer.core.model.specs import InlineTensor, default_spec

    gamma = InlineTensor(shape=(2,), values=(1.5, 0.5))
    spec = replace(
        default_spec("standard", out_channels=2, batch_norm=True), weights=(("bn.weight", gamma),)
    )
    new = apply_preset(spec, 3, "sharpen")
    targets = [t for t, _ in new.weights]
    assert "weight" in targets and ("bn.weight", gamma) in new.weights
    assert targets == sorted(targets, key=spec.weight_targets().index)  # the file's order
