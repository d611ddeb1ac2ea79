"""Repaint: 64 feature maps of 256×256 set and rendered, against matplotlib.

Run by ``benchmarks/run.py``; on its own::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_repaint.py --repeats 15

* ``grid``: ``FeatureMapGrid.set_maps(maps)`` followed by ``grab()`` of the grid's graphics
  view (a forced, synchronous render of every tile into a pixmap, 900×700 widget), with
  fresh data each time so that nothing can be reused. ``grid_set_maps`` and
  ``grid_render`` split the same figure in two.
* ``matplotlib``: what a notebook user would do: ``plt.subplots(8, 8)``, 64 ``imshow``
  (viridis) with the axes off, ``fig.canvas.draw()`` on Agg, at 9×7 inches and 100 dpi
  (the same 900×700 pixels), the figure closed after each run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_common import emit, summarize  # noqa: E402

SHAPE = (64, 256, 256)
WIDTH, HEIGHT = 900, 700


def _maps(i: int) -> np.ndarray:
    rng = np.random.default_rng(i)
    return rng.standard_normal(SHAPE, dtype=np.float32)


def measure_grid(repeats: int, warmup: int = 2) -> dict:
    from PySide6.QtWidgets import QApplication

    from explorer.ui.views.feature_grid import FeatureMapGrid

    app = QApplication.instance() or QApplication(sys.argv[:1])
    grid = FeatureMapGrid()
    grid.resize(WIDTH, HEIGHT)
    grid.show()
    app.processEvents()
    view = grid.graphics_view()
    totals, sets, renders = [], [], []
    data = [_maps(i) for i in range(2)]
    for i in range(warmup + repeats):
        maps = data[i % 2] + np.float32(i)  # new values every time, made before the clock
        app.processEvents()
        t0 = time.perf_counter()
        grid.set_maps(maps, title="bench")
        t1 = time.perf_counter()
        pixmap = view.grab()
        t2 = time.perf_counter()
        assert not pixmap.isNull()
        if i >= warmup:
            totals.append(t2 - t0)
            sets.append(t1 - t0)
            renders.append(t2 - t1)
    if "--save" in sys.argv:
        pixmap.save("/tmp/bench_repaint_grid.png")
    grid.close()
    return {
        "grid": summarize(totals),
        "grid_set_maps": summarize(sets),
        "grid_render": summarize(renders),
    }


def measure_matplotlib(repeats: int, warmup: int = 1) -> dict:
    try:
        import matplotlib
    except ImportError:
        return {"matplotlib_missing": MISSING_MATPLOTLIB}

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = []
    for i in range(warmup + repeats):
        maps = _maps(i)
        t0 = time.perf_counter()
        fig, axes = plt.subplots(8, 8, figsize=(WIDTH / 100, HEIGHT / 100), dpi=100)
        for ax, m in zip(axes.flat, maps, strict=True):
            ax.imshow(m, cmap="viridis")
            ax.set_axis_off()
        fig.canvas.draw()
        t1 = time.perf_counter()
        if i == 0 and "--save" in sys.argv:
            fig.savefig("/tmp/bench_repaint_matplotlib.png")
        plt.close(fig)
        if i >= warmup:
            times.append(t1 - t0)
    return {"matplotlib": summarize(times)}


MISSING_MATPLOTLIB = (
    "matplotlib is not installed, so the repaint baseline is skipped: "
    "install the bench extra (pip install -e '.[bench]')"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--mpl-repeats", type=int, default=5)
    parser.add_argument("--save", action="store_true", help="save both pictures under /tmp")
    parser.add_argument("--skip-matplotlib", action="store_true")
    args = parser.parse_args(argv)
    result = {"bench": "repaint", "shape": list(SHAPE), "widget_px": [WIDTH, HEIGHT]}
    result.update(measure_grid(args.repeats))
    if not args.skip_matplotlib:
        result.update(measure_matplotlib(args.mpl_repeats))
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
