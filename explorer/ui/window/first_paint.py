"""Run something once a window has been painted for the first time (start-up order).

At start-up the window is painted first and only then does the first run start: the run's
worker imports torch, which holds the interpreter lock for most of a second, so a run
started before the first paint delays the window (measured by
``benchmarks/bench_startup.py``). :func:`first_run_after_first_paint` does that for a main
window and, at the same moment, starts mapping torch's shared library on a thread that does
not hold the interpreter lock (:mod:`explorer.ui.state.torch_preload`; not earlier: the
dynamic loader's own lock would make the window's loading of Qt's libraries wait for it).
The first run's ``import torch`` waits for that library instead of loading it itself, which
stopped the GUI thread for ≈ 0.18 s while the user could already click.

At the same moment :func:`warm_first_uses` starts warming the caches the first results
will need (s10b): the first results drew their maps with two colour-map lookup tables read
from pyqtgraph's CSV files (:func:`explorer.ui.widgets.colormaps.lookup_table`: ≈ 3.5 ms
each, cached from then on) inside the result's own turn (first results 19 → 13 ms median,
``benchmarks/bench_first_use.py``). They are made one per pass of a 1 ms timer (a real
timer: the heartbeat and input get their turn between them) while the first run waits for
torch's import.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from explorer.ui.widgets.colormaps import DEFAULT_COLORMAP, DEFAULT_WEIGHT_COLORMAP, lookup_table

__all__ = [
    "FALLBACK_MS",
    "WARM_STEP_MS",
    "after_first_paint",
    "first_run_after_first_paint",
    "warm_first_uses",
    "warm_steps",
]

#: Call back after this many milliseconds even if the window has not been painted (e.g. it
#: starts minimised or on a platform that paints nothing): the first run must not wait forever.
FALLBACK_MS = 2000


class _FirstPaint(QObject):
    """Event filter on the window: calls back once, when the event loop turns after the
    window's first ``Paint`` (so the paint pass has finished), or after ``fallback_ms``."""

    def __init__(self, widget: QWidget, callback: Callable[[], object], fallback_ms: int) -> None:
        super().__init__(widget)
        self._widget = widget
        self._callback = callback
        self._done = False
        widget.installEventFilter(self)
        QTimer.singleShot(max(0, int(fallback_ms)), self, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if not self._done and watched is self._widget and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self._fire)  # after this paint pass
        return False

    def _fire(self) -> None:
        if self._done:
            return
        self._done = True
        self._widget.removeEventFilter(self)
        self._callback()


def after_first_paint(
    widget: QWidget, callback: Callable[[], object], *, fallback_ms: int = FALLBACK_MS
) -> QObject:
    """Call ``callback()`` once, just after ``widget`` is first painted.

    Parameters
    ----------
    widget
        The window to watch; the watcher is its child and goes with it.
    callback
        Called on the GUI thread, once.
    fallback_ms
        Call it after this many milliseconds if no paint came first.

    Returns
    -------
    QObject
        The watcher, a child of ``widget``.
    """
    return _FirstPaint(widget, callback, fallback_ms)


def first_run_after_first_paint(window: QWidget, *, fallback_ms: int = FALLBACK_MS) -> QObject:
    """Hold ``window.controller``'s first run until ``window`` has been painted; then start
    the torch preload (which then imports torch on its own thread, at normal priority,
    without PySide's source scan of its modules) and release the run.

    Parameters
    ----------
    window
        A main window with a ``controller`` (``hold()`` / ``release()``); not shown yet.
    fallback_ms
        Release after this many milliseconds if no paint came first.

    Returns
    -------
    QObject
        The watcher, a child of ``window``.
    """
    from explorer.ui.state.torch_preload import expect_torch_preload

    controller = window.controller  # type: ignore[attr-defined]
    controller.hold()
    # until the preload starts, the tools must not import torch on the GUI thread
    expect_torch_preload(max(0, fallback_ms) / 1000 + 1.0)

    def start() -> None:
        from explorer.ui.state.pyside_imports import skip_pyside_source_scan
        from explorer.ui.state.torch_preload import start_torch_preload

        skip_pyside_source_scan()  # torch's ~1,500 modules: no source scan by PySide
        # the run's worker thread is created before the library loads: see before_loading
        start_torch_preload(then_import=True, before_loading=controller.release)
        warm_first_uses(window)  # while the first run waits for torch: its results' caches

    return after_first_paint(window, start, fallback_ms=fallback_ms)


#: The interval of the warming timer: one step per pass of the event loop.
WARM_STEP_MS = 1


def warm_steps(window: QWidget) -> list[Callable[[], object]]:
    """The warming steps for ``window`` (each a few milliseconds), in order: the lookup
    tables of its feature maps' colour map and of the weights'."""
    grid = getattr(window, "feature_grid", None)
    maps = getattr(grid, "colormap_name", DEFAULT_COLORMAP)
    names = dict.fromkeys((maps, DEFAULT_WEIGHT_COLORMAP))
    return [lambda name=name: lookup_table(name) for name in names]


def warm_first_uses(window: QWidget, steps: list[Callable[[], object]] | None = None) -> QTimer:
    """Run ``steps`` (:func:`warm_steps` by default) one per tick of a 1 ms timer, a child
    of ``window`` (gone with it); returns the timer, which stops after the last step."""
    todo = list(warm_steps(window) if steps is None else steps)
    timer = QTimer(window)
    timer.setInterval(WARM_STEP_MS)

    def step() -> None:
        if todo:
            todo.pop(0)()
        if not todo:
            timer.stop()

    timer.timeout.connect(step)
    timer.start()
    return timer
