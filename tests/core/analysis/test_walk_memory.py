"""The walk-through's memory guard (issue 16): the estimate bounds what a walk really
allocates (numpy reports to ``tracemalloc``) within 3×, and a walk too big is refused in one
line before anything is computed."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from explorer.core.analysis import walkthrough
from explorer.core.analysis.conv_chain import explained_steps
from explorer.core.analysis.memory import ENV_VAR
from explorer.core.analysis.walk_memory import walk_memory_bytes
from explorer.core.analysis.walkthrough import build_walk
from explorer.core.analysis.walkthrough_types import Region
from explorer.core.errors import ResourceError
from explorer.core.model.specs import default_spec

torch = pytest.importorskip("torch")

from explorer.core.compute.build import build_layer, layer_weights  # noqa: E402

CASES = [
    (default_spec("standard", out_channels=32, kernel_size=3, padding=1), 128),
    (default_spec("standard", out_channels=8, kernel_size=9, padding=4), 96),
    (
        default_spec(
            "separable",
            out_channels=32,
            kernel_size=5,
            padding=2,
            batch_norm=True,
            activation="relu",
        ),
        64,
    ),
    (default_spec("depthwise", kernel_size=7, padding=3), 96),
    (default_spec("pointwise", out_channels=256), 256),
]


def _walk_inputs(spec, channels: int, size: int = 24):
    module = build_layer(spec, channels, seed=0, index=0)
    x = np.random.default_rng(0).random((channels, size, size), dtype=np.float32)
    return x, layer_weights(module, spec)


def _estimate(spec, x, weights, positions: int) -> int:
    chain = explained_steps(spec, int(x.shape[0]), "walk-through")
    w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    return walk_memory_bytes(x.shape, walkthrough._walk_parts(chain, w), positions)


@pytest.mark.parametrize(("spec", "channels"), CASES, ids=[s.kind for s, _ in CASES])
def test_the_estimate_bounds_a_real_walk_within_3x(spec, channels):
    x, weights = _walk_inputs(spec, channels)
    region = Region(0, 0, 16, 16)
    tracemalloc.start()
    try:
        walk = build_walk(spec, x, weights, region=region)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    need = _estimate(spec, x, weights, len(walk.positions))
    assert peak <= need <= 3 * peak, (spec.kind, peak, need)


def test_a_walk_too_big_is_refused_in_one_line(monkeypatch):
    spec, channels = CASES[1]
    x, weights = _walk_inputs(spec, channels)
    region = Region(0, 0, 16, 16)
    need = _estimate(spec, x, weights, 256)
    monkeypatch.setenv(ENV_VAR, str((need - 1) / 1024**2))
    with pytest.raises(ResourceError) as info:
        build_walk(spec, x, weights, region=region)
    text = str(info.value)
    assert "\n" not in text and "walk-through of 256 positions" in text
    assert "choose a smaller region" in text
    monkeypatch.setenv(ENV_VAR, str(need / 1024**2 + 1))
    assert len(build_walk(spec, x, weights, region=region).positions) == 256
