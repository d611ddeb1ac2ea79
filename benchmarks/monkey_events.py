"""Which events filled each stall of a monkey run (diagnostic, issue 16).

Runs the monkey (``tests/robustness/monkey.py``, its standard three-layer scene, 0-120 ms
pauses) with every event the GUI thread dispatches timed (a ``QApplication.notify``
override) and every Python ``QGraphicsItem.paint`` timed, and prints, for each gap of the
monkey's 10 ms heartbeat over 33 ms, the events that ran in it: at the top those of 3 ms or
more, nested those of 2 ms or more, e.g. ``55.7 UpdateRequest->MainWindow`` >
``49.7 Paint->QWidget<GraphicsLayoutWidget:<WiringView`` > ``48.5 paint:PlotCurveItem``.

"Timer->QTimer" at the top is usually the monkey's own action (or a debounce timer);
"MetaCall->X" a queued call, a ``QTimer.singleShot(0)`` or a signal from another thread;
"MetaCall->GraphicsScene > UpdateRequest->MainWindow" is Qt's paint pass. The timing adds
overhead: use it to find causes, and ``bench_monkey.py`` (without it) to count gaps.

Usage: ``QT_QPA_PLATFORM=offscreen python benchmarks/monkey_events.py SEED SECONDS [DIR]``.
With ``DIR``, the scene the window held at each gap over 50 ms is saved there as
``gap_<action>_<ms>ms.json`` (with the selected layer and the open docks in
``gap_<action>_<ms>ms.txt``), to rebuild that state in a targeted script.
Not part of ``run.py``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
sys.path.insert(0, str(ROOT))

TOP_MS, NESTED_MS = 3.0, 2.0


def _name(obj) -> str:
    """``Class:objectName``; a bare viewport ``QWidget`` also names its parent and grandparent."""
    name = type(obj).__name__ + (f":{obj.objectName()}" if obj.objectName() else "")
    parent = obj.parentWidget() if type(obj).__name__ == "QWidget" else None
    if parent is not None:
        grand = parent.parentWidget()
        name += f"<{type(parent).__name__}:{parent.objectName()}<"
        name += type(grand).__name__ if grand is not None else ""
    return name


def _keep_scene(win, folder: Path, name: str, what: str) -> None:
    """Save the scene the window holds now (and what is selected and open) for a replay."""
    from PySide6.QtWidgets import QDockWidget

    from explorer.core.io.scene import scene_to_json

    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(scene_to_json(win.document.scene))
    docks = [d.objectName() for d in win.findChildren(QDockWidget) if d.isVisible()]
    (folder / f"{name}.txt").write_text(
        f"{what}\nselected {win.document.selected}\ndocks {' '.join(docks)}\n"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    seed, seconds = int(args[0]), float(args[1])
    keep = Path(args[2]) if len(args) > 2 else None
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    scratch = Path(tempfile.mkdtemp(prefix="conv-explorer-events-"))
    os.environ.setdefault("CONV_EXPLORER_DATA_DIR", str(scratch / "data"))
    from PySide6.QtCore import QEvent, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication, QGraphicsItem

    qInstallMessageHandler(lambda *_: None)
    clock = time.perf_counter
    gui_thread = threading.get_ident()
    stack: list[list] = []
    top: list[tuple[float, float, str, list]] = []  # (end, ms, what, nested)

    def event_name(kind: int) -> str:
        try:
            return QEvent.Type(kind).name
        except ValueError:
            return str(kind)

    class App(QApplication):
        def notify(self, receiver, event):  # noqa: N802 (Qt naming)
            if threading.get_ident() != gui_thread:  # the writer's and runners' own loops
                return super().notify(receiver, event)
            depth = len(stack)
            start = clock()
            stack.append([])
            try:
                return super().notify(receiver, event)
            finally:
                nested = stack.pop()
                ms = (clock() - start) * 1000
                if ms >= NESTED_MS:
                    try:
                        what = f"{event_name(int(event.type()))}->{_name(receiver)}"
                    except Exception:  # noqa: BLE001 (deleted meanwhile: never raise here)
                        what = "?"
                    if depth == 0:
                        if ms >= TOP_MS:
                            top.append((clock(), ms, what, nested))
                    else:
                        stack[-1].append((ms, what, nested))

    _app = App([])  # kept alive to the end
    import explorer.ui

    for module in pkgutil.walk_packages(explorer.ui.__path__, "explorer.ui."):
        importlib.import_module(module.name)  # every item class, to time its paint

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in set(subclasses(QGraphicsItem)):
        if "paint" in cls.__dict__:

            def paint(self, *a, _paint=cls.__dict__["paint"], _name=cls.__name__, **k):
                start = clock()
                try:
                    return _paint(self, *a, **k)
                finally:
                    ms = (clock() - start) * 1000
                    if ms >= 1 and stack and threading.get_ident() == gui_thread:
                        stack[-1].append((ms, "paint:" + _name, []))

            cls.paint = paint

    from monkey import Monkey, make_monkey_window, monkey_scene

    folder = scratch / "seed"
    folder.mkdir()
    win = make_monkey_window(monkey_scene(), folder)
    monkey = Monkey(win, folder, seed, stall_ms=33)
    stalls: list[tuple[float, float, str]] = []

    def on_stall(gap: float, what: str) -> None:
        stalls.append((clock(), gap, what))
        if keep is not None and gap > 50:
            _keep_scene(win, keep, f"gap_{monkey.report.actions}_{gap:.0f}ms", what)

    monkey.watchdog = on_stall
    monkey.profile_ms = 33
    report = monkey.run(seconds=seconds)
    print(report.summary(), flush=True)
    for text in report.exceptions:
        print(text, file=sys.stderr)

    def show(nested: list, indent: int) -> None:
        for ms, what, inner in sorted(nested, key=lambda x: -x[0])[:6]:
            print(f"{'  ' * indent}{ms:6.1f} {what}")
            if indent < 5:
                show(inner, indent + 1)

    for at, gap, what in stalls:
        if gap <= 33:
            continue
        print(f"=== gap {gap:.0f} ms: {what}")
        for end, ms, event, nested in top:
            if at - (gap + 25) / 1000 <= end <= at + 0.002:
                print(f"  {ms:6.1f} {event}")
                show(nested, 2)
    sys.stdout.flush()
    os._exit(0)  # skip the interpreter's teardown of Qt and pyqtgraph objects


if __name__ == "__main__":
    raise SystemExit(main())
