"""At most one redraw per interval: a quick series of updates (a slider drag) shows the
first at once, then the latest one per interval, and always ends on the last one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

__all__ = ["Coalescer"]


class Coalescer(QtCore.QObject):
    """Calls the latest of the calls handed to :meth:`call`, at most once per interval.

    A call after a quiet interval runs at once (typing feels immediate); calls that come
    quicker are coalesced: only the latest runs, at the end of the interval.

    Parameters
    ----------
    parent
        Owner (the timer lives on its thread).
    interval_ms
        Least time between two runs.
    """

    def __init__(self, parent: QtCore.QObject, *, interval_ms: int = 40) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._last = -1e9  # perf_counter of the last run
        self._pending: tuple[Callable[..., Any], tuple] | None = None
        self._timer = QtCore.QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.flush)

    @property
    def pending(self) -> bool:
        """A call is waiting for the end of the interval."""
        return self._pending is not None

    def call(self, func: Callable[..., Any], *args: Any) -> None:
        """Run ``func(*args)`` now, or (coalesced) at the end of the interval."""
        wait_ms = self.interval_ms - (time.perf_counter() - self._last) * 1000.0
        if self._pending is None and wait_ms <= 0:
            self._run(func, args)
            return
        self._pending = (func, args)
        if not self._timer.isActive():
            self._timer.start(max(0, int(wait_ms) + 1))

    def flush(self) -> None:
        """Run the waiting call now (if any)."""
        self._timer.stop()
        pending, self._pending = self._pending, None
        if pending is not None:
            self._run(*pending)

    def cancel(self) -> None:
        """Forget the waiting call (a newer state was shown directly)."""
        self._timer.stop()
        self._pending = None

    def _run(self, func: Callable[..., Any], args: tuple) -> None:
        self._last = time.perf_counter()
        func(*args)
