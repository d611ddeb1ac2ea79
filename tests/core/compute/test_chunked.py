"""A convolution computed in blocks equals the unsplit torch op, and stops when asked."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from explorer.core.compute.chunked import Aborted, chunk_plan, chunked_conv2d, run_part
from explorer.core.compute.run import quiet_same_padding

CASES = [
    # c_in, c_out, kernel, stride, padding, dilation, groups, bias, size
    (3, 8, 3, 1, 1, 1, 1, True, (17, 23)),
    (3, 5, (7, 4), (2, 3), (3, 0), (1, 2), 1, False, (29, 31)),
    (6, 6, 5, 1, "same", 2, 6, True, (20, 21)),  # depthwise, 'same'
    (4, 8, 4, 1, "same", 1, 2, True, (19, 18)),  # even kernel: asymmetric 'same'
    (8, 12, 3, 2, 2, 1, 4, True, (25, 25)),
    (3, 2, 15, 1, "valid", 1, 1, True, (40, 33)),
    (5, 7, 1, 1, 0, 1, 1, True, (30, 30)),  # pointwise
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("budget", [1, 500, 20_000])
def test_blocks_equal_the_unsplit_convolution(case, budget):
    c_in, c_out, k, s, p, d, g, bias, (h, w) = case
    torch.manual_seed(0)
    conv = nn.Conv2d(c_in, c_out, k, s, p, d, g, bias=bias)
    x = torch.randn(1, c_in, h, w)
    calls = []
    with torch.inference_mode(), quiet_same_padding():
        want = conv(x)
        got = chunked_conv2d(conv, x, lambda: calls.append(1) and False, budget=budget, adapt=False)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    if budget == 1:
        assert len(calls) > 2  # it really ran in blocks


def test_run_part_applies_bn_and_activation_after_the_blocks():
    torch.manual_seed(1)
    part = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU6()).eval()
    x = torch.randn(1, 3, 16, 16)
    with torch.inference_mode():
        torch.testing.assert_close(run_part(part, x, None, budget=100), part(x))


def test_abort_between_blocks():
    conv = nn.Conv2d(3, 4, 9)
    x = torch.randn(1, 3, 64, 64)
    seen = []

    def stop() -> bool:
        seen.append(1)
        return len(seen) >= 3

    with torch.inference_mode(), pytest.raises(Aborted):
        chunked_conv2d(conv, x, stop, budget=1000, adapt=False)
    assert len(seen) == 3


def test_small_convolutions_run_unsplit():
    conv = nn.Conv2d(3, 4, 3)
    with torch.inference_mode():
        chunked_conv2d(conv, torch.randn(1, 3, 8, 8), lambda: pytest.fail("checked"))


def test_chunk_plan():
    assert chunk_plan(units=4, rows=100, unit_row_macs=10, budget=400) == (4, 10)
    assert chunk_plan(units=4, rows=100, unit_row_macs=1000, budget=2500) == (4, 1)
    assert chunk_plan(units=100, rows=100, unit_row_macs=1000, budget=1000) == (40, 1)
    assert chunk_plan(units=4, rows=100, unit_row_macs=10**9, budget=10) == (1, 1)


def test_run_stack_stops_inside_one_long_layer_and_equals_torch():
    import numpy as np

    from explorer.core.compute.build import build_layer
    from explorer.core.compute.run import run_stack
    from explorer.core.io.inputs import random_input
    from explorer.core.model.specs import default_spec

    spec = default_spec("standard", out_channels=8, kernel_size=(31, 31), padding="same")
    image = random_input((3, 96, 96), seed=3)
    calls = []

    def abort_on_third() -> bool:
        calls.append(1)
        return len(calls) >= 3  # 1: before the layer; 2, 3: between its blocks

    assert list(run_stack([spec], image, should_abort=abort_on_third, device="cpu")) == []
    assert len(calls) == 3
    # uninterrupted, the blocks give what torch's own module gives
    (result,) = run_stack([spec], image, device="cpu")
    module = build_layer(spec, 3, seed=0, index=0)
    with torch.inference_mode():
        want = module(torch.from_numpy(image)[None])[0].numpy()
    np.testing.assert_allclose(result.output, want, rtol=1e-5, atol=1e-5)


def test_adaptive_blocks_equal_the_unsplit_convolution():
    torch.manual_seed(2)
    conv = nn.Conv2d(4, 6, 5, stride=(1, 2), padding=2, dilation=(2, 1))
    x = torch.randn(1, 4, 50, 40)
    with torch.inference_mode():
        torch.testing.assert_close(
            chunked_conv2d(conv, x, lambda: False, budget=1), conv(x), rtol=1e-5, atol=1e-5
        )
