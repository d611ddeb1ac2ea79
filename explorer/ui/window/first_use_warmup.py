"""Warm, after the window's first paint, the caches its first results will need (s10b).

The first results of a session drew their maps with two colour-map lookup tables read
from pyqtgraph's CSV files (:func:`explorer.ui.widgets.colormaps.lookup_table`: ≈ 3.5 ms
each, cached from then on) inside the result's own turn, which was 16-18 ms the first time
against 5 ms later (``benchmarks/bench_first_use.py``, "first results"). They are made
here instead, one per pass of a 1 ms timer (a real timer: the heartbeat and input get
their turn between them), in the ≈ 0.7 s the first run waits for torch's import.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from explorer.ui.widgets.colormaps import DEFAULT_COLORMAP, DEFAULT_WEIGHT_COLORMAP, lookup_table

__all__ = ["WARM_STEP_MS", "warm_first_uses", "warm_steps"]

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
