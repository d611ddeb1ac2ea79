"""Kind ``pointwise``: ``nn.Conv2d(C_in, out_channels, 1, stride, bias)``, a per-pixel
matrix product."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from explorer.core.model.kinds.base import LayerSpec, conv_steps
from explorer.core.model.kinds.parts import Conv, Part

__all__ = ["PointwiseSpec"]

Pair = tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class PointwiseSpec(LayerSpec):
    """``nn.Conv2d(C_in, out_channels, 1, stride, bias)``: a per-pixel matrix product."""

    kind: ClassVar[str] = "pointwise"
    tip: ClassVar[str] = (
        "1×1 convolution: at every pixel, a matrix product over the channels "
        "(C_out × C_in weights); no spatial context"
    )
    weight_paths: ClassVar[dict[str, str]] = {"weight": "conv.weight", "bias": "conv.bias"}
    out_channels: int = 16
    stride: Pair = (1, 1)

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        conv = Conv(
            "conv",
            "pointwise",
            in_channels,
            self.out_channels,
            (1, 1),
            self.stride,
            (0, 0),
            (1, 1),
            1,
            self.bias,
            matrix=True,
        )
        return tuple(conv_steps(self, conv))

    def describe(self, c_in: int, c_out: int) -> str:
        return (
            f"pointwise 1×1 conv, {c_in} → {c_out} channels\n"
            "Y[h,w,c] = Σ_c' X[h,w,c']·K[c',c] + b[c]: one matrix at every pixel"
        )
