"""Time the GUI thread after an extreme ``kernel_size`` edit (seed 21, action 519) — diagnostic.

Opens the monkey window on a scene (default: seed 21's kept scene at its action 513, one
standard layer 3→8 on a 256×256 RGB input; ``--small``: the monkey's standard 3-layer scene,
the same-run baseline), waits for the first results, then ``--repeats`` times sets the first
layer's ``kernel_size`` to an extreme pair (as ``monkey.edit_field(extreme=True)`` does) and
back, and prints the median of (a) the edit's own turn and (b) the longest 10 ms-heartbeat gap
until the results have arrived and been drawn.

Usage: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_extreme_edit.py [--small]``.
Not part of ``run.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
sys.path.insert(0, str(ROOT))

_SCENE = {
    "format": "conv-explorer-scene",
    "version": 1,
    "seed": 0,
    "input": {"size": 256, "mode": "rgb"},
    "layers": [
        {"kind": "standard", "out_channels": 8, "kernel_size": 3, "stride": 1,
         "padding": "same", "dilation": 1, "groups": 1, "bias": False,
         "batch_norm": False, "activation": "none"}
    ],
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="the monkey's 3-layer scene")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--kernel", type=int, nargs=2, default=(700, 900))
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    scratch = Path(tempfile.mkdtemp(prefix="conv-explorer-extreme-"))
    os.environ.setdefault("CONV_EXPLORER_DATA_DIR", str(scratch / "data"))
    import json

    from PySide6.QtCore import QElapsedTimer, QTimer, qInstallMessageHandler
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QDockWidget

    qInstallMessageHandler(lambda *_: None)
    _app = QApplication([])
    from monkey import make_monkey_window, monkey_scene

    from explorer.core.io.scene import load_scene

    if args.small:
        scene = monkey_scene()
    else:
        path = scratch / "scene.json"
        path.write_text(json.dumps(_SCENE))
        scene = load_scene(path)
    win = make_monkey_window(scene, scratch)
    for dock in win.findChildren(QDockWidget):
        if dock.objectName() in ("CostDock", "InspectorDock", "WalkthroughDock"):
            if not dock.isVisible():
                dock.toggleViewAction().trigger()

    def settle(limit: float = 60.0) -> None:
        end = time.perf_counter() + limit
        QTest.qWait(400)  # past the edit's debounce: the run has started
        while (not win.controller.results or win.controller.busy) and time.perf_counter() < end:
            QTest.qWait(20)
        QTest.qWait(300)

    settle()
    win.document.select(0)
    settle()
    control = win.layer_editor.controls["kernel_size"]
    clock = QElapsedTimer()
    gaps: list[float] = []

    def tick() -> None:
        gaps.append(clock.restart() - 10)

    heartbeat = QTimer(interval=10)
    heartbeat.timeout.connect(tick)
    turns, worst, spent = [], [], []
    for k in range(args.repeats):
        value = tuple(args.kernel) if k % 2 == 0 else (3, 3)
        QTest.qWait(200)
        gaps.clear()
        clock.start()
        heartbeat.start()
        t0 = time.perf_counter()
        control.setValue(value)
        turns.append((time.perf_counter() - t0) * 1e3)
        settle()
        spent.append(time.perf_counter() - t0)
        heartbeat.stop()
        if k % 2 == 0:
            worst.append(max(gaps, default=0.0))
            shown = win.feature_grid.message or win.feature_grid._title.text()
    print(f"after the extreme edit the grid showed: {shown[:100]}; {max(spent):.1f} s to settle")
    label = "small 3-layer scene" if args.small else "seed 21 scene (256x256 rgb, 3->8)"
    print(
        f"{label}: kernel {tuple(args.kernel)}: edit turn median {statistics.median(turns):.1f} ms; "
        f"longest heartbeat gap until drawn, median {statistics.median(worst):.1f} ms "
        f"(each: {', '.join(f'{g:.0f}' for g in worst)})"
    )
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
