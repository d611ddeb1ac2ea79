"""The Inspector's first opening makes none of its plots in the menu action's own turn.

Its input view (the photo with the receptive field) was made in the dock's ``showEvent``:
its module's import and the first such view, 10-14 ms, in the turn of View ▸ Panels ▸
Inspector with the window's relayout (20-24 ms, ``benchmarks/bench_first_use.py``, s10b).
Now it is the first of the slices after the dock's first paint, each in a timer pass.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication

from explorer.core.io.scene import Scene
from explorer.core.model.specs import default_spec


def test_first_open_makes_the_input_view_after_the_dock_is_painted(make_window):
    win = make_window(Scene(layers=(default_spec("standard", out_channels=4),)), wait=False)
    dock = win.tools["inspector_dock"]
    painted: list[bool] = []
    paint = dock.paintEvent

    def watch(event):
        painted.append(dock._input_view is None)
        paint(event)

    dock.paintEvent = watch
    dock.toggleViewAction().trigger()
    assert dock.isVisible()
    assert dock._input_view is None  # old code: made here, in the action's turn
    QCoreApplication.sendPostedEvents()  # the posted events: layout, the first paint
    assert dock._input_view is None
    end = time.perf_counter() + 10
    while dock._plots is None:
        assert time.perf_counter() < end, "the plots were not made"
        QCoreApplication.processEvents()
        time.sleep(0.002)
    assert painted and painted[0]  # the dock was painted before its input view existed
    assert dock.input_view.isVisibleTo(dock)
    assert dock.input_view.parent() is not None
