"""The live views of the Fit dock: the loss curve (log scale), the residual map and the
trained weights as numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.ui.widgets.colormaps import DEFAULT_WEIGHT_COLORMAP, lookup_table, symmetric_levels
from explorer.ui.widgets.plot_utils import make_layout_widget, style_plot

__all__ = ["FitPlots", "weights_text"]

#: Trained tensors with at most this many values in all are written out as numbers.
MAX_SHOWN_VALUES = 48
_FLOOR = 1e-30  # a log axis cannot show 0


def _fmt(v: float) -> str:
    return f"{v:+.3f}" if abs(v) >= 1e-3 or v == 0 else f"{v:+.1e}"


def weights_text(layers: Sequence[Any], trained: Sequence[int]) -> str:
    """The trained layers' weights as rows of numbers (small layers) or a count."""
    lines = []
    for index in trained:
        spec = layers[index]
        for name, source in spec.weights:
            values = np.asarray(getattr(source, "values", ()), dtype=np.float64)
            shape = tuple(getattr(source, "shape", ()))
            head = f"layer {index + 1} {name}"
            if values.size == 0:
                continue
            if values.size > MAX_SHOWN_VALUES:
                lines.append(f"{head}: {values.size:,} values")
                continue
            rows = values.reshape(shape[0], -1) if shape else values[None]
            lines.append(f"{head}:")
            lines += ["  " + " ".join(_fmt(v) for v in row) for row in rows]
    return "\n".join(lines)


class FitPlots(QtWidgets.QWidget):
    """Loss curve, residual map (output − target, one channel) and weights."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps = np.zeros(0)
        self._losses = np.zeros(0)
        self._residual: np.ndarray | None = None
        glw = self.graphics = make_layout_widget(self)
        # no context menu (style_plot turns it off): its view box menu is not built at all
        plot = self.loss_plot = glw.addPlot(row=0, col=0, enableMenu=False)
        style_plot(plot)
        plot.setLabel("left", "loss (log)")
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.setLogMode(x=False, y=True)
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setLabel("bottom", "step")
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        self.loss_curve = plot.plot(pen=pg.mkPen((40, 120, 220), width=2))
        self.residual_graphics = make_layout_widget(self)
        view = self.residual_view = self.residual_graphics.addViewBox(row=0, col=0, lockAspect=True)
        view.invertY(True)
        view.setMouseEnabled(False, False)
        self.residual_image = pg.ImageItem(axisOrder="row-major")
        self.residual_image.setLookupTable(lookup_table(DEFAULT_WEIGHT_COLORMAP))
        view.addItem(self.residual_image)
        self.residual_label = QtWidgets.QLabel("residual (output − target)")
        self.residual_label.setWordWrap(True)
        self.channel = QtWidgets.QSpinBox()
        self.channel.setPrefix("channel ")
        self.channel.setRange(1, 1)
        self.channel.valueChanged.connect(self._show_residual)
        self.weights_label = QtWidgets.QLabel()
        self.weights_label.setFont(
            QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        )
        self.weights_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.weights_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        self.weights_label.setWordWrap(False)
        weights = self._weights_scroll = QtWidgets.QScrollArea()
        weights.setWidget(self.weights_label)
        weights.setWidgetResizable(True)
        weights.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self._row = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(self._row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.residual_label, 1)
        row.addWidget(self.channel)
        # the loss plot keeps room for its axis label and numbers when it shares a
        # column with the other plots (a 1280×720 side dock squeezed it to 20 px)
        self.graphics.setMinimumHeight(140)  # a readable log axis
        self.residual_graphics.setMinimumHeight(60)
        self._grid = QtWidgets.QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._narrow: bool | None = None
        self.set_narrow(False)

    def set_narrow(self, narrow: bool) -> None:
        """Under the maps: loss | residual | weights side by side. In a side column: the loss
        curve across the top, the residual map and the weights under it."""
        if narrow == self._narrow:
            return
        self._narrow = narrow
        grid = self._grid
        for w in (self.graphics, self.residual_graphics, self._weights_scroll, self._row):
            grid.removeWidget(w)
        for i in range(3):
            grid.setRowStretch(i, 0)
            grid.setColumnStretch(i, 0)
        if narrow:
            grid.addWidget(self.graphics, 0, 0, 1, 2)
            grid.addWidget(self.residual_graphics, 1, 0)
            grid.addWidget(self._weights_scroll, 1, 1)
            grid.addWidget(self._row, 2, 0, 1, 2)
            grid.setRowStretch(0, 3)
            grid.setRowStretch(1, 2)
            grid.setColumnStretch(0, 1)
            grid.setColumnStretch(1, 1)
        else:
            grid.addWidget(self.graphics, 0, 0)
            grid.addWidget(self.residual_graphics, 0, 1)
            grid.addWidget(self._weights_scroll, 0, 2, 2, 1)
            grid.addWidget(self._row, 1, 0, 1, 2)
            grid.setRowStretch(0, 1)
            grid.setColumnStretch(0, 3)
            grid.setColumnStretch(1, 2)
            grid.setColumnStretch(2, 2)

    # ------------------------------------------------------------------ data
    def clear(self) -> None:
        """Forget the curve and the maps (a new fit, or reset)."""
        self._steps, self._losses = np.zeros(0), np.zeros(0)
        self.loss_curve.setData([], [])
        self.loss_plot.setRange(xRange=(0, 1), yRange=(-4, 0), padding=0)  # log10 units
        self.loss_plot.enableAutoRange()
        self._residual = None
        self.residual_image.clear()
        self.weights_label.clear()

    def add_losses(self, steps: Sequence[int], losses: Sequence[float]) -> None:
        """Append points to the loss curve (zeros drawn at 1e-30)."""
        if not len(steps):
            return
        self._steps = np.concatenate([self._steps, np.asarray(steps, dtype=np.float64)])
        values = np.asarray(losses, dtype=np.float64)
        values = np.where(np.isfinite(values), np.maximum(values, _FLOOR), np.nan)
        self._losses = np.concatenate([self._losses, values])
        self.loss_curve.setData(self._steps, self._losses, connect="finite")

    @property
    def point_count(self) -> int:
        """How many losses the curve holds."""
        return int(self._steps.size)

    def set_residual(self, residual: np.ndarray | None) -> None:
        """Show ``residual`` ``(C, H, W)`` (output − target) with symmetric levels."""
        self._residual = None if residual is None else np.asarray(residual)
        if self._residual is not None:
            channels = self._residual.shape[0]
            self.channel.setRange(1, channels)
            self.channel.setEnabled(channels > 1)
        self._show_residual()

    def _show_residual(self) -> None:
        if self._residual is None:
            self.residual_image.clear()
            return
        c = min(self.channel.value(), self._residual.shape[0]) - 1
        data = self._residual[c]
        low, high = symmetric_levels(data)
        self.residual_image.setImage(data, levels=(low, high), autoLevels=False)
        self.residual_label.setText(
            f"residual (output − target), channel {c + 1}: max |r| = {high:.3g}"
        )
        self.residual_view.autoRange(padding=0)

    def set_weights(self, layers: Sequence[Any], trained: Sequence[int]) -> None:
        self.weights_label.setText(weights_text(layers, trained))
