"""Kind ``standard``: ``nn.Conv2d(C_in, out_channels, kernel_size, stride, padding, dilation,
groups, bias)``, then BN and activation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from explorer.core.model.kinds.base import (
    MAX_CHANNELS,
    ConvSymbols,
    LayerSpec,
    Padding,
    check_int,
    conv_steps,
)
from explorer.core.model.kinds.parts import Conv, Part

__all__ = ["StandardSpec"]

Pair = tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class StandardSpec(LayerSpec):
    """``nn.Conv2d(C_in, out_channels, kernel_size, stride, padding, dilation, groups, bias)``.

    ``padding`` is ``(h, w)``, ``"same"`` or ``(top, bottom, left, right)`` (a
    ``ZeroPad2d`` before the conv when it is not symmetric).
    """

    kind: ClassVar[str] = "standard"
    tip: ClassVar[str] = "k×k convolution: sums over a neighbourhood and over all input channels"
    weight_paths: ClassVar[dict[str, str]] = {"weight": "conv.weight", "bias": "conv.bias"}
    out_channels: int = 16
    kernel_size: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Padding = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1

    def validate(self) -> None:
        super().validate()
        check_int(self.groups, "groups", 1, MAX_CHANNELS)

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        conv = Conv(
            "conv",
            "conv",
            in_channels,
            self.out_channels,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.bias,
            out_field="groups",
        )
        return tuple(conv_steps(self, conv))

    def formula_terms(self, in_channels: int) -> tuple[ConvSymbols, ...]:
        c, co, g = in_channels, self.out_channels, self.groups
        kh, kw = self.kernel_size
        cin = f"{c}" if g == 1 else f"{c}/{g}"
        weights = co * (c // g) * kh * kw
        return (
            ConvSymbols(
                "C_out·C_in/g·k_h·k_w", f"{co}·{cin}·{kh}·{kw}", weights, "C_out", f"{co}", co
            ),
        )

    def describe(self, c_in: int, c_out: int) -> str:
        k = self.kernel_size
        return (
            f"standard {k[0]}×{k[1]} conv, {c_in} → {c_out} channels\n"
            "sums over a neighbourhood and over all input channels"
        )
