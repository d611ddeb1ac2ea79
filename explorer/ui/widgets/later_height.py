"""A widget's fixed height set in a later pass of the event loop (issue 16, task s10e).

A new scene (the bundled lesson, File ▸ Open, a sample) arrives with its results: the cost
chart gets a height for its new number of layers, which re-lays the chart and resizes the
cost view and the dock's scroll area, ≈ 10-25 ms in the same turn as the delivery and its
paint. A 1 ms timer (not ``singleShot(0)``, a posted event run in the same pass) lets the
heartbeat and input in between.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

__all__ = ["LaterHeight"]


class LaterHeight(QtCore.QObject):
    """Sets ``widget``'s fixed height one event-loop pass after :meth:`set` (at once while
    the widget is hidden or has no height yet: nothing to re-lay then)."""

    def __init__(self, widget: QtWidgets.QWidget) -> None:
        super().__init__(widget)
        self._widget = widget
        self._height = 0
        self._timer = QtCore.QTimer(self, singleShot=True, interval=1)
        self._timer.timeout.connect(self.apply)

    def set(self, height: int) -> None:
        """Ask for ``height``; a later ask before the pass wins."""
        self._height = height
        widget = self._widget
        if widget.minimumHeight() == height == widget.maximumHeight():
            self._timer.stop()  # already so (e.g. set back before the pass)
        elif not widget.isVisible() or widget.minimumHeight() == 0:
            self.apply()
        else:
            self._timer.start()

    def apply(self) -> None:
        """Set the asked height now (also what the timer does)."""
        self._timer.stop()
        if self._height:
            self._widget.setFixedHeight(self._height)

    @property
    def pending(self) -> bool:
        """Whether a height waits for its pass."""
        return self._timer.isActive()

    @property
    def height(self) -> int:
        """The last height asked for."""
        return self._height
