"""Standard vs separable: the numbers shown are the layers' real outputs, costs and times."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_layer
from explorer.core.compute.compare import compare_blocks, speed_summary, time_layers
from explorer.core.errors import SpecError
from explorer.core.model.specs import PointwiseSpec, SeparableSpec, StandardSpec


def forward(spec, x, seed=0):
    with torch.inference_mode():
        return build_layer(spec, x.shape[0], seed=seed)(torch.from_numpy(x)[None])[0].numpy()


def test_compare_on_an_image():
    image = np.random.default_rng(0).random((8, 12, 16)).astype(np.float32)
    r = compare_blocks(None, 16, 3, image=image, seed=2, repeats=3)
    np.testing.assert_allclose(
        r.standard_output,
        forward(StandardSpec(out_channels=16, kernel_size=3, padding="same"), image, 2),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        r.separable_output,
        forward(SeparableSpec(out_channels=16, kernel_size=3, padding="same"), image, 2),
        atol=1e-5,
    )
    assert r.standard_output.shape == r.separable_output.shape == (16, 12, 16)
    std = stack_cost(image.shape, [r.standard]).layers[0]
    assert (r.standard_cost.macs, r.standard_cost.params) == (std.macs, std.params)
    assert r.standard_cost.macs == 12 * 16 * 16 * 8 * 9
    assert r.separable_cost.macs == 12 * 16 * (8 * 9 + 16 * 8)
    assert r.macs_ratio == pytest.approx(1 / 16 + 1 / 9) == pytest.approx(r.formula_ratio)
    assert r.standard_seconds > 0 and r.separable_seconds > 0 and r.device == "cpu"
    assert r.speedup == pytest.approx(r.standard_seconds / r.separable_seconds)
    assert f"{r.mac_reduction:.1f}× fewer MACs" in r.summary


def test_random_input_is_seeded_and_stride_works():
    a = compare_blocks((4, 10, 10), 8, 3, stride=2, padding=1, seed=1, repeats=1)
    b = compare_blocks((4, 10, 10), 8, 3, stride=2, padding=1, seed=1, repeats=1)
    np.testing.assert_array_equal(a.standard_output, b.standard_output)
    assert a.standard_output.shape == (8, 5, 5)


def test_bad_requests_are_spec_errors():
    with pytest.raises(SpecError, match="padding"):
        compare_blocks((4, 10, 10), 8, 3, stride=2, repeats=1)
    with pytest.raises(SpecError, match="does not match"):
        compare_blocks((3, 10, 10), 8, 3, image=np.zeros((4, 10, 10)), repeats=1)
    with pytest.raises(SpecError, match="kernel"):
        compare_blocks((4, 2, 2), 8, 5, padding=0, repeats=1)


@pytest.mark.parametrize(
    "reduction,speedup,words",
    [
        (8.4, 7.9, "8.4× fewer MACs and 7.90× faster here on the CPU"),
        (8.4, 2.1, "8.4× fewer MACs, but only 2.10× faster here on the CPU: depthwise and 1×1"),
        (8.4, 1.0, "yet about as fast here on the CPU (separable equally fast (1.00×))"),
        (8.4, 0.5, "yet 2.00× slower here on the CPU"),
        (8.4, 1 / 1.04, "yet about as fast here on the CPU (separable 1.04× slower)"),
        (8.4, 1 / 1.06, "yet 1.06× slower here on the CPU"),
        (8.4, 1 / 1.1, "yet 1.10× slower here on the CPU"),
    ],
)
def test_summary_states_the_truth(reduction, speedup, words):
    assert words in speed_summary(reduction, speedup, "cpu")
    assert "on the GPU" in speed_summary(reduction, speedup, "cuda:0")


def test_time_layers_times_each_layer_on_its_real_input(monkeypatch):
    """Each layer is measured on the previous layer's output (no timing asserted: wall
    clock comparisons are flaky on a shared machine; benchmarks/ measures speed)."""
    import explorer.core.compute.timing as timing

    seen = []

    def fake_sample(module, x, *, warmup=2, repeats=7, should_abort=None):
        seen.append((type(module[0]).__name__, tuple(x.shape), repeats))
        return timing.Timing((0.001 * len(seen),) * repeats, warmup=warmup)

    monkeypatch.setattr(timing, "sample_forward", fake_sample)
    image = np.random.default_rng(0).random((5, 12, 10)).astype(np.float32)
    layers = [
        StandardSpec(out_channels=7, kernel_size=3, stride=2),
        PointwiseSpec(out_channels=1),
    ]
    seconds = time_layers(layers, image, seed=0, repeats=3)
    assert seconds == [0.001, 0.002]
    assert seen == [("Conv2d", (1, 5, 12, 10), 3), ("Conv2d", (1, 7, 5, 4), 3)]


def test_plan_compares_each_kind_as_it_is():
    from explorer.core.compute.compare import plan_comparison
    from explorer.core.model.specs import DepthwiseSpec

    sep = SeparableSpec(
        out_channels=9,
        kernel_size=5,
        stride=2,
        padding=2,
        dilation=1,
        batch_norm=True,
        activation="relu6",
        bias=False,
    )
    plan = plan_comparison([sep], 0, 4)
    assert plan.separable == (sep,) and plan.first == 0
    std = plan.standard
    assert (
        std.out_channels,
        std.kernel_size,
        std.stride,
        std.padding,
        std.batch_norm,
        std.activation,
        std.bias,
    ) == (9, (5, 5), (2, 2), (2, 2), True, "relu6", False)
    dw = DepthwiseSpec(kernel_size=3, stride=2, padding=1, dilation=1, activation="relu")
    pw = PointwiseSpec(out_channels=7, batch_norm=True)
    for index in (0, 1):
        plan = plan_comparison([dw, pw], index, 3)
        assert plan.first == 0 and plan.separable == (dw, pw)
        assert (plan.standard.out_channels, plan.standard.stride, plan.standard.batch_norm) == (
            7,
            (2, 2),
            True,
        )
    conv = StandardSpec(out_channels=6, kernel_size=3, stride=2, dilation=2, padding=2)
    plan = plan_comparison([conv], 0, 3)
    assert plan.standard == conv and plan.separable[0].dilation == (2, 2)
    changed = plan.with_changes(12, 5)
    assert changed.standard.out_channels == changed.separable[0].out_channels == 12
    assert changed.standard.kernel_size == (5, 5) and changed.standard.stride == (2, 2)


def test_plan_for_a_layer_of_another_kind_compares_3x3_convs_on_its_input():
    """A pool, an activation or a block selected (Tools ▸ Compare…) used to fail an
    ``assert``; now it compares 3×3 convs on that layer's input, to its output channels."""
    from explorer.core.compute.compare import compare_specs, plan_comparison
    from explorer.core.model.specs import default_spec

    layers = [StandardSpec(out_channels=6, kernel_size=3, padding=1)]
    layers += [default_spec(kind) for kind in ("maxpool", "activation", "block")]
    image = np.random.default_rng(2).random((6, 8, 8)).astype(np.float32)
    for index in (1, 2, 3):
        plan = plan_comparison(layers, index, 6)
        assert plan.first == index and plan.standard.out_channels == 6
        assert plan.standard.kernel_size == plan.separable[0].kernel_size == (3, 3)
        assert f"layer {index + 1}'s input, to its 6 output channels" in plan.description
        r = compare_specs(plan.standard, plan.separable, image, repeats=1)
        assert r.standard_output.shape == r.separable_output.shape == (6, 8, 8)


def test_compare_specs_runs_the_pair_as_two_layers():
    from explorer.core.compute.compare import compare_specs, plan_comparison
    from explorer.core.compute.run import run_stack
    from explorer.core.model.specs import DepthwiseSpec

    dw = DepthwiseSpec(kernel_size=3, padding=1, activation="relu")
    pw = PointwiseSpec(out_channels=5, batch_norm=True)
    image = np.random.default_rng(1).random((3, 9, 9)).astype(np.float32)
    plan = plan_comparison([dw, pw], 0, 3)
    r = compare_specs(plan.standard, plan.separable, image, seed=4, repeats=2)
    stack = list(run_stack([dw, pw], image, seed=4, device="cpu"))
    np.testing.assert_allclose(r.separable_output, stack[1].output, atol=1e-5)
    cost = stack_cost(image.shape, [dw, pw])
    assert r.separable_cost.macs == cost.macs and r.separable_cost.params == cost.params
    assert r.standard_timing.repeats == r.separable_timing.repeats == 2
    assert r.speed_words in r.summary  # the headline uses the detail's rounding
