"""The longest GUI-thread gap when a new scene arrives (issue 16, task s10e).

One window on the monkey's 3-layer scene, its first run done. Each repeat starts a 10 ms
heartbeat, runs one action from a timer (so its own turn counts) and records, for
``--follow-ms``, the longest interval between two heartbeat ticks (the monkey's "stall"):
the action's turn, the paint it causes, the results arriving and the cost dock's relayout.

Actions: "lesson" (File ▸ Lessons ▸ Start the Bundled Lesson, then End Lesson and the monkey
scene again, outside the measurement), "open scene" (an 11-layer scene replaces the 3-layer
one, ``document.reset`` as File ▸ Open does: the cost dock's contents grow taller than the
dock, which re-lays and resizes the cost view; the 3-layer one is put back outside the
measurement), and the same-run baseline "edit" (out_channels of layer 1, 8 <-> 12).
Printed: the median (and min/max) of the longest interval per action.

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_new_scene.py --repeats 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _eleven_layers():
    from explorer.core.io.scene import Scene
    from explorer.core.model.specs import default_spec

    return Scene(
        layers=(
            default_spec("standard", out_channels=16),
            *(default_spec("depthwise"), default_spec("pointwise", out_channels=16)) * 5,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--follow-ms", type=int, default=1500)
    parser.add_argument("--only", nargs="*", help="names of the actions")
    args = parser.parse_args(argv)
    from bench_stalls import start_app
    from monkey import idle_wait, make_monkey_window, monkey_scene
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtGui import QAction

    import explorer

    app, scratch, _ = start_app("conv-explorer-new-scene-", None)
    win = make_monkey_window(monkey_scene(), scratch)

    def settle() -> None:
        deadline = time.perf_counter() + 120
        idle_wait(100)
        while not (win.controller.results and not win.controller.busy):
            idle_wait(20)
            if time.perf_counter() > deadline:
                raise SystemExit("a run did not finish")
        idle_wait(300)

    settle()
    actions = {a.text(): a for a in win.findChildren(QAction)}
    start_lesson = actions["&Start the Bundled Lesson"]
    end_lesson = actions["&End Lesson"]

    def lesson(_r: int) -> None:
        start_lesson.trigger()

    def open_scene(_r: int) -> None:
        win.document.reset(_eleven_layers())

    def edit(r: int) -> None:
        win.document.select(0)
        win.layer_editor.controls["out_channels"].setValue(12 if r % 2 == 0 else 8)

    def restore(name: str) -> None:
        if name == "lesson":
            end_lesson.trigger()
        if name in ("lesson", "open scene"):
            win.document.reset(monkey_scene())

    table = {"edit": edit, "lesson": lesson, "open scene": open_scene}
    names = args.only or list(table)
    print(f"code: {Path(explorer.__file__).parent}")
    out: dict[str, dict[str, float]] = {}
    for name in names:
        longest: list[float] = []
        for repeat in range(args.repeats):
            restore(name)
            settle()
            ticks: list[float] = []
            clock = QElapsedTimer()
            heartbeat = QTimer()
            heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
            heartbeat.setInterval(10)
            heartbeat.timeout.connect(
                lambda ticks=ticks, clock=clock: ticks.append(clock.nsecsElapsed() / 1e6)
            )
            clock.start()
            heartbeat.start()
            QTimer.singleShot(15, lambda r=repeat, act=table[name]: act(r))
            idle_wait(args.follow_ms)
            heartbeat.stop()
            gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
            longest.append(max(gaps, default=0.0))
        out[name] = {
            "median": statistics.median(longest),
            "min": min(longest),
            "max": max(longest),
        }
        print(
            f"{name:11s} longest heartbeat interval: median {out[name]['median']:5.1f} ms "
            f"(min {out[name]['min']:5.1f}, max {out[name]['max']:5.1f}) over {args.repeats}",
            flush=True,
        )
    print("BENCH-RESULT " + json.dumps({"bench": "new_scene", "ms": out}), flush=True)
    app.processEvents()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
