"""GUI-thread cost of three redraws (issue 16): the Wiring dock, presentation mode's font
rescale, and the cost view's table and chart.

Each is timed 20 times (median, ms) including the event-loop turn that follows (layout and
paint), in one window on a five-layer stack:

* ``wiring``: the Wiring dock redraws for another layer (the four layers in turn);
* ``cost add``: the cost view shows a stack one layer longer, then the stack again;
* ``cost same``: the cost view is given the costs it shows;
* ``present rescale``: presentation mode's refresh after a result (nothing new made);
* ``present scale``: the presentation scale changes (1.5 ↔ 2.0);
* ``present enter``: entering presentation mode (5 times; left after each).

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_redraws.py

To measure other code, put its folder first: ``PYTHONPATH=/tmp/old python ...``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1e3:6.1f} ms (min {min(samples) * 1e3:.1f})"


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    scratch = Path(tempfile.mkdtemp(prefix="conv-explorer-redraws-"))
    os.environ.setdefault("CONV_EXPLORER_DATA_DIR", str(scratch / "data"))

    import torch
    from monkey import make_monkey_window
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import explorer
    from explorer.core.analysis.costs import find_comparisons, stack_cost
    from explorer.core.io.scene import InputSpec, Scene
    from explorer.core.model.specs import default_spec

    torch.set_num_threads(1)
    qInstallMessageHandler(lambda *_: None)
    app = QApplication.instance() or QApplication([])
    print(f"code: {Path(explorer.__file__).parent}", flush=True)
    layers = (
        default_spec("standard", out_channels=8),
        default_spec("standard", out_channels=12, groups=4),
        default_spec("depthwise", multiplier=2),
        default_spec("separable", out_channels=6, multiplier=2),
        default_spec("pointwise", out_channels=100),
    )
    scene = Scene(input=InputSpec(image="sample:astronaut", size=64), layers=layers)
    win = make_monkey_window(scene, scratch)
    deadline = time.perf_counter() + 120
    while not (win.controller.results and not win.controller.busy):
        QTest.qWait(20)
        if time.perf_counter() > deadline:
            raise SystemExit("the first run did not finish")
    QTest.qWait(300)

    def timed(action) -> float:
        start = time.perf_counter()
        action()
        app.processEvents()
        return time.perf_counter() - start

    # --- wiring
    dock = win.tools["wiring_view"]
    dock.show()
    QTest.qWait(300)
    samples = []
    for rep in range(24):
        win.document.select(1 + rep % 4)
        dock._timer.stop()  # the selection's other redraws first, then the dock's, timed
        QTest.qWait(150)
        samples.append(timed(dock.refresh))
        QTest.qWait(20)
    print(f"wiring          {_median_ms(samples[4:])}", flush=True)
    dock.hide()
    QTest.qWait(100)

    # --- cost view
    view = win.cost_view
    in_shape = win.controller.cost.input_shape
    longer = (*layers, default_spec("pointwise", out_channels=4))
    costs = [stack_cost(in_shape, layers), stack_cost(in_shape, longer)]
    comps = [find_comparisons(layers, costs[0]), find_comparisons(longer, costs[1])]
    samples = []
    for rep in range(20):
        k = rep % 2
        samples.append(timed(lambda k=k: view.set_costs(costs[k], comps[k])))
        QTest.qWait(20)
    print(f"cost add        {_median_ms(samples)}", flush=True)
    samples = [timed(lambda: view.set_costs(costs[0], comps[0])) for _ in range(20)]
    print(f"cost same       {_median_ms(samples)}", flush=True)

    # --- presentation
    tool = win.tools["presentation"]
    samples = []
    for _ in range(5):
        samples.append(timed(lambda: tool.enter(full_screen=False)))
        QTest.qWait(200)
        tool.leave()
        QTest.qWait(200)
    print(f"present enter   {_median_ms(samples)}", flush=True)
    tool.enter(full_screen=False)
    QTest.qWait(500)
    samples = [timed(tool._refresh) for _ in range(20)]
    print(f"present rescale {_median_ms(samples)}", flush=True)
    samples = []
    for rep in range(10):
        samples.append(timed(lambda rep=rep: tool.set_scale(1.5 if rep % 2 else 2.0)))
        QTest.qWait(100)
    print(f"present scale   {_median_ms(samples)}", flush=True)
    tool.leave()
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
