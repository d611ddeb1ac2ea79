"""Worker threads run below the GUI thread's priority (explorer/ui/state/worker_priority.py)."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import QThreadPool

from explorer.ui.state.runner import LatestRunner
from explorer.ui.state.worker_priority import WORKER_NICE, lower_this_thread, thread_nice

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="threads have their own nice value on Linux"
)


@linux_only
def test_a_runner_job_runs_nicer_than_the_gui_thread(qtbot):
    runner = LatestRunner(own_thread=True)  # a fresh pool thread, not one lowered before
    seen = []
    runner.returned.connect(lambda _rev, value: seen.append(value))
    try:
        runner.submit(thread_nice)
        qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    finally:
        runner.shutdown()
    gui = thread_nice()
    assert gui is not None and seen[0] == min(19, gui + WORKER_NICE)
    assert thread_nice() == gui  # the GUI thread itself is left alone


@linux_only
def test_lowering_happens_once_per_thread_and_never_on_the_gui_thread():
    before = thread_nice()
    lower_this_thread()
    assert thread_nice() == before  # the main (GUI) thread
    seen = []

    def work() -> None:
        start = thread_nice()
        lower_this_thread()
        lower_this_thread()
        seen.extend([start, thread_nice()])

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert seen[1] == min(19, seen[0] + WORKER_NICE)
    assert QThreadPool.globalInstance().waitForDone(5000)


_DRAW = """
import os, sys
os.environ.pop("QT_NO_GUI_THREADPOOL", None)
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from explorer.ui.state.worker_priority import paint_on_gui_thread
print(paint_on_gui_thread(cpus=int(sys.argv[1])))
from PySide6.QtCore import QRectF
from PySide6.QtGui import QGuiApplication, QImage, QPainter
app = QGuiApplication([])
src = QImage(2048, 2048, QImage.Format.Format_ARGB32)
src.fill(0xFF336699)
dst = QImage(1200, 800, QImage.Format.Format_ARGB32_Premultiplied)
p = QPainter(dst)
p.drawImage(QRectF(0, 0, 1100, 700), src)
p.end()
print(len(os.listdir("/proc/self/task")))
"""


@linux_only
@pytest.mark.parametrize("cpus", [2, 64])
def test_on_few_cores_qt_paints_without_helper_threads(cpus):
    """A big scaled drawImage: on 2 cores the GUI thread draws it all itself (no helper
    thread to wait for); on 64 Qt's helper pool is left as it is."""
    import os
    import subprocess

    if cpus > 2 and (os.cpu_count() or 1) < 2:
        pytest.skip("Qt starts no helper thread on one core")
    out = subprocess.run(
        [sys.executable, "-c", _DRAW, str(cpus)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    on_gui_thread, threads = out.stdout.split()
    assert on_gui_thread == str(cpus == 2)
    if cpus == 2:
        assert threads == "1"  # no helper thread was ever started
    else:
        assert int(threads) > 1  # Qt's pool drew bands of the image


def test_the_window_shortens_the_interpreter_lock_turns(make_window):
    """Every Python call of the GUI thread may wait a whole turn for a worker: 1 ms, not
    Python's 5 ms."""
    from explorer.core.io.scene import Scene
    from explorer.core.model.specs import default_spec
    from explorer.ui.state.worker_priority import GIL_TURN_S

    old = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        make_window(Scene(layers=(default_spec("pointwise", out_channels=2),)), wait=False)
        assert sys.getswitchinterval() <= GIL_TURN_S
    finally:
        sys.setswitchinterval(old)


@linux_only
def test_the_fit_worker_runs_nicer_than_the_gui_thread(qtbot):
    """The Fit trains on its own thread (not a runner's): it lowers itself too (s10c)."""
    from explorer.core.compute.fit_targets import FitError
    from explorer.ui.tools.fit.fit_session import FitSession

    seen = []

    def prepare():
        seen.append(thread_nice())
        raise FitError("stop here")

    session = FitSession((), prepare, None, 0)
    failed = []
    session.failed.connect(failed.append)
    session.start()
    qtbot.waitUntil(lambda: bool(failed), timeout=10000)
    gui = thread_nice()
    assert failed == ["stop here"]
    assert gui is not None and seen == [min(19, gui + WORKER_NICE)]
