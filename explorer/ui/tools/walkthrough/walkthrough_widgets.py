"""The walk-through dock's drawing widgets: the frame canvas and the two map pickers.

:class:`FrameCanvas` paints the current step of a precomputed walk (nothing is computed
while painting). :class:`MapPicker` shows a map as an image: on the layer's input a drag
draws the region of interest (a click centres an 8×8 box there); on the output map a click
picks an output position.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from explorer.core.analysis.walkthrough import Region, Walk
from explorer.ui.tools.walkthrough.walkthrough_paint import paint_frame

__all__ = ["FrameCanvas", "MapPicker", "map_image"]


def map_image(values: np.ndarray) -> QImage:
    """A ``(3, H, W)`` image in 0…1 as colour, else the channel mean as gray (min–max)."""
    values = np.asarray(values, dtype=np.float32)
    if values.ndim == 3 and values.shape[0] == 3 and values.min() >= 0 and values.max() <= 1:
        rgb = np.ascontiguousarray((np.moveaxis(values, 0, -1) * 255).round().astype(np.uint8))
    else:
        gray = values.mean(axis=0) if values.ndim == 3 else values
        lo, hi = float(np.nanmin(gray)), float(np.nanmax(gray))
        norm = (gray - lo) / (hi - lo) if hi > lo else np.zeros_like(gray)
        rgb = np.ascontiguousarray(
            np.repeat((norm * 255).round().astype(np.uint8)[..., None], 3, axis=-1)
        )
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class FrameCanvas(QWidget):
    """Paints step :attr:`index` of :attr:`walk` (16:9, letterboxed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.walk: Walk | None = None
        self.index = 0
        self.title = ""
        self.message = "Select a layer: its walk-through appears here."
        self.setMinimumSize(240, 135)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(800, 450)

    def show_step(self, walk: Walk | None, index: int, title: str = "") -> None:
        """Show step ``index`` of ``walk`` (``None``: the message)."""
        self.walk, self.index, self.title = walk, index, title
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        if self.walk is None or not self.walk.steps:
            p.fillRect(self.rect(), self.palette().window())
            p.setPen(self.palette().windowText().color())
            p.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message
            )
        else:
            paint_frame(p, self.width(), self.height(), self.walk, self.index, self.title)
        p.end()


class MapPicker(QWidget):
    """A map drawn as an image, with a box on it; drag or click to choose.

    Signals
    -------
    region_chosen(Region)
        (input picker) the box dragged, or an 8×8 box centred on a click.
    pixel_clicked(int, int)
        (output picker) the ``(row, col)`` clicked.
    """

    region_chosen = Signal(object)
    pixel_clicked = Signal(int, int)

    def __init__(self, title: str, *, drag: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.drag = drag
        self.image: QImage | None = None
        self.box: Region | None = None
        self.marker: tuple[int, int] | None = None
        self._press: tuple[int, int] | None = None
        self._rubber: Region | None = None
        self.setMinimumSize(96, 80)
        self.setCursor(Qt.CursorShape.CrossCursor)
        tip = (
            "Drag a box: the region whose output positions are walked through"
            if drag
            else "Click an output position to jump to it"
        )
        self.setToolTip(tip)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(150, 120)

    def set_map(
        self, image: QImage | None, box: Region | None, marker: tuple[int, int] | None = None
    ) -> None:
        self.image, self.box, self.marker = image, box, marker
        self.update()

    def _target(self) -> QRectF:
        top = 22.0
        if self.image is None or self.image.isNull():
            return QRectF(0, top, self.width(), self.height() - top)
        w, h = self.image.width(), self.image.height()
        s = min(self.width() / w, (self.height() - top) / h)
        return QRectF((self.width() - w * s) / 2, top, w * s, h * s)

    def _cell(self, pos: QPointF) -> tuple[int, int] | None:
        if self.image is None:
            return None
        t = self._target()
        r = int((pos.y() - t.top()) / t.height() * self.image.height())
        c = int((pos.x() - t.left()) / t.width() * self.image.width())
        r = min(max(r, 0), self.image.height() - 1)
        c = min(max(c, 0), self.image.width() - 1)
        return r, c

    def _rect(self, box: Region) -> QRectF:
        t = self._target()
        sy, sx = t.height() / self.image.height(), t.width() / self.image.width()
        rect = QRectF(
            t.left() + box.left * sx, t.top() + box.top * sy, box.width * sx, box.height * sy
        )
        grow = max(0.0, 8 - rect.width()) / 2, max(0.0, 8 - rect.height()) / 2
        return rect.adjusted(-grow[0], -grow[1], grow[0], grow[1])  # at least 8 px

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.setPen(self.palette().windowText().color())
        p.drawText(QRectF(0, 0, self.width(), 20), Qt.AlignmentFlag.AlignLeft, self.title)
        if self.image is not None and not self.image.isNull():
            p.drawImage(self._target(), self.image)
            for box, color in ((self.box, "#ff3b30"), (self._rubber, "#ffcc00")):
                if box is not None:
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.setPen(QPen(QColor(color), 2))
                    rect = self._rect(box)
                    p.drawRect(rect)
                    p.setPen(QPen(QColor(color), 1, Qt.PenStyle.DotLine))
                    t = self._target()
                    p.drawLine(
                        QPointF(t.left(), rect.center().y()),
                        QPointF(rect.left(), rect.center().y()),
                    )
                    p.drawLine(
                        QPointF(rect.center().x(), t.top()), QPointF(rect.center().x(), rect.top())
                    )
            if self.marker is not None:
                p.setPen(QPen(QColor("#ffcc00"), 2))
                p.drawRect(self._rect(Region(self.marker[0], self.marker[1], 1, 1)))
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt naming)
        self._press = self._cell(event.position())
        if self._press is not None and not self.drag:
            self.pixel_clicked.emit(*self._press)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt naming)
        here = self._cell(event.position())
        if self.drag and self._press is not None and here is not None:
            self._rubber = _box(self._press, here)
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt naming)
        here = self._cell(event.position())
        if self.drag and self._press is not None and here is not None and self.image is not None:
            if here == self._press:  # a click: an 8×8 box centred there
                h, w = self.image.height(), self.image.width()
                top = min(max(here[0] - 4, 0), max(h - 8, 0))
                left = min(max(here[1] - 4, 0), max(w - 8, 0))
                region = Region(top, left, min(8, h), min(8, w))
            else:
                region = _box(self._press, here)
            self.region_chosen.emit(region)
        self._press, self._rubber = None, None
        self.update()


def _box(a: tuple[int, int], b: tuple[int, int]) -> Region:
    top, left = min(a[0], b[0]), min(a[1], b[1])
    return Region(top, left, abs(a[0] - b[0]) + 1, abs(a[1] - b[1]) + 1)
