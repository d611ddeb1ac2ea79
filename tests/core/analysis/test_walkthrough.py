"""The walk-through's numbers equal torch's, at every step, for every kind of layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer.core.analysis.walkthrough import Region, build_walk, default_region
from explorer.core.compute.build import build_layer, part_modules
from explorer.core.compute.run import quiet_same_padding, run_stack
from explorer.core.errors import SpecError
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, SeparableSpec, StandardSpec

torch.set_num_threads(1)

CASES = {
    "standard s2 p1 d2": (
        StandardSpec(out_channels=5, kernel_size=3, stride=2, padding=1, dilation=2),
        3,
    ),
    "standard groups bn relu": (
        StandardSpec(
            out_channels=6,
            kernel_size=(3, 2),
            padding=(1, 0),
            groups=2,
            batch_norm=True,
            activation="relu",
        ),
        4,
    ),
    "standard many channels": (
        StandardSpec(out_channels=3, kernel_size=3, padding="same", bias=False),
        30,
    ),
    "depthwise m2 s2 p2 d2": (
        DepthwiseSpec(
            kernel_size=3, stride=2, padding=2, dilation=2, multiplier=2, activation="relu6"
        ),
        3,
    ),
    "depthwise wide": (DepthwiseSpec(kernel_size=3, padding="same", batch_norm=True), 20),
    "pointwise s2 bn relu6": (
        PointwiseSpec(out_channels=7, stride=2, batch_norm=True, activation="relu6"),
        5,
    ),
    "pointwise wide": (PointwiseSpec(out_channels=40, bias=False), 3),
    "separable same bn relu": (
        SeparableSpec(
            out_channels=4,
            kernel_size=3,
            padding="same",
            multiplier=2,
            batch_norm=True,
            activation="relu",
        ),
        3,
    ),
    "separable s2 p0": (SeparableSpec(out_channels=5, kernel_size=5, stride=2), 3),
    "separable d2 p2 relu6": (
        SeparableSpec(out_channels=3, kernel_size=3, padding=2, dilation=2, activation="relu6"),
        2,
    ),
}


def _random_case(seed: int):
    """A standard layer with drawn stride, padding, dilation and groups."""
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2, 3]))
    return StandardSpec(
        out_channels=groups * int(rng.integers(1, 3)),
        kernel_size=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
        stride=(int(rng.integers(1, 3)), int(rng.integers(1, 3))),
        padding=(int(rng.integers(0, 3)), int(rng.integers(0, 3))),
        dilation=(int(rng.integers(1, 3)), int(rng.integers(1, 3))),
        groups=groups,
        bias=bool(rng.integers(0, 2)),
        batch_norm=bool(rng.integers(0, 2)),
        activation=str(rng.choice(["none", "relu", "relu6"])),
    ), groups * 2


CASES.update({f"random standard {seed}": _random_case(seed) for seed in range(8)})


def _input(channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((channels, 13, 14)) * 2).astype(np.float32)


def _torch_parts(spec, x: np.ndarray):
    """Each part's conv output alone, with BN, and with BN + activation, from torch."""
    module = build_layer(spec, x.shape[0], seed=3, index=0).double()
    t = torch.from_numpy(x.astype(np.float64))[None]
    out = {}
    with torch.no_grad(), quiet_same_padding():
        for name, part in part_modules(module, spec):
            children = list(part.children())
            conv = children[0]
            stages = {"conv": conv(t)}
            y = stages["conv"]
            for child in children[1:]:
                y = child(y)
                stages["bn" if isinstance(child, torch.nn.BatchNorm2d) else "activation"] = y
            out[name] = (conv, t, {k: v[0].numpy() for k, v in stages.items()})
            t = y
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_every_step_equals_torch(name):
    spec, channels = CASES[name]
    x = _input(channels)
    (result,) = run_stack([spec], x, seed=3, device="cpu")
    size = x.shape[1:]
    c_out = result.output.shape[0]
    chosen = c_out - 1
    walk = build_walk(
        spec, x, result.weights, region=default_region(spec, size, 6), out_channel=chosen
    )
    parts = _torch_parts(spec, x)
    assert walk.out_shape == result.output.shape
    assert len(walk.positions) >= 4
    outputs = [s for s in walk.steps if s.phase == "output"]
    assert len(outputs) == len(walk.positions)
    for step in outputs:  # the result drawn at each position is the runner's output there
        np.testing.assert_allclose(
            step.values, result.output[:, step.row, step.col], rtol=1e-4, atol=1e-5
        )
        assert step.running == pytest.approx(
            float(result.output[chosen, step.row, step.col]), rel=1e-4, abs=1e-5
        )
    checked = {"window": 0, "matrix": 0, "bias": 0, "bn": 0, "activation": 0}
    for step in walk.steps:
        conv, t_in, stages = parts[step.part]
        r, c = step.row, step.col
        before_bias = stages["conv"] - (
            0 if conv.bias is None else conv.bias.detach().numpy()[:, None, None]
        )
        if step.phase in ("bias", "bn", "activation"):
            np.testing.assert_allclose(
                step.values,
                stages["conv" if step.phase == "bias" else step.phase][:, r, c],
                atol=1e-9,
            )
        elif step.phase == "matrix":
            rows = list(step.channels)
            np.testing.assert_allclose(step.values[rows], before_bias[rows, r, c], atol=1e-9)
        elif step.phase == "window" and step.part == "conv" and spec.kind == "standard":
            # running sum over the input channels so far, computed by torch on those alone
            o = step.out_channel
            read = list(step.read_channels)
            upto = read.index(step.channels[-1]) + 1
            with quiet_same_padding():
                partial = F.conv2d(
                    t_in[:, read[:upto]],
                    conv.weight[o : o + 1, :upto],
                    stride=conv.stride,
                    padding=conv.padding,
                    dilation=conv.dilation,
                )[0, 0, r, c].item()
            assert step.running == pytest.approx(partial, abs=1e-9)
            assert step.products.sum() == pytest.approx(
                float((step.window * step.kernel).sum()), abs=1e-12
            )
        elif step.phase == "window":  # depthwise: each channel its own value
            done = ~np.isnan(step.values)
            np.testing.assert_allclose(step.values[done], before_bias[done, r, c], atol=1e-9)
        checked[step.phase] = checked.get(step.phase, 0) + 1
    assert checked["window"] + checked["matrix"] > 0
    if spec.batch_norm:
        assert checked["bn"] > 0


