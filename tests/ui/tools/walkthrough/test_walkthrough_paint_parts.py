"""Frames are drawn from what each step computes, so a kind the painter has never heard of
is drawn (no table of kind or part names to extend)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from explorer.core.analysis.walkthrough import Region, build_walk
from explorer.core.compute.run import run_stack
from explorer.core.model.kinds import REGISTRY
from explorer.core.model.kinds.base import LayerSpec, conv_steps
from explorer.core.model.kinds.parts import Conv, Part
from explorer.ui.tools.walkthrough.walkthrough_export import frame_image

torch.set_num_threads(1)


@dataclass(frozen=True, kw_only=True)
class SmearSpec(LayerSpec):
    """A new kind: a per-channel 3×3 filter then a 1×1 mix, with parts of new names."""

    kind: ClassVar[str] = "test_smear"
    weight_paths: ClassVar[dict[str, str]] = {
        "smear.weight": "smear.weight",
        "mix.weight": "mix.weight",
    }
    out_channels: int = 4

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        smear = Conv(
            "smear", "smear", in_channels, in_channels, (3, 3), padding=(1, 1),
            groups=in_channels, bias=False, per_channel=True,
        )  # fmt: skip
        mix = Conv("mix", "mix", in_channels, self.out_channels, (1, 1), bias=False, matrix=True)
        return (*conv_steps(self, smear, "smear_"), *conv_steps(self, mix, "mix_"))


def test_a_new_kind_is_drawn_at_every_phase(qapp, monkeypatch):
    monkeypatch.setitem(REGISTRY, SmearSpec.kind, SmearSpec)
    spec = SmearSpec(activation="hardswish")
    x = np.random.default_rng(0).standard_normal((3, 8, 8)).astype(np.float32)
    (result,) = run_stack([spec], x, seed=1, device="cpu")
    walk = build_walk(spec, x, result.weights, region=Region(2, 2, 2, 2))
    np.testing.assert_allclose(
        walk.outputs[0], result.output[:, walk.positions[0][0], walk.positions[0][1]], atol=1e-5
    )
    assert [s.source for s in walk.steps if s.phase == "matrix"][0] == "D"
    firsts = {}
    for i, s in enumerate(walk.steps):
        firsts.setdefault((s.part, s.phase), i)
    assert {p for p, _ in firsts} == {"smear", "mix"}
    for index in firsts.values():
        image = frame_image(walk, index, 640)
        assert not image.isNull() and image.width() == 640


def test_the_region_outline_is_a_cosmetic_dashed_line(qapp):
    """The dashed outline of the walked region is drawn on every sheet of every frame with a
    cosmetic 1 px pen: a 1.2 px anti-aliased dashed pen goes through Qt's general stroker
    (~0.24 ms a polygon, ~4 ms a frame of 16 sheets; cosmetic: ~0.013 ms)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter

    from explorer.core.model.specs import default_spec
    from explorer.ui.tools.walkthrough.walkthrough_paint import paint_frame

    class Recording(QPainter):
        def __init__(self, device):
            super().__init__(device)
            self.dashed = []

        def drawPolygon(self, *args):  # noqa: N802 - Qt's name
            if self.pen().style() == Qt.PenStyle.DashLine:
                self.dashed.append(self.pen())
            return super().drawPolygon(*args)

    spec = default_spec("pointwise", out_channels=4)
    x = np.random.default_rng(0).standard_normal((6, 8, 8)).astype(np.float32)
    (result,) = run_stack([spec], x, seed=1, device="cpu")
    walk = build_walk(spec, x, result.weights, region=Region(2, 2, 2, 2))
    frame = QImage(1280, 720, QImage.Format.Format_RGB32)
    painter = Recording(frame)
    paint_frame(painter, 1280, 720, walk, 0, "Layer")
    painter.end()
    assert len(painter.dashed) >= 6  # one outline per input sheet shown
    assert all(pen.isCosmetic() and pen.widthF() <= 1 for pen in painter.dashed)
