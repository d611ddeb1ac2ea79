"""Building blocks of the weight view: kernel mosaics and one heat-map panel.

Mosaic convention: kernel ``i`` of an ``(n, kh, kw)`` stack goes to grid cell
``(i // cols, i % cols)``; cells are separated by a ``gap`` of NaN pixels (drawn
transparent), so the mosaic is ``rows·(kh+gap) − gap`` by ``cols·(kw+gap) − gap``.
Row 0 of a kernel is drawn at the top, as torch's cross-correlation reads it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from .colormaps import DEFAULT_WEIGHT_COLORMAP, colormap, lookup_table
from .plot_utils import (
    image_pixel_at,
    image_pixel_scene_pos,
    make_layout_widget,
    style_plot,
    theme_colors,
)

__all__ = ["MAX_TEXT_SIDE", "MatrixPanel", "kernel_mosaic", "mosaic_cell"]

#: Numbers are written in the cells when the image is at most this many cells each way.
MAX_TEXT_SIDE = 16
_COLORBAR_PX = 58
_MIN_PLOT_PX = 48


def kernel_mosaic(kernels: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """Lay out ``(n, kh, kw)`` kernels in a grid with ``cols`` columns and NaN gaps.

    Returns
    -------
    np.ndarray
        2-D float32 mosaic; unused cells of the last row are NaN.
    """
    n, kh, kw = kernels.shape
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    cells = np.full((rows * cols, kh + gap, kw + gap), np.nan, np.float32)
    cells[:n, :kh, :kw] = kernels
    grid = cells.reshape(rows, cols, kh + gap, kw + gap).transpose(0, 2, 1, 3)
    mosaic = grid.reshape(rows * (kh + gap), cols * (kw + gap))
    return np.ascontiguousarray(mosaic[: mosaic.shape[0] - gap, : mosaic.shape[1] - gap])


def mosaic_cell(
    row: int, col: int, kernel_shape: tuple[int, int], gap: int
) -> tuple[int, int, int, int] | None:
    """``(cell_row, cell_col, kernel_row, kernel_col)`` of a mosaic pixel; ``None`` in a gap."""
    kh, kw = kernel_shape
    cell_r, r = divmod(row, kh + gap)
    cell_c, c = divmod(col, kw + gap)
    if r >= kh or c >= kw:
        return None
    return cell_r, cell_c, r, c


_LIGHT = QtGui.QColor(255, 255, 255)  # pyqtgraph's "w"
_DARK = QtGui.QColor(0, 0, 0)  # pyqtgraph's "k"


def _show(item: QtWidgets.QGraphicsItem, visible: bool) -> None:
    """``setVisible`` only on a change: a TextItem recomputes its transform every time."""
    if item.isVisibleTo(None) != visible:
        item.setVisible(visible)


def _format(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


class MatrixPanel(QtWidgets.QWidget):
    """A heat map of a 2-D array in a plot with integer ticks, a colour bar, and the
    numbers written in the cells when there are few.

    Signals
    -------
    hovered(text)
        The mouse is over a cell: ``describe(row, col)`` of that cell.
    """

    hovered = QtCore.Signal(str)

    def __init__(
        self, parent: QtWidgets.QWidget | None = None, *, show_colorbar: bool = True
    ) -> None:
        super().__init__(parent)
        self.view = make_layout_widget()
        self.plot: pg.PlotItem = self.view.addPlot(row=0, col=0)
        style_plot(self.plot)
        self.plot.invertY(True)
        self.plot.setMouseEnabled(x=False, y=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image_item)
        self.colorbar = pg.ColorBarItem(values=(-1.0, 1.0), width=12, interactive=False,
                                        colorMapMenu=False)
        style_plot(self.colorbar, font_px=10)
        self.colorbar.setFixedWidth(_COLORBAR_PX)
        self.show_colorbar = show_colorbar
        if show_colorbar:  # a bias strip writes its numbers and needs no bar of its own
            self.view.addItem(self.colorbar, row=0, col=1)
        self.view.ci.layout.setColumnStretchFactor(0, 1)
        self.levels: tuple[float, float] = (-1.0, 1.0)
        self.describe: Callable[[int, int], str | None] = lambda r, c: None
        self._texts: list[pg.TextItem] = []
        self._written = 0  # how many of _texts hold a number for the current data
        self._text_px = (24.0, 11.0)  # screen size a cell needs to hold its number
        self._title_text = ""
        self._y_labels: list[str] = []
        self._ticks: tuple[list, list] = ([], [])
        # numbers are drawn only while a cell is big enough on screen to hold one
        self.plot.vb.sigResized.connect(self._fit_numbers)
        self.plot.vb.sigResized.connect(self._thin_ticks)
        self.plot.vb.sigRangeChanged.connect(self._fit_numbers)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.view.scene().sigMouseMoved.connect(self._on_move)
    def set_data(
        self,
        data: np.ndarray,
        levels: tuple[float, float],
        *,
        title: str,
        x_label: str,
        y_label: str,
        x_ticks: list[tuple[float, str]],
        y_ticks: list[tuple[float, str]],
        describe: Callable[[int, int], str | None],
        square: bool = True,
        numbers: bool | None = None,
        colormap_name: str = DEFAULT_WEIGHT_COLORMAP,
    ) -> None:
        """Show ``data`` (2-D; NaN = gap) with colour ``levels`` and labelled axes.

        ``describe(row, col)`` turns a pixel into the hover text (``None`` for a gap).
        ``square`` locks the aspect (kernels); a matrix may fill the panel instead.
        ``numbers`` writes each value in its cell; by default when the image is at most
        :data:`MAX_TEXT_SIDE` cells each way.
        """
        self.levels = levels
        self.describe = describe
        self.image_item.setImage(data, autoLevels=False, levels=levels,
                                 lut=lookup_table(colormap_name))
        self.colorbar.setColorMap(colormap(colormap_name))
        self.colorbar.setLevels(levels)
        self.plot.setAspectLocked(square)
        self.plot.setTitle(title, size="10pt", color=theme_colors()[1])
        self._title_text = title
        self._y_labels = [label for _, label in y_ticks]
        self._ticks = (list(x_ticks), list(y_ticks))
        self.plot.setLabel("bottom", x_label)
        self.plot.setLabel("left", y_label)
        h, w = data.shape
        self.plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)
        if numbers is None:
            numbers = max(h, w) <= MAX_TEXT_SIDE
        self._write_numbers(data, levels, numbers)
        self._thin_ticks()
        self.updateGeometry()

    def _thin_ticks(self, *_: object) -> None:
        """Label every 1st, 2nd, 4th, 5th … tick, as many as fit without overlapping."""
        width, height = self.plot.vb.viewPixelSize()  # data units per screen pixel
        font = QtGui.QFont()
        font.setPixelSize(12)
        fm = QtGui.QFontMetrics(font)
        for name, ticks, unit in (("bottom", self._ticks[0], width),
                                  ("left", self._ticks[1], height)):
            every = 1
            if len(ticks) > 1 and unit > 0:
                gap_px = (ticks[1][0] - ticks[0][0]) / unit
                need = (max(fm.horizontalAdvance(t) for _, t in ticks) + 8 if name == "bottom"
                        else fm.height() + 1)
                for every in (1, 2, 4, 5, 8, 10, 16, 20, 32, 50, 64, 100, 128, 256):
                    if every * gap_px >= need:
                        break
            self.plot.getAxis(name).setTicks([ticks[::every], []])

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        """Room for the title, the axes, the colour bar and a small plot, so that a layout
        never squeezes the graphics below what they need (they would be clipped)."""
        tick = QtGui.QFont()
        tick.setPixelSize(12)
        fm = QtGui.QFontMetrics(tick)
        title = QtGui.QFont()
        title.setPointSizeF(10)
        title_px = QtGui.QFontMetrics(title).horizontalAdvance(self._title_text) + 16
        left = 0
        if self.plot.getAxis("left").isVisible():
            widest = max((fm.horizontalAdvance(t) for t in self._y_labels), default=0)
            left = widest + 5 + fm.height() + 12  # tick labels, tick marks, axis label
        bar = _COLORBAR_PX + 6 if self.show_colorbar else 0
        plot_px = max(_MIN_PLOT_PX, int(self._text_px[0]) + 8 if self._written else 0)
        width = left + max(plot_px, title_px) + bar + 12  # the title spans the plot only
        height = 2 * fm.height() + 24 + (fm.height() + 6 if self._title_text else 0)
        return QtCore.QSize(width, height + _MIN_PLOT_PX)

    def _write_numbers(self, data: np.ndarray, levels: tuple[float, float], show: bool) -> None:
        finite = np.argwhere(np.isfinite(data))
        cells = finite if show else finite[:0]
        while len(self._texts) < len(cells):
            text = pg.TextItem(anchor=(0.5, 0.5))
            self.plot.addItem(text, ignoreBounds=True)
            self._texts.append(text)
        font = QtGui.QFont()
        font.setPixelSize(10 if len(cells) > 64 else 12)
        metrics = QtGui.QFontMetrics(font)
        self._text_px = (metrics.horizontalAdvance("-0.00") + 4.0, metrics.height() - 2.0)
        bound = max(abs(levels[0]), abs(levels[1])) or 1.0
        # Only what changed is set: a TextItem's colour, font, position and visibility
        # each cost about as much as its text, and every edit of the layer rewrites them.
        for text, (r, c) in zip(self._texts, cells, strict=False):
            value = float(data[r, c])
            # dark ends of the diverging map get light text
            color = _LIGHT if abs(value) > 0.6 * bound else _DARK
            if text.color != color:
                text.setColor(color)
            text.setText(_format(value))
            if text.textItem.font() != font:
                text.setFont(font)
            pos = QtCore.QPointF(c + 0.5, r + 0.5)
            if text.pos() != pos:
                text.setPos(pos)
        for text in self._texts[len(cells):]:
            _show(text, False)
        self._written = len(cells)
        self._fit_numbers()  # shows the written numbers, when they fit

    def _fit_numbers(self, *_: object) -> None:
        """Hide the numbers while the cells are too small on screen to read them."""
        if not self._written:
            return
        width, height = self.plot.vb.viewPixelSize()  # data units per screen pixel
        need_w, need_h = self._text_px
        fits = width > 0 and height > 0 and 1 / width >= need_w and 1 / height >= need_h
        for text in self._texts[: self._written]:
            _show(text, fits)

    def cell_texts(self) -> list[str]:
        """The numbers written in the cells (for tests), in row-major order."""
        return [t.toPlainText() for t in self._texts[: self._written]]

    def pixel_at(self, scene_pos: QtCore.QPointF) -> tuple[int, int] | None:
        """``(row, col)`` of the image under a scene position, or ``None``."""
        return image_pixel_at(self.plot.vb, self.image_item, scene_pos)

    def scene_pos_of(self, row: int, col: int) -> QtCore.QPointF:
        """Scene position of the centre of image pixel ``(row, col)``."""
        return image_pixel_scene_pos(self.plot.vb, self.image_item, row, col)

    def _on_move(self, scene_pos: QtCore.QPointF) -> None:
        hit = self.pixel_at(scene_pos)
        text = self.describe(*hit) if hit is not None else None
        if text:
            self.hovered.emit(text)
