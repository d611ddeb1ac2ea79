"""After the window's first paint, the first results' caches are warmed in timer slices.

The first results drew their maps with two colour-map lookup tables read from pyqtgraph's
CSV files (≈ 3.5 ms each) in the result's own turn (s10b, ``benchmarks/bench_first_use.py``
"first results": 19 → 13 ms median). The first paint now starts a 1 ms timer that makes
them one per pass of the event loop while the first run waits for torch.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from explorer.ui.widgets.colormaps import DEFAULT_WEIGHT_COLORMAP, colormap, lookup_table
from explorer.ui.window import first_paint
from explorer.ui.window.first_paint import first_run_after_first_paint


class _Grid:
    colormap_name = "magma"


def test_each_step_runs_in_a_timer_pass_of_its_own(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    ran: list[int] = []
    timer = first_paint.warm_first_uses(widget, [lambda i=i: ran.append(i) for i in range(3)])
    QCoreApplication.sendPostedEvents()  # posted events (a paint pass) run none of them
    assert ran == []
    counts = []
    end = time.perf_counter() + 5
    while len(ran) < 3:
        assert time.perf_counter() < end
        QCoreApplication.processEvents()
        counts.append(len(ran))
        time.sleep(0.002)
    assert ran == [0, 1, 2]
    assert all(b - a <= 1 for a, b in zip([0, *counts], counts, strict=False))  # one per pass
    assert not timer.isActive()


def test_the_steps_make_the_lookup_tables_of_the_windows_colour_maps(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.feature_grid = _Grid()
    lookup_table.cache_clear()
    colormap.cache_clear()
    for step in first_paint.warm_steps(widget):
        step()
    assert lookup_table.cache_info().currsize == 2
    assert lookup_table.cache_info().misses == 2
    lookup_table("magma"), lookup_table(DEFAULT_WEIGHT_COLORMAP)
    assert lookup_table.cache_info().misses == 2  # both were made by the warm-up


class _Controller:
    def hold(self) -> None:
        pass

    def release(self) -> None:
        pass


def test_the_first_paint_starts_the_warm_up(qtbot, monkeypatch):
    from explorer.ui.state import torch_preload

    monkeypatch.setattr(torch_preload, "start_torch_preload", lambda **_: None)
    started: list[QWidget] = []
    monkeypatch.setattr(first_paint, "warm_first_uses", started.append)
    widget = QWidget()
    widget.controller = _Controller()
    qtbot.addWidget(widget)
    first_run_after_first_paint(widget, fallback_ms=60000)
    qtbot.wait(30)
    assert started == []  # not before the first paint
    widget.show()
    qtbot.waitUntil(lambda: started == [widget], timeout=5000)
