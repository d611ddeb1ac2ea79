"""Specs to torch modules: structure, reproducible seeds, set weights, refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core.compute.build import (
    build_layer,
    build_stack,
    layer_seed,
    layer_weights,
    part_modules,
)
from explorer.core.errors import SpecError
from explorer.core.model.specs import (
    WEIGHT_TARGETS,
    CheckpointTensor,
    DepthwiseSpec,
    InlineTensor,
    PointwiseSpec,
    SeparableSpec,
    StandardSpec,
    default_spec,
)


def _state(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_children_are_named_after_what_they_are():
    std = build_layer(StandardSpec(batch_norm=True, activation="relu"), 3)
    assert [n for n, _ in std.named_children()] == ["conv", "bn", "act"]
    assert isinstance(std.act, torch.nn.ReLU) and not std.training and not std.bn.training
    pw = build_layer(PointwiseSpec(out_channels=5, activation="relu6"), 3)
    assert [n for n, _ in pw.named_children()] == ["conv", "act"]
    assert isinstance(pw.act, torch.nn.ReLU6) and pw.conv.kernel_size == (1, 1)
    dw = build_layer(DepthwiseSpec(multiplier=2, bias=False), 4)
    assert [n for n, _ in dw.named_children()] == ["conv"]
    assert dw.conv.groups == 4 and dw.conv.out_channels == 8 and dw.conv.bias is None
    sep = build_layer(SeparableSpec(out_channels=6, batch_norm=True, activation="relu"), 4)
    assert [n for n, _ in sep.named_children()] == [
        "depthwise",
        "depthwise_bn",
        "depthwise_act",
        "pointwise",
        "pointwise_bn",
        "pointwise_act",
    ]
    parts = part_modules(sep, SeparableSpec())
    assert [name for name, _ in parts] == ["depthwise", "pointwise"]
    assert [n for n, _ in parts[1][1].named_children()] == [
        "pointwise",
        "pointwise_bn",
        "pointwise_act",
    ]


def test_same_padding_and_pairs_reach_torch():
    module = build_layer(default_spec("standard", kernel_size=(3, 5), dilation=(2, 1)), 2)
    assert module.conv.padding == "same"
    assert module.conv.kernel_size == (3, 5) and module.conv.dilation == (2, 1)


def test_layer_seed_is_stable_and_distinct():
    assert layer_seed(0, 0) == 0
    assert layer_seed(1, 2) == 1_000_005
    assert layer_seed(-1, 0) == 2**63 - 1_000_003
    seeds = {layer_seed(s, i) for s in range(5) for i in range(5)}
    assert len(seeds) == 25


def test_same_seed_same_weights_and_global_rng_untouched():
    spec = SeparableSpec(out_channels=8, batch_norm=True)
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = build_layer(spec, 4, seed=7, index=2)
    after = torch.rand(3)
    assert torch.equal(before, after), "building must not advance the global generator"
    b = build_layer(spec, 4, seed=7, index=2)
    assert _same(_state(a), _state(b))
    c = build_layer(spec, 4, seed=8, index=2)
    d = build_layer(spec, 4, seed=7, index=3)
    assert not np.array_equal(_state(a)["depthwise.weight"], _state(c)["depthwise.weight"])
    assert not np.array_equal(_state(a)["depthwise.weight"], _state(d)["depthwise.weight"])


def test_editing_one_layer_keeps_the_others_weights():
    layers = [StandardSpec(out_channels=4), PointwiseSpec(out_channels=6), DepthwiseSpec()]
    edited = [layers[0], PointwiseSpec(out_channels=3), layers[2]]
    a, b = build_stack(layers, 3, seed=1), build_stack(edited, 3, seed=1)
    assert _same(_state(a[0]), _state(b[0]))
    assert not _same(_state(a[1]), _state(b[1]))
    # layer 3 now sees 3 channels instead of 6; its own seed is unchanged, so the filters
    # it still has are the ones it had
    wa, wb = a[2].conv.weight.detach(), b[2].conv.weight.detach()
    assert wa.shape[0] == 6 and wb.shape[0] == 3
    assert torch.equal(wa[:3], wb)


def test_inline_weights_are_applied():
    rgb_to_gray = InlineTensor(shape=(1, 3, 1, 1), values=(0.299, 0.587, 0.114))
    spec = PointwiseSpec(out_channels=1, bias=False, weights=(("weight", rgb_to_gray),))
    module = build_layer(spec, 3)
    weights = layer_weights(module, spec)
    assert list(weights) == ["weight"]
    np.testing.assert_array_equal(
        weights["weight"].ravel(), np.array([0.299, 0.587, 0.114], dtype=np.float32)
    )
    x = torch.rand(1, 3, 4, 4)
    with torch.no_grad():
        y = module(x)
    expected = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    torch.testing.assert_close(y[:, 0], expected)


def test_separable_targets(tmp_path):
    pw = torch.arange(12, dtype=torch.float32).reshape(3, 4, 1, 1)
    path = tmp_path / "w.pt"
    torch.save({"state_dict": {"pw": pw}}, path)
    spec = SeparableSpec(
        out_channels=3,
        weights=(
            ("depthwise.bias", InlineTensor((4,), (1.0, 2.0, 3.0, 4.0))),
            ("pointwise.weight", CheckpointTensor(str(path), "pw")),
        ),
    )
    module = build_layer(spec, 4)
    weights = layer_weights(module, spec)
    assert set(weights) == set(WEIGHT_TARGETS["separable"])
    np.testing.assert_array_equal(weights["pointwise.weight"], pw.numpy())
    np.testing.assert_array_equal(weights["depthwise.bias"], [1, 2, 3, 4])
    assert weights["depthwise.weight"].shape == (4, 1, 3, 3)
    # a copy: changing it does not change the module
    weights["depthwise.bias"][0] = 99
    assert module.depthwise.bias[0].item() == 1.0


@pytest.mark.parametrize(
    ("spec", "in_channels", "needle"),
    [
        (
            PointwiseSpec(out_channels=2, weights=(("weight", InlineTensor((2, 3), (0.0,) * 6)),)),
            3,
            "shape [2, 3, 1, 1], got [2, 3]",
        ),
        (
            PointwiseSpec(
                out_channels=2, weights=(("weight", InlineTensor((2, 3, 1, 1), (0.0,) * 5)),)
            ),
            3,
            "5 values do not fill",
        ),
        (
            PointwiseSpec(
                out_channels=2, bias=False, weights=(("bias", InlineTensor((2,), (0.0, 1.0))),)
            ),
            3,
            "no bias",
        ),
        (
            PointwiseSpec(out_channels=2, weights=(("gamma", InlineTensor((2,), (0.0, 1.0))),)),
            3,
            "unknown target 'gamma'",
        ),
        (
            PointwiseSpec(
                out_channels=2, weights=(("bias", InlineTensor((2,), (0.0, float("nan")))),)
            ),
            3,
            "NaN",
        ),
        (
            SeparableSpec(out_channels=2, weights=(("weight", InlineTensor((2,), (0.0, 1.0))),)),
            3,
            "unknown target 'weight'",
        ),
        (
            StandardSpec(
                out_channels=2, weights=(("weight", CheckpointTensor("/nonexistent/x.pt", "w")),)
            ),
            3,
            "no such file",
        ),
    ],
)
def test_bad_weights_are_refused_naming_layer_and_field(spec, in_channels, needle):
    with pytest.raises(SpecError) as info:
        build_layer(spec, in_channels, index=4)
    err = info.value
    assert err.layer == 4 and err.field == "weights"
    assert needle in str(err)
    assert str(err).startswith(f"layer 5 ({spec.kind}), field 'weights'")


def test_missing_checkpoint_key_lists_what_is_there(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"conv.weight": torch.zeros(2, 3, 1, 1)}, path)
    spec = PointwiseSpec(out_channels=2, weights=(("weight", CheckpointTensor(str(path), "w")),))
    with pytest.raises(SpecError, match=r"has no tensor 'w' \(it has conv.weight\)"):
        build_layer(spec, 3)
