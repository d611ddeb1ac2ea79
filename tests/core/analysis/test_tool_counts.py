"""The "as other tools count it" numbers, computed by the app's own formulas, equal what
FlopCounterMode, fvcore, thop, ptflops and torchinfo report for the same stack (the tools
are test extras; each test is skipped when its tool is not installed)."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

import numpy as np
import pytest
import torch

from explorer.core.analysis.costs import stack_cost
from explorer.core.analysis.tool_counts import stack_terms, tool_counts
from explorer.core.compute.build import build_stack
from explorer.core.errors import SpecError
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, SeparableSpec, StandardSpec

SHAPE = (3, 14, 12)


def random_stack(rng: np.random.Generator):
    """A runnable random stack of 1-3 layers with random padding, BN, bias, activation."""
    while True:
        layers = []
        for _ in range(rng.integers(1, 4)):
            kind = rng.choice(["standard", "pointwise", "depthwise", "separable"])
            common = {
                "bias": bool(rng.integers(2)),
                "batch_norm": bool(rng.integers(2)),
                "activation": str(rng.choice(["none", "relu", "relu6"])),
            }
            if kind == "pointwise":
                layers.append(PointwiseSpec(out_channels=int(rng.integers(1, 9)), **common))
                continue
            k = int(rng.integers(1, 4))
            geo = {"kernel_size": k, "dilation": int(rng.integers(1, 3))}
            if rng.integers(2):
                geo["padding"] = "same"
            else:
                geo["padding"] = int(rng.integers(0, 2))
                geo["stride"] = int(rng.integers(1, 3))
            if kind == "standard":
                layers.append(StandardSpec(out_channels=int(rng.integers(1, 9)), **geo, **common))
            elif kind == "depthwise":
                layers.append(DepthwiseSpec(multiplier=int(rng.integers(1, 3)), **geo, **common))
            else:
                layers.append(SeparableSpec(out_channels=int(rng.integers(1, 9)), **geo, **common))
        try:
            return layers, stack_cost(SHAPE, layers)
        except SpecError:
            continue


STACKS = [random_stack(np.random.default_rng(seed)) for seed in range(14)]
FIXED = [
    StandardSpec(out_channels=8, kernel_size=3, padding="same", batch_norm=True, activation="relu"),
    SeparableSpec(out_channels=6, kernel_size=3, padding=1, batch_norm=True, activation="relu6"),
]
STACKS.append((FIXED, stack_cost(SHAPE, FIXED)))


def reported(name: str, layers, cost):
    return next(c for c in tool_counts(cost, layers) if c.tool.startswith(name)).value


def model_of(layers):
    """The stack as ordinary torch code has it (what ``conv-explorer code`` writes): the
    app's explicitly padded even-kernel 'same' convolutions become plain ``nn.Conv2d`` again,
    which is what the tools see in a user's model (thop and ptflops look modules up by type)."""
    from torch import nn

    from explorer.core.compute.same_padding import SamePaddedConv2d

    model = build_stack(layers, SHAPE[0], seed=1).eval()
    for sub in model.modules():
        if type(sub) is SamePaddedConv2d:
            sub.__class__ = nn.Conv2d
    return model


@contextlib.contextmanager
def quiet():
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def test_the_stacks_cover_every_term():
    terms = [stack_terms(cost, layers) for layers, cost in STACKS]
    for field in (
        "bias_adds",
        "bn_elements",
        "relu_elements",
        "relu6_elements",
        "same_padding_macs",
    ):
        assert any(getattr(t, field) for t in terms), field
        assert any(not getattr(t, field) for t in terms), field


@pytest.mark.parametrize(("layers", "cost"), STACKS)
def test_flop_counter_mode(layers, cost):
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.inference_mode(), quiet():
        model_of(layers)(torch.zeros(1, *SHAPE))
    assert reported("torch FlopCounterMode", layers, cost) == counter.get_total_flops()
    assert counter.get_total_flops() == 2 * cost.macs


@pytest.mark.parametrize(("layers", "cost"), STACKS)
def test_fvcore(layers, cost):
    nn = pytest.importorskip("fvcore.nn")
    with quiet():
        analysis = nn.FlopCountAnalysis(model_of(layers), torch.zeros(1, *SHAPE))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        total = analysis.total()
    assert reported("fvcore", layers, cost) == total


@pytest.mark.parametrize(("layers", "cost"), STACKS)
def test_thop(layers, cost):
    thop = pytest.importorskip("thop")
    with quiet():
        macs, _ = thop.profile(model_of(layers), inputs=(torch.zeros(1, *SHAPE),), verbose=False)
    assert reported("thop", layers, cost) == int(macs)


@pytest.mark.parametrize(("layers", "cost"), STACKS)
def test_ptflops(layers, cost):
    ptflops = pytest.importorskip("ptflops")
    with quiet():
        macs, _ = ptflops.get_model_complexity_info(
            model_of(layers), SHAPE, as_strings=False, print_per_layer_stat=False
        )
    assert reported("ptflops", layers, cost) == macs


@pytest.mark.parametrize(("layers", "cost"), STACKS)
def test_torchinfo(layers, cost):
    torchinfo = pytest.importorskip("torchinfo")
    with quiet():
        summary = torchinfo.summary(model_of(layers), input_size=(1, *SHAPE), verbose=0)
    assert reported("torchinfo", layers, cost) == summary.total_mult_adds


def test_why_names_the_difference():
    layers = FIXED
    cost = stack_cost(SHAPE, layers)
    counts = {c.tool.split()[0]: c for c in tool_counts(cost, layers)}
    assert "padding='same'" in counts["fvcore"].why and "BatchNorm" in counts["fvcore"].why
    assert counts["fvcore"].reference == "fvcore #69"
    assert "ReLU (2 per element" in counts["ptflops"].why
    plain = [PointwiseSpec(out_channels=4, bias=False)]
    plain_cost = stack_cost(SHAPE, plain)
    for c in tool_counts(plain_cost, plain)[1:]:
        assert c.value == plain_cost.macs and c.why == "equals the app's MACs"
