"""The first use of each dock, tool and field after start (issue 16: the first seconds).

A window's first use of something costs more than its later uses: lazily built widgets,
first imports, the first pyqtgraph items of a kind, font metrics. That cost happens once per
process, so every case runs in a fresh process: a monkey window
(``tests/robustness/monkey.py``: its three-layer scene, the first run after the first
paint), its first results arrived and 1.5 s of idle, then ONE action, its first use. A 10 ms
heartbeat timer on the GUI thread (the monkey's stall measure) gives the longest gap minus
the 10 ms period from the action until ``--follow-ms`` later; then the action is undone,
and after a pause the same action is done again in the same process: its second use is the
baseline of the same run (``first / second``). The case ``first results`` is the window's
own start: from ``show()`` until 1 s after the first results arrived (its "second use" is
an edit's run, a fresh result set arriving).

Printed per case (median over ``--repeats`` processes): the first use's longest gap, the
second's, and their ratio.

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_first_use.py --repeats 3
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_first_use.py --only "open Inspector"

To measure other code, put its folder first: ``PYTHONPATH=/tmp/old python …``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK_MS = 10


def _menu_action(win, text: str):
    """The enabled menu action whose text (without ``&`` and shortcut) is ``text``."""
    found = []

    def walk(menu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())
            elif action.text().replace("&", "").split("\t")[0] == text:
                found.append(action)

    for top in win.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu())
    if not found:
        raise SystemExit(f"no menu action {text!r}")
    return found[0]


def _close_dialogs() -> None:
    from PySide6.QtWidgets import QApplication, QDialog

    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and isinstance(widget, QDialog):
            widget.reject()


# A case: (act(win, use), undo(win)); ``use`` is 0 for the first use, 1 for the second.
Case = tuple[Callable[[object, int], None], Callable[[object], None]]


def _cases() -> dict[str, Case]:
    def toggle(text: str) -> Case:
        return (
            lambda win, _use: _menu_action(win, text).trigger(),
            lambda win: _menu_action(win, text).trigger(),
        )

    def dialog(text: str) -> Case:
        return (lambda win, _use: _menu_action(win, text).trigger(), lambda _win: _close_dialogs())

    def edit(layer: int, field: str, values: tuple[object, object]) -> Case:
        def act(win, use: int) -> None:  # as the monkey does: select, then set the control
            win.document.select(layer)
            win.layer_editor.controls[field].setValue(values[use])

        def undo(win) -> None:
            win.document.undo()
            win.document.select(-1)

        return act, undo

    def combo(win, use: int) -> None:
        win.document.select(0)
        box = win.layer_editor.controls["activation"]
        box.setCurrentIndex(1 + use)

    def weights_table(win, _use: int) -> None:
        win.document.select(0)
        dialog = win.tools["weight_tools"].edit_table()
        if dialog is not None:
            dialog.close()

    def preset(win, use: int) -> None:
        win.document.select(0)
        win.tools["weight_tools"].apply_preset(("Sobel x", "Gaussian")[use])

    def select(win, use: int) -> None:
        win.document.select(1 + use)

    def folder(win) -> Path:
        return Path(win.settings.qsettings.fileName()).parent

    def save(win, use: int) -> None:  # as File ▸ Save As: written on the writer's thread
        win.files.save_as(folder(win) / f"saved_{use}.json", background=True)

    def open_scene(win, use: int) -> None:  # read and checked on the loader's thread
        from explorer.core.io.scene import save_scene

        path = folder(win) / f"scene_{use}.json"
        save_scene(win.document.scene, path)
        win.files.open_scene(path, background=True)

    def open_image(win, use: int) -> None:  # decoded on the image loader's thread
        from PySide6.QtGui import QImage

        path = folder(win) / f"image_{use}.png"
        image = QImage(64 + use, 48, QImage.Format.Format_RGB32)
        image.fill(0x336699)
        image.save(str(path))
        win.files.open_path(path, background=True)

    return {
        "nothing": (lambda _win, _use: None, lambda _win: None),  # the baseline of --at-ms
        "open Inspector": toggle("Inspector"),
        "open Wiring": toggle("Wiring"),
        "open Walk-through": toggle("Walk-through"),
        "open Fit": toggle("Fit…"),
        "presentation mode": toggle("Presentation Mode"),
        "open Compare": dialog("Compare Standard vs Separable…"),
        "open Counts as Other Tools": dialog("Counts as Other Tools Report Them…"),
        "edit weights table": (weights_table, lambda _win: None),
        "weight preset": (preset, lambda win: win.document.undo()),
        "select layer": (select, lambda win: win.document.select(0)),
        "save": (save, lambda _win: None),
        "open scene": (open_scene, lambda _win: None),
        "open image": (open_image, lambda _win: None),
        "start lesson": (
            lambda win, _use: _menu_action(win, "Start the Bundled Lesson").trigger(),
            lambda win: _menu_action(win, "End Lesson").trigger(),
        ),
        "edit out_channels": edit(0, "out_channels", (12, 16)),
        "edit stride": edit(0, "stride", ((2, 2), (2, 1))),
        "edit multiplier": edit(1, "multiplier", (2, 3)),
        "edit activation": (combo, lambda win: win.document.undo()),
    }


CASES = ("first results", *_cases())


def _gap_meter():
    """A started 10 ms heartbeat; returns ``(longest_since, stop)`` where ``longest_since(t)``
    is the longest gap (minus the period) of the ticks after ``t`` (``perf_counter`` s)."""
    from PySide6.QtCore import Qt, QTimer

    ticks: list[float] = [time.perf_counter()]
    beat = QTimer()
    beat.setTimerType(Qt.TimerType.PreciseTimer)
    beat.setInterval(TICK_MS)
    beat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    beat.start()

    def longest_since(start: float, end: float) -> float:
        gaps = [
            (b - max(a, start)) * 1000 - TICK_MS
            for a, b in zip(ticks, ticks[1:], strict=False)
            if b > start and a < end
        ]
        return max(gaps, default=0.0)

    return longest_since, beat


def _timed_events() -> list[tuple[float, float, str]]:
    """Make the application time every top-level GUI-thread event of 3 ms or more (with
    ``--profile``); returns the list it fills with ``(end, ms, "Type->Receiver")``."""
    import threading

    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    found: list[tuple[float, float, str]] = []
    depth = [0]
    gui = threading.get_ident()

    class App(QApplication):
        def notify(self, receiver, event):  # noqa: N802 (Qt naming)
            if threading.get_ident() != gui:
                return super().notify(receiver, event)
            depth[0] += 1
            start = time.perf_counter()
            try:
                return super().notify(receiver, event)
            finally:
                depth[0] -= 1
                ms = (time.perf_counter() - start) * 1000
                if depth[0] == 0 and ms >= 3:
                    try:
                        what = f"{QEvent.Type(int(event.type())).name}->{type(receiver).__name__}"
                    except Exception:  # noqa: BLE001 (deleted meanwhile)
                        what = "?"
                    found.append((time.perf_counter(), ms, what))

    _timed_events.app = App([])  # type: ignore[attr-defined]
    return found


def _child(
    name: str, follow_ms: int, at_ms: int | None, profile: bool, events_only: bool = False
) -> dict[str, float]:
    """One case in this process: the first use (after the first results, or ``at_ms`` after
    ``show()``), then its second use; the longest gaps of both (ms)."""
    sys.path.insert(0, str(ROOT / "tests" / "robustness"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_stalls import start_app
    from monkey import idle_wait, make_monkey_window, monkey_scene
    from PySide6.QtCore import QTimer

    events = _timed_events() if profile or events_only else None
    app, scratch, _ = start_app("conv-explorer-first-use-", None)
    longest_since, beat = _gap_meter()
    win = make_monkey_window(monkey_scene(), scratch)
    shown = time.perf_counter()
    from PySide6.QtWidgets import QMessageBox

    win.files.ask_save = lambda: (
        QMessageBox.StandardButton.Discard
    )  # no modal question  # the window's construction is start-up, not a first use
    out: dict[str, float] = {}

    def ready() -> None:
        deadline = time.perf_counter() + 120
        ctrl = win.controller  # a refused edit (a stride with padding "same") runs nothing
        while not ((ctrl.results or ctrl.error is not None) and not ctrl.busy):
            idle_wait(5)
            if time.perf_counter() > deadline:
                raise SystemExit(f"{name}: the first run did not finish")
        out.setdefault("start_s", time.perf_counter() - shown)

    if name == "first results":
        ready()
        idle_wait(follow_ms)
        out["first"] = longest_since(shown, time.perf_counter())
        for end, ms, what in events or ():
            if end >= shown:
                print(f"event {(end - shown) * 1000:7.1f} ms after show: {ms:6.1f} {what}")
        act: Callable[[object, int], None] = edit_for_results
        undo: Callable[[object], None] = lambda w: w.document.undo()  # noqa: E731
        uses: tuple[int, ...] = (1,)
    else:
        act, undo = _cases()[name]
        uses = (0, 1)
    for use in uses:
        if use == 1 or at_ms is None:
            ready()
            idle_wait(1500)
        start = [0.0]
        prof = cProfile.Profile() if (profile or events_only) and use == 0 else None

        def go(use=use, start=start, prof=prof) -> None:
            start[0] = time.perf_counter()
            if prof is not None and profile:
                prof.enable()
            act(win, use)

        if use == 0 and at_ms is not None:
            QTimer.singleShot(max(1, int(at_ms - (time.perf_counter() - shown) * 1000)), go)
            idle_wait(max(1, int(at_ms - (time.perf_counter() - shown) * 1000)) + follow_ms)
        else:
            QTimer.singleShot(1, go)
            idle_wait(follow_ms)
        if prof is not None:
            prof.disable()
            if profile:
                pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
            for end, ms, what in events or ():
                if end >= start[0]:
                    print(f"event {(end - start[0]) * 1000:7.1f} ms after: {ms:6.1f} {what}")
        out["first" if use == 0 else "second"] = longest_since(start[0], time.perf_counter())
        _close_dialogs()
        if use == 0:
            ready()
            undo(win)
    beat.stop()
    del app
    return out


def edit_for_results(win, _use: int) -> None:
    """The "second use" of ``first results``: an edit whose run delivers a fresh set."""
    win.document.select(0)
    win.layer_editor.controls["out_channels"].setValue(12)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="processes per case")
    parser.add_argument("--only", nargs="*", help="names of the cases")
    parser.add_argument("--follow-ms", type=int, default=1000)
    parser.add_argument(
        "--at-ms",
        type=int,
        default=None,
        help="the first use this long after show() (torch still loading), not after the results",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None, help="write the medians here")
    parser.add_argument(
        "--profile", action="store_true", help="with --child: cProfile the first use (stderr)"
    )
    parser.add_argument(
        "--events", action="store_true", help="with --child: the events >= 3 ms of the first use"
    )
    args = parser.parse_args(argv)
    if args.child is not None:
        print(
            "RESULT "
            + json.dumps(_child(args.child, args.follow_ms, args.at_ms, args.profile, args.events)),
            flush=True,
        )
        os._exit(0)  # skip the interpreter's teardown of Qt and pyqtgraph objects
    names = args.only or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case {unknown[0]!r}; known: {', '.join(CASES)}", file=sys.stderr)
        return 2
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    print(f"{'case':<28} {'first ms':>9} {'second ms':>10} {'ratio':>6}   (each: {args.repeats})")
    table: dict[str, dict[str, float]] = {}
    for name in names:
        runs = []
        for _ in range(args.repeats):
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    name,
                    "--follow-ms",
                    str(args.follow_ms),
                    *(["--at-ms", str(args.at_ms)] if args.at_ms is not None else []),
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            line = [s for s in proc.stdout.splitlines() if s.startswith("RESULT ")]
            if not line:
                print(f"{name}: the child failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                return 1
            runs.append(json.loads(line[0][7:]))
        first = statistics.median(r["first"] for r in runs)
        second = statistics.median(r["second"] for r in runs)
        table[name] = {"first_ms": first, "second_ms": second}
        ratio = first / max(second, 1.0)
        print(f"{name:<28} {first:9.1f} {second:10.1f} {ratio:6.2f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
