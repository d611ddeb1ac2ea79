"""Rebuild the state of a monkey stall and time the GUI thread while it settles (diagnostic).

``monkey_events.py SEED SECONDS DIR`` saves, for each gap over 50 ms, the scene the window
held (``gap_*.json``) and what was selected and open (``gap_*.txt``). This script opens a
window on that scene, opens the same docks, waits for the first results, then selects the
same layer (or re-runs with ``--rerun``) and prints every gap of a 10 ms heartbeat over
``--stall-ms`` for the next ``--seconds`` — run it under ``py-spy record --native`` (or
``python -m cProfile``) to see where the time goes.

Usage: ``QT_QPA_PLATFORM=offscreen python benchmarks/replay_gap.py DIR/gap_184_188ms.json``.
Not part of ``run.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scene", type=Path)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--stall-ms", type=float, default=33.0)
    parser.add_argument("--rerun", action="store_true", help="after the first results, run again")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    scratch = Path(tempfile.mkdtemp(prefix="conv-explorer-replay-"))
    os.environ.setdefault("CONV_EXPLORER_DATA_DIR", str(scratch / "data"))
    from PySide6.QtCore import QElapsedTimer, QTimer, qInstallMessageHandler
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QDockWidget

    qInstallMessageHandler(lambda *_: None)
    _app = QApplication([])
    from monkey import make_monkey_window

    from explorer.core.io.scene import load_scene

    info = args.scene.with_suffix(".txt")
    selected, docks = -1, []
    if info.exists():
        for line in info.read_text().splitlines():
            if line.startswith("selected "):
                selected = int(line.split()[1])
            elif line.startswith("docks "):
                docks = line.split()[1:]
    scene = load_scene(args.scene, memory=False) if _takes_memory() else load_scene(args.scene)
    win = make_monkey_window(scene, scratch)
    for dock in win.findChildren(QDockWidget):
        if dock.objectName() in docks and not dock.isVisible():
            dock.toggleViewAction().trigger()
    end = time.perf_counter() + 120
    while (not win.controller.results or win.controller.busy) and time.perf_counter() < end:
        QTest.qWait(20)
    QTest.qWait(1000)
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()

    def tick() -> None:
        gap = clock.restart() - 10
        if gap > args.stall_ms:
            gaps.append(gap)
            print(f"gap {gap} ms at {time.perf_counter() - t0:.2f} s", flush=True)

    heartbeat = QTimer(interval=10)
    heartbeat.timeout.connect(tick)
    heartbeat.start()
    t0 = time.perf_counter()
    print(f"select {selected}; docks {docks}", flush=True)
    win.document.select(selected)
    if args.rerun:
        win.controller.refresh()
    QTest.qWait(int(args.seconds * 1000))
    print(f"{len(gaps)} gaps over {args.stall_ms} ms, longest {max(gaps, default=0)} ms")
    sys.stdout.flush()
    os._exit(0)


def _takes_memory() -> bool:
    import inspect

    from explorer.core.io.scene import load_scene

    return "memory" in inspect.signature(load_scene).parameters


if __name__ == "__main__":
    raise SystemExit(main())
