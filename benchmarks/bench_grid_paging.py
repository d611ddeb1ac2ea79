"""A result that pages or unpages the feature grid: the GUI turn it costs (task s10d).

The grid sits in a splitter (as in the window's centre). ``--repeats`` times a result
arrives that switches paging on or off (8 <-> 200 channels of 28x28) and, as the same-run
baseline, one that does not (8 <-> 16 channels); each is timed from ``set_maps`` until the
posted layout requests and the paint have run (``processEvents`` twice). Prints medians, the
ratio to the baseline, and how often the tiles' view was resized.

Usage: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_grid_paging.py``. Not in run.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    QtCore.qInstallMessageHandler(lambda *_: None)
    from explorer.ui.views.feature_grid import FeatureMapGrid

    splitter = QtWidgets.QSplitter()
    grid = FeatureMapGrid()
    splitter.addWidget(QtWidgets.QLabel("left"))
    splitter.addWidget(grid)
    splitter.resize(900, 560)
    splitter.setSizes([300, 600])
    splitter.show()
    resizes = [0]

    class _Count(QtCore.QObject):
        def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
            if event.type() == QtCore.QEvent.Type.Resize:
                resizes[0] += 1
            return False

    counter = _Count()
    grid.graphics_view().installEventFilter(counter)
    rng = np.random.default_rng(0)
    maps = {c: rng.random((c, 28, 28), dtype=np.float32) for c in (8, 16, 200)}

    def turns(sequence: tuple[int, int]) -> tuple[float, int]:
        times, resizes[0] = [], 0
        for k in range(args.repeats * 2):
            arr = maps[sequence[k % 2]].copy()  # a new array: a new result
            t0 = time.perf_counter()
            grid.set_maps(arr, title="layer 1 · standard")
            app.processEvents()
            app.processEvents()
            times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times), resizes[0]

    turns((8, 16))  # warm up
    base, base_resizes = turns((8, 16))
    paging, paging_resizes = turns((8, 200))
    print(
        f"result, no paging change: median {base:.1f} ms ({base_resizes} resizes); "
        f"paging on/off: median {paging:.1f} ms ({paging_resizes} resizes); "
        f"ratio {paging / base:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
