"""One line of text whose changes never lay the window out again (issue 16, task s10a).

A :class:`QLabel`'s ``setText`` calls ``updateGeometry``, and every layout above it then
asks its size hints again, up to the main window: the feature grid's title (the layer and
the shape of its maps, new with every result of another shape) cost a relayout of the
whole window (5-9 ms, ``LayoutRequest->MainWindow``) in the turn that showed the result.
:class:`TextLine` has a size hint that does not depend on its text (it takes the room its
layout gives it, one line high) and draws the text elided to its width, the whole text in
its tooltip when it does not fit: a new text is only a repaint of the line.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["TextLine"]


class TextLine(QtWidgets.QWidget):
    """A one-line label that repaints, never relayouts, when its text changes."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed
        )

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (as QLabel's)
        """Show ``text`` (a repaint only)."""
        if text == self._text:
            return
        self._text = text
        self._sync_tip()
        self.update()

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        fm = self.fontMetrics()
        return QtCore.QSize(fm.averageCharWidth() * 24, fm.height())

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        return QtCore.QSize(0, self.fontMetrics().height())

    def elided_text(self) -> str:
        """The text as drawn: elided with "…" to the width of the line."""
        return self.fontMetrics().elidedText(
            self._text, QtCore.Qt.TextElideMode.ElideRight, max(0, self.width())
        )

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QtGui.QPainter(self)
        painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        align = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.rect(), align, self.elided_text())
        painter.end()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._sync_tip()

    def _sync_tip(self) -> None:
        self.setToolTip(self._text if self.elided_text() != self._text else "")
