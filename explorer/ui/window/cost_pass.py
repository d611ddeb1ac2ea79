"""An edit's costs are shown in a later pass of the event loop, once (issue 16).

Every edit (a spin box, undo, add or remove a layer) makes new costs in its own turn, and
the window showed them there: the cost table and chart refilled, the layer panel's cost
labels and the editor's formula rewritten, on top of the edit's own work (the form, the
selected layer's maps) and in the same pass as the paint it caused — 20-25 ms turns.

:class:`CostPass` keeps the newest costs instead and shows them from a 1 ms timer: a real
timer, so the event loop's whole pass (the paint of the edit, input, the heartbeat) comes
between the edit and the refill (a zero-delay single shot is a posted event and would run
in the same pass). However many costs arrive before it fires, only the newest is shown.
An error shown meanwhile :meth:`flush`-es first, so it never lies under older numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

__all__ = ["DELAY_MS", "CostPass"]

#: The refill waits this long: a real timer, not a posted event (see the module's note).
DELAY_MS = 1


class CostPass(QObject):
    """Calls ``show(cost, comparisons)`` with the newest costs, in a later pass, once.

    Parameters
    ----------
    show
        Shows costs (the window's cost table and chart, panel labels, editor formula).
    parent
        Owner (the timer lives on its thread).

    Attributes
    ----------
    shown
        How many times ``show`` was called (tests and benchmarks).
    """

    def __init__(self, show: Callable[[Any, Any], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._show = show
        self._pending: tuple[Any, Any] | None = None
        self.shown = 0
        self._timer = QTimer(self, singleShot=True, interval=DELAY_MS)
        self._timer.timeout.connect(self.flush)

    @property
    def pending(self) -> bool:
        """Costs are waiting to be shown."""
        return self._pending is not None

    def request(self, cost: Any, comparisons: Any) -> None:
        """Show ``cost`` and ``comparisons`` in a later pass (replacing any waiting)."""
        self._pending = (cost, comparisons)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Show the waiting costs now (if any)."""
        self._timer.stop()
        pending, self._pending = self._pending, None
        if pending is not None:
            self.shown += 1
            self._show(*pending)
