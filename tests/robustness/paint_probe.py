"""Does the window still paint? A window that stops painting looks frozen, though it still
takes keys and clicks, and a heartbeat timer on the GUI thread sees nothing wrong.

:class:`PaintProbe` asks the window for a repaint now and then (``update()``) and records
each time no paint of the window followed within a second while it could paint (shown,
updates enabled). It watches paint events with a filter on the window alone, not on the
application (a filter there calls Python for every event of every widget).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

__all__ = ["PaintProbe"]


class PaintProbe(QObject):
    """Call :meth:`check` often (the monkey calls it on every heartbeat); ``misses`` lists
    the contexts in which an asked-for repaint never came."""

    def __init__(self, window: QWidget, *, every_ms: float = 1000.0, within_ms: float = 1000.0):
        super().__init__(window)
        self.window = window
        self.every_ms = every_ms
        self.within_ms = within_ms
        self.paints = 0
        self.asks = 0
        self.misses: list[str] = []
        self._asked_at: float | None = None
        self._painted_before = 0
        self._last_ask = float("-inf")
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if watched is self.window and event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False

    def _can_paint(self) -> bool:
        w = self.window
        return w.isVisible() and w.updatesEnabled() and not w.isMinimized()

    def check(self, now_ms: float, context: str) -> None:
        """Ask for a repaint every ``every_ms``; a repaint asked for ``within_ms`` ago that
        has not come while the window could paint is a miss (recorded with ``context``)."""
        if self._asked_at is not None and now_ms - self._asked_at >= self.within_ms:
            if not self._can_paint():
                return  # held on purpose (a mode change): look again later
            if self.paints == self._painted_before:
                self.misses.append(context)
            self._asked_at = None
        if self._asked_at is None and now_ms - self._last_ask >= self.every_ms:
            if not self._can_paint():
                return
            self._painted_before = self.paints
            self._asked_at = self._last_ask = now_ms
            self.asks += 1
            self.window.update()
