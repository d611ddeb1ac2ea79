"""The kernel grids of the weight view: a standard layer's ``C_out × C_in`` kernels and a
depthwise layer's one kernel per channel, laid out by
:func:`explorer.ui.views.weight_panels.kernel_mosaic`."""

from __future__ import annotations

import math

import numpy as np

from explorer.ui.views.weight_matrix import named_ticks
from explorer.ui.views.weight_panels import MatrixPanel, kernel_mosaic, mosaic_cell
from explorer.ui.widgets.colormaps import symmetric_levels
from explorer.ui.widgets.plot_utils import index_ticks

__all__ = [
    "KERNEL_CELL_PX",
    "MAX_KERNELS",
    "MAX_KERNEL_GRID",
    "MAX_MOSAIC_CELLS",
    "depthwise_cols",
    "draw_depthwise",
    "draw_standard",
]

#: Most output (rows) and input (columns) channels of a standard layer drawn as kernels.
MAX_KERNEL_GRID = 16  # more would draw each weight below 2 px: a moiré block
#: Most depthwise kernels drawn.
MAX_KERNELS = 1024
#: Most cells (weights and gaps) of the kernels of a mosaic: about a large screen's pixels.
#: Big kernels are drawn fewer at a time: 1024 kernels of 301×301 would be a 93-million
#: cell image, laid out and coloured on the GUI thread (seconds) to show < 1 px a weight.
MAX_MOSAIC_CELLS = 2**20

#: Screen pixels per weight a standard layer's kernel grid asks for: a 3×3 kernel is then
#: ≥ 30 px across, its weights told apart at a glance (the weight view scrolls if need be)
KERNEL_CELL_PX = 10.0
#: Pixels of a panel that are not plot: axes and colour bar across, title and axis down.
OVERHEAD = (120, 80)
_GAP = 1


