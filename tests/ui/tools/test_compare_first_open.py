"""The comparison window's first opening makes its two grids in separate timer passes.

Each column's grid is a feature grid with a colour bar (13-16 ms the first time). They were
made by two chained ``QTimer.singleShot(0)`` calls: posted events, run back to back in the
pass that also paints the new window, one 20-66 ms turn (``benchmarks/bench_first_use.py``,
"open Compare", s10b). Now each is made by a 1 ms timer: the posted events (the paint) never
make one, and the event loop turns between the two.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QCoreApplication

from explorer.core.io.scene import Scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _one_pass_until(done, timeout_s: float = 5.0) -> None:
    """Single passes of the event loop (each runs the timers due) until ``done()``."""
    end = time.perf_counter() + timeout_s
    while not done():
        assert time.perf_counter() < end, "not built in time"
        QCoreApplication.processEvents()
        time.sleep(0.002)


def test_first_open_makes_each_grid_in_a_pass_of_its_own(make_window):
    win = make_window(Scene(layers=(default_spec("depthwise"),)), wait=False)
    window = win.tools["compare_window"].window
    standard, separable = window.standard, window.separable
    assert not standard.built and not separable.built
    window.show()
    QCoreApplication.sendPostedEvents()  # the pass of the posted events: the first paint
    assert not standard.built  # old code: made here, with the second posted right after
    _one_pass_until(lambda: standard.built)
    assert not separable.built  # the loop turns before the second grid
    QCoreApplication.sendPostedEvents()
    assert not separable.built
    _one_pass_until(lambda: separable.built)
    window.hide()
