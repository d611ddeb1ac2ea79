"""The memory estimate and the limit that guards every run."""

from __future__ import annotations

import math

import numpy as np
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


# ---- the zero-padded copy of the input (s9d) ----------------------------------------------
# A monkey run met "DefaultCPUAllocator: can't allocate memory: you tried to allocate
# 465082160640 bytes" in F.pad: 'same' padding of an even kernel with dilation ~1000 pads
# ~200,000 rows and columns, which the estimate did not count (it passed under 2 GiB).


def _pads_made(monkeypatch) -> list[int]:
    """Record the values of every tensor ``F.pad`` makes from now on."""
    import torch.nn.functional as F  # noqa: N812

    made: list[int] = []
    real = F.pad

    def recording(*args, **kwargs):
        out = real(*args, **kwargs)
        made.append(out.numel())
        return out

    monkeypatch.setattr(F, "pad", recording)
    return made


@pytest.mark.parametrize(
    "spec",
    [
        # 'same' with an odd span (2×2 kernel): padded explicitly, 511 + 512 rows
        StandardSpec(out_channels=2, kernel_size=(2, 2), dilation=(511, 511), padding="same"),
        SeparableSpec(out_channels=2, kernel_size=(2, 2), dilation=(301, 301), padding="same"),
        # asymmetric padding: a ZeroPad2d before the conv
        StandardSpec(
            out_channels=2, kernel_size=(3, 3), dilation=(300, 300), padding=(300, 299, 300, 299)
        ),
        # a convolution of more than BLOCKED_CONV_MACS runs in blocks on a padded copy
        StandardSpec(out_channels=256, kernel_size=(5, 5), padding=(2, 2)),
    ],
    ids=["same-odd-span", "separable-same", "asymmetric", "blocked"],
)
def test_the_estimate_counts_the_padded_copy_torch_makes(monkeypatch, spec):
    from explorer.core.analysis.memory import BLOCKED_CONV_MACS, padded_copy
    from explorer.core.compute.run import run_stack

    shape = (8, 48, 48)
    cost = stack_cost(shape, [spec])
    padded = [padded_copy(p) for p in cost.layers[0].parts]
    assert any(padded)
    est = memory_estimate(cost)
    made = _pads_made(monkeypatch)
    image = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    (result,) = run_stack([spec], image, seed=0, device="cpu")
    assert result.output.shape == cost.layers[0].output_shape
    assert made, "torch padded no copy: the estimate's rule is wrong"
    assert max(made) == max(math.prod(p) for p in padded if p)  # exactly that copy
    assert est.temporary >= 4 * max(made)
    assert est.temporary_at is not None and est.temporary_at[2] is not None
    if spec.kind == "standard" and spec.padding == (2, 2):
        assert cost.layers[0].macs > BLOCKED_CONV_MACS


def test_padding_torch_does_inside_the_convolution_is_not_counted(monkeypatch):
    from explorer.core.analysis.memory import padded_copy
    from explorer.core.compute.run import run_stack

    spec = StandardSpec(out_channels=4, kernel_size=(3, 3), dilation=(200, 200), padding="same")
    cost = stack_cost((3, 32, 32), [spec])
    assert padded_copy(cost.layers[0].parts[0]) is None
    made = _pads_made(monkeypatch)
    list(run_stack([spec], np.zeros((3, 32, 32), np.float32), device="cpu"))
    assert made == []


def test_a_huge_padded_copy_is_refused_naming_the_layer(monkeypatch):
    """The monkey's case: it passed the old estimate (about 1.9 GiB) under the 2 GiB limit."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    layers = [
        PointwiseSpec(out_channels=3),
        StandardSpec(out_channels=4, kernel_size=(194, 194), dilation=(1023, 1023), padding="same"),
    ]
    cost = stack_cost((3, 64, 64), layers)
    with pytest.raises(ResourceError) as info:
        check_memory(cost)
    text = str(info.value)
    assert "\n" not in text
    assert "layer 2 zero-padded input 3×197503×197503" in text  # 64 + 1023·193 rows
    est = memory_estimate(cost)
    assert est.temporary >= 4 * 3 * 197503**2
    assert est.temporary_at == (1, "conv", (3, 197503, 197503))


def test_blocked_threshold_is_the_chunked_runs():
    from explorer.core.analysis.memory import BLOCKED_CONV_MACS
    from explorer.core.compute.chunked import CHUNK_MACS

    assert BLOCKED_CONV_MACS == 2 * CHUNK_MACS
