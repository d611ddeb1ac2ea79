"""A closed MainWindow is freed, on the GUI thread (issue 16; tests and benchmarks open many).

The window freezes its objects for the garbage collector (gc_policy); frozen objects are
never visited, so the reference cycles among a closed window's widgets were never
reclaimed: every window a process opened stayed alive, with all its Python objects.
"""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool
from ui_helpers import wait_run

from explorer.core.io.scene import Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec
from explorer.ui.state.gc_policy import MainThreadCollector
from explorer.ui.state.settings import AppSettings, make_qsettings


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_release_frozen_lets_the_next_check_collect_frozen_cycles(qapp):
    collector = MainThreadCollector()
    freed_on: list[str] = []
    try:
        cycle = _Cycle()
        weakref.finalize(cycle, lambda: freed_on.append(threading.current_thread().name))
        gc.freeze()
        del cycle
        gc.collect()
        assert freed_on == []  # frozen: never visited
        collector.release_frozen()
        assert collector.check() == 2
        assert freed_on == ["MainThread"]
    finally:
        collector.deleteLater()


def test_a_closed_window_is_freed_on_the_gui_thread(qtbot, tmp_path):
    from explorer.ui.window.main_window import MainWindow

    scene = Scene(layers=(default_spec("standard", out_channels=4),))
    win = MainWindow(
        SceneDocument(scene), AppSettings(make_qsettings(tmp_path / "s.ini")), autosave=False
    )
    win.show()
    wait_run(qtbot, win)
    freed_on: list[str] = []
    weakref.finalize(win, lambda: freed_on.append(threading.current_thread().name))
    win.shutdown()
    win.close()
    win.deleteLater()
    del win
    assert QThreadPool.globalInstance().waitForDone(10000)

    def freed() -> bool:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        return bool(freed_on)

    qtbot.waitUntil(freed, timeout=10000)  # the collector's timer collects (every 250 ms)
    assert freed_on == ["MainThread"]
