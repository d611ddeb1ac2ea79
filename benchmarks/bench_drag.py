"""Dragging a slider: how many new pictures per second the window paints.

Run by ``benchmarks/run.py``; on its own::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_drag.py --seconds 3

The real ``MainWindow`` on the default scene, offscreen. A timer makes one edit every
16 ms (a slider dragged at 60 steps per second, through ``SceneDocument.replace_layer``
as the layer editor does), for ``--seconds``:

* ``out_channels``: the last (1×1, selected) layer's channels, swept up and down 4..40;
* ``kernel``: the first layer's kernel size, swept 1..7 (that layer selected).

A *frame* is a paint of the feature grid's view after it was handed new maps (a new
result). ``fps`` = frames / drag time; the baseline in the same run is the edit rate
offered, and ``shown`` the fraction of edits that reached the screen. With a debounce
that waits for the drag to pause, fps would be about 0 while dragging.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import emit, load_named_scene  # noqa: E402

STEP_MS = 16


def _sweep(lo: int, hi: int, n: int, step: int = 1) -> list[int]:
    up = list(range(lo, hi + 1, step))
    cycle = up + up[-2:0:-1]
    return [cycle[i % len(cycle)] for i in range(n)]


def measure(field: str, seconds: float) -> dict:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QGraphicsView

    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    scene = load_named_scene("default", None, None)
    document = SceneDocument(scene)
    window = MainWindow(document, AppSettings(make_qsettings()), autosave=False)
    window.resize(1400, 900)
    index = len(scene.layers) - 1 if field == "out_channels" else 0
    document.select(index)
    window.show()
    c = window.controller
    deadline = time.perf_counter() + 60
    while (c.busy or len(c.results) < len(scene.layers)) and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.005)
    grid = window.feature_grid
    state = {"new": False, "frames": 0, "counting": False}
    set_maps = grid.set_maps

    def counted_set_maps(*args, **kwargs):
        set_maps(*args, **kwargs)
        state["new"] = True

    grid.set_maps = counted_set_maps

    class _Paints(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
            if event.type() == QEvent.Type.Paint and state["new"] and state["counting"]:
                state["new"] = False
                state["frames"] += 1
            return False

    paints = _Paints()
    for view in grid.findChildren(QGraphicsView):
        view.viewport().installEventFilter(paints)
    n = int(seconds * 1000 / STEP_MS)
    values = _sweep(4, 40, n) if field == "out_channels" else _sweep(1, 7, n, 2)
    edits = {"i": 0}
    loop = QEventLoop()

    def step():
        i = edits["i"]
        if i >= n:
            timer.stop()
            loop.quit()
            return
        spec = document.layers[index]
        change = (
            {"out_channels": values[i]} if field == "out_channels" else {"kernel_size": values[i]}
        )
        document.replace_layer(index, spec.with_changes(**change))
        edits["i"] = i + 1

    timer = QTimer()
    timer.setInterval(STEP_MS)
    timer.timeout.connect(step)
    state["counting"] = True
    t0 = time.perf_counter()
    timer.start()
    loop.exec()
    elapsed = time.perf_counter() - t0
    state["counting"] = False
    window.shutdown()
    window.close()
    offered = n / elapsed
    fps = state["frames"] / elapsed
    return {
        "field": field,
        "seconds": elapsed,
        "edits": n,
        "frames": state["frames"],
        "fps": fps,
        "offered_per_s": offered,
        "shown": fps / offered,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--field", default="out_channels", choices=["out_channels", "kernel"])
    args = parser.parse_args(argv)
    emit({"bench": "drag", **measure(args.field, args.seconds)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
