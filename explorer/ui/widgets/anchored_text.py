"""A cheap text label for pyqtgraph views: fixed pixel size, anchored at a data point.

:class:`pyqtgraph.TextItem` recomputes its transform in Python at every change of the
view (and at each of its own changes: each ``setPos`` or ``setText`` costs 0.2-0.5 ms of
the GUI thread), so a diagram with dozens of labels took 20-50 ms to draw.
:class:`AnchoredText` is a :class:`QGraphicsSimpleTextItem` that ignores the view's
transformations (Qt keeps it at its point in C++) and shifts itself by its anchor when it
paints, so it can be moved and re-texted for the cost of the Qt calls alone, and reused.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["AnchoredText"]


class AnchoredText(QtWidgets.QGraphicsSimpleTextItem):
    """Text whose point ``anchor`` (fractions of its box, as for ``pg.TextItem``) sits at
    its position, drawn at its font's size whatever the zoom.

    Parameters
    ----------
    text
        The text (``"\\n"`` separates lines).
    color
        The text's colour.
    anchor
        ``(0, 0)`` puts the top-left corner at the position, ``(0.5, 1)`` the middle of
        the bottom edge.
    margin
        Pixels of empty border counted in the box (``pg.TextItem`` has 4: its document's
        margin), so the anchors place text as ``pg.TextItem`` does.
    """

    def __init__(
        self,
        text: str = "",
        color: QtGui.QColor | str | tuple = "w",
        anchor: tuple[float, float] = (0.0, 0.0),
        margin: float = 4.0,
    ) -> None:
        super().__init__(text)
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self._anchor = (float(anchor[0]), float(anchor[1]))
        self._margin = float(margin)
        self._box: QtCore.QRectF | None = None  # boundingRect, kept: asked at every paint
        self.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        self.set_color(color)

    @property
    def anchor(self) -> tuple[float, float]:
        """The anchor, as given."""
        return self._anchor

    def set_anchor(self, anchor: tuple[float, float]) -> None:
        """Move the anchor point (the position stays)."""
        anchor = (float(anchor[0]), float(anchor[1]))
        if anchor != self._anchor:
            self.prepareGeometryChange()
            self._anchor = anchor
            self._box = None
            self.update()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        """Set the text (its box is measured again)."""
        self.prepareGeometryChange()
        self._box = None
        super().setText(text)

    def setFont(self, font: QtGui.QFont) -> None:  # noqa: N802 - Qt override
        """Set the font (its box is measured again)."""
        self.prepareGeometryChange()
        self._box = None
        super().setFont(font)

    def set_color(self, color: QtGui.QColor | str | tuple) -> None:
        """The text's colour (a QColor, a name, or an RGB(A) tuple)."""
        qcolor = QtGui.QColor(*color) if isinstance(color, tuple) else QtGui.QColor(color)
        if (
            self.brush().color() != qcolor
            or self.brush().style() != QtCore.Qt.BrushStyle.SolidPattern
        ):
            self.setBrush(QtGui.QBrush(qcolor))

    def _offset(self, rect: QtCore.QRectF) -> QtCore.QPointF:
        m = self._margin
        return QtCore.QPointF(
            m - self._anchor[0] * (rect.width() + 2 * m),
            m - self._anchor[1] * (rect.height() + 2 * m),
        )

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt override
        """The text's box, shifted by the anchor."""
        if self._box is None:
            rect = super().boundingRect()
            self._box = rect.translated(self._offset(rect))
        return QtCore.QRectF(self._box)

    def shape(self) -> QtGui.QPainterPath:
        """The box (for hit tests)."""
        path = QtGui.QPainterPath()
        path.addRect(self.boundingRect())
        return path

    def paint(
        self,
        painter: QtGui.QPainter,
        option: QtWidgets.QStyleOptionGraphicsItem,
        widget: QtWidgets.QWidget | None = None,
    ) -> None:
        """Draw the text, shifted by the anchor."""
        box = self.boundingRect()
        rect = super().boundingRect()
        painter.translate(box.topLeft() - rect.topLeft())
        super().paint(painter, option, widget)
