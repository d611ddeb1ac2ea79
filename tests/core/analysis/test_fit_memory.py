"""The Fit's memory guard (issue 16): an estimate of a fit's peak, checked before the fit
builds anything; refused fits are one line and leave the stack as it was."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.core.analysis.costs import stack_cost
from explorer.core.analysis.fit_memory import check_fit_memory, fit_memory_estimate
from explorer.core.analysis.memory import ENV_VAR, memory_estimate
from explorer.core.compute import fit as fit_module
from explorer.core.compute.fit import FitOptions, fit_stack
from explorer.core.errors import ResourceError
from explorer.core.model.specs import default_spec

BENCH = Path(__file__).resolve().parents[3] / "benchmarks"

LAYERS = (
    default_spec("standard", out_channels=16, kernel_size=3, padding=1, batch_norm=True),
    default_spec("standard", out_channels=16, kernel_size=3, padding=1, activation="relu"),
    default_spec("pointwise", out_channels=3),
)
SHAPE = (3, 64, 64)


def test_a_fit_needs_more_than_a_run_and_float64_twice_the_tensors():
    cost = stack_cost(SHAPE, LAYERS)
    f32 = fit_memory_estimate(cost)
    f64 = fit_memory_estimate(cost, float64=True)
    run = memory_estimate(cost).total
    # autograd keeps every group's intermediates, where a run keeps one tensor per group
    assert f32.graph > 2 * cost.activation_bytes and f32.total > run
    assert f64.graph == 2 * f32.graph and f64.backward == 2 * f32.backward
    assert f32.first == 0 and f32.prefix == 0
    # Adam keeps two tensors per weight, SGD one
    sgd = fit_memory_estimate(cost, optimizer="sgd")
    assert f32.weights - sgd.weights == cost.params * 4


def test_freezing_the_first_layers_shrinks_the_graph():
    cost = stack_cost(SHAPE, LAYERS)
    full = fit_memory_estimate(cost)
    late = fit_memory_estimate(cost, frozen={0, 1})
    assert late.first == 2 and late.prefix > 0
    assert late.graph < full.graph and late.total < full.total
    assert fit_memory_estimate(cost, frozen={0, 1, 2}).first is None


def test_check_refuses_in_one_line_naming_the_parts_and_the_way_out():
    cost = stack_cost(SHAPE, LAYERS)
    need = fit_memory_estimate(cost, float64=True).total
    assert check_fit_memory(cost, float64=True, limit_bytes=need).total == need
    with pytest.raises(ResourceError) as info:
        check_fit_memory(cost, float64=True, limit_bytes=need - 1)
    text = str(info.value)
    assert "\n" not in text and text.startswith("fitting this stack in float64 needs about")
    assert "kept for the backward pass" in text and "train in float32" in text and ENV_VAR in text


def test_fit_stack_refuses_before_building_anything(monkeypatch):
    """Between a run's estimate and the fit's: the run goes, the fit is refused at once."""
    cost = stack_cost(SHAPE, LAYERS)
    run, fit = memory_estimate(cost).total, fit_memory_estimate(cost).total
    monkeypatch.setenv(ENV_VAR, str((run + fit) / 2 / 1024**2))
    built = []
    monkeypatch.setattr(fit_module, "_build", lambda *a: built.append(a))
    image = np.zeros(SHAPE, np.float32)
    gen = fit_stack(LAYERS, image, np.zeros(cost.output_shape, np.float32), FitOptions(steps=2))
    with pytest.raises(ResourceError, match="fitting this stack needs about"):
        next(gen)
    assert not built
    # frozen first layers: the same fit fits
    monkeypatch.undo()
    monkeypatch.setenv(ENV_VAR, str((run + fit) / 2 / 1024**2))
    late = FitOptions(steps=1, frozen=frozenset({0, 1}))
    steps = list(fit_stack(LAYERS, image, np.zeros(cost.output_shape, np.float32), late))
    assert len(steps) == 1


@pytest.mark.slow
def test_the_estimate_bounds_a_real_fit_within_3x():
    """A real fit's peak resident memory (a subprocess) against the estimate, f32 and f64."""
    sys.path.insert(0, str(BENCH))
    try:
        import bench_fit_memory as bench
    finally:
        sys.path.remove(str(BENCH))
    name, shape, layers, options = bench.CASES[0]
    for float64 in (False, True):
        r = bench.measure(shape, layers, options, float64)
        assert r["valid"], (name, r)
        assert r["measured"] <= r["estimate"] <= 3 * r["measured"], (name, float64, r)
