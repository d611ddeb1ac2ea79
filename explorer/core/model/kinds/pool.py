"""Kinds ``maxpool`` and ``avgpool``: ``nn.MaxPool2d`` / ``nn.AvgPool2d`` (kernel, stride,
padding, ceil_mode). No parameters, no MACs: the window reads are element-wise work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from explorer.core.errors import SpecError
from explorer.core.model.kinds.base import MAX_KERNEL, LayerSpec, check_pair
from explorer.core.model.kinds.parts import Part, Pool

__all__ = ["AvgPoolSpec", "MaxPoolSpec"]

Pair = tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class _PoolSpec(LayerSpec):
    op: ClassVar[str] = ""
    editable: ClassVar[tuple[str, ...]] = ("kernel_size", "stride", "padding", "ceil_mode")
    kernel_size: Pair = (2, 2)
    stride: Pair = (2, 2)
    padding: Pair = (0, 0)
    ceil_mode: bool = False

    def validate(self) -> None:
        check_pair(self.kernel_size, "kernel_size", 1, MAX_KERNEL)
        check_pair(self.stride, "stride", 1, MAX_KERNEL)
        if isinstance(self.padding, str):
            raise SpecError(
                f"must be an integer or a pair [h, w], got {self.padding!r}", field="padding"
            )
        check_pair(self.padding, "padding", 0, MAX_KERNEL)
        if not isinstance(self.ceil_mode, bool):
            raise SpecError(f"must be true or false, got {self.ceil_mode!r}", field="ceil_mode")

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        return (
            Pool(
                "pool", "pool", self.op, self.kernel_size, self.stride, self.padding, self.ceil_mode
            ),
        )

    def describe(self, c_in: int, c_out: int) -> str:
        k, s = self.kernel_size, self.stride
        what = "maximum" if self.op == "max" else "average"
        return (
            f"{self.op} pool {k[0]}×{k[1]}, stride {s[0]}×{s[1]}, {c_in} channels\n"
            f"the {what} of each window, channel by channel; no parameters"
        )


@dataclass(frozen=True, kw_only=True)
class MaxPoolSpec(_PoolSpec):
    """``nn.MaxPool2d(kernel_size, stride, padding, ceil_mode=...)``."""

    kind: ClassVar[str] = "maxpool"
    op: ClassVar[str] = "max"
    tip: ClassVar[str] = "max pooling: the largest value of each k×k window, per channel"


@dataclass(frozen=True, kw_only=True)
class AvgPoolSpec(_PoolSpec):
    """``nn.AvgPool2d(kernel_size, stride, padding, ceil_mode=...)`` (zeros of the padding
    count in the average, torch's default)."""

    kind: ClassVar[str] = "avgpool"
    op: ClassVar[str] = "avg"
    tip: ClassVar[str] = "average pooling: the mean of each k×k window, per channel"