def test_window_taps_mark_padding_and_show_stride_and_dilation():
    spec = StandardSpec(out_channels=2, kernel_size=3, stride=2, padding=2, dilation=2)
    x = _input(2)
    (result,) = run_stack([spec], x, seed=0, device="cpu")
    walk = build_walk(spec, x, result.weights, region=Region(0, 0, 4, 4))
    step = next(s for s in walk.steps if s.phase == "window" and (s.row, s.col) == (0, 0))
    np.testing.assert_array_equal(step.rows, [-2, 0, 2])
    np.testing.assert_array_equal(step.cols, [-2, 0, 2])
    assert step.padded[0].all() and step.padded[:, 0].all() and not step.padded[1:, 1:].any()
    assert (step.window[step.padded] == 0).all()
    c = step.channels[-1]
    np.testing.assert_allclose(step.window[1:, 1:], x[c][np.ix_([0, 2], [0, 2])])
    later = next(s for s in walk.steps if s.phase == "window" and (s.row, s.col) == (1, 1))
    np.testing.assert_array_equal(later.rows, [0, 2, 4])  # moved by the stride, 2


def test_groups_read_only_their_block():
    spec = StandardSpec(out_channels=6, kernel_size=1, groups=3)
    x = _input(6)
    (result,) = run_stack([spec], x, seed=0, device="cpu")
    for o, block in ((0, (0, 1)), (3, (2, 3)), (5, (4, 5))):
        walk = build_walk(spec, x, result.weights, out_channel=o)
        assert walk.steps[0].read_channels == block


def test_positions_detail_and_region_errors():
    spec = StandardSpec(out_channels=2, kernel_size=3, padding="same")
    x = _input(3)
    (result,) = run_stack([spec], x, seed=0, device="cpu")
    full = build_walk(spec, x, result.weights, region=Region(2, 3, 4, 5))
    assert full.positions[0] == (2, 3) and len(full.positions) == 20
    short = build_walk(spec, x, result.weights, region=Region(2, 3, 4, 5), detail="positions")
    assert len(short) == 20 and all(s.phase == "output" for s in short.steps)
    assert [s.index for s in short.steps] == list(range(20))
    assert full.step_of_position(1) == next(s.index for s in full.steps if s.position == 1)
    for region, words in ((Region(50, 0, 4, 4), "outside"), (Region(0, 0, 0, 3), "at least")):
        with pytest.raises(SpecError, match=words):
            build_walk(spec, x, result.weights, region=region)
    with pytest.raises(SpecError, match="channel 9"):
        build_walk(spec, x, result.weights, out_channel=9)
    with pytest.raises(SpecError, match="do not fit"):
        build_walk(spec, _input(4), result.weights)
    with pytest.raises(SpecError, match="not those of this layer"):  # kernel edited since
        build_walk(spec.with_changes(kernel_size=5), x, result.weights)
