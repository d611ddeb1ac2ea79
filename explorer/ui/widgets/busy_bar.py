"""An indeterminate busy bar that shows only for work still going after a short delay.

A run of a few milliseconds made a plain bar flash on every edit, and each flash re-laid-out
the status bar (issue 13). :meth:`BusyBar.set_busy` shows the bar only when the work is
still on ``delay_ms`` later, and hides it at once when the work ends.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressBar, QWidget

__all__ = ["BUSY_BAR_DELAY_MS", "BusyBar"]

BUSY_BAR_DELAY_MS = 150  #: work still going after this shows the bar


class BusyBar(QProgressBar):
    """A small indeterminate progress bar, hidden until work has gone on ``delay_ms``."""

    def __init__(self, parent: QWidget | None = None, *, delay_ms: int = BUSY_BAR_DELAY_MS) -> None:
        super().__init__(parent)
        self.setRange(0, 0)  # indeterminate
        self.setMaximumWidth(120)
        self.setMaximumHeight(14)
        self.setTextVisible(False)
        self.setVisible(False)
        self._busy = False
        self._later = QTimer(self, singleShot=True, interval=delay_ms)
        self._later.timeout.connect(lambda: self.setVisible(self._busy))

    def set_busy(self, busy: bool) -> None:
        """Work started (shown after the delay if still on) or ended (hidden now)."""
        self._busy = bool(busy)
        if not busy:
            self._later.stop()
            self.setVisible(False)
        elif not self.isVisible() and not self._later.isActive():
            self._later.start()
