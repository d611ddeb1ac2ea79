"""One channel at full size, with axes and a colour bar: the enlarged view of the grid."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.ui.views.compact_axis import speed_up
from explorer.ui.views.map_image import MapImageItem
from explorer.ui.widgets.colormaps import colormap, lookup_table
from explorer.ui.widgets.one_pass import paint_together
from explorer.ui.widgets.plot_utils import (
    image_pixel_at,
    image_pixel_scene_pos,
    make_layout_widget,
    style_plot,
)

__all__ = ["ChannelView"]


class ChannelView(QtWidgets.QWidget):
    """A single 2-D map drawn with image row 0 at the top, square pixels, a colour bar.

    Convention: ``image_item.image`` is the ``(H, W)`` map itself (the item uses
    ``axisOrder="row-major"``); the view's x axis is the column, y the row (pointing down).

    Signals
    -------
    pixel_clicked(row, col)
        A left click on a pixel of the map (not on a drag: dragging pans).
    pixel_hovered(row, col, value)
        The mouse moved onto another pixel.
    """

    pixel_clicked = QtCore.Signal(int, int)
    pixel_hovered = QtCore.Signal(int, int, float)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._glw = make_layout_widget(self)
        self.plot = self._glw.addPlot(row=0, col=0)
        style_plot(self.plot)
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.setLabel("bottom", "column")
        self.plot.setLabel("left", "row")
        # colours no more pixels than the screen shows (a 2048×4096 map enlarged in an
        # 800-pixel plot: every 4th row and column), at full resolution when zoomed in
        self.image_item = MapImageItem()
        self.plot.addItem(self.image_item)
        self.colorbar = pg.ColorBarItem(
            values=(0.0, 1.0), width=16, interactive=False, colorMapMenu=False
        )
        style_plot(self.colorbar)
        speed_up(self.colorbar.axis)
        self._glw.addItem(self.colorbar, row=0, col=1)
        self._last_hover: tuple[int, int] | None = None
        self._shape: tuple[int, int] | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._glw)
        scene = self._glw.scene()
        scene.sigMouseClicked.connect(self._on_click)
        scene.sigMouseMoved.connect(self._on_move)

    def set_map(
        self,
        data: np.ndarray,
        levels: tuple[float, float],
        colormap_name: str,
        *,
        finite: bool = False,
    ) -> None:
        """Show the ``(H, W)`` array ``data`` with colour ``levels`` and a named colour map.

        ``finite``: the caller knows ``data`` hold no NaN or infinity (else the pixels
        shown are checked; NaN is drawn clear).
        """
        self.image_item.set_map(data, levels, lookup_table(colormap_name), finite=finite)
        self.colorbar.setColorMap(colormap(colormap_name))
        self.colorbar.setLevels(levels)
        h, w = data.shape
        self.plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)
        self._last_hover = None
        self._shape = (h, w)
        self._fit_box()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        """Paint with the weights in one pass (:mod:`~explorer.ui.widgets.one_pass`)."""
        super().showEvent(event)
        paint_together(self._glw)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt override
        """Keep the plot as wide as the map drawn at the height there is."""
        super().resizeEvent(event)
        QtCore.QTimer.singleShot(0, self._fit_box)

    def _fit_box(self) -> None:
        """The plot no wider than the map at its height: the x axis spans the map (not
        −200…500 around a square map in a wide window)."""
        vb = self.plot.vb
        if self._shape is None or vb.height() <= 0:
            return
        h, w = self._shape
        extra = self.plot.width() - vb.width()
        self._glw.ci.layout.setColumnMaximumWidth(0, max(60.0, extra + vb.height() * w / h + 4))

    def pixel_at(self, scene_pos: QtCore.QPointF) -> tuple[int, int] | None:
        """``(row, col)`` of the map under a scene position, or ``None`` outside the map."""
        return image_pixel_at(self.plot.vb, self.image_item, scene_pos)

    def scene_pos_of(self, row: int, col: int) -> QtCore.QPointF:
        """Scene position of the centre of pixel ``(row, col)``."""
        return image_pixel_scene_pos(self.plot.vb, self.image_item, row, col)

    def graphics_view(self) -> pg.GraphicsLayoutWidget:
        """The graphics view (for tests that click at a scene position)."""
        return self._glw

    def _on_click(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton or not self.isVisible():
            return
        hit = self.pixel_at(event.scenePos())
        if hit is not None:
            self.pixel_clicked.emit(*hit)

    def _on_move(self, scene_pos: QtCore.QPointF) -> None:
        hit = self.pixel_at(scene_pos)
        if hit is None or hit == self._last_hover:
            return
        self._last_hover = hit
        self.pixel_hovered.emit(hit[0], hit[1], float(self.image_item.image[hit]))
