"""run_stack: equal to a direct torch forward, abortable, cached, guarded by the memory limit."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
import torch

from explorer.core.analysis.memory import ENV_VAR
from explorer.core.compute.build import build_stack, layer_weights
from explorer.core.compute.run import (
    LayerCache,
    measure_forward,
    pick_device,
    quiet_same_padding,
    run_stack,
)
from explorer.core.errors import ResourceError, SpecError
from explorer.core.model.specs import (
    CheckpointTensor,
    DepthwiseSpec,
    PointwiseSpec,
    SeparableSpec,
    StandardSpec,
)

LAYERS = [
    StandardSpec(
        out_channels=6, kernel_size=(3, 2), padding="same", batch_norm=True, activation="relu"
    ),
    SeparableSpec(
        out_channels=5, stride=2, padding=1, multiplier=2, batch_norm=True, activation="relu6"
    ),
    DepthwiseSpec(kernel_size=3, dilation=2, padding=2),
    PointwiseSpec(out_channels=4, bias=False),
]


@pytest.fixture
def image() -> np.ndarray:
    return np.random.default_rng(0).random((3, 17, 22), dtype=np.float32)


def _direct(layers, image, seed):
    module = build_stack(layers, image.shape[0], seed=seed)
    outs = []
    x = torch.from_numpy(image)[None]
    with torch.no_grad(), quiet_same_padding():
        for layer in module:
            x = layer(x)
            outs.append(x[0].numpy())
    return module, outs


def test_results_equal_a_direct_forward(image):
    results = list(run_stack(LAYERS, image, seed=4, device="cpu"))
    module, outs = _direct(LAYERS, image, 4)
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.kind for r in results] == [s.kind for s in LAYERS]
    for result, out, layer, spec in zip(results, outs, module, LAYERS, strict=True):
        assert result.output.dtype == np.float32 and result.output.ndim == 3
        np.testing.assert_allclose(result.output, out, rtol=1e-5, atol=1e-6)
        assert not result.cached and result.seconds >= 0
        expected = layer_weights(layer, spec)
        assert result.weights.keys() == expected.keys()
        for k in expected:
            np.testing.assert_array_equal(result.weights[k], expected[k])
    sep = results[1]
    assert list(sep.parts) == ["depthwise", "pointwise"]
    assert sep.parts["depthwise"].shape == (12, 9, 11)
    assert sep.parts["pointwise"] is sep.output
    # the depthwise part went through BN and ReLU6
    assert sep.parts["depthwise"].min() >= 0 and sep.parts["depthwise"].max() <= 6
    assert list(results[0].parts) == ["conv"] and list(results[3].parts) == ["pointwise"]
    assert not results[0].output.flags.writeable


def test_abort_stops_between_layers(image):
    calls = []

    def should_abort() -> bool:
        calls.append(1)
        return len(calls) > 2

    results = list(run_stack(LAYERS, image, should_abort=should_abort, device="cpu"))
    assert [r.index for r in results] == [0, 1]
    assert list(run_stack(LAYERS, image, should_abort=lambda: True, device="cpu")) == []


def test_cache_reuses_the_unchanged_prefix(image):
    cache = LayerCache()
    first = list(run_stack(LAYERS, image, cache=cache, device="cpu"))
    assert len(cache) == 4 and cache.misses == 4
    edited = [*LAYERS[:2], dataclasses.replace(LAYERS[2], kernel_size=(5, 5)), LAYERS[3]]
    second = list(run_stack(edited, image, cache=cache, device="cpu"))
    assert [r.cached for r in second] == [True, True, False, False]
    assert second[0].output is first[0].output
    _, outs = _direct(edited, image, 0)
    np.testing.assert_allclose(second[3].output, outs[3], rtol=1e-5, atol=1e-6)
    # same again: everything from the cache
    assert all(r.cached for r in run_stack(edited, image, cache=cache, device="cpu"))
    # another seed, another image: nothing reused
    assert not any(r.cached for r in run_stack(edited, image, seed=1, cache=cache, device="cpu"))
    changed = image.copy()
    changed[0, 0, 0] += 0.5
    assert not any(r.cached for r in run_stack(edited, changed, cache=cache, device="cpu"))


def test_cache_is_bounded(image):
    cache = LayerCache(max_entries=3)
    list(run_stack(LAYERS, image, cache=cache, device="cpu"))
    assert len(cache) == 3
    one = next(run_stack(LAYERS[:1], image, device="cpu"))
    small = LayerCache(max_bytes=one.nbytes * 2)
    list(run_stack(LAYERS, image, cache=small, device="cpu"))
    assert 0 < small.nbytes <= one.nbytes * 2


def test_cache_notices_a_changed_checkpoint(tmp_path, image):
    path = tmp_path / "w.pt"
    torch.save({"w": torch.ones(2, 3, 1, 1)}, path)
    layers = [
        PointwiseSpec(
            out_channels=2, bias=False, weights=(("weight", CheckpointTensor(str(path), "w")),)
        )
    ]
    cache = LayerCache()
    (a,) = run_stack(layers, image, cache=cache, device="cpu")
    np.testing.assert_allclose(a.output[0], image.sum(axis=0), rtol=1e-5)
    torch.save({"w": 2 * torch.ones(2, 3, 1, 1)}, path)
    os.utime(path, ns=(10**9, 10**9))
    (b,) = run_stack(layers, image, cache=cache, device="cpu")
    assert not b.cached
    np.testing.assert_allclose(b.output[0], 2 * image.sum(axis=0), rtol=1e-5)


def test_invalid_stack_and_memory_limit_refused_before_running(image, monkeypatch):
    ran = []
    with pytest.raises(SpecError) as info:
        next(run_stack([StandardSpec(kernel_size=30)], image, should_abort=lambda: ran.append(1)))
    assert info.value.layer == 0 and not ran
    monkeypatch.setenv(ENV_VAR, "0.01")
    with pytest.raises(ResourceError, match="the limit is 10 KiB"):
        next(run_stack(LAYERS, image, should_abort=lambda: ran.append(1)))
    assert not ran


def test_no_torch_mode_leaks_into_the_consumer(image):
    for _ in run_stack(LAYERS, image, device="cpu"):
        assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


def test_pick_device_and_measure_forward(image):
    assert pick_device() == ("cuda" if torch.cuda.is_available() else "cpu")
    module = build_stack(LAYERS[:2], 3)
    seconds = measure_forward(module, image, warmup=1, repeats=3)
    assert 0 < seconds < 5
    assert measure_forward(module, torch.from_numpy(image)[None], repeats=1) > 0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_results_match_cpu(image):
    cpu = list(run_stack(LAYERS, image, device="cpu"))
    gpu = list(run_stack(LAYERS, image, device="cuda"))
    for a, b in zip(cpu, gpu, strict=True):
        assert b.output.dtype == np.float32
        np.testing.assert_allclose(a.output, b.output, rtol=2e-2, atol=2e-3)


def test_image_key_of_a_read_only_image_is_remembered_and_right():
    from explorer.core.compute.run import _hash_image, _image_key

    image = np.random.default_rng(0).random((3, 8, 8)).astype(np.float32)
    image.flags.writeable = False
    assert _image_key(image) == _image_key(image) == _hash_image(image)
    other = image.copy()
    other[0, 0, 0] += 1
    other.flags.writeable = False
    assert _image_key(other) != _image_key(image)
    writable = image.copy()
    key = _image_key(writable)
    writable[0, 0, 0] += 1  # a writable array is hashed every time
    assert _image_key(writable) != key
