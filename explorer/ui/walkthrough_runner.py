"""A latest-wins runner for the walk-through dock: one function at a time on a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

from ..core.errors import ExplorerError

__all__ = ["LatestRunner"]


class LatestRunner(QtCore.QObject):
    """Runs one function at a time on a thread; only the latest request's answer is kept."""

    answered = QtCore.Signal(int, object, object)  # request, result, error

    def __init__(self, parent: QtCore.QObject) -> None:
        super().__init__(parent)
        self.request = 0
        self._running = False
        self._pending: tuple[int, Callable[[], Any]] | None = None
        self.answered.connect(self._on_answer, QtCore.Qt.ConnectionType.QueuedConnection)
        self.on_result: Callable[[Any], None] = lambda _: None
        self.on_error: Callable[[str], None] = lambda _: None

    @property
    def busy(self) -> bool:
        return self._running or self._pending is not None

    def submit(self, fn: Callable[[], Any]) -> None:
        self.request += 1
        self._pending = (self.request, fn)
        if not self._running:
            self._start()

    def _start(self) -> None:
        if self._pending is None:
            return
        request, fn = self._pending
        self._pending = None
        self._running = True

        def work() -> None:
            try:
                result, error = fn(), None
            except ExplorerError as exc:
                result, error = None, str(exc)
            except Exception as exc:  # reported, never raised in the thread
                result, error = None, f"{type(exc).__name__}: {exc}"
            try:
                self.answered.emit(request, result, error)
            except RuntimeError:  # the dock is gone
                pass

        threading.Thread(target=work, name="walkthrough", daemon=True).start()

    def _on_answer(self, request: int, result: Any, error: str | None) -> None:
        self._running = False
        if request == self.request:
            if error is None:
                self.on_result(result)
            else:
                self.on_error(error)
        self._start()
