"""Kind ``depthwise``: one k×k filter per input channel (``groups = C_in``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from explorer.core.model.kinds.base import ConvSymbols, LayerSpec, Padding, check_int, conv_steps
from explorer.core.model.kinds.parts import Conv, Part

__all__ = ["DepthwiseSpec", "depthwise_symbols"]

Pair = tuple[int, int]


def depthwise_symbols(c: int, m: int, kernel_size: Pair) -> ConvSymbols:
    """The symbolic counts of a depthwise conv (also the first part of a separable one)."""
    kh, kw = kernel_size
    return ConvSymbols(
        "C_in·m·k_h·k_w", f"{c}·{m}·{kh}·{kw}", c * m * kh * kw, "C_in·m", f"{c}·{m}", c * m
    )


@dataclass(frozen=True, kw_only=True)
class DepthwiseSpec(LayerSpec):
    """``nn.Conv2d(C_in, C_in*multiplier, kernel_size, ..., groups=C_in)``: no channel mixing."""

    kind: ClassVar[str] = "depthwise"
    tip: ClassVar[str] = (
        "one k×k filter per input channel (groups = C_in): spatial filtering, channels never mix"
    )
    weight_paths: ClassVar[dict[str, str]] = {"weight": "conv.weight", "bias": "conv.bias"}
    kernel_size: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Padding = (0, 0)
    dilation: Pair = (1, 1)
    multiplier: int = 1

    def validate(self) -> None:
        super().validate()
        check_int(self.multiplier, "multiplier", 1, 1024)

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        conv = Conv(
            "conv",
            "depthwise",
            in_channels,
            in_channels * self.multiplier,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            in_channels,
            self.bias,
            per_channel=True,
        )
        return tuple(conv_steps(self, conv))

    def formula_terms(self, in_channels: int) -> tuple[ConvSymbols, ...]:
        return (depthwise_symbols(in_channels, self.multiplier, self.kernel_size),)

    def describe(self, c_in: int, c_out: int) -> str:
        k = self.kernel_size
        return (
            f"depthwise {k[0]}×{k[1]} conv, groups = C_in = {c_in}\n"
            "one filter per channel: channels never mix"
        )
