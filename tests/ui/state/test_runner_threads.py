"""LatestRunner frees its Qt objects and a job's function on the GUI thread only.

A QObject whose last Python reference goes on a worker thread is destroyed there (or inside
its own signal): the class of crash at quit found in round s8 (the settings writer's relay,
"free(): invalid pointer"). And PySide keeps every QRunnable handed to a pool alive, so a
finished job used to keep its function — a bound method of a window's object — and its
arguments for good.
"""

from __future__ import annotations

import threading
import weakref

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThreadPool

from explorer.ui.state.runner import LatestRunner


@pytest.fixture(autouse=True)
def drained_pool():
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


class _Thing:
    """Stands for an argument (or a window object) a job was given."""


def _deferred_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _watch_relay(r: LatestRunner, where: list[str]) -> None:
    relay = r._job.relay
    relay.destroyed.connect(lambda *_: where.append(threading.current_thread().name))


def test_each_jobs_relay_is_deleted_on_the_gui_thread_once_the_job_is_done(qtbot):
    r = LatestRunner()
    where: list[str] = []
    for _ in range(3):
        r.submit(lambda: 1)
        _watch_relay(r, where)
        qtbot.waitUntil(lambda: not r.busy, timeout=5000)
    qtbot.waitUntil(lambda: (_deferred_deletes(), len(where) == 3)[1], timeout=5000)
    assert where == ["MainThread"] * 3  # never kept (old code), never the worker
    r.shutdown()


def test_a_finished_jobs_function_and_arguments_are_freed_on_the_gui_thread(qtbot):
    r = LatestRunner()
    freed_on: list[str] = []

    def track(obj: object) -> object:
        weakref.finalize(obj, lambda: freed_on.append(threading.current_thread().name))
        return obj

    class Work:  # a callable object: stands for the bound method of a window's object
        def __call__(self, thing: _Thing) -> int:
            return 1

    r.submit(track(Work()), track(_Thing()))
    qtbot.waitUntil(lambda: not r.busy, timeout=5000)
    qtbot.waitUntil(lambda: len(freed_on) == 2, timeout=5000)
    assert freed_on == ["MainThread", "MainThread"]
    r.shutdown()


def test_a_runner_deleted_while_its_job_runs_leaves_the_worker_nobody_to_tell(qtbot):
    owner = QObject()
    r = LatestRunner(owner)
    gate = threading.Event()
    r.submit(lambda: (gate.wait(5), 1)[1])
    qtbot.waitUntil(lambda: r.running, timeout=5000)
    job = r._job
    where: list[str] = []
    _watch_relay(r, where)
    assert not r.shutdown(timeout=0.05)  # the job goes on past the window's close
    shiboken6.delete(owner)  # the window goes, and the runner and its relay with it
    assert where == ["MainThread"]
    gate.set()
    assert job.done.wait(5)  # it ended quietly: its pushes found the relay closed


def test_a_runner_destroyed_with_its_window_while_busy_is_busy_no_more(qtbot):
    """The window (and the runner, its child) is deleted while a job runs, without a
    shutdown: the job's `finished` can never come, so the runner must stop saying busy
    (the comparison window's `busy` stayed true for good; the tests that waited for it timed
    out), and the job hears that it is cancelled."""
    owner = QObject()
    r = LatestRunner(owner)
    gate = threading.Event()
    r.submit(lambda: (gate.wait(5), 1)[1])
    qtbot.waitUntil(lambda: r.running, timeout=5000)
    job, rev = r._job, r.revision
    assert r.busy and not r.is_cancelled(rev)
    owner.deleteLater()  # as a closed window is deleted
    _deferred_deletes()
    assert not shiboken6.isValid(r)
    assert not r.busy and r.is_cancelled(rev) and r.is_stale(rev)
    assert r.submit(lambda: 2) and not r.busy  # nothing more starts
    gate.set()
    assert job.done.wait(5)
    assert not r.busy
