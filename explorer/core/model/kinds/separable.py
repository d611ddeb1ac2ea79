"""Kind ``separable``: depthwise k×k then pointwise 1×1 (MobileNet's block)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from explorer.core.model.kinds.base import LayerSpec, Padding, check_int, conv_steps
from explorer.core.model.kinds.parts import Conv, Part

__all__ = ["SeparableSpec"]

Pair = tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class SeparableSpec(LayerSpec):
    """Depthwise k×k then pointwise 1×1 to ``out_channels``: MobileNet's block.

    ``kernel_size``, ``stride``, ``padding``, ``dilation`` and ``multiplier`` apply to the
    depthwise part; ``bias``, ``batch_norm`` and ``activation`` apply after each part.
    """

    kind: ClassVar[str] = "separable"
    tip: ClassVar[str] = (
        "depthwise k×k then pointwise 1×1 (MobileNet): "
        "about 1/C_out + 1/k² of a standard conv's cost"
    )
    weight_paths: ClassVar[dict[str, str]] = {
        "depthwise.weight": "depthwise.weight",
        "depthwise.bias": "depthwise.bias",
        "pointwise.weight": "pointwise.weight",
        "pointwise.bias": "pointwise.bias",
    }
    out_channels: int = 16
    kernel_size: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Padding = (0, 0)
    dilation: Pair = (1, 1)
    multiplier: int = 1

    def validate(self) -> None:
        super().validate()
        check_int(self.multiplier, "multiplier", 1, 1024)

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        mid = in_channels * self.multiplier
        dw = Conv(
            "depthwise",
            "depthwise",
            in_channels,
            mid,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            in_channels,
            self.bias,
            per_channel=True,
        )
        pw = Conv(
            "pointwise", "pointwise", mid, self.out_channels, (1, 1), bias=self.bias, matrix=True
        )
        return (*conv_steps(self, dw, "depthwise_"), *conv_steps(self, pw, "pointwise_"))

    def code_notes(self) -> list[str]:
        k, m = self.kernel_size, self.multiplier
        ratio = m * (1 / self.out_channels + 1 / (k[0] * k[1]))
        mm = "" if m == 1 else f"{m}·"
        return [
            f"vs a standard {k[0]}×{k[1]} conv: MACs ratio = {mm}(1/C_out + 1/k²) = "
            f"{mm}(1/{self.out_channels} + 1/{k[0] * k[1]}) = {ratio:.3f}"
        ]

    def describe(self, c_in: int, c_out: int) -> str:
        k = self.kernel_size
        return (
            f"depthwise-separable, {c_in} → {c_out} channels (MobileNet block)\n"
            f"depthwise {k[0]}×{k[1]} filters each channel, then pointwise 1×1 mixes"
        )
