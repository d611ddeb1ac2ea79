"""Results and edits landing in ONE pass of the event loop (issue 16: no gap over ~33 ms).

Measured alone, a result's slot plus its paint is 3-8 ms (``bench_results.py``); the
monkey's 47-65 ms gaps are several such pieces in one pass of the event loop. This
benchmark makes them meet on purpose and times what the monkey times: the gaps of a
10 ms heartbeat timer on the GUI thread (gap = time between two ticks - 10 ms), from the
case's pass until its run has ended and 300 ms more (its paints). Cases, each repeated
``--repeats`` times in a 1280×720 window on the monkey's default scene (layer 1 selected):

* ``result+edit``: a result of the selected layer arrives and, in the same pass, the
  user edits that layer's kernel size (the result is stale before it is drawn);
* ``3 results``: three results (every layer) arrive in one pass;
* ``3 results+edit``: the same, then the edit, in one pass;
* ``select+edit``: another layer is selected and edited in one action (the monkey's
  ``edit_field``), through the layer editor's control;
* ``edit kernel_size`` / ``edit batch_norm``: one edit through the layer editor's
  control (kernel size 3 ↔ 5; batch norm on ↔ off).

Printed per case: the median and the largest of the per-repeat longest gap, how many
gaps were over 33 ms in all, and how often the selected layer's maps were set.

``--profile CASE`` prints cProfile's top functions over that case's repeats.

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_passes.py [--repeats 20]

To measure other code in the same minutes, put its folder first:
``PYTHONPATH=/tmp/old python benchmarks/bench_passes.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cases", nargs="*", default=None, help="only these cases")
    parser.add_argument("--profile", default=None, help="cProfile this case's passes")
    args = parser.parse_args()
    from bench_results import scaled_result
    from bench_stalls import start_app

    app, scratch, _ = start_app("conv-explorer-passes-", None)

    import torch
    from monkey import make_monkey_window, monkey_scene
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest

    import explorer

    torch.set_num_threads(1)
    print(f"code: {Path(explorer.__file__).parent}", flush=True)
    scene = monkey_scene()
    win = make_monkey_window(scene, scratch / "w")
    c = win.controller

    def settle() -> None:
        deadline = time.perf_counter() + 120
        while not (c.results and not c.busy):
            QTest.qWait(20)
            if time.perf_counter() > deadline:
                raise SystemExit("the run did not finish")
        QTest.qWait(200)

    settle()
    win.document.select(0)
    QTest.qWait(300)

    maps_set = [0]
    set_maps = type(win.feature_grid).set_maps

    def counted(self, *a, **k):  # how often the maps were set (a check of the coalescing)
        maps_set[0] += 1
        return set_maps(self, *a, **k)

    type(win.feature_grid).set_maps = counted

    gaps: list[float] = []
    clock = QElapsedTimer()

    def tick() -> None:
        gaps.append(clock.restart() - 10)

    heartbeat = QTimer(interval=10)
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(tick)
    clock.start()
    heartbeat.start()

    def gap_of(action) -> list[float]:
        """The heartbeat's gaps from ``action``'s pass until its run ended + 300 ms."""
        QTest.qWait(50)
        loop = QEventLoop()
        state: dict = {"done_at": None}
        start = time.perf_counter()

        def poll() -> None:
            now = time.perf_counter()
            if state["done_at"] is None and not c.busy:
                state["done_at"] = now
            if (state["done_at"] is not None and now - state["done_at"] > 0.3) or (
                now - start > 20
            ):
                loop.quit()

        poller = QTimer(interval=20)
        poller.timeout.connect(poll)
        QTimer.singleShot(0, action)
        gaps.clear()
        poller.start()
        loop.exec()
        poller.stop()
        return list(gaps)

    controls = win.layer_editor.controls
    flip = [0]

    def edit_kernel() -> None:
        flip[0] += 1
        k = 5 if flip[0] % 2 else 3
        controls["kernel_size"].setValue((k, k))

    def edit_batch_norm() -> None:
        box = controls["batch_norm"]
        box.setChecked(not box.isChecked())

    def deliver(indices) -> None:
        rev = c.revision
        for i in indices:
            result = scaled_result(c.results[i], 1.0 + 0.01 * (flip[0] % 3 + 1))
            c._on_yielded(rev, ("layer", rev, result))  # noqa: SLF001 (as the relay does)

    def select_and_edit() -> None:
        win.document.select(1 if win.document.selected == 0 else 0)
        edit_kernel()

    cases = {
        "result+edit": lambda: (deliver([0]), edit_kernel()),
        "3 results": lambda: deliver([0, 1, 2]),
        "3 results+edit": lambda: (deliver([0, 1, 2]), edit_kernel()),
        "select+edit": select_and_edit,
        "edit kernel_size": edit_kernel,
        "edit batch_norm": edit_batch_norm,
    }
    profile = cProfile.Profile()
    for label, action in cases.items():
        if args.cases and label not in args.cases:
            continue
        longest, over, sets = [], 0, 0
        for _ in range(args.repeats):
            if label != "select+edit":
                win.document.select(0)
            settle()
            maps_set[0] = 0
            if args.profile == label:
                profile.enable()
            got = gap_of(action)
            profile.disable()
            sets += maps_set[0]
            longest.append(max(got, default=0.0))
            over += sum(g > 33 for g in got)
        print(
            f"{label:18s} longest gap: median {statistics.median(longest):5.1f} ms  "
            f"max {max(longest):5.1f} ms  gaps>33ms {over:3d}  "
            f"maps set {sets / args.repeats:.1f}/repeat",
            flush=True,
        )
        if args.profile == label:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    heartbeat.stop()
    win.close()
    QTest.qWait(100)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
