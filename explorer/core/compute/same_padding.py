"""``padding="same"`` with an uneven split, done without torch's warning.

When a convolution's span ``dilation * (kernel - 1)`` is odd (an even kernel), 'same'
padding cannot be split evenly; torch then pads one more row/column at the bottom/right and
warns (``UserWarning: Using padding='same' with even kernel lengths and odd dilation may
require a zero-padded copy of the input``). Silencing that warning needs the process-global
warning filters, which a worker thread must not touch; instead
:func:`explicit_same_padding` gives such convolutions a forward that pads explicitly, with
the same split, so torch has nothing to warn about. Weights, ``state_dict`` keys and
``isinstance(m, nn.Conv2d)`` are unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SamePaddedConv2d", "explicit_same_padding", "same_pads"]


def same_pads(kernel_size: tuple[int, ...], dilation: tuple[int, ...]) -> list[int]:
    """``F.pad`` amounts (last dimension first) of 'same' padding: ``span // 2`` before and
    the rest after, as torch splits it."""
    pads: list[int] = []
    for k, d in reversed(list(zip(kernel_size, dilation, strict=True))):
        span = d * (k - 1)
        pads += [span // 2, span - span // 2]
    return pads


class SamePaddedConv2d(nn.Conv2d):
    """An ``nn.Conv2d`` with ``padding="same"`` that pads its input itself."""

    def _conv_forward(
        self, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        x = F.pad(input, same_pads(self.kernel_size, self.dilation))
        return F.conv2d(x, weight, bias, self.stride, 0, self.dilation, self.groups)


def explicit_same_padding(module: nn.Module) -> nn.Module:
    """Make every 'same'-padded, zero-padded ``nn.Conv2d`` in ``module`` whose padding
    splits unevenly a :class:`SamePaddedConv2d` (in place); returns ``module``."""
    for sub in module.modules():
        if (
            type(sub) is nn.Conv2d
            and sub.padding == "same"
            and sub.padding_mode == "zeros"
            and any(d * (k - 1) % 2 for k, d in zip(sub.kernel_size, sub.dilation, strict=True))
        ):
            sub.__class__ = SamePaddedConv2d
    return module
