"""Per-channel ranges of feature maps (computed on the worker with each result)."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.analysis.map_ranges import channel_ranges
from explorer.core.compute.run import LayerCache, run_stack
from explorer.core.model.specs import default_spec


def test_ranges_are_each_channels_finite_min_and_max():
    rng = np.random.default_rng(3)
    maps = rng.standard_normal((4, 5, 6)).astype(np.float32)
    maps[1, 2, 3] = np.nan
    maps[2, 0, 0] = np.inf
    maps[3] = np.nan  # nothing finite
    ranges = channel_ranges(maps)
    for ch in range(3):
        finite = maps[ch][np.isfinite(maps[ch])]
        assert tuple(ranges.low_high[ch]) == (finite.min(), finite.max())
    assert np.isnan(ranges.low_high[3]).all()
    assert ranges.finite.tolist() == [True, False, False, False]
    assert not ranges.low_high.flags.writeable and not ranges.finite.flags.writeable


def test_a_2d_map_is_one_channel():
    ranges = channel_ranges(np.array([[1.0, -2.0], [3.0, 0.5]]))
    assert ranges.low_high.tolist() == [[-2.0, 3.0]]


@pytest.mark.parametrize("cached", [False, True])
def test_every_result_carries_the_ranges_of_each_of_its_parts(cached):
    layers = (default_spec("standard", out_channels=3), default_spec("separable", out_channels=4))
    image = np.random.default_rng(0).standard_normal((2, 9, 9)).astype(np.float32)
    cache = LayerCache()
    results = list(run_stack(layers, image, cache=cache))
    if cached:
        results = list(run_stack(layers, image, cache=cache))
        assert all(r.cached for r in results)
    for result in results:
        assert set(result.ranges) == set(result.parts)
        for name, maps in result.parts.items():
            expected = channel_ranges(maps)
            np.testing.assert_array_equal(result.ranges[name].low_high, expected.low_high)
            np.testing.assert_array_equal(result.ranges[name].finite, expected.finite)
