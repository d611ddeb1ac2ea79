"""An action's own GUI-thread turn and the turns after it (issue 16: each <= ~15-20 ms).

One window on the monkey's 3-layer scene (standard 8 channels, depthwise, pointwise), its
first run done and the Inspector dock open (it listens to every change). Each action runs
``--repeats`` times; for each repeat the wall time of the action's own call (its turn) is
taken, then a 2 ms heartbeat timer records every later turn for ``--follow-ms``: the longest
of them is "after" (the paint the action caused, its deferred passes, the result arriving).
Printed per action: the median own turn, the median longest turn after it, and how many
turns after it took over 6 ms (median). ``--profile NAME`` prints cProfile of that action's
own turns (all repeats together). Compare before/after in the same minutes
(``PYTHONPATH=/tmp/old`` measures other code).

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_action_turn.py --repeats 12
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _actions() -> dict[str, Callable[[object, int], None]]:
    """Name -> ``act(window, repeat)``; every action undoes itself over two repeats."""

    def select(win, r: int) -> None:
        win.document.select(r % 3)

    def spin(win, r: int) -> None:  # out_channels of layer 1 (a spin box)
        win.layer_editor.controls["out_channels"].setValue(8 if r % 2 else 12)

    def combo(win, r: int) -> None:  # the activation of layer 1 (a combo box)
        box = win.layer_editor.controls["activation"]
        box.setCurrentIndex(0 if box.currentIndex() else 1)

    def check(win, r: int) -> None:  # the bias of layer 1 (a check box)
        box = win.layer_editor.controls["bias"]
        box.setChecked(not box.isChecked())

    def undo(win, r: int) -> None:
        win.actions.undo.trigger()

    def redo(win, r: int) -> None:
        win.actions.redo.trigger()

    def add(win, r: int) -> None:
        win.layer_panel.add_layer("standard")

    def remove(win, r: int) -> None:
        win.document.select(len(win.document.layers) - 1)
        win.layer_panel.remove_action.trigger()

    return {
        "select": select,
        "edit spin box": spin,
        "edit combo box": combo,
        "edit check box": check,
        "undo": undo,
        "redo": redo,
        "add layer": add,
        "remove layer": remove,
    }


def _prepare(win, name: str) -> None:
    """Set the window up for ``name`` outside the measurement."""
    if name.startswith("edit"):
        win.document.select(0)
    elif name == "redo":
        while win.document.can_redo:
            win.document.redo()
        win.document.select(0)
        win.layer_editor.controls["out_channels"].setValue(win.document.layers[0].out_channels + 1)
        win.document.undo()
    elif name == "undo":
        win.document.select(0)
        win.layer_editor.controls["out_channels"].setValue(win.document.layers[0].out_channels + 1)
    elif name == "remove layer":
        if len(win.document.layers) < 4:
            win.layer_panel.add_layer("pointwise")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=12)
    parser.add_argument("--only", nargs="*", help="names of the actions")
    parser.add_argument("--follow-ms", type=int, default=400)
    parser.add_argument("--profile", default=None, help="cProfile this action's own turns")
    args = parser.parse_args(argv)
    from bench_stalls import start_app
    from monkey import idle_wait, make_monkey_window, monkey_scene
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    import explorer

    app, scratch, _ = start_app("conv-explorer-action-turn-", None)
    scene = monkey_scene()
    win = make_monkey_window(scene, scratch)
    deadline = time.perf_counter() + 120
    while not (win.controller.results and not win.controller.busy):
        idle_wait(20)
        if time.perf_counter() > deadline:
            raise SystemExit("the first run did not finish")
    win.tools["inspector_dock"].toggleViewAction().trigger()
    idle_wait(1500)
    print(f"code: {Path(explorer.__file__).parent}")
    actions = _actions()
    names = args.only or list(actions)
    out: dict[str, dict[str, float]] = {}
    for name in names:
        own: list[float] = []
        after: list[float] = []
        count: list[int] = []
        profile = cProfile.Profile() if name == args.profile else None
        for repeat in range(args.repeats):
            _prepare(win, name)
            idle_wait(300)
            while win.controller.busy:
                idle_wait(20)
            idle_wait(100)
            turns: list[float] = []
            clock = QElapsedTimer()
            heartbeat = QTimer()
            heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
            heartbeat.setInterval(2)
            heartbeat.timeout.connect(
                lambda turns=turns, clock=clock: turns.append(clock.nsecsElapsed() / 1e6)
            )
            start = time.perf_counter()
            if profile is not None:
                profile.enable()
            actions[name](win, repeat)
            if profile is not None:
                profile.disable()
            own.append((time.perf_counter() - start) * 1000)
            clock.start()
            heartbeat.start()
            idle_wait(args.follow_ms)
            heartbeat.stop()
            gaps = [b - a - 2.0 for a, b in zip([0.0, *turns], turns, strict=False)]
            gaps[0] += 2.0  # the first: no period waited before it
            after.append(max(gaps, default=0.0))
            count.append(sum(g > 6 for g in gaps))
        out[name] = {
            "own": statistics.median(own),
            "after": statistics.median(after),
            "turns_over_6": statistics.median(count),
        }
        print(
            f"{name:16s} own turn median {out[name]['own']:5.1f} ms (min {min(own):4.1f})  "
            f"longest turn after: median {out[name]['after']:5.1f} ms  "
            f"turns > 6 ms after: {out[name]['turns_over_6']:.0f}",
            flush=True,
        )
        if profile is not None:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    print("BENCH-RESULT " + json.dumps({"bench": "action_turn", "ms": out}), flush=True)
    app.processEvents()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
