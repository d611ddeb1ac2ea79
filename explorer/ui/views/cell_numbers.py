"""One graphics item that writes a number in each cell of an image.

A weight matrix of 16 × 8 holds 128 numbers; one ``pg.TextItem`` per number cost about
15-20 ms per update (each item lays itself out and is repainted on its own). This item
keeps the numbers as strings and draws all of them in one ``paint``, in screen pixels at
the cell centres, so the text keeps its size whatever the zoom.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["CellNumbers", "format_cell"]

_LIGHT = QtGui.QColor(255, 255, 255)
_DARK = QtGui.QColor(0, 0, 0)
#: Widest text a cell must hold, and the margin around it (screen pixels).
_WIDEST = "-0.00"
_MARGIN_W, _MARGIN_H = 4.0, -2.0


def format_cell(value: float) -> str:
    """A weight as written in its cell: two decimals, no ``-0.00``."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


class CellNumbers(QtWidgets.QGraphicsItem):
    """The numbers of an image's cells, drawn by one item in the image's coordinates.

    Cell ``(row, col)`` spans ``[col, col + 1] × [row, row + 1]``, as in an ``ImageItem``
    with row-major axis order. Nothing is drawn while a cell is smaller on screen than a
    number needs (:meth:`fits`).

    Font scaling (presentation mode) goes through :attr:`font_factor`, so that a new
    base font set with the data keeps the scale.
    """

    def __init__(self, parent: QtWidgets.QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self._rows = np.empty(0, np.float64)
        self._cols = np.empty(0, np.float64)
        self._light = np.empty(0, bool)
        self._texts: list[str] = []
        self._rect = QtCore.QRectF()
        self._base_font = QtGui.QFont()
        self._base_font.setPixelSize(12)
        self.font_factor = 1.0
        self._font = QtGui.QFont(self._base_font)
        self._need = self._base_need = (0.0, 0.0)
        self._update_font()
        self.setZValue(10)  # above the image

    # ------------------------------------------------------------------ data
    def set_cells(
        self, data: np.ndarray, cells: np.ndarray, light: np.ndarray, font: QtGui.QFont
    ) -> None:
        """Write ``data[r, c]`` for each ``(r, c)`` row of ``cells``; ``light`` marks the
        cells written in white (on the dark ends of the colour map)."""
        cells = np.asarray(cells).reshape(-1, 2)
        self._rows = cells[:, 0] + 0.5
        self._cols = cells[:, 1] + 0.5
        self._light = np.asarray(light, bool).reshape(-1)
        self._texts = [format_cell(v) for v in data[cells[:, 0], cells[:, 1]].tolist()]
        if font != self._base_font:
            self._base_font = QtGui.QFont(font)
            self._update_font()
        h, w = data.shape
        rect = QtCore.QRectF(0.0, 0.0, float(w), float(h)) if self._texts else QtCore.QRectF()
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def texts(self) -> list[str]:
        """The numbers, in the order of the cells given."""
        return list(self._texts)

    # ------------------------------------------------------------------ fonts
    def font(self) -> QtGui.QFont:
        """The font the numbers are drawn with (the base font scaled by the factor)."""
        return QtGui.QFont(self._font)

    def base_font(self) -> QtGui.QFont:
        return QtGui.QFont(self._base_font)

    def set_font_factor(self, factor: float) -> None:
        """Scale the base font by ``factor`` (1.0: as set with the data)."""
        if factor != self.font_factor:
            self.font_factor = float(factor)
            self._update_font()
            self.update()

    def text_size(self) -> tuple[float, float]:
        """Screen size ``(width, height)`` in pixels that a cell needs to hold a number."""
        return self._need

    def _update_font(self) -> None:
        font = QtGui.QFont(self._base_font)
        if self.font_factor != 1.0:
            if font.pixelSize() > 0:
                font.setPixelSize(max(1, round(font.pixelSize() * self.font_factor)))
            else:
                font.setPointSizeF(font.pointSizeF() * self.font_factor)
        self._font = font
        metrics = QtGui.QFontMetricsF(font)
        self._need = (metrics.horizontalAdvance(_WIDEST) + _MARGIN_W, metrics.height() + _MARGIN_H)
        base = QtGui.QFontMetricsF(self._base_font)
        self._base_need = (
            min(self._need[0], base.horizontalAdvance(_WIDEST) + _MARGIN_W),
            min(self._need[1], base.height() + _MARGIN_H),
        )

    def least_text_size(self) -> tuple[float, float]:
        """Screen size a cell needs for a number in the unscaled font (used when the
        scaled one of presentation mode does not fit)."""
        return self._base_need

    # ------------------------------------------------------------------ drawing
    def fits(self, cell_w_px: float, cell_h_px: float) -> bool:
        """Whether a cell of this screen size holds a number (in either font)."""
        return cell_w_px >= self._base_need[0] and cell_h_px >= self._base_need[1]

    def _font_for(self, cell_w_px: float, cell_h_px: float) -> QtGui.QFont:
        if cell_w_px >= self._need[0] and cell_h_px >= self._need[1]:
            return self._font
        return self._base_font

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt override
        return QtCore.QRectF(self._rect)

    def paint(self, painter: QtGui.QPainter, option: object, widget: object = None) -> None:
        if not self._texts:
            return
        t = painter.worldTransform()
        cell_w, cell_h = math.hypot(t.m11(), t.m12()), math.hypot(t.m21(), t.m22())
        if not self.fits(cell_w, cell_h):
            return
        # cell centres in device pixels; the text is drawn there untransformed
        xs = t.m11() * self._cols + t.m21() * self._rows + t.dx() - cell_w / 2
        ys = t.m12() * self._cols + t.m22() * self._rows + t.dy() - cell_h / 2
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font_for(cell_w, cell_h))
        centre = QtCore.Qt.AlignmentFlag.AlignCenter
        texts = self._texts
        for light, color in ((False, _DARK), (True, _LIGHT)):
            painter.setPen(color)
            for i in np.flatnonzero(self._light == light).tolist():
                painter.drawText(QtCore.QRectF(xs[i], ys[i], cell_w, cell_h), centre, texts[i])
        painter.restore()
