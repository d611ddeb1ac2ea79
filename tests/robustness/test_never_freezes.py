"""Never freezes: runs off the GUI thread, Esc cancels, closing mid-run exits cleanly, and a
burst of edits shows only the latest result."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import numpy as np
from nasty_files import heavy_scene
from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence
from robust_helpers import small_scene

from explorer.core.io.scene import load_scene
from explorer.ui.state.controller import Controller


def test_runs_happen_off_the_gui_thread(qtbot, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from explorer.core.compute.run import run_stack
    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.main_window import MainWindow

    threads = []

    def recording_run_stack(*args, **kwargs):
        threads.append(threading.current_thread())
        yield from run_stack(*args, **kwargs)

    doc = SceneDocument(small_scene())
    ctrl = Controller(doc, run_stack=recording_run_stack)
    win = MainWindow(
        doc, AppSettings(make_qsettings(tmp_path / "s.ini")), controller=ctrl, autosave=False
    )
    win.files.ask_save = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(win)
    with qtbot.waitSignal(ctrl.run_finished, timeout=30000):
        win.show()
    assert threads and all(t is not threading.main_thread() for t in threads)
    win.shutdown()


def test_esc_cancels_a_long_run_promptly(qtbot, tmp_path, make_window):
    scene = load_scene(heavy_scene(tmp_path))
    win = make_window(scene, wait=False)
    assert win.actions.cancel_run.shortcut() == QKeySequence("Esc")
    qtbot.waitUntil(lambda: len(win.controller.results) >= 2, timeout=60000)
    assert win.actions.cancel_run.isEnabled()
    start = time.perf_counter()
    with qtbot.waitSignal(win.controller.run_cancelled, timeout=2000):
        win.actions.cancel_run.trigger()  # what Esc does
    qtbot.waitUntil(lambda: not win.controller.worker_running, timeout=5000)
    took = time.perf_counter() - start
    assert took < 2.0, took
    assert len(win.controller.results) < len(scene.layers)
    # the runner is idle once the GUI thread has handled the worker's end (queued)
    qtbot.waitUntil(lambda: not win.controller.busy, timeout=2000)
    assert win.status_text.text() == "run cancelled"


_CLOSER = """
import sys, time
from PySide6.QtCore import QTimer
from explorer.ui import app as app_module
from explorer.ui.window.main_window import MainWindow
show = MainWindow.show

def show_then_close(self):
    show(self)
    def close():
        print("BUSY" if self.controller.worker_running else "IDLE", time.time(), flush=True)
        self.close()
    QTimer.singleShot(int(float(sys.argv[2]) * 1000), close)

MainWindow.show = show_then_close
code = app_module.run_app(sys.argv[1])
print("EXIT", time.time(), flush=True)
sys.exit(code)
"""


def test_closing_during_a_run_exits_promptly_and_cleanly(tmp_path, subprocess_env):
    # long enough to still be running 2.5 s after start now that a run starts at once
    heavy = heavy_scene(tmp_path, layers=200)
    proc = subprocess.run(
        [sys.executable, "-c", _CLOSER, str(heavy), "2.5"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split() for line in proc.stdout.splitlines())
    assert "BUSY" in lines, proc.stdout  # the window was closed in the middle of the run
    assert float(lines["EXIT"]) - float(lines["BUSY"]) < 3.0
    assert "QThread: Destroyed" not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_burst_of_field_edits_shows_only_the_latest(qtbot, make_window):
    win = make_window(small_scene(shape=(3, 48, 48)))
    win.document.select(0)
    control = win.layer_editor.controls["out_channels"]
    ticks = []
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    ticker.start()
    started = []
    win.controller.run_started.connect(started.append)
    delivered = []  # (revision of a result that reached the window, latest revision then)
    win.controller.layer_result.connect(
        lambda rev, _: delivered.append((rev, win.controller.revision))
    )
    t0 = time.perf_counter()
    values = [1 + (k * 37) % 60 for k in range(300)]
    for k, value in enumerate(values):
        control.setValue(value)
        if k % 10 == 0:
            qtbot.wait(2)
    burst = time.perf_counter() - t0
    qtbot.waitUntil(
        lambda: not win.controller.busy and not win.controller.worker_running, timeout=30000
    )
    ticker.stop()
    assert win.document.layers[0].out_channels == values[-1]
    assert win.controller.results[0].output.shape[0] == values[-1]
    assert win.controller.results[0].weights["weight"].shape[0] == values[-1]
    assert delivered and all(rev == latest for rev, latest in delivered)
    shown = [item.image for _, item in win.feature_grid.visible_image_items()]
    maps = win.controller.results[0].output
    assert len(shown) == min(values[-1], len(shown)) and np.array_equal(shown[0], maps[0])
    assert started and started[-1] == win.controller.revision
    during = [t for t in ticks if t <= t0 + burst]
    gaps = np.diff([t0, *during, t0 + burst])
    assert gaps.max() < 0.5, gaps.max()  # the event loop kept turning
