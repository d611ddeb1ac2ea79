"""Small helpers shared by the plotting views: theme colours, number formats, ticks."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.text import compact, grouped  # re-exported: the views' number formats

__all__ = [
    "compact",
    "grouped",
    "image_pixel_at",
    "image_pixel_scene_pos",
    "index_ticks",
    "make_layout_widget",
    "style_plot",
    "theme_colors",
]


def theme_colors() -> tuple[QtGui.QColor, QtGui.QColor]:
    """``(background, foreground)`` of the application palette, so plots follow the
    light or dark theme of the rest of the window."""
    app = QtWidgets.QApplication.instance()
    palette = app.palette() if isinstance(app, QtWidgets.QApplication) else QtGui.QPalette()
    return (
        palette.color(QtGui.QPalette.ColorRole.Base),
        palette.color(QtGui.QPalette.ColorRole.Text),
    )


def make_layout_widget(parent: QtWidgets.QWidget | None = None) -> pg.GraphicsLayoutWidget:
    """A :class:`pyqtgraph.GraphicsLayoutWidget` in the theme's colours, no frame."""
    background, _ = theme_colors()
    glw = pg.GraphicsLayoutWidget(parent)
    glw.setBackground(background)
    glw.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    glw.ci.setContentsMargins(4, 4, 4, 4)
    return glw


def style_plot(plot: pg.PlotItem, *, font_px: int = 12) -> None:
    """Axes in the theme's text colour with a readable font; no mouse pan/zoom menu."""
    _, foreground = theme_colors()
    font = QtGui.QFont()
    font.setPixelSize(font_px)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(foreground)
        axis.setTextPen(foreground)
        axis.setTickFont(font)
        axis.label.setFont(font)
    plot.titleLabel.item.setDefaultTextColor(foreground)
    plot.setMenuEnabled(False)
    plot.hideButtons()


def image_pixel_at(
    view_box: pg.ViewBox, image: pg.ImageItem, scene_pos: QtCore.QPointF
) -> tuple[int, int] | None:
    """``(row, col)`` of the pixel of a row-major ``image`` under a scene position.

    Returns ``None`` when the item has no image or the position lies outside it.
    """
    data = image.image
    if data is None:
        return None
    view_box.updateMatrix()  # the view may have moved since the last paint
    point = image.mapFromScene(scene_pos)
    row, col = math.floor(point.y()), math.floor(point.x())
    if 0 <= row < data.shape[0] and 0 <= col < data.shape[1]:
        return row, col
    return None


def image_pixel_scene_pos(
    view_box: pg.ViewBox, image: pg.ImageItem, row: int, col: int
) -> QtCore.QPointF:
    """Scene position of the centre of pixel ``(row, col)`` of a row-major ``image``."""
    view_box.updateMatrix()
    return image.mapToScene(QtCore.QPointF(col + 0.5, row + 0.5))


def index_ticks(
    count: int, *, max_labels: int = 24, offset: float = 0.5, step: float = 1.0, first: int = 0
) -> list[tuple[float, str]]:
    """Integer tick labels at the centres of ``count`` cells.

    Cell ``i`` spans ``[i·step, i·step + 1)`` in view coordinates (``step`` > 1 leaves room
    for gaps between kernels) and is labelled ``first + i``. At most about ``max_labels``
    labels are made: every 1st, 2nd, 4th, 5th, 8th, 10th, 16th … cell.

    Returns
    -------
    list of (position, label)
        Ready for ``AxisItem.setTicks([ticks])``.
    """
    every = 1
    for candidate in (1, 2, 4, 5, 8, 10, 16, 20, 32, 50, 64, 100, 128, 256, 512, 1024):
        every = candidate
        if math.ceil(count / candidate) <= max_labels:
            break
    return [(i * step + offset, str(first + i)) for i in range(0, count, every)]
