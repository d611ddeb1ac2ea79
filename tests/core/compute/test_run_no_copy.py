"""A layer served from the cache feeds the next layer without copying its output."""

from __future__ import annotations

import numpy as np

from explorer.core.compute.run import LayerCache, _to_tensor, run_stack
from explorer.core.model.specs import PointwiseSpec, SeparableSpec

LAYERS = [
    SeparableSpec(out_channels=8, padding="same", batch_norm=True, activation="relu"),
    PointwiseSpec(out_channels=4),
]


def _image() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((3, 16, 20), dtype=np.float32)


def test_a_cached_output_goes_on_as_its_own_tensor():
    cache = LayerCache()
    list(run_stack(LAYERS, _image(), cache=cache, device="cpu"))
    edited = [LAYERS[0], PointwiseSpec(out_channels=5)]
    hit, fresh = run_stack(edited, _image(), cache=cache, device="cpu")
    assert hit.cached and not fresh.cached
    tensor = _to_tensor(hit.output)
    assert tensor.data_ptr() == hit.output.ctypes.data  # the same memory, no copy
    assert not hit.output.flags.writeable
    uncached = list(run_stack(edited, _image(), device="cpu"))
    np.testing.assert_allclose(fresh.output, uncached[1].output, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(hit.output, uncached[0].output)  # the input was not changed


def test_other_read_only_arrays_are_copied():
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    array.flags.writeable = False
    tensor = _to_tensor(array)
    assert tensor.data_ptr() != array.ctypes.data
    np.testing.assert_array_equal(tensor.numpy(), array)
    view = _to_tensor(np.asarray(tensor)[:, :2])  # a view of a tensor, not the whole tensor
    np.testing.assert_array_equal(view.numpy(), array[:, :2])
