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
