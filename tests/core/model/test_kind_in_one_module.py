"""A developer adds a layer kind by writing one module: this test *is* that module (two
throw-away kinds built from existing parts, registered at run time: a 3×3 conv with an
optional max/avg pool, and a 1×1 channel mix followed by a depthwise k×k filter, which
declares its formula symbols and the target a single imported tensor sets). Costs, torch,
the runner, codegen, the live formulas, the weight presets, the weight fit on an edit and
the scene file (save and load, with weights) all work without any other change.

The README's "Adding a layer kind" lists the files this takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from explorer.core.analysis.costs import find_comparisons, stack_cost
from explorer.core.analysis.formulas import stack_formulas
from explorer.core.compute.build import build_layer, layer_weights
from explorer.core.compute.codegen import scene_code
from explorer.core.compute.run import run_stack
from explorer.core.errors import SceneError, SpecError
from explorer.core.io.scene import Scene, load_scene, save_scene, scene_from_dict, scene_to_dict
from explorer.core.model.kinds import REGISTRY, register
from explorer.core.model.kinds.base import ConvSymbols, LayerSpec, conv_steps
from explorer.core.model.kinds.parts import Conv, Part, Pool
from explorer.core.model.presets import (
    KERNEL_PRESETS,
    POINTWISE_PRESETS,
    apply_preset,
    kernel_preset,
    presets_for,
    target_shapes,
)
from explorer.core.model.scene_model import InputSpec
from explorer.core.model.weight_fit import fit_weights

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


@dataclass(frozen=True, kw_only=True)
class MixFilterSpec(LayerSpec):
    """A 1×1 channel mix to ``out_channels``, then a depthwise k×k filter of each mixed
    channel (a separable layer the other way round)."""

    kind: ClassVar[str] = "mixfilter"
    tip: ClassVar[str] = "1×1 mix, then a depthwise k×k filter"
    weight_paths: ClassVar[dict[str, str]] = {
        "mix.weight": "mix.weight",
        "mix.bias": "mix.bias",
        "filter.weight": "filter.weight",
        "filter.bias": "filter.bias",
    }
    default_weight_target: ClassVar[str] = "filter.weight"
    out_channels: int = 4
    kernel_size: tuple[int, int] = (3, 3)

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        c = self.out_channels
        mix = Conv("mix", "mix", in_channels, c, (1, 1), bias=self.bias, matrix=True)
        k = self.kernel_size
        pad = (k[0] // 2, k[1] // 2)
        filt = Conv(
            "filter", "filter", c, c, k, padding=pad, groups=c, bias=self.bias, per_channel=True
        )
        return (*conv_steps(self, mix, "mix_"), *conv_steps(self, filt, "filter_"))

    def formula_terms(self, in_channels: int) -> tuple[ConvSymbols, ...]:
        c, co = in_channels, self.out_channels
        kh, kw = self.kernel_size
        return (
            ConvSymbols("C_out·C_in", f"{co}·{c}", co * c, "C_out", f"{co}", co),
            ConvSymbols("C_out·k_h·k_w", f"{co}·{kh}·{kw}", co * kh * kw, "C_out", f"{co}", co),
        )


@pytest.fixture
def registered():
    register(ConvPoolSpec)
    register(MixFilterSpec)
    yield ConvPoolSpec
    del REGISTRY["convpool"]
    del REGISTRY["mixfilter"]


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


def _number(line: str) -> int:
    return int(line.rsplit("= ", 1)[1].replace(",", ""))


def test_formulas_presets_and_the_weight_fit_use_its_parts(registered):
    spec = ConvPoolSpec(out_channels=4, batch_norm=True)
    cost = stack_cost((3, 8, 8), [spec])
    (formulas,) = stack_formulas((3, 8, 8), [spec])
    assert _number(formulas.params) == cost.params == 4 * 27 + 4 + 8
    assert formulas.macs.startswith("MACs = ") and f"{cost.macs:,}" in formulas.macs
    assert "element-wise" in formulas.macs  # the pool's window reads, apart from the MACs
    assert find_comparisons([spec], cost) == []

    assert target_shapes(spec, 3) == {"weight": (4, 3, 3, 3), "bias": (4,)}
    assert presets_for(spec) == KERNEL_PRESETS
    sobel = apply_preset(spec, 3, "sobel_x")  # spread over the 4×3 kernels, as a standard conv
    module = build_layer(sobel, 3, seed=1)
    weight = layer_weights(module, sobel)["weight"]
    np.testing.assert_allclose(weight[0, 0], kernel_preset("sobel_x", 3), atol=1e-6)

    # an edit of the input's channels drops the set weight that no longer fits
    scene = Scene(layers=(sobel,), input=InputSpec())
    fitted, notes = fit_weights(scene, lambda _input: (1, 8, 8))
    assert [t for t, _ in fitted.layers[0].weights] == ["bias"]  # the bias still fits
    assert notes == ["layer 1: dropped the set weight [4, 3, 3, 3] (it needs [4, 1, 3, 3] now)"]


def test_a_kind_with_two_convolutions_declares_its_formulas_and_preset_parts(registered, tmp_path):
    spec = MixFilterSpec(out_channels=4, kernel_size=(3, 5), batch_norm=True, activation="relu")
    shape = (3, 9, 11)
    cost = stack_cost(shape, [spec])
    module = build_layer(spec, 3, seed=5)
    x = torch.randn(1, *shape)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = module(x)
    assert counter.get_total_flops() == cost.flops
    assert sum(p.numel() for p in module.parameters()) == cost.params

    (formulas,) = stack_formulas(shape, [spec])
    assert formulas.params == (
        "params = C_out·C_in + C_out + 2·C_out + C_out·k_h·k_w + C_out + 2·C_out"
        " = 4·3 + 4 + 2·4 + 4·3·5 + 4 + 2·4 = 96"
    )
    assert (
        formulas.macs
        == "MACs = H_out·W_out·(C_out·C_in + C_out·k_h·k_w) = 9·11·(4·3 + 4·3·5) = 7,128"
    )
    assert _number(formulas.params) == cost.params and _number(formulas.macs) == cost.macs
    # the output size and receptive field follow the k×k filter, not the 1×1 mix before it
    assert [_number(line) for line in formulas.output_size] == [9, 11]
    assert [_number(line) for line in formulas.receptive_field] == [3, 5]
    assert cost.layers[0].receptive_field == (3, 5)

    # presets go to the part that takes them: 1×1 ones to the matrix, k×k ones to the filter
    assert presets_for(spec) == POINTWISE_PRESETS
    assert presets_for(spec, "filter") == KERNEL_PRESETS
    assert target_shapes(spec, 3)["filter.weight"] == (4, 1, 3, 5)
    gray = apply_preset(spec, 3, "rgb_to_gray")
    assert [t for t, _ in gray.weights] == ["mix.weight", "mix.bias"]
    both = apply_preset(gray, 3, "box_blur")
    assert [t for t, _ in both.weights] == [
        "mix.weight",
        "mix.bias",
        "filter.weight",
        "filter.bias",
    ]
    with pytest.raises(SpecError, match="part must be 'mix' or 'filter', got 'other'"):
        apply_preset(spec, 3, "identity", part="other")
    built = layer_weights(build_layer(both, 3), both)
    np.testing.assert_allclose(built["mix.weight"][1, :, 0, 0], [0.299, 0.587, 0.114], atol=1e-6)
    np.testing.assert_allclose(built["filter.weight"][2, 0], np.full((3, 5), 1 / 15), atol=1e-6)

    # saved with its weights and read back; a single checkpoint tensor sets the declared target
    path = tmp_path / "mix.json"
    save_scene(Scene(layers=(both,), seed=5), path)
    assert load_scene(path, memory=False).layers == (both,)
    data = scene_to_dict(Scene(layers=(spec,)))
    data["layers"][0]["weights"] = {"checkpoint": str(tmp_path / "w.pt"), "key": "w"}
    (loaded,) = scene_from_dict(data).layers
    assert [t for t, _ in loaded.weights] == ["filter.weight"]

    code = scene_code(Scene(layers=(both,), seed=5), shape)
    ns: dict = {}
    exec(compile(code.replace('if __name__ == "__main__":', "if False:"), "gen", "exec"), ns)
    with torch.no_grad():
        torch.testing.assert_close(ns["ConvStack"]().eval()(x), build_layer(both, 3, seed=5)(x))
    assert y.shape == (1, 4, 9, 11)
