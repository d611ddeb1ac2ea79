"""One convolution in exact pieces, so that a long layer can be stopped part-way.

:func:`chunked_conv2d` computes ``conv(x)`` as blocks of output rows (and, for a very wide
row, blocks of output channels or of whole groups), each a plain :func:`torch.nn.functional.conv2d`
on the rows and channels of the explicitly padded input that block reads, written into one
output tensor. Every output value is the same sum over the same inputs as in the unsplit
convolution (``tests/core/test_chunked.py`` compares them). Between blocks it calls
``should_abort`` and raises :class:`Aborted` when it says so: a 301×301 kernel stops within
one block instead of after the whole layer.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
import torch.nn.functional as F  # noqa: N812 (torch's convention)
from torch import nn

__all__ = [
    "BLOCK_SECONDS",
    "CHUNK_MACS",
    "ROW_SPLIT",
    "Aborted",
    "chunk_plan",
    "chunked_conv2d",
    "run_part",
]

#: Multiply-accumulates of the first block (a convolution of at most twice this runs whole).
CHUNK_MACS = 48_000_000
#: Seconds a block should take: later blocks are sized from how long the previous ones took,
#: so a stop comes within about this long and the blocks stay big enough to run at full speed.
BLOCK_SECONDS = 0.25
#: A row of more than this many times :data:`CHUNK_MACS` is split by output channels too.
ROW_SPLIT = 40


class Aborted(Exception):  # noqa: N818 (a signal, not an error)
    """``should_abort`` said stop between two blocks."""


def _pads(conv: nn.Conv2d) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` zero padding, as torch applies it (``"same"``: the
    extra pixel of an even total on the bottom/right)."""
    kh, kw = conv.kernel_size
    dh, dw = conv.dilation
    if isinstance(conv.padding, str):
        if conv.padding == "valid":
            return (0, 0, 0, 0)
        th, tw = dh * (kh - 1), dw * (kw - 1)
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    ph, pw = conv.padding
    return (ph, ph, pw, pw)


def chunk_plan(
    units: int, rows: int, unit_row_macs: int, budget: int = CHUNK_MACS
) -> tuple[int, int]:
    """``(units per block, rows per block)`` of the first block: about ``budget`` MACs of
    whole rows; a row is split into blocks of output channels (or groups) only when one row
    is more than :data:`ROW_SPLIT` × ``budget`` (each block of channels repeats the
    unfolding of the input, so rows are split first)."""
    all_row = units * unit_row_macs
    if all_row <= budget:
        return units, max(1, min(rows, budget // max(1, all_row)))
    if all_row <= ROW_SPLIT * budget:
        return units, 1
    return max(1, min(units, ROW_SPLIT * budget // max(1, unit_row_macs))), 1


def chunked_conv2d(
    conv: nn.Conv2d,
    x: torch.Tensor,
    should_abort: Callable[[], bool] | None = None,
    *,
    budget: int = CHUNK_MACS,
    adapt: bool = True,
) -> torch.Tensor:
    """``conv(x)`` for a batch ``x`` ``(N, C, H, W)``, computed in blocks with
    ``should_abort`` checked between blocks.

    The first block does about ``budget`` MACs; with ``adapt`` each next block of rows is
    sized from the time the last one took, to take about :data:`BLOCK_SECONDS` (fewer, bigger
    blocks run nearly as fast as the whole convolution). A convolution of at most two
    blocks' work, or one that pads other than with zeros, runs unsplit.

    Raises
    ------
    Aborted
        When ``should_abort()`` returns true between two blocks.
    """
    n, c_in, _, _ = x.shape
    c_out = conv.out_channels
    kh, kw = conv.kernel_size
    sh, sw = conv.stride
    dh, dw = conv.dilation
    groups = conv.groups
    top, bottom, left, right = _pads(conv)
    h_out = (x.shape[2] + top + bottom - dh * (kh - 1) - 1) // sh + 1
    w_out = (x.shape[3] + left + right - dw * (kw - 1) - 1) // sw + 1
    per_out = (c_in // groups) * kh * kw  # MACs per output value
    total = n * c_out * h_out * w_out * per_out
    if total <= 2 * budget or conv.padding_mode != "zeros" or h_out <= 0 or w_out <= 0:
        return conv(x)
    xp = F.pad(x, (left, right, top, bottom)) if top or bottom or left or right else x
    weight, bias = conv.weight, conv.bias
    if groups == 1:  # a unit is one output channel reading every input channel
        units, out_per_unit, in_per_unit = c_out, 1, 0
    else:  # a unit is one whole group
        units, out_per_unit, in_per_unit = groups, c_out // groups, c_in // groups
    unit_block, row_block = chunk_plan(units, h_out, n * out_per_unit * w_out * per_out, budget)
    out = torch.empty((n, c_out, h_out, w_out), dtype=x.dtype, device=x.device)
    span = dh * (kh - 1) + 1
    for u0 in range(0, units, unit_block):
        u1 = min(units, u0 + unit_block)
        o0, o1 = u0 * out_per_unit, u1 * out_per_unit
        w = weight[o0:o1]
        b = bias[o0:o1] if bias is not None else None
        xin = xp if groups == 1 else xp[:, u0 * in_per_unit : u1 * in_per_unit]
        g = 1 if groups == 1 else u1 - u0
        r0 = 0
        while r0 < h_out:
            if should_abort is not None and should_abort():
                raise Aborted
            r1 = min(h_out, r0 + row_block)
            rows = xin[:, :, r0 * sh : (r1 - 1) * sh + span]
            start = time.perf_counter()
            out[:, o0:o1, r0:r1] = F.conv2d(rows, w, b, (sh, sw), 0, (dh, dw), g)
            if adapt:  # size the next block to take about BLOCK_SECONDS
                per_row = (time.perf_counter() - start) / (r1 - r0)
                row_block = max(1, min(4 * row_block, int(BLOCK_SECONDS / max(per_row, 1e-9))))
            r0 = r1
    return out


def run_part(
    part: nn.Module,
    x: torch.Tensor,
    should_abort: Callable[[], bool] | None = None,
    *,
    budget: int = CHUNK_MACS,
) -> torch.Tensor:
    """Run one convolution part (``Sequential(conv, [bn], [activation])``) with its
    convolution in blocks (:func:`chunked_conv2d`); the rest runs whole."""
    children = list(part.children()) if isinstance(part, nn.Sequential) else []
    convs = [i for i, child in enumerate(children) if isinstance(child, nn.Conv2d)]
    if not convs:
        return part(x)
    first = convs[0]
    for child in children[:first]:  # e.g. the zero padding of asymmetric 'SAME' padding
        x = child(x)
    y = chunked_conv2d(children[first], x, should_abort, budget=budget)
    for child in children[first + 1 :]:
        y = child(y)
    return y
