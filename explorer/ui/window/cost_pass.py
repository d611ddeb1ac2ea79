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

While the edit's run is on its way (``hold()``: a run pending or in flight, or its maps
not drawn yet) the costs wait for it, at most ``max_hold_ms``: the window calls
:meth:`resume` once the maps are drawn or no run is on its way, and the costs come a frame
after that (:data:`RESUME_MS`), once the maps are painted. Refilled between the run's start and its maps' paint, they had put 4-5 ms
into the update latency (issue 13: an edit → the maps repainted).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

__all__ = ["DELAY_MS", "MAX_HOLD_MS", "RESUME_MS", "CostPass", "pace_costs", "show_costs"]

#: The refill waits this long: a real timer, not a posted event (see the module's note).
DELAY_MS = 1
#: Costs held back for the edit's run are shown at the latest this long after the edit.
MAX_HOLD_MS = 100.0
#: After :meth:`CostPass.resume` the costs wait a frame, so that the maps just drawn are
#: painted first (a 1 ms timer could fire before that paint pass had ended).
RESUME_MS = 16


class CostPass(QObject):
    """Calls ``show(cost, comparisons)`` with the newest costs, in a later pass, once.

    Parameters
    ----------
    show
        Shows costs (the window's cost table and chart, panel labels, editor formula).
    parent
        Owner (the timer lives on its thread).
    hold
        Whether the costs should wait (the edit's run is on its way); ``None``: never.
    max_hold_ms
        Costs are shown at the latest this long after the first request not yet shown.

    Attributes
    ----------
    shown
        How many times ``show`` was called (tests and benchmarks).
    """

    def __init__(
        self,
        show: Callable[[Any, Any], None],
        parent: QObject | None = None,
        *,
        hold: Callable[[], bool] | None = None,
        max_hold_ms: float = MAX_HOLD_MS,
    ) -> None:
        super().__init__(parent)
        self._show = show
        self._hold = hold
        self.max_hold_ms = max_hold_ms
        self._pending: tuple[Any, Any] | None = None
        self._since = 0.0  # perf_counter of the first request not shown yet
        self.shown = 0
        self._timer = QTimer(self, singleShot=True, interval=DELAY_MS)
        self._timer.timeout.connect(self._on_timer)

    @property
    def pending(self) -> bool:
        """Costs are waiting to be shown."""
        return self._pending is not None

    def request(self, cost: Any, comparisons: Any) -> None:
        """Show ``cost`` and ``comparisons`` in a later pass (replacing any waiting)."""
        if self._pending is None:
            self._since = time.perf_counter()
        self._pending = (cost, comparisons)
        if not self._timer.isActive():
            self._timer.start(DELAY_MS)

    def resume(self) -> None:
        """What held the costs back is done (the maps drawn, no run on its way): show
        the waiting costs a frame later (:data:`RESUME_MS`), after the maps' paint."""
        if self._pending is not None:
            self._timer.start(RESUME_MS)

    def _on_timer(self) -> None:
        waited = (time.perf_counter() - self._since) * 1000.0
        if self._pending is not None and self._hold is not None and waited < self.max_hold_ms:
            if self._hold():  # wait for resume(), or the longest hold
                self._timer.start(int(self.max_hold_ms - waited) + 1)
                return
        self.flush()

    def flush(self) -> None:
        """Show the waiting costs now (if any)."""
        self._timer.stop()
        pending, self._pending = self._pending, None
        if pending is not None:
            self.shown += 1
            self._show(*pending)


def show_costs(window: Any, cost: Any, comparisons: Any) -> None:
    """Show ``cost`` in a main window: the cost table and chart (at most 25 times a second
    in a drag), the layer panel's cost labels and the editor's formula."""
    # each row gets its own layer's time, wherever the layer moved
    window.timings = window.controller.state.timings_by_index(window.document.layers)
    window.cost_view.show_costs_soon(cost, comparisons, window.timings)
    window.cost_view.select_layer(window.document.selected)
    window.layer_panel.set_costs(cost, None)
    window.layer_editor.set_costs(cost)


def pace_costs(window: Any) -> CostPass:
    """A :class:`CostPass` for a main window: it shows with :func:`show_costs`, holds the
    costs while the edit's run is on its way or its maps are not drawn yet (the window's
    ``pacer``), and resumes when the controller is idle (and when the window draws)."""
    controller = window.controller
    costs = CostPass(
        lambda cost, comparisons: show_costs(window, cost, comparisons),
        window,
        hold=lambda: controller.busy or window.pacer.pending,
    )
    controller.busy_changed.connect(lambda busy: busy or costs.resume())
    return costs
