"""Results are drawn one pass of the event loop after they arrive, at most once a pass, and
not at all when an edit has already made them old (issue 16: no freeze over a frame or two).

A result reaches the GUI thread in the worker's relay batch (or inside a run done on the
GUI thread). Drawing it there (the selected layer's maps and weights, 5-15 ms) stacked it
in ONE pass of the event loop with whatever else that pass held: the user's next edit (its
costs, rows and form), the paint of the pass before, the next run started on the GUI
thread. Each piece is short; together they were the monkey's 45-65 ms gaps.

:class:`ResultPacer` asks for the draw instead, with a zero timer: the draw happens in the
next pass, on its own, and every result (and input) of the selected layer asked for
meanwhile is drawn once. When the draw's turn comes and an edit has made the result's
revision old while a run of the newer revision is on its way, the draw is skipped: that
run's result replaces it in a moment (the maps of the pass before stay meanwhile). So that
the view never waits for ever behind a stream of edits (a slider drag whose runs each
supersede the last), draws are skipped for at most ``max_skip_ms`` after the first one
skipped, then one is made; and whatever was skipped is drawn as soon as no run is on its
way any more (the newer run failed, was cancelled, or the edit was refused).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

__all__ = ["MAX_SKIP_MS", "ResultPacer", "pace_results"]

#: Draws made old by edits are skipped for at most this long (ms) after the first skipped.
MAX_SKIP_MS = 100.0


class ResultPacer(QObject):
    """Draws the selected layer's newest result in the pass after it arrived, once.

    Parameters
    ----------
    draw
        Draws what the selected layer has now (the window's ``show_selected``).
    superseded
        ``superseded(revision)``: whether an edit has made ``revision`` old and a run of
        the newer one is pending or in flight (``Controller.superseded``).
    parent
        Owner (the timer lives on its thread).
    max_skip_ms
        A superseded draw is still made when the first draw skipped since the last one
        made is this old (milliseconds).

    Attributes
    ----------
    draws, skipped
        How many draws were made and how many were skipped (tests and benchmarks).
    """

    def __init__(
        self,
        draw: Callable[[], None],
        superseded: Callable[[int], bool],
        parent: QObject | None = None,
        *,
        max_skip_ms: float = MAX_SKIP_MS,
    ) -> None:
        super().__init__(parent)
        self._draw = draw
        self._superseded = superseded
        self.max_skip_ms = max_skip_ms
        self._revision = -1  # the newest revision asked for and not drawn yet
        self._owed = False  # a skipped draw not yet made good
        self._owed_since = 0.0  # perf_counter of the first draw skipped since the last made
        self.draws = 0
        self.skipped = 0
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._on_timer)

    @property
    def pending(self) -> bool:
        """A draw is asked for and has not been made or skipped yet."""
        return self._timer.isActive()

    @property
    def owed(self) -> bool:
        """A draw was skipped and nothing has been drawn since."""
        return self._owed

    def request(self, revision: int) -> None:
        """Ask for a draw of the result (or input) of ``revision`` in the next pass."""
        self._revision = max(self._revision, int(revision))
        if not self._timer.isActive():
            self._timer.start()

    def idle(self) -> None:
        """No run is on its way any more: a skipped draw is made now (in the next pass)."""
        if self._owed and not self._timer.isActive():
            self._revision = -1
            self._timer.start()

    def drawn(self) -> None:
        """The window has just drawn the selected layer (for any reason): nothing is owed
        and a draw asked for before is no longer needed."""
        self._timer.stop()
        self._revision = -1
        self._owed = False

    def _on_timer(self) -> None:
        revision, now = self._revision, time.perf_counter()
        young = not self._owed or (now - self._owed_since) * 1000.0 < self.max_skip_ms
        if revision >= 0 and young and self._superseded(revision):
            self._revision = -1
            if not self._owed:
                self._owed, self._owed_since = True, now
            self.skipped += 1
            return
        self._revision, self._owed = -1, False
        self.draws += 1
        self._draw()  # the window calls drawn() from it

    def on_busy(self, busy: bool) -> None:
        """``Controller.busy_changed``: once no run is on its way, a skipped draw is made."""
        if not busy:
            self.idle()


def pace_results(window: Any) -> ResultPacer:
    """A :class:`ResultPacer` for a main window: it draws with ``window.show_selected`` and
    makes a skipped draw good when the window's controller is idle again."""
    controller = window.controller
    pacer = ResultPacer(lambda: window.show_selected(), controller.superseded, window)
    controller.busy_changed.connect(pacer.on_busy)
    return pacer
