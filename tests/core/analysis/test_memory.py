"""The memory estimate and the limit that guards every run."""

from __future__ import annotations

import pytest
import torch

from explorer.core.analysis.costs import stack_cost
from explorer.core.analysis.memory import (
    ENV_VAR,
    check_memory,
    estimate_run_bytes,
    format_bytes,
    memory_estimate,
    memory_limit_bytes,
)
from explorer.core.errors import ResourceError
from explorer.core.model.specs import PointwiseSpec, SeparableSpec, StandardSpec


def test_limit_default_and_override(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert memory_limit_bytes() == 2 * 1024**3
    monkeypatch.setenv(ENV_VAR, "512")
    assert memory_limit_bytes() == 512 * 1024**2
    monkeypatch.setenv(ENV_VAR, "0.5")
    assert memory_limit_bytes() == 512 * 1024
    for bad in ("lots", "-3", "0", "nan", "inf"):
        monkeypatch.setenv(ENV_VAR, bad)
        with pytest.raises(ResourceError, match=ENV_VAR):
            memory_limit_bytes()


def test_estimate_parts():
    layers = [
        StandardSpec(out_channels=8, kernel_size=3, padding="same"),
        SeparableSpec(out_channels=4, padding="same"),
    ]
    cost = stack_cost((3, 10, 10), layers)
    est = memory_estimate(cost)
    # kept: input 3·100, layer 1 output 8·100, separable depthwise 8·100 + pointwise 4·100
    assert est.activations == cost.activation_bytes == 4 * 100 * (3 + 8 + 8 + 4)
    # biggest temporary: layer 1's conv+BN outputs and its unfolded input (3·3·3 per pixel)
    assert est.temporary == 4 * 100 * (2 * 8 + 27)
    assert est.weights == 2 * 4 * cost.params
    assert est.largest == (0, "conv", (8, 10, 10))
    assert estimate_run_bytes(cost) == est.total == est.activations + est.temporary + est.weights


def test_estimate_bounds_what_torch_allocates():
    """The estimate is at least the bytes of the tensors a run keeps and makes."""
    layers = [
        StandardSpec(out_channels=16, kernel_size=5, padding=2, batch_norm=True, activation="relu"),
        PointwiseSpec(out_channels=32),
    ]
    shape = (3, 64, 48)
    cost = stack_cost(shape, layers)
    x = torch.randn(1, *shape)
    kept = x.numel()
    with torch.no_grad():
        conv = torch.nn.Conv2d(3, 16, 5, padding=2)(x)
        kept += conv.numel() + torch.nn.Conv2d(16, 32, 1)(conv).numel()
    assert estimate_run_bytes(cost) >= 4 * kept + 2 * 4 * cost.params


def test_check_memory_message(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    cost = stack_cost(
        (3, 2160, 3840), [PointwiseSpec(out_channels=64), PointwiseSpec(out_channels=4096)]
    )
    with pytest.raises(ResourceError) as info:
        check_memory(cost)
    text = str(info.value)
    assert "\n" not in text
    assert format_bytes(estimate_run_bytes(cost)) in text
    assert "layer 2 output 4096×2160×3840" in text
    assert "the limit is 2.0 GiB" in text and ENV_VAR in text
    # a tiny stack passes and returns its estimate
    small = stack_cost((3, 8, 8), [PointwiseSpec(out_channels=2)])
    assert check_memory(small).total == estimate_run_bytes(small)
    # an explicit limit wins over the environment
    with pytest.raises(ResourceError, match="the limit is 100 B"):
        check_memory(small, limit_bytes=100)
    monkeypatch.setenv(ENV_VAR, str(10**9))
    check_memory(cost)


def test_separable_largest_names_the_part():
    cost = stack_cost(
        (4, 1000, 1000), [SeparableSpec(out_channels=2, multiplier=64, padding="same")]
    )
    with pytest.raises(ResourceError, match=r"layer 1 depthwise output 256×1000×1000"):
        check_memory(cost, limit_bytes=10**6)


@pytest.mark.parametrize(
    ("n", "text"),
    [(100, "100 B"), (2048, "2 KiB"), (3 * 1024**2, "3.0 MiB"), (int(6.3 * 1024**3), "6.3 GiB")],
)
def test_format_bytes(n, text):
    assert format_bytes(n) == text
