"""Helpers of the widget tests in this folder (a unique module name: see conftest)."""

from __future__ import annotations


def wait_run(qtbot, win, timeout: int = 30000) -> None:
    """Wait until ``win``'s controller has run every layer without an error and is idle,
    and the window has drawn the results (it draws them in the pass after they arrive)."""
    c = win.controller
    qtbot.waitUntil(
        lambda: (
            not c.busy
            and not c.worker_running
            and c.error is None
            and len(c.results) >= len(win.document.layers)
            and not win.pacer.pending
        ),
        timeout=timeout,
    )
