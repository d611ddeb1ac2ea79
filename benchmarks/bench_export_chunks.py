"""The longest piece of GUI-thread work of a panel export, against painting it in one go.

File ▸ Export paints a panel in strips, one per turn of the event loop
(``explorer/ui/tools/present/export_job.py``), so the window keeps ticking. For each panel
and format this script times every GUI-thread call of the job (``start`` and each step) over
``--repeats`` exports on the real window (default scene) and reports the median of the
longest one, next to the baseline measured in the same run: the same panel painted in one
``widget.render`` (``render_png`` / ``save_svg``, what an export without strips costs).

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_export_chunks.py --repeats 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The app measured: this checkout, or another one (CONV_EXPLORER_BENCH_APP, as in
#: bench_common) to measure a before/after pair with this script in the same minutes.
APP_ROOT = Path(os.environ.get("CONV_EXPLORER_BENCH_APP", str(ROOT))).resolve()
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
sys.path.insert(0, str(APP_ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--cases", nargs="+", default=["costs:png:4000", "maps:png:4000", "window:svg:0"]
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    import torch

    torch.set_num_threads(1)
    from monkey import idle_wait, make_monkey_window, monkey_scene
    from PySide6.QtWidgets import QApplication

    import explorer.ui.tools.present.export_job as export_job
    from explorer.ui.tools.present.export import render_png, save_svg

    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="conv-explorer-export-"))
    scene = monkey_scene()
    win = make_monkey_window(scene, folder)
    end = time.time() + 60
    last = win.document.layers[-1]
    while time.time() < end and (
        win.controller.worker_running or win.controller.state.result(last) is None
    ):
        idle_wait(50)
    idle_wait(1000)
    calls: list[float] = []

    def timed(fn):
        def wrap(self, *a):
            start = time.perf_counter()
            try:
                return fn(self, *a)
            finally:
                calls.append((time.perf_counter() - start) * 1000)

        return wrap

    export_job.ExportJob.start = timed(export_job.ExportJob.start)
    export_job.ExportJob._step = timed(export_job.ExportJob._step)
    exporter = win.tools["export"]
    results = []
    for case in args.cases:
        panel, fmt, width = case.split(":")
        longest, whole = [], []
        for i in range(args.repeats):
            path = folder / f"{panel}{i}.{fmt}"
            exporter.ask_path = lambda *a, p=path: p
            exporter.ask_width = lambda w=int(width): w
            calls.clear()
            job = exporter.export_panel(panel, fmt)
            if job is None or job.wait() is None:
                print(f"{case}: the export failed", file=sys.stderr)
                return 1
            longest.append(max(calls))
            idle_wait(30)
            start = time.perf_counter()
            if fmt == "png":
                render_png(exporter.panel(panel), int(width))
            else:
                save_svg(exporter.panel(panel), folder / "whole.svg")
            whole.append((time.perf_counter() - start) * 1000)
            idle_wait(30)
        row = {
            "case": case,
            "longest_chunk_ms": round(statistics.median(longest), 1),
            "one_render_ms": round(statistics.median(whole), 1),
        }
        row["ratio"] = round(row["longest_chunk_ms"] / row["one_render_ms"], 3)
        results.append(row)
        print(
            f"{case}: longest GUI-thread chunk {row['longest_chunk_ms']} ms (median of "
            f"{args.repeats}), one render {row['one_render_ms']} ms, ratio {row['ratio']}",
            flush=True,
        )
    print("BENCH-RESULT " + json.dumps({"bench": "export_chunks", "runs": results}), flush=True)
    win.shutdown()
    app.processEvents()
    os._exit(0)  # skip the interpreter's teardown of Qt and pyqtgraph objects


if __name__ == "__main__":
    raise SystemExit(main())
