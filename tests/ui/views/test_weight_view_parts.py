"""The weight view draws a kind it has never heard of, from the kind's declared parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from explorer.core.model.kinds import REGISTRY, register
from explorer.core.model.kinds.base import LayerSpec, conv_steps
from explorer.core.model.kinds.parts import Conv, Part
from explorer.ui.views.weight_view import WeightView


@dataclass(frozen=True, kw_only=True)
class _MixFilterSpec(LayerSpec):
    """A 1×1 mix to ``out_channels``, then a depthwise 3×3 filter of each mixed channel."""

    kind: ClassVar[str] = "mixfilter_view"
    tip: ClassVar[str] = "1×1 mix, then a depthwise 3×3 filter"
    weight_paths: ClassVar[dict[str, str]] = {
        "mix.weight": "mix.weight",
        "mix.bias": "mix.bias",
        "filter.weight": "filter.weight",
        "filter.bias": "filter.bias",
    }
    default_weight_target: ClassVar[str] = "filter.weight"
    out_channels: int = 4

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        c = self.out_channels
        mix = Conv("mix", "mix", in_channels, c, (1, 1), bias=self.bias, matrix=True)
        filt = Conv("filter", "filter", c, c, (3, 3), (1, 1), (1, 1), groups=c, per_channel=True)
        return (*conv_steps(self, mix, "mix_"), *conv_steps(self, filt, "filter_"))


@pytest.fixture
def kind():
    register(_MixFilterSpec)
    yield _MixFilterSpec
    del REGISTRY[_MixFilterSpec.kind]


def test_a_new_kind_is_drawn_from_its_parts(qtbot, kind, rng):
    view = WeightView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    weights = {
        "mix.weight": rng.standard_normal((4, 3, 1, 1)).astype(np.float32),
        "mix.bias": rng.standard_normal(4).astype(np.float32),
        "filter.weight": rng.standard_normal((4, 1, 3, 3)).astype(np.float32),
        "filter.bias": rng.standard_normal(4).astype(np.float32),
    }
    view.set_layer(kind(out_channels=4), weights, in_channels=3)
    panels = view.image_items()
    assert set(panels) == {"mix.weight", "mix.bias", "filter.weight", "filter.bias"}
    # the mix is the C_out × C_in matrix itself; the filter a mosaic of its 4 kernels
    np.testing.assert_array_equal(panels["mix.weight"].image, weights["mix.weight"][:, :, 0, 0])
    mosaic = panels["filter.weight"].image
    for k in range(4):
        assert np.isin(weights["filter.weight"][k, 0], mosaic).all()
    title = view.title_text()
    assert title.startswith("mix + filter: pointwise 1×1 (mixes channels) → depthwise 3×3")


def test_named_depthwise_kernels_stay_in_one_row_captioned_by_name(qtbot, rng):
    """Three named kernels (R, G, B) in a tall panel, where a 2×2 grid would draw them
    bigger: one row, each kernel captioned by its channel's name, not "row start + offset"."""
    view = WeightView()
    qtbot.addWidget(view)
    view.resize(700, 800)
    view.show()
    qtbot.waitExposed(view)
    weights = {"weight": rng.standard_normal((3, 1, 3, 3)).astype(np.float32)}
    view.set_channel_names(["R", "G", "B"])
    view.set_layer("depthwise", weights, in_channels=3)
    qtbot.wait(100)  # the re-fit after the panels took their size
    panel = view.panels()["weight"]
    ticks = panel.plot.getAxis("bottom")._tickLevels[0]
    assert [label for _, label in ticks] == ["R", "G", "B"]
    assert panel.image_item.image.shape[0] == 3  # one row of 3×3 kernels
