"""Warm per-layer timing: warm-up runs are not timed, the median and spread are of the
timed runs, each layer runs on its real input, and a run can be stopped."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core.compute.build import build_layer
from explorer.core.compute.run import measure_forward, run_stack
from explorer.core.compute.timing import Timing, layer_timings, sample_forward, time_stack
from explorer.core.model.specs import PointwiseSpec, SeparableSpec, StandardSpec


class Counting(torch.nn.Module):
    """Counts calls and records the input shapes it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(1))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x * self.scale


def test_timing_statistics():
    t = Timing((5.0, 1.0, 2.0, 3.0, 4.0), warmup=2, device="cpu")
    assert t.median == 3.0 and t.minimum == 1.0 and t.maximum == 5.0
    assert t.quartiles == (2.0, 4.0)
    assert t.repeats == 5
    d = t.as_dict()
    assert d["median"] == 3000.0 and d["q1"] == 2000.0 and d["q3"] == 4000.0
    assert "median of 5 runs after 2 warm-ups on the CPU" in t.text()
    assert "on the CPU (1 thread)" in Timing((1.0,), threads=1).text()
    assert Timing((0.5,)).quartiles == (0.5, 0.5)
    with pytest.raises(ValueError):
        Timing(())


def test_sample_forward_warms_up_then_times_each_run():
    module = Counting()
    t = sample_forward(module, np.zeros((2, 4, 4), np.float32), warmup=3, repeats=5)
    assert module.calls == 8 and t.repeats == 5 and t.warmup == 3
    assert all(s > 0 for s in t.samples)
    assert measure_forward(module, torch.zeros(1, 2, 4, 4), warmup=1, repeats=3) > 0
    assert module.calls == 12


def test_sample_forward_stops_when_asked():
    module = Counting()
    asked = []
    t = sample_forward(
        module,
        torch.zeros(1, 1, 2, 2),
        warmup=2,
        repeats=5,
        should_abort=lambda: asked.append(1) or len(asked) > 3,
    )
    assert t is None and module.calls == 3


def test_layer_timings_use_each_layers_real_input(monkeypatch):
    import explorer.core.compute.timing as timing

    seen = []
    real = timing.sample_forward

    def spy(module, x, **kwargs):
        seen.append((module, x.clone()))
        return real(module, x, **kwargs)

    monkeypatch.setattr(timing, "sample_forward", spy)
    image = np.random.default_rng(0).random((3, 12, 10)).astype(np.float32)
    layers = [
        StandardSpec(out_channels=5, kernel_size=3, stride=2, activation="relu"),
        SeparableSpec(out_channels=4, kernel_size=3, padding=1, batch_norm=True),
    ]
    timings = time_stack(layers, image, seed=3, warmup=1, repeats=3)
    assert [t.repeats for t in timings] == [3, 3]
    results = list(run_stack(layers, image, seed=3, device="cpu"))
    # layer 2 was timed on layer 1's real output, with the weights the window shows
    np.testing.assert_allclose(seen[1][1][0].numpy(), results[0].output, atol=1e-6)
    np.testing.assert_allclose(
        seen[1][0][0].weight.detach().numpy(), results[1].weights["depthwise.weight"]
    )


def test_layer_timings_stop_between_layers():
    image = np.zeros((2, 6, 6), np.float32)
    layers = [PointwiseSpec(out_channels=2)] * 3
    calls = []
    got = list(
        layer_timings(
            layers,
            image,
            repeats=1,
            warmup=0,
            should_abort=lambda: calls.append(1) or len(calls) > 2,
        )
    )
    assert [i for i, _ in got] == [0]


def test_warm_time_is_the_median_not_the_first_call():
    """The cold first pass includes set-up; the warm median never exceeds the slowest
    timed run and is a real measurement of the same module."""
    module = build_layer(StandardSpec(out_channels=8, kernel_size=3), 3)
    t = sample_forward(module, torch.zeros(1, 3, 16, 16), warmup=2, repeats=5)
    assert t.minimum <= t.quartiles[0] <= t.median <= t.quartiles[1] <= t.maximum
