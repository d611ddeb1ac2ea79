"""Parts of the update path, each timed alone (the before/after rows of docs/performance.md).

::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_parts.py

* ``core_overhead``: ``run_stack`` on the heavy scene after a 1×1 edit (the separable
  layer from the cache): wall time of the run minus the layers' own forward time.
* ``weights_set_layer`` / ``weights_grab``: ``WeightView.set_layer`` of a pointwise
  layer (8–10 × 16 matrix with its numbers, and the bias), then ``grab()``.
* ``grid_512``: ``FeatureMapGrid.set_maps`` of 64 maps of 512² + ``grab()`` (900×700).

Widget figures are CPU time of the main thread (``time.thread_time``), which other work on
the machine disturbs less than wall time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_common import emit, load_named_scene, summarize  # noqa: E402


def core_overhead(repeats: int) -> dict:
    from explorer.core.compute.run import LayerCache, run_stack
    from explorer.core.io.inputs import resolve_input

    scene = load_named_scene("heavy")
    cache = LayerCache()
    last = len(scene.layers) - 1
    base = scene.layers[last].out_channels
    overheads = []
    for i in range(repeats + 1):
        layers = scene.layers[:last] + (scene.layers[last].with_changes(out_channels=base + i),)
        image = resolve_input(scene.input, scene.seed)
        start = time.perf_counter()
        results = list(run_stack(layers, image, seed=scene.seed, cache=cache))
        wall = time.perf_counter() - start
        if i > 0:  # the first run fills the cache
            overheads.append(wall - sum(r.seconds for r in results if not r.cached))
    return {"core_overhead": summarize(overheads)}


def widgets(repeats: int) -> dict:
    from PySide6.QtWidgets import QApplication

    from explorer.ui.views.feature_grid import FeatureMapGrid
    from explorer.ui.views.weight_view import WeightView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    rng = np.random.default_rng(0)
    view = WeightView()
    view.resize(900, 320)
    view.show()
    app.processEvents()
    sets, grabs = [], []
    for i in range(repeats + 2):
        rows = 8 + i % 3
        weights = {
            "weight": rng.standard_normal((rows, 16, 1, 1)).astype(np.float32),
            "bias": rng.standard_normal(rows).astype(np.float32),
        }
        t0 = time.thread_time()
        view.set_layer("pointwise", weights)
        t1 = time.thread_time()
        view.grab()
        t2 = time.thread_time()
        if i >= 2:
            sets.append(t1 - t0)
            grabs.append(t2 - t1)
    grid = FeatureMapGrid()
    grid.resize(900, 700)
    grid.show()
    app.processEvents()
    maps = rng.standard_normal((64, 512, 512), dtype=np.float32)
    grid_times = []
    for i in range(repeats + 2):
        data = maps + np.float32(i)
        t0 = time.thread_time()
        grid.set_maps(data)
        grid.graphics_view().grab()
        if i >= 2:
            grid_times.append(time.thread_time() - t0)
    return {
        "weights_set_layer": summarize(sets),
        "weights_grab": summarize(grabs),
        "grid_512": summarize(grid_times),
    }


def main() -> int:
    result = {"bench": "parts"}
    result.update(core_overhead(5))
    result.update(widgets(20))
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
