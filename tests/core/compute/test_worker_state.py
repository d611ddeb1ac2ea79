"""Worker code uses no process-global state: seeded construction draws from a local
``torch.Generator`` (same numbers as torch's default init after ``manual_seed``), and
running, building, loading images and checkpoints never touches the warning filters."""

from __future__ import annotations

import math
import threading
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import tomllib
import torch
import torch.nn.functional as F
from torch import nn

from explorer.core.compute.build import build_layer, layer_seed
from explorer.core.compute.local_rng import local_generator
from explorer.core.compute.run import quiet_same_padding, run_stack
from explorer.core.compute.same_padding import SamePaddedConv2d, same_pads
from explorer.core.io.checkpoints import clear_cache, load_state_dict
from explorer.core.io.images import load_image
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, SeparableSpec, StandardSpec
from explorer.core.warning_policy import PYTEST_FILTERS

ROOT = Path(__file__).resolve().parents[3]


def _reference_separable(c_in: int, c_out: int, k: int, seed: int) -> nn.Sequential:
    """What the layer was before: torch's own constructors right after manual_seed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(
            OrderedDict(
                [
                    ("depthwise", nn.Conv2d(c_in, c_in, k, padding=1, groups=c_in)),
                    ("depthwise_bn", nn.BatchNorm2d(c_in)),
                    ("depthwise_act", nn.ReLU()),
                    ("pointwise", nn.Conv2d(c_in, c_out, 1)),
                    ("pointwise_bn", nn.BatchNorm2d(c_out)),
                    ("pointwise_act", nn.ReLU()),
                ]
            )
        )


def test_seeded_weights_equal_torch_default_init_after_manual_seed():
    spec = SeparableSpec(
        out_channels=7, kernel_size=3, padding=1, batch_norm=True, activation="relu"
    )
    ours = build_layer(spec, 5, seed=11, index=3)
    ref = _reference_separable(5, 7, 3, layer_seed(11, 3))
    got, want = ours.state_dict(), ref.state_dict()
    assert list(got) == list(want)
    for key in want:
        assert torch.equal(got[key], want[key]), key


def test_construction_never_touches_the_global_generator(monkeypatch):
    def forbidden(*_a, **_k):
        raise AssertionError("the global torch generator was used")

    torch.manual_seed(5)
    state = torch.random.get_rng_state()
    monkeypatch.setattr(torch, "manual_seed", forbidden)
    monkeypatch.setattr(torch.random, "fork_rng", forbidden)
    for spec in (
        StandardSpec(out_channels=4, batch_norm=True),
        PointwiseSpec(out_channels=3),
        DepthwiseSpec(multiplier=2),
        SeparableSpec(out_channels=6),
    ):
        build_layer(spec, 3, seed=2, index=1)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_parallel_construction_is_deterministic_per_seed():
    """Two threads building at once used to race on the global generator."""
    spec = SeparableSpec(out_channels=16, kernel_size=5, padding=2, batch_norm=True)
    expected = {seed: build_layer(spec, 8, seed=seed).state_dict() for seed in range(4)}
    failures: list[str] = []

    def work(seed: int) -> None:
        for _ in range(15):
            got = build_layer(spec, 8, seed=seed).state_dict()
            if not all(torch.equal(got[k], v) for k, v in expected[seed].items()):
                failures.append(f"seed {seed}")

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_any_module_draws_from_the_local_generator():
    """Not only convolutions: whatever torch's constructors draw (a kind added later)."""

    def make() -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(4, 6, 3),
            nn.Linear(6, 5),
            nn.PReLU(6),
            nn.Conv2d(6, 6, 1, groups=6),
            nn.BatchNorm2d(6),
        )

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(42)
        want = make().state_dict()
    torch.manual_seed(1)
    state = torch.random.get_rng_state()
    with local_generator(42) as generator:
        got = make().state_dict()
        torch.rand(2)  # an explicit call on this thread: local too (global state unchanged)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(got[k], want[k]) for k in want)
    assert generator.initial_seed() == 42


@pytest.mark.parametrize(("k", "d"), [((2, 2), (1, 1)), ((4, 3), (1, 2)), ((3, 2), (2, 3))])
def test_explicit_same_padding_equals_torch_same(k, d):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 3, 9, 10, generator=g)
    conv = nn.Conv2d(3, 4, k, padding="same", dilation=d)
    with quiet_same_padding(), torch.no_grad():  # the reference warns: main thread only
        want = conv(x)
    conv.__class__ = SamePaddedConv2d
    with torch.no_grad():
        got = conv(x)
    assert got.shape == want.shape == (1, 4, 9, 10)
    assert torch.allclose(got, want, atol=1e-6)
    span = [dd * (kk - 1) for kk, dd in zip(k, d, strict=True)]
    assert sum(same_pads(k, d)) == sum(span)


@pytest.fixture
def no_filter_swaps(monkeypatch):
    """Fail if anything calls warnings.catch_warnings / simplefilter / filterwarnings."""

    def forbidden(*_a, **_k):
        raise AssertionError("process-global warning filters touched")

    for name in ("catch_warnings", "simplefilter", "filterwarnings"):
        monkeypatch.setattr(warnings, name, forbidden)


def test_runs_with_even_same_kernels_touch_no_warning_filters(no_filter_swaps):
    layers = [
        StandardSpec(out_channels=4, kernel_size=(2, 4), padding="same"),
        SeparableSpec(out_channels=5, kernel_size=2, padding="same", dilation=3),
        DepthwiseSpec(kernel_size=4, padding="same"),
    ]
    image = np.random.default_rng(0).random((3, 12, 11), dtype=np.float32)
    # under filterwarnings=error a torch warning here would fail the run
    results = list(run_stack(layers, image, seed=3, device="cpu"))
    assert [r.output.shape for r in results] == [(4, 12, 11), (5, 12, 11), (5, 12, 11)]
    # numbers: as plain torch with padding='same' (whose warning is silenced here only)
    x = torch.from_numpy(image)[None]
    conv = build_layer(layers[0], 3, seed=3, index=0).conv
    with torch.no_grad():
        total = [conv.dilation[i] * (conv.kernel_size[i] - 1) for i in (0, 1)]
        padded = F.pad(
            x, [total[1] // 2, total[1] - total[1] // 2, total[0] // 2, total[0] - total[0] // 2]
        )
        want = F.conv2d(padded, conv.weight, conv.bias)
    assert np.allclose(results[0].output, want[0].numpy(), atol=1e-6)
    assert math.isfinite(float(results[-1].output.sum()))


def test_loading_images_and_checkpoints_touches_no_warning_filters(tmp_path, no_filter_swaps):
    from PIL import Image

    path = tmp_path / "x.png"
    Image.fromarray(np.zeros((8, 9, 3), np.uint8)).save(path)
    assert load_image(path, size=8) is not None
    ckpt = tmp_path / "w.pt"
    with torch.no_grad():
        torch.save({"w": torch.ones(2, 3)}, ckpt)
    clear_cache()
    assert torch.equal(load_state_dict(ckpt)["w"], torch.ones(2, 3))


def test_start_up_warning_filters_match_the_test_configuration():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    configured = config["tool"]["pytest"]["ini_options"]["filterwarnings"]
    for entry in PYTEST_FILTERS:
        assert entry in configured
