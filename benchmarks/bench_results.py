"""GUI-thread cost of a result arriving and of an edit (issue 16: no turn over ~20 ms).

Each case is timed 20 times (median and max, ms) as "slot time + the event-loop turn that
follows (layout and paint)", in a 1280×720 window:

* ``maps <scene>``: a new result of the selected layer arrives with new maps and the same
  weights (a rerun after an edit upstream or of the input);
* ``maps+weights <scene>``: a new result with new maps and new weights (the layer itself
  was edited);
* ``burst <scene>``: results of every layer arrive in one turn (a run's cached results);
* ``edit kernel_size``: the selected layer's kernel size changes 3 ↔ 5 (the edit's own
  turn: panel rows, costs, cleared maps; the run is on the worker).

Scenes: ``default`` is the monkey's (standard 8 → depthwise → pointwise, layer 1 selected);
``64ch`` a standard conv with 64 output channels (selected) and a pointwise 64 → 64.

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_results.py [--scene 64ch] [--profile CASE]

Closing the first scene's window used to hang (2 of ~8 runs in round s7, 3 of 3 in s8): its
edits left the scene unsaved, and the close asked "Save the changes?" in a modal box nobody
answers offscreen. The bench now discards them. ``--scene`` runs one scene per process.

``--profile maps+weights`` prints cProfile's top functions of that case (default scene).
To measure other code, put its folder first: ``PYTHONPATH=/tmp/old python ...``.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))


def _stats(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples) * 1e3:6.1f} ms  "
        f"min {min(samples) * 1e3:5.1f}  max {max(samples) * 1e3:5.1f}"
    )


def scaled_result(result, factor: float, *, weights: bool = True):
    """A copy of a layer result with its maps (and ``weights``: its weights) times
    ``factor``, new channel ranges, marked cached: a "new" result for the views to draw."""
    import numpy as np

    from explorer.core.analysis.map_ranges import channel_ranges

    def s(a):
        return np.ascontiguousarray(a * np.float32(factor))

    parts = {k: s(v) for k, v in result.parts.items()}
    last = [*parts][-1]
    return dataclasses.replace(
        result,
        output=parts[last],
        parts=parts,
        weights={k: s(v) for k, v in result.weights.items()} if weights else result.weights,
        ranges={k: channel_ranges(v) for k, v in parts.items()},
        cached=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--profile", default=None, help="case to cProfile (default scene)")
    parser.add_argument(
        "--scene", choices=("default", "64ch"), default=None, help="only this scene"
    )
    parser.add_argument("--stacks", action="store_true", help="print turns over 25 ms")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    scratch = Path(tempfile.mkdtemp(prefix="conv-explorer-results-"))
    os.environ.setdefault("CONV_EXPLORER_DATA_DIR", str(scratch / "data"))

    import torch
    from monkey import make_monkey_window, monkey_scene
    from PySide6.QtCore import QAbstractEventDispatcher, QEventLoop, QTimer, qInstallMessageHandler
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMessageBox

    import explorer
    from explorer.core.io.scene import Scene
    from explorer.core.model.specs import default_spec

    torch.set_num_threads(1)
    qInstallMessageHandler(lambda *_: None)
    app = QApplication.instance() or QApplication([])
    print(f"code: {Path(explorer.__file__).parent}", flush=True)
    scenes = {
        "default": monkey_scene(),
        "64ch": Scene(
            layers=(
                default_spec("standard", out_channels=64),
                default_spec("pointwise", out_channels=64),
            )
        ),
    }

    def timed(action) -> float:
        start = time.perf_counter()
        action()
        app.processEvents()  # the draw (since round s8 in the pass after the result) …
        app.processEvents()  # … and its paint
        return time.perf_counter() - start

    def settle(win) -> None:
        deadline = time.perf_counter() + 120
        while not (win.controller.results and not win.controller.busy):
            QTest.qWait(20)
            if time.perf_counter() > deadline:
                raise SystemExit("the run did not finish")
        QTest.qWait(200)

    import pyqtgraph as pg

    paints = [0]
    paint_event = pg.GraphicsView.paintEvent

    def counted(self, event) -> None:  # how many plot paints each case made (a check)
        paints[0] += 1
        paint_event(self, event)

    pg.GraphicsView.paintEvent = counted
    dispatcher = QAbstractEventDispatcher.instance()
    turn: list[float] = [0.0, 0.0]  # start of the turn, longest turn

    main_id = threading.get_ident()
    busy = {"since": None, "stacks": []}
    long_turns: list[tuple[float, list[str]]] = []

    from lock_holders import FrameGraveyard, all_stacks

    graveyard = FrameGraveyard()  # frame objects read, dropped on the GUI thread (awake)

    def sample() -> None:  # the GUI thread's stack every 2 ms while a turn is over 10 ms
        while True:
            time.sleep(0.002)
            since = busy["since"]
            if since is not None and time.perf_counter() - since > 0.010:
                frames = all_stacks(graveyard).get(main_id, [])
                names = [
                    f"{Path(f.filename).stem}:{f.name}"
                    for f in reversed(frames)
                    if "explorer" in f.filename or "pyqtgraph" in f.filename
                ]
                busy["stacks"].append(" < ".join(names[:4]) or "(Qt C++)")

    if args.stacks:
        threading.Thread(target=sample, daemon=True).start()

    def awake() -> None:
        graveyard.empty()
        turn[0] = time.perf_counter()
        busy["since"], busy["stacks"] = turn[0], []

    def about_to_block() -> None:
        busy["since"] = None
        if turn[0]:
            length = time.perf_counter() - turn[0]
            turn[1] = max(turn[1], length)
            if length > 0.025 and args.stacks:
                long_turns.append((length, busy["stacks"]))

    dispatcher.awake.connect(awake)
    dispatcher.aboutToBlock.connect(about_to_block)

    def longest_turn(win, action) -> float:
        """The longest event-loop turn (awake → about to block) from ``action`` until the
        run it starts has finished and 300 ms more (its paints)."""
        loop = QEventLoop()
        state = {"done_at": None}

        def poll() -> None:
            now = time.perf_counter()
            if state["done_at"] is None and not win.controller.busy:
                state["done_at"] = now
            if state["done_at"] is not None and now - state["done_at"] > 0.3:
                loop.quit()
            if now - start > 20:  # never wait for ever (a run that does not end)
                print("   (a run did not end within 20 s)", flush=True)
                loop.quit()

        timer = QTimer(interval=20)
        timer.timeout.connect(poll)
        turn[0], turn[1] = 0.0, 0.0
        start = time.perf_counter()
        action()
        first = time.perf_counter() - start  # the action's own work (not in a turn here)
        timer.start()
        QTimer.singleShot(0, lambda: None)
        loop.exec()
        timer.stop()
        return max(first + 0.0, turn[1])

    for name, scene in scenes.items():
        if args.scene is not None and name != args.scene:
            continue
        win = make_monkey_window(scene, scratch / name)
        settle(win)
        win.document.select(0)
        QTest.qWait(300)
        c = win.controller
        rev = c.revision
        base = dict(c.results)
        cases = {}
        for label, weights in (("maps", False), ("maps+weights", True)):
            # results made beforehand: only their arrival is timed
            made = [
                scaled_result(base[0], 1.0 + 0.01 * (k % 2 + 1), weights=weights)
                for k in range(args.repeats)
            ]
            cases[label] = [
                lambda r=r, c=c, rev=rev: c._on_yielded(rev, ("layer", rev, r))  # noqa: SLF001
                for r in made
            ]
        bursts = [
            [scaled_result(base[i], 1.0 + 0.01 * (k % 2 + 1)) for i in sorted(base)]
            for k in range(args.repeats)
        ]
        cases["burst"] = [
            lambda b=b, c=c, rev=rev: [c._on_yielded(rev, ("layer", rev, r)) for r in b]  # noqa: SLF001
            for b in bursts
        ]
        for label, actions in cases.items():
            if args.profile == label and name == "default":
                profile = cProfile.Profile()
                profile.enable()
            samples = []
            paints[0] = 0
            for action in actions:
                samples.append(timed(action))
                QTest.qWait(30)
            if args.profile == label and name == "default":
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
            per = paints[0] / len(actions)
            print(
                f"{label + ' ' + name:22s} {_stats(samples)}  ({per:.1f} plot paints)", flush=True
            )
        sizes = [(a, b) for a in (1, 3, 5, 7, 9) for b in (3, 5, 7, 9, 1)]  # new each time
        for selected in (0, 1):  # the edited layer itself; the one after it (same weights)
            win.document.select(selected)
            QTest.qWait(300)
            turns = []
            for k in range(args.repeats):
                spec = win.document.layers[0]
                new = dataclasses.replace(spec, kernel_size=sizes[(k + 5 * selected) % 25])
                turns.append(
                    longest_turn(win, lambda new=new, win=win: win.document.replace_layer(0, new))
                )
            label = f"run, layer {selected + 1} shown {name}"
            print(f"{label:22s} longest turn {_stats(turns)}", flush=True)
            for length, stacks in long_turns:
                print(f"   {length * 1e3:.0f} ms:", *sorted(set(stacks)), sep="\n      ")
            long_turns.clear()
        win.document.select(0)
        QTest.qWait(300)
        if name == "default":
            samples = []
            if args.profile == "edit":
                profile = cProfile.Profile()
                profile.enable()
            for k in range(args.repeats):
                spec = win.document.layers[0]
                new = dataclasses.replace(spec, kernel_size=5 if k % 2 == 0 else 3)
                samples.append(timed(lambda new=new, win=win: win.document.replace_layer(0, new)))
                if args.profile == "edit":
                    profile.disable()
                settle(win)
                if args.profile == "edit":
                    profile.enable()
            if args.profile == "edit":
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
            print(f"{'edit kernel_size':22s} {_stats(samples)}", flush=True)
        win.files.ask_save = lambda: QMessageBox.StandardButton.Discard  # its edits: never ask
        win.close()
        win.deleteLater()
        QTest.qWait(100)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
