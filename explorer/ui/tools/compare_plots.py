"""Pieces of the standard-vs-separable window: one column per block, and the ratios in words.

All text is made from a :class:`~explorer.core.compute.compare.ComparisonResult`; nothing here
computes or times anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtWidgets

from explorer.core.analysis.costs import LayerCost
from explorer.core.compute.timing import Timing
from explorer.core.text import compact, grouped, separable_ratio_text, times_fewer
from explorer.ui.views.feature_grid import FeatureMapGrid
from explorer.ui.widgets.colormaps import channel_levels, is_diverging

if TYPE_CHECKING:
    from explorer.core.compute.compare import ComparisonResult

__all__ = [
    "BlockColumn",
    "SharedScaleGrid",
    "cost_lines",
    "ratio_lines",
    "seconds_text",
    "shared_levels",
]

#: Feature maps per page in each column.
PAGE_SIZE = 6


def seconds_text(seconds: float) -> str:
    """``0.00123`` → ``"1.23 ms"``; below a millisecond in µs."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1e3:.2f} ms"


def shared_levels(a: np.ndarray, b: np.ndarray, colormap: str) -> tuple[float, float]:
    """One ``(low, high)`` colour scale over both blocks' outputs."""
    both = np.concatenate([np.asarray(a, np.float32).ravel(), np.asarray(b, np.float32).ravel()])
    levels, _ = channel_levels(
        both.reshape(1, 1, -1), per_channel=False, diverging=is_diverging(colormap)
    )
    return float(levels[0, 0]), float(levels[0, 1])


def cost_lines(cost: LayerCost, timing: float | Timing) -> list[str]:
    """Params, MACs, FLOPs and measured time (median ± half the IQR) of one block."""
    if isinstance(timing, Timing):
        q1, q3 = timing.quartiles
        half = (q3 - q1) / 2
        measured = (
            f"{timing.median * 1e6:.0f} ± {half * 1e6:.0f} µs"
            if timing.median < 1e-3
            else f"{timing.median * 1e3:.2f} ± {half * 1e3:.2f} ms"
        )
    else:
        measured = seconds_text(timing)
    return [
        f"params: {grouped(cost.params)}",
        f"MACs: {grouped(cost.macs)}  ({compact(cost.macs)})",
        f"FLOPs: {grouped(cost.flops)}  ({compact(cost.flops)})",
        f"measured forward time: {measured}",
    ]


def ratio_lines(result: ComparisonResult) -> list[str]:
    """The counted and the measured comparison, with the formula filled in."""
    formula = separable_ratio_text(
        result.standard.out_channels, result.standard.kernel_size, digits=4
    )
    return [
        f"Formula: separable / standard MACs = {formula}",
        f"Counted: MACs ratio {result.macs_ratio:.4f} ({times_fewer(result.macs_ratio)}); "
        f"params ratio {result.params_ratio:.4f} ({times_fewer(result.params_ratio)}, "
        "biases included)",
        f"Measured on {result.device}: standard {seconds_text(result.standard_seconds)}, "
        f"separable {seconds_text(result.separable_seconds)} (median of {result.repeats} runs "
        f"after 2 warm-ups) → separable is {result.speed_words}",
    ]


class SharedScaleGrid(FeatureMapGrid):
    """A feature grid whose colour scale can be fixed from outside (shared with the other
    block's grid, so equal values look equal)."""

    fixed_levels: tuple[float, float] | None = None

    def _compute_levels(self) -> None:
        super()._compute_levels()
        if self.fixed_levels is not None:
            self._levels[:] = self.fixed_levels


class BlockColumn(QtWidgets.QGroupBox):
    """A few feature maps of one block and its costs.

    With ``build_now=False`` the feature grid (pyqtgraph plots, tens of ms) is made later:
    by :meth:`build` (the window calls it one column per event-loop turn) or on first use.
    """

    def __init__(
        self, title: str, parent: QtWidgets.QWidget | None = None, *, build_now: bool = True
    ) -> None:
        super().__init__(title, parent)
        self._grid: SharedScaleGrid | None = None
        self._placeholder: QtWidgets.QLabel | None = QtWidgets.QLabel(
            alignment=QtCore.Qt.AlignmentFlag.AlignCenter
        )
        self._placeholder.setMinimumHeight(260)
        self.stats = QtWidgets.QLabel()
        self.stats.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.stats.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.stats.setFont(font)
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.addWidget(self._placeholder, 1)
        self._layout.addWidget(self.stats)
        if build_now:
            self.build()

    @property
    def built(self) -> bool:
        """Whether the feature grid has been made."""
        return self._grid is not None

    @property
    def grid(self) -> FeatureMapGrid:
        """The feature maps of the block (made on first use)."""
        return self.build()

    def build(self) -> FeatureMapGrid:
        """Make the feature grid in place of the placeholder (once)."""
        if self._grid is None:
            grid = SharedScaleGrid(page_size=PAGE_SIZE)
            grid.setMinimumHeight(260)
            if self._placeholder is not None:
                grid.clear(self._placeholder.text())
                self._layout.replaceWidget(self._placeholder, grid)
                self._placeholder.hide()
                self._placeholder.deleteLater()
                self._placeholder = None
            self._grid = grid
        return self._grid

    def show_block(
        self,
        maps: np.ndarray,
        cost: LayerCost,
        timing: float | Timing,
        title: str,
        levels: tuple[float, float] | None = None,
    ) -> None:
        """Show the block's output maps (on ``levels``, when given) and its numbers."""
        self.grid.fixed_levels = levels
        self.grid.set_maps(maps, title=title)
        self.stats.setText("\n".join(cost_lines(cost, timing)))

    def clear(self, message: str) -> None:
        if self._grid is None and self._placeholder is not None:
            self._placeholder.setText(message)  # no need to make the grid for a message
        else:
            self.grid.clear(message)
        self.stats.setText("")