def kernels_drawn(total: int, kh: int, kw: int, multiplier: int = 1) -> int:
    """How many of a depthwise layer's ``total`` ``kh × kw`` kernels its mosaic shows (whole
    rows of ``multiplier``, one input channel's kernels, when at least one fits)."""
    n = max(1, min(total, MAX_KERNELS, MAX_MOSAIC_CELLS // ((kh + _GAP) * (kw + _GAP))))
    return n - n % multiplier if multiplier > 1 and multiplier < n < total else n


def grid_drawn(c_out: int, per_group: int, kh: int, kw: int) -> tuple[int, int]:
    """Rows (output channels) and columns (input channels) of a standard layer's kernel
    grid: at most :data:`MAX_KERNEL_GRID` each way and :data:`MAX_MOSAIC_CELLS` in all."""
    rows, cols = min(c_out, MAX_KERNEL_GRID), min(per_group, MAX_KERNEL_GRID)
    cell = (kh + _GAP) * (kw + _GAP)
    while rows * cols * cell > MAX_MOSAIC_CELLS and rows * cols > 1:
        if cols >= rows:
            cols -= 1
        else:
            rows -= 1
    return rows, cols


def _multiplier(total: int, in_channels: int | None) -> int:
    return total // in_channels if in_channels and total % in_channels == 0 else 1


def draw_standard(
    panel: MatrixPanel,
    w: np.ndarray,
    in_channels: int | None,
    names: tuple[list[str] | None, list[str] | None],
) -> list[str]:
    """Draw a standard layer's kernels (rows = output channels, columns = input channels
    of the group, at most :data:`MAX_KERNEL_GRID` each way); returns notes on what is left
    out or how groups wire the channels."""
    c_out, per_group, kh, kw = w.shape
    rows, cols = grid_drawn(c_out, per_group, kh, kw)
    mosaic = kernel_mosaic(w[:rows, :cols].reshape(rows * cols, kh, kw), cols, _GAP)
    groups = in_channels // per_group if in_channels and in_channels % per_group == 0 else 1
    out_per_group = max(1, c_out // groups)

    def describe(r: int, c: int) -> str | None:
        hit = mosaic_cell(r, c, (kh, kw), _GAP)
        if hit is None:
            return None
        o, i, kr, kc = hit
        source = (o // out_per_group) * per_group + i
        return (
            f"weight: output c={o}, input c'={source}, kernel ({kr}, {kc}) = {w[o, i, kr, kc]:.4g}"
        )

    notes = []
    if rows < c_out:
        notes.append(f"showing {rows} of {c_out} output channels")
    if cols < per_group:
        notes.append(f"showing {cols} of {per_group} input channels")
    if groups > 1:
        notes.append(
            f"groups = {groups}: output channel c sees only the {per_group} "
            "input channels of its group"
        )
    step = dict(step=kw + _GAP, offset=kw / 2)
    panel.set_data(
        mosaic,
        symmetric_levels(w),
        title=f"{kh}×{kw} kernels (output c × input c')",
        x_label="input channel c'" + (" within its group" if groups > 1 else ""),
        y_label="output channel c",
        x_ticks=named_ticks(names[0], cols, **step) if groups == 1 else index_ticks(cols, **step),  # type: ignore[arg-type]
        y_ticks=named_ticks(names[1], rows, step=kh + _GAP, offset=kh / 2),
        describe=describe,
        least_cell_px=KERNEL_CELL_PX,
    )
    return notes


def depthwise_cols(
    panel: MatrixPanel, w: np.ndarray, in_channels: int | None, named: bool = False
) -> int:
    """Columns of the depthwise mosaic that make its kernels biggest in ``panel``
    (``named``: the channels have names, R, G, B, which only a single row can show)."""
    total, _, kh, kw = w.shape
    multiplier = _multiplier(total, in_channels)
    n = kernels_drawn(total, kh, kw, multiplier)
    width = panel.width() - OVERHEAD[0]
    height = panel.height() - OVERHEAD[1]
    if not panel.isVisible() or width < 20 or height < 20:
        cols = n if n <= 8 else 8 * math.ceil(math.sqrt(2 * n) / 8)  # wider than tall
    else:

        def scale(c: int) -> float:
            rows = math.ceil(n / c)
            return min(width / (c * (kw + 1) - 1), height / (rows * (kh + 1) - 1))

        cols = max(range(1, n + 1), key=lambda c: (round(scale(c), 3), -c))
        # a few kernels in one row keep their channel captions (R, G, B by name) for a
        # little less size; named channels are worth more of it
        if n <= 8 and scale(n) >= (0.5 if named else 0.7) * scale(cols):
            cols = n
    if multiplier > 1:  # keep the kernels of one input channel on one row
        cols = multiplier * max(1, round(cols / multiplier))
    return max(1, min(cols, n)) if multiplier == 1 else cols


def draw_depthwise(
    panel: MatrixPanel,
    w: np.ndarray,
    in_channels: int | None,
    key: str,
    cols: int,
    names: list[str] | None,
) -> list[str]:
    """Draw one kernel per channel in ``cols`` columns (``names``: the channels', for a
    single row); returns notes on what is left out or how the multiplier wires them."""
    total, _, kh, kw = w.shape
    multiplier = _multiplier(total, in_channels)
    n = kernels_drawn(total, kh, kw, multiplier)
    mosaic = kernel_mosaic(w[:n, 0], cols, _GAP)

    def describe(r: int, c: int) -> str | None:
        hit = mosaic_cell(r, c, (kh, kw), _GAP)
        if hit is None or hit[0] * cols + hit[1] >= n:
            return None
        ch = hit[0] * cols + hit[1]
        source = f" (from input channel {ch // multiplier})" if multiplier > 1 else ""
        return f"{key}: channel {ch}{source}, kernel ({hit[2]}, {hit[3]}) = {w[ch, 0, hit[2], hit[3]]:.4g}"

    rows = math.ceil(n / cols)
    notes = [f"showing {n} of {total} kernels"] if n < total else []
    if multiplier > 1:
        notes.append(
            f"multiplier {multiplier}: output channel o filters input channel o // {multiplier}"
        )
    step = dict(step=kw + _GAP, offset=kw / 2, max_labels=16)
    x_ticks = index_ticks(cols, **step)  # type: ignore[arg-type]
    if rows == 1 and multiplier == 1 and key != "pointwise.weight":
        x_ticks = named_ticks(names, cols, **step)
    if rows == 1:  # one row: each kernel captioned by its channel, no row axis
        labels = dict(x_label="channel", y_label="", y_ticks=[], x_ticks=x_ticks)
    else:  # short labels: a long one is cut on a low panel
        labels = dict(
            x_label="+ offset",
            y_label="channel",
            x_ticks=[(t, f"+{label}") for t, label in x_ticks],
            y_ticks=[
                (t, str(int(label) * cols))
                for t, label in index_ticks(rows, step=kh + _GAP, offset=kh / 2)
            ],
        )
    panel.set_data(
        mosaic,
        symmetric_levels(w),
        title=f"{kh}×{kw} kernel per channel",
        describe=describe,
        **labels,  # type: ignore[arg-type]
    )
    return notes
