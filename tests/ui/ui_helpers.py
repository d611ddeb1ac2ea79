"""Helpers of the widget tests in this folder (a unique module name: see conftest)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication


def wait_run(qtbot, win, timeout: int = 30000) -> None:
    """Wait until ``win``'s controller has run every layer without an error and is idle,
    and the window has drawn the results and costs (it draws them in the pass after they
    arrive)."""
    c = win.controller
    qtbot.waitUntil(
        lambda: (
            not c.busy
            and not c.worker_running
            and c.error is None
            and len(c.results) >= len(win.document.layers)
            and not win.pacer.pending
            and not win.cost_pass.pending
        ),
        timeout=timeout,
    )


class PaintCount(QObject):
    """Counts the paint events of every widget of the application."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False

    def close(self) -> None:
        QApplication.instance().removeEventFilter(self)
