"""The longest GUI-thread turn after single actions (issue 16: no turn over ~20 ms).

Like ``bench_stalls.py`` (same actions, ``--only`` / ``--scene``), but with a 2 ms heartbeat
instead of 10 ms, so that it sees each pass of the event loop: after the action, every gap
between two ticks is one turn (the action's own turn is the first), for 1 s. Printed per
action: the longest turn of each repeat (wall ms, and the GUI thread's own CPU ms in it),
their median, and the turns over 6 ms of the last repeat in order (``turn index: wall/CPU``)
so that a split shows as two shorter turns. Also the longest gap of a 10 ms heartbeat (what a
user sees as a late frame: turns chained by posted events, ``QTimer.singleShot(0)``, run in
one event-loop pass and fill one gap), median of the repeats. Other work on the machine inflates wall time:
compare before/after in the same minutes (``PYTHONPATH=/tmp/old`` measures other code).

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_turns.py --repeats 5 \\
        --scene paddleocr_cls --only "presentation mode" "move layer"
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="names of the actions (bench_stalls.py)")
    parser.add_argument("--scene", default=None, help="a bundled scene to start from")
    args = parser.parse_args(argv)
    from bench_stalls import _actions, open_ready, start_app

    app, scratch, scene = start_app("conv-explorer-turns-", args.scene)
    from monkey import idle_wait
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    import explorer
    from explorer.core.io.samples import DEFAULT_SCENE

    print(f"code: {Path(explorer.__file__).parent}  scene: {args.scene or DEFAULT_SCENE}")
    actions = _actions()
    names = args.only or list(actions)
    longest: dict[str, list[tuple[float, float]]] = {}
    last_turns: dict[str, list[tuple[int, float, float]]] = {}
    gaps: dict[str, list[float]] = {}  # the longest gap of a 10 ms heartbeat, per repeat
    for repeat in range(args.repeats):
        for name in names:
            folder = scratch / f"{repeat}-{name.split()[0]}"
            folder.mkdir(parents=True, exist_ok=True)
            win = open_ready(scene, folder, name)
            idle_wait(500)
            turns: list[tuple[float, float]] = []  # (wall ms, GUI-thread CPU ms)
            clock = QElapsedTimer()
            cpu = [time.thread_time()]

            def tick(turns=turns, clock=clock, cpu=cpu) -> None:
                now = time.thread_time()
                turns.append((float(clock.restart()), (now - cpu[0]) * 1000))
                cpu[0] = now

            heartbeat = QTimer()
            heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
            heartbeat.setInterval(2)
            heartbeat.timeout.connect(tick)
            beats: list[float] = []  # the 10 ms heartbeat's gaps (ms)
            beat_clock = QElapsedTimer()
            beat = QTimer()
            beat.setTimerType(Qt.TimerType.PreciseTimer)
            beat.setInterval(10)
            beat.timeout.connect(lambda beats=beats, c=beat_clock: beats.append(c.restart()))
            clock.start()
            heartbeat.start()
            beat_clock.start()
            beat.start()
            idle_wait(30)
            turns.clear()
            beats.clear()
            clock.restart()
            cpu[0] = time.thread_time()
            actions[name](win)
            tick()  # the action's own turn
            idle_wait(1000)
            heartbeat.stop()
            beat.stop()
            gaps.setdefault(name, []).append(float(max(beats, default=0.0)))
            # a window closed while presenting would leave the application font scaled, and
            # the next window would scale it again (a "presentation scale" compounded to 4 s)
            win.tools["presentation"].leave()
            idle_wait(50)
            # a tick's gap minus the 2 ms period it waited (never below 0)
            work = [(max(0.0, wall - 2.0) if i else wall, c) for i, (wall, c) in enumerate(turns)]
            longest.setdefault(name, []).append(max(work))
            last_turns[name] = [(i, w, c) for i, (w, c) in enumerate(work) if w > 6]
            win.shutdown()
            win.close()
            win.deleteLater()
            idle_wait(50)
            gc.collect()  # not in the next action's turns
            idle_wait(50)
    for name in names:
        walls = [w for w, _ in longest[name]]
        shown = ", ".join(f"{w:.0f}/{c:.0f}" for w, c in longest[name])
        turns = " ".join(f"{i}:{w:.0f}/{c:.0f}" for i, w, c in last_turns[name][:8])
        print(
            f"{name:26s} longest turn: median {statistics.median(walls):5.1f} ms "
            f"(wall/CPU per repeat: {shown});  last repeat's turns > 6 ms: {turns}"
        )
        shown_gaps = ", ".join(f"{g:.0f}" for g in gaps[name])
        print(
            f"{'':26s} longest 10 ms-heartbeat gap: median "
            f"{statistics.median(gaps[name]):5.1f} ms (per repeat: {shown_gaps})"
        )
    print(
        "BENCH-RESULT "
        + json.dumps(
            {
                "bench": "turns",
                "scene": args.scene or DEFAULT_SCENE,
                "ms": longest,
                "gap_ms": gaps,
            }
        ),
        flush=True,
    )
    app.processEvents()
    os._exit(0)  # skip the interpreter's teardown of Qt objects


if __name__ == "__main__":
    raise SystemExit(main())
