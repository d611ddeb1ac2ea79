"""The walk-through: precomputing a walk, and painting one frame, against baselines.

::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_walkthrough.py [--repeats N]

* ``build``: :func:`explorer.core.analysis.walkthrough.build_walk` of the default scene's layers on an
  8×8 region, against the baseline of the same layer's torch forward pass on the whole image
  (``run_stack`` of that layer alone), measured in the same process: ``build_vs_forward``.
* ``paint``: ``paint_frame`` of every step into a 1280×720 ``QImage`` (what the dock does on
  each tick while playing), against the baseline of filling that image and drawing one line
  of text: ``paint_vs_fill``. Main-thread CPU time (``time.thread_time``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import emit, load_named_scene, summarize  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import torch
    from PySide6.QtGui import QGuiApplication, QImage, QPainter

    torch.set_num_threads(1)
    app = QGuiApplication.instance() or QGuiApplication([])
    from explorer.core.analysis.walkthrough import Region, build_walk
    from explorer.core.compute.run import run_stack
    from explorer.core.io.inputs import resolve_input
    from explorer.ui.tools.walkthrough.walkthrough_paint import paint_frame

    scene = load_named_scene("default")
    image = resolve_input(scene.input, scene.seed)
    results = list(run_stack(scene.layers, image, seed=scene.seed, device="cpu"))
    for index, spec in enumerate(scene.layers):
        x = image if index == 0 else results[index - 1].output
        builds, forwards = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            walk = build_walk(spec, x, results[index].weights, region=Region(100, 100, 8, 8))
            builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            list(run_stack([spec], x, seed=scene.seed, device="cpu"))
            forwards.append(time.perf_counter() - start)
        frame = QImage(1280, 720, QImage.Format.Format_RGB32)
        paints, fills = [], []
        for i in range(len(walk.steps)):
            painter = QPainter(frame)
            start = time.thread_time()
            paint_frame(painter, 1280, 720, walk, i, "Layer")
            paints.append(time.thread_time() - start)
            start = time.thread_time()
            painter.fillRect(frame.rect(), 0xFFFFFF)
            painter.drawText(20, 40, f"step {i}")
            fills.append(time.thread_time() - start)
            painter.end()
        emit(
            {
                "figure": f"walkthrough_layer{index + 1}_{spec.kind}",
                "steps": len(walk.steps),
                "build_s": summarize(builds),
                "forward_s": summarize(forwards),
                "build_vs_forward": statistics.median(builds) / statistics.median(forwards),
                "paint_s": summarize(paints),
                "fill_s": summarize(fills),
                "paint_vs_fill": statistics.median(paints) / max(statistics.median(fills), 1e-9),
            }
        )
    del app


if __name__ == "__main__":
    main()
