"""A developer adds a layer kind by writing one module: this test *is* that module (a
3×3 conv with an optional max/avg pool, built from existing parts), registered at run
time. Costs, torch, the runner, codegen and the scene file all work without any other
change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_layer
from explorer.core.compute.codegen import scene_code
from explorer.core.compute.run import run_stack
from explorer.core.errors import SceneError
from explorer.core.io.scene import Scene, scene_from_dict, scene_to_dict
from explorer.core.model.kinds import REGISTRY, register
from explorer.core.model.kinds.base import LayerSpec, conv_steps
from explorer.core.model.kinds.parts import Conv, Part, Pool

torch.set_num_threads(1)


@dataclass(frozen=True, kw_only=True)
class ConvPoolSpec(LayerSpec):
    """A 3×3 convolution (padding 1), then optionally a 2×2 max or average pool."""

    kind: ClassVar[str] = "convpool"
    tip: ClassVar[str] = "3×3 conv, then a 2×2 pool"
    weight_paths: ClassVar[dict[str, str]] = {"weight": "conv.weight", "bias": "conv.bias"}
    choices: ClassVar[dict[str, tuple[str, ...]]] = {"mode": ("max", "avg")}
    out_channels: int = 8
    pool: bool = True
    mode: str = "max"

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        conv = Conv(
            "conv", "conv", in_channels, self.out_channels, (3, 3), padding=(1, 1), bias=self.bias
        )
        steps = conv_steps(self, conv)
        if self.pool:
            steps.append(Pool("pool", "pool", self.mode, (2, 2), (2, 2)))
        return tuple(steps)


@pytest.fixture
def registered():
    register(ConvPoolSpec)
    yield ConvPoolSpec
    del REGISTRY["convpool"]


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_a_kind_written_in_one_module_works_everywhere(registered, mode):
    spec = ConvPoolSpec(out_channels=6, mode=mode, batch_norm=True, activation="silu")
    cost = stack_cost((3, 10, 10), [spec])
    module = build_layer(spec, 3, seed=2)
    x = torch.randn(1, 3, 10, 10)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = module(x)
    assert tuple(y.shape[1:]) == cost.output_shape == (6, 5, 5)
    assert sum(p.numel() for p in module.parameters()) == cost.params == 6 * 27 + 6 + 12
    assert counter.get_total_flops() == cost.flops
    assert cost.layers[0].elementwise == 6 * 5 * 5 * 4

    (result,) = run_stack([spec], x[0].numpy(), seed=2, device="cpu")
    assert list(result.parts) == ["conv", "pool"] and result.weights["weight"].shape == (6, 3, 3, 3)
    np.testing.assert_allclose(result.output, y[0].numpy(), rtol=1e-6, atol=1e-6)

    code = scene_code(Scene(layers=(spec,), seed=2), (3, 10, 10))
    ns: dict = {}
    exec(compile(code.replace('if __name__ == "__main__":', "if False:"), "gen", "exec"), ns)
    with torch.no_grad():
        torch.testing.assert_close(ns["ConvStack"]().eval()(x), y)

    data = scene_to_dict(Scene(layers=(spec,)))
    assert data["version"] == 2 and data["layers"][0]["mode"] == mode
    assert scene_from_dict(data).layers == (spec,)


def test_its_fields_are_checked_from_its_declaration(registered):
    data = {
        "format": "conv-explorer-scene",
        "version": 2,
        "layers": [{"kind": "convpool", "out_channels": 4, "mode": "median"}],
    }
    with pytest.raises(SceneError, match="field 'mode': must be one of max, avg"):
        scene_from_dict(data)
    data["layers"][0].update(mode="avg", pool="yes")
    with pytest.raises(SceneError, match="field 'pool': must be true or false"):
        scene_from_dict(data)
