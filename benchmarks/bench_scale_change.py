"""GUI stalls of presentation-mode scale changes in one window (issue 16).

``bench_stalls.py`` makes a fresh window per action, so its later repeats also pay for the
windows made before them; this one enters presentation mode once on the default scene and
changes the scale six times (2.5, 1.5, 2.0, 1.25, 2.5, 1.75), collecting garbage before
each. For each change it prints the time of the call itself, the longest gap of a 10 ms
heartbeat on the GUI thread until 0.8 s later (the baseline to read it against is a frame,
~17-33 ms), and the GUI thread's own CPU time in that period.

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_scale_change.py

``--toggle`` enters and leaves presentation mode instead. To measure other code, put its
folder first: ``PYTHONPATH=/tmp/old python benchmarks/bench_scale_change.py``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toggle", action="store_true", help="enter/leave instead")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    scratch = Path(tempfile.mkdtemp(prefix="conv-explorer-scale-"))
    os.environ.setdefault("CONV_EXPLORER_DATA_DIR", str(scratch / "data"))

    from monkey import make_monkey_window
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer, qInstallMessageHandler
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import explorer
    from explorer.core.io.samples import DEFAULT_SCENE, scene_path
    from explorer.core.io.scene import load_scene

    qInstallMessageHandler(lambda *_: None)
    app = QApplication.instance() or QApplication([])
    print(f"code: {Path(explorer.__file__).parent}", flush=True)
    win = make_monkey_window(load_scene(scene_path(DEFAULT_SCENE)), scratch)
    deadline = time.perf_counter() + 120
    while not (win.controller.results and not win.controller.busy):
        QTest.qWait(20)
        if time.perf_counter() > deadline:
            raise SystemExit("the first run did not finish")
    tool = win.tools["presentation"]
    if not args.toggle:
        tool.toggle_action.trigger()
    QTest.qWait(800)
    clock = QElapsedTimer()
    gaps: list[float] = []
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: gaps.append(clock.restart() - 10.0))
    rows = []
    for scale in (2.5, 1.5, 2.0, 1.25, 2.5, 1.75):
        gc.collect()
        QTest.qWait(200)
        gaps.clear()
        clock.start()
        heartbeat.start()
        start, cpu = time.perf_counter(), time.thread_time()
        if args.toggle:
            tool.toggle_action.trigger()
        else:
            tool.set_scale(scale)
        call_ms = (time.perf_counter() - start) * 1000
        QTest.qWait(800)
        heartbeat.stop()
        rows.append(
            {
                "call_ms": round(call_ms),
                "longest_gap_ms": round(max([call_ms, *gaps])),
                "gui_cpu_ms": round((time.thread_time() - cpu) * 1000),
            }
        )
        print(
            f"{'toggle' if args.toggle else f'scale {scale:g}'}: call {call_ms:4.0f} ms, "
            f"longest gap {rows[-1]['longest_gap_ms']:4d} ms, "
            f"GUI-thread CPU {rows[-1]['gui_cpu_ms']:4d} ms",
            flush=True,
        )
    print("BENCH-RESULT " + json.dumps({"bench": "scale_change", "rows": rows}), flush=True)
    win.shutdown()
    app.processEvents()
    os._exit(0)  # skip the interpreter's teardown of Qt objects


if __name__ == "__main__":
    raise SystemExit(main())
