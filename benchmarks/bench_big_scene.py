"""Big scenes and extreme values: the GUI thread's longest turn (task s10a, issue 16).

One window on the monkey's three-layer scene (``monkey.monkey_scene()``) with a 48-pixel
input, so that a stack of 4096 channels is run rather than refused by the memory estimate,
and the Inspector dock open. A 10 ms heartbeat timer records every gap; each action is
timed from its call until the runner is idle and ``--follow-ms`` more have passed, and its
longest heartbeat gap (beyond the 10 ms) is kept. Each big action has a baseline measured
in the same run, alternated with it: the same action on the small scene.

==============================================  ==========================================
action                                          baseline
==============================================  ==========================================
out_channels 8 → 4096 (the result delivered)    out_channels 8 → 16
dilation → 600 (refused: kernel past the input)  dilation → 2
open 100000_channels.json (refused)             open negative_channels.json (refused)
insert MobileNetV2 after 4096 channels          insert MobileNetV2 after 8 channels
==============================================  ==========================================

Also printed: the GUI thread's waits for a worker's relay lock (``_Relay.take``), which
must be 0 (see ``explorer/ui/state/runner.py``). Compare code with ``PYTHONPATH=/tmp/old``.

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_big_scene.py --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
sys.path.insert(0, str(ROOT / "benchmarks"))


class Heartbeat:
    """A 10 ms GUI-thread timer that keeps the longest gap since :meth:`reset`."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._beat)
        self._timer.start()

    def _beat(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, (now - self._last) * 1000.0 - 10.0)
        self._last = now

    def reset(self) -> None:
        self.longest, self._last = 0.0, time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--follow-ms", type=int, default=600)
    parser.add_argument("--size", type=int, default=48, help="input size (pixels)")
    args = parser.parse_args(argv)
    from bench_stalls import start_app
    from monkey import idle_wait, make_monkey_window, monkey_scene
    from nasty_files import bad_scene_texts, write_scene
    from PySide6.QtWidgets import QMessageBox

    import explorer
    import explorer.ui.state.runner as runner_module
    from explorer.ui.tools.weights.block_menu import insert_block

    app, scratch, _ = start_app("conv-explorer-big-scene-", None)
    waits: list[float] = []
    take = runner_module._Relay.take

    def timed_take(self):  # the old take waited for the worker's lock inside it
        start = time.perf_counter()
        taken = take(self)
        waited = (time.perf_counter() - start) * 1000.0
        if waited > 1.0:
            waits.append(waited)
        return taken

    runner_module._Relay.take = timed_take
    scene = monkey_scene()
    scene = replace(scene, input=replace(scene.input, size=args.size))
    win = make_monkey_window(scene, scratch)
    win.files.ask_save = lambda: QMessageBox.StandardButton.Discard

    def settle(follow_ms: int) -> None:
        deadline = time.perf_counter() + 120
        idle_wait(30)
        while win.controller.busy and time.perf_counter() < deadline:
            idle_wait(20)
        idle_wait(follow_ms)
        for box in app.topLevelWidgets():  # the refusals' message boxes
            if isinstance(box, QMessageBox) and box.isVisible():
                box.close()

    settle(1500)
    win.tools["inspector_dock"].toggleViewAction().trigger()
    settle(1500)
    print(f"code: {Path(explorer.__file__).parent}")
    texts = bad_scene_texts(scratch)
    huge = write_scene(scratch, texts["100000 channels"][0], "100000_channels.json")
    small = write_scene(scratch, texts["negative channels"][0], "negative_channels.json")

    def field(name: str, value: object):
        def act() -> None:
            win.document.select(0)
            win.layer_editor.controls[name].setValue(value)

        return act

    def block() -> None:
        win.document.select(0)
        insert_block(win.document, "mobilenet_v2")

    def undo() -> None:
        win.actions.undo.trigger()

    # name -> (set-up, action, clean-up); set-up and clean-up are not measured
    cases = {
        "out_channels → 4096": (None, field("out_channels", 4096), field("out_channels", 8)),
        "  baseline: → 16": (None, field("out_channels", 16), field("out_channels", 8)),
        "dilation → 600": (None, field("dilation", (600, 600)), field("dilation", (1, 1))),
        "  baseline: → 2": (None, field("dilation", (2, 2)), field("dilation", (1, 1))),
        "open 100000_channels.json": (
            None,
            lambda: win.files.open_path(huge, background=True),
            None,
        ),
        "  baseline: negative_channels": (
            None,
            lambda: win.files.open_path(small, background=True),
            None,
        ),
        "MobileNetV2 after 4096 ch": (field("out_channels", 4096), block, undo),
        "  baseline: after 8 ch": (None, block, undo),
    }
    beat = Heartbeat()
    gaps: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeats):
        for name, (setup, act, cleanup) in cases.items():
            if setup is not None:
                setup()
            settle(300)
            beat.reset()
            act()
            settle(args.follow_ms)
            gaps[name].append(beat.longest)
            if cleanup is not None:
                cleanup()
                if setup is not None:
                    field("out_channels", 8)()
            settle(300)
    print(f"input {args.size}×{args.size}, {args.repeats} repeats, Inspector open")
    print(f"{'action':34s} {'longest gap, median':>20s} {'max':>7s} {'× baseline':>11s}")
    names = list(gaps)
    for big, base in zip(names[::2], names[1::2], strict=True):
        b, s = statistics.median(gaps[big]), statistics.median(gaps[base])
        print(f"{big:34s} {b:17.1f} ms {max(gaps[big]):4.0f} ms {b / max(s, 1.0):9.2f} ×")
        print(f"{base:34s} {s:17.1f} ms {max(gaps[base]):4.0f} ms")
    print(
        f"GUI thread waited for a worker's relay lock: {len(waits)} times, "
        f"{sum(waits):.0f} ms in all, longest {max(waits, default=0.0):.1f} ms"
    )
    sys.stdout.flush()
    import os

    os._exit(0)  # skip the interpreter's teardown of Qt and pyqtgraph objects


if __name__ == "__main__":
    raise SystemExit(main())
