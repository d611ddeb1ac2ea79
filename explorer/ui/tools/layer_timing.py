"""Warm per-layer times in the cost table, measured after the maps are shown.

The forward pass that computes a layer for display is ONE cold run (it includes first-call
set-up), so its wall time is not shown. Instead, a moment after a run has finished and
the maps are painted, this tool times every layer on a worker thread with
:func:`explorer.core.compute.timing.time_layer` (warm-up runs, then the median and spread of
several timed runs, on the layer's real input: the previous layer's output), and fills the
cost table's time column as each layer is done. Any edit stops it (latest wins); a layer
whose whole upstream is unchanged (same cache key) keeps its time. "Re-measure" (in the
cost table, and Tools ▸ Re-measure Layer Times) times every layer again. While the cost
table is hidden (its dock closed) nothing is measured: timing is CPU work that only slows
the next run and the painting of its results; it starts when the table shows again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6 import QtCore, QtGui

from explorer.core.compute.timing import DEFAULT_REPEATS, DEFAULT_WARMUP, Timing
from explorer.ui.state.controller import compute_threads
from explorer.ui.state.runner import LatestRunner

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = ["START_DELAY_MS", "WarmTimer", "install"]

#: Quiet time after a run before timing starts, so the maps paint first and a slider
#: drag (one run per step) is not slowed by timing.
START_DELAY_MS = 300


def _time_layer(*args: Any, **kwargs: Any) -> Timing | None:
    import torch

    from explorer.core.compute.timing import time_layer

    threads = compute_threads()
    if threads is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)  # per calling thread (OpenMP)
    return time_layer(*args, **kwargs)


class WarmTimer(QtCore.QObject):
    """Times every layer of the last run, warm, into the host's cost view.

    Signals
    -------
    finished()
        Every layer of the current stack has a time.

    Attributes
    ----------
    timings
        The shown :class:`Timing` per layer index.
    """

    finished = QtCore.Signal()

    def __init__(
        self,
        host: ToolHost,
        *,
        repeats: int = DEFAULT_REPEATS,
        warmup: int = DEFAULT_WARMUP,
        delay_ms: int = START_DELAY_MS,
    ) -> None:
        super().__init__(host.widget)
        self._host = host
        self.repeats, self.warmup = repeats, warmup
        self.timings: dict[int, Timing] = {}
        self._known: dict[bytes, Timing] = {}
        self._token = 0
        self._runner = LatestRunner(self)
        self._runner.yielded.connect(lambda _rev, item: self._on_timing(item))
        self._runner.errored.connect(lambda _rev, exc: self._on_error(exc))
        self._runner.finished.connect(lambda _rev: self._on_finished())
        self._closed = False
        self._failed = False
        self._shown: Any = None
        self._delay = QtCore.QTimer(self, singleShot=True, interval=delay_ms)
        self._delay.timeout.connect(self._start)
        c = host.run
        c.costs_changed.connect(self._on_edit)
        c.spec_error.connect(self._on_edit)
        c.run_started.connect(self._on_edit)
        c.run_cancelled.connect(self._on_edit)
        c.run_finished.connect(self._on_run_finished)
        host.cost_view.remeasure_requested.connect(self.remeasure)
        self.action = QtGui.QAction("&Re-measure Layer Times", host.widget)
        self.action.setStatusTip(
            f"Time every layer again: warm-up runs, then the median of {repeats} timed runs"
        )
        self.action.triggered.connect(lambda _=False: self.remeasure())
        host.add_action(self.action, "tools")
        host.widget.installEventFilter(self)
        host.cost_view.installEventFilter(self)  # shown again: measure what was put off
        self._put_off = False  # a measurement waits for the cost table to show
        app = QtCore.QCoreApplication.instance()
        if app is not None:  # never keep the process alive for a measurement
            app.aboutToQuit.connect(self.stop)

    @property
    def busy(self) -> bool:
        """A measurement is running or about to start (never once Qt has destroyed the
        timer, with its window, say)."""
        return self._runner.busy or (shiboken6.isValid(self._delay) and self._delay.isActive())

    def remeasure(self) -> None:
        """Forget every time and measure again (when the stack has run)."""
        self._known.clear()
        self.timings = {}
        self._failed = False
        self._stop()
        self._delay.start(0)

    def stop(self) -> None:
        """Stop measuring (the window is closing; a later run starts it again)."""
        self._closed = True
        self._stop()

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        """Stop when the window closes."""
        if obj is self._host.widget and event.type() == QtCore.QEvent.Type.Close:
            self.stop()
        elif (
            obj is self._host.cost_view
            and event.type() == QtCore.QEvent.Type.Show
            and self._put_off
        ):
            self._put_off = False
            self._delay.start()
        return False

    def _table_hidden(self) -> bool:
        """The cost table would not show, even with the window shown (its dock is closed)."""
        view = self._host.cost_view
        return not view.isVisibleTo(self._host.widget)

    # ------------------------------------------------------------------ internals
    def _stop(self) -> None:
        self._token += 1
        self._delay.stop()
        self._runner.cancel()

    def _on_run_finished(self, *_: object) -> None:
        self._closed = False
        self._delay.start()

    def _on_edit(self, *_: object) -> None:
        self._failed = False
        self._stop()
        self.timings = {}
        self._show()

    def _show(self, force: bool = False) -> None:
        layers = len(self._host.document.layers)
        shown = {i: t for i, t in self.timings.items() if i < layers}
        # the window passes its timings with every new cost, so the table already shows
        # these unless they changed
        state = (tuple(shown.items()), layers, self._host.run.error is None)
        if state == self._shown and not force:
            return  # nothing new (e.g. the next step of a slider drag): no table refill
        self._shown = state
        measuring = len(shown) < layers and self._host.run.error is None
        self._host.set_timings(shown, measuring=measuring)

    def _requests(self) -> list[tuple[int, Any, Any, bytes]]:
        """``(index, spec, input, key)`` of each layer to time; fills in known times."""
        c, doc = self._host.run, self._host.document
        if c.error is not None or c.input_image is None:
            return []
        todo = []
        previous = c.input_image
        for index, spec in enumerate(doc.layers):
            result = c.state.result(spec)  # by identity, not by place
            if result is None or result.kind != spec.kind:
                return []  # the run did not finish
            key = getattr(result, "key", b"")
            if key and key in self._known:
                self.timings[index] = self._known[key]
            else:
                todo.append((index, spec, previous, key))
            previous = result.output
        return todo

    def _start(self) -> None:
        if self._closed or self._runner.busy:
            return
        if self._table_hidden():
            self._put_off = True  # see eventFilter
            return
        todo = self._requests()
        self._show()
        if not todo:
            if len(self.timings) == len(self._host.document.layers):
                self.finished.emit()
            return
        self._token += 1
        self._runner.submit(self._job, self._token, todo, self._host.document.scene.seed)

    def _job(self, token: int, todo: list, seed: int) -> Iterator[tuple]:
        """The worker's generator: touches no widget."""

        def stale() -> bool:
            return token != self._token

        for index, spec, x, key in todo:
            timing = _time_layer(
                spec,
                x,
                seed=seed,
                index=index,
                warmup=self.warmup,
                repeats=self.repeats,
                should_abort=stale,
            )
            if timing is None or stale():
                return
            yield token, index, key, timing

    def _on_timing(self, item: tuple) -> None:
        token, index, key, timing = item
        if token != self._token or self._closed:
            return
        if key:
            self._known[key] = timing
        self.timings[index] = timing
        self._show()
        if len(self.timings) == len(self._host.document.layers):
            self.finished.emit()

    def _on_error(self, exc: BaseException) -> None:
        self._failed = True
        self._host.show_status(f"could not time the layers: {exc}", 10000)

    def _on_finished(self) -> None:
        if self._closed or self._failed:
            return
        if len(self.timings) < len(self._host.document.layers):
            if self._host.run.busy:
                return  # a run is on: its run_finished starts the next measurement
            self._delay.start()


def install(host: ToolHost) -> WarmTimer:
    """Warm per-layer times in the cost table; Tools ▸ Re-measure Layer Times."""
    return WarmTimer(host)
