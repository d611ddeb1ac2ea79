"""Checks that need a CUDA device: they run wherever torch sees one and are skipped
elsewhere (``pytest -m gpu`` runs just these). The app picks the GPU by itself
(:func:`explorer.core.compute.run.pick_device`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core.compute.compare import compare_specs, plan_comparison
from explorer.core.compute.run import run_stack
from explorer.core.compute.timing import time_stack
from explorer.core.model.specs import PointwiseSpec, SeparableSpec, StandardSpec

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

LAYERS = [
    StandardSpec(out_channels=8, kernel_size=3, padding=1, batch_norm=True, activation="relu"),
    SeparableSpec(out_channels=16, kernel_size=5, padding="same"),
    PointwiseSpec(out_channels=4),
]


@pytest.fixture
def image():
    return np.random.default_rng(0).random((3, 64, 48)).astype(np.float32)


def test_warm_timing_on_the_gpu_is_synchronised(image):
    timings = time_stack(LAYERS, image, seed=1, warmup=2, repeats=5, device="cuda")
    assert [t.device for t in timings] == ["cuda"] * 3
    assert all(t.threads == 0 and t.median > 0 for t in timings)
    assert "on the GPU" in timings[0].text()


def test_comparison_on_the_gpu_matches_the_cpu(image):
    plan = plan_comparison(LAYERS, 1, 8)
    x = next(r for r in run_stack(LAYERS, image, seed=1, device="cpu") if r.index == 0).output
    x = np.array(x)
    cpu = compare_specs(
        plan.standard, plan.separable, x, seed=1, repeats=2, device="cpu", first_index=plan.first
    )
    gpu = compare_specs(
        plan.standard, plan.separable, x, seed=1, repeats=2, device="cuda", first_index=plan.first
    )
    np.testing.assert_allclose(gpu.standard_output, cpu.standard_output, rtol=2e-2, atol=2e-3)
    np.testing.assert_allclose(gpu.separable_output, cpu.separable_output, rtol=2e-2, atol=2e-3)
    assert gpu.device == "cuda" and "on the GPU" in gpu.summary
