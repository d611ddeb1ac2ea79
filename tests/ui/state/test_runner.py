"""LatestRunner: one job at a time, latest wins, stale results dropped, cancel, shutdown."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from explorer.ui.state.runner import LatestRunner

UI = Path(__file__).resolve().parents[3] / "explorer" / "ui"


@pytest.fixture(autouse=True)
def drained_pool():
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


def idle(qtbot, r: LatestRunner) -> None:
    qtbot.waitUntil(lambda: not r.busy, timeout=5000)


def test_a_function_job_returns_on_the_gui_thread(qtbot, runner):
    seen = []
    runner.returned.connect(lambda rev, value: seen.append((rev, value, threading.get_ident())))
    rev = runner.submit(lambda a, b=0: (a + b, threading.get_ident()), 2, b=3)
    idle(qtbot, runner)
    ((got_rev, (value, worker_thread), delivered_on),) = seen
    assert got_rev == rev and value == 5
    assert worker_thread != threading.get_ident() == delivered_on
    names = [e[0] for e in runner.events]
    assert names == ["started", "busy_changed", "returned", "finished", "busy_changed"]
    assert runner.events[1][1] is True and runner.events[-1][1] is False


def test_latest_wins_waiting_requests_are_replaced_and_stale_results_dropped(qtbot, runner):
    gate = threading.Event()
    first = runner.submit(lambda: gate.wait(5) and "first")
    runner.submit(lambda: "second")  # waits, then is replaced
    third = runner.submit(lambda: "third")
    assert runner.busy and runner.running_revision == first
    gate.set()
    idle(qtbot, runner)
    returned = [e[1:] for e in runner.events if e[0] == "returned"]
    started = [e[1] for e in runner.events if e[0] == "started"]
    assert started == [first, third]
    assert returned == [(third, "third")]


def test_a_generator_job_streams_items_and_stops_delivering_once_stale(qtbot, runner):
    go_on = threading.Event()

    def job():
        yield 1
        yield 2
        go_on.wait(5)
        yield 3  # delivered by the worker, dropped on the GUI thread
        return "done"

    rev = runner.submit(job)
    qtbot.waitUntil(lambda: len([e for e in runner.events if e[0] == "yielded"]) == 2, timeout=5000)
    runner.new_revision()  # e.g. an edit: the running job is stale now
    assert runner.is_stale(rev) and not runner.is_cancelled(rev)
    go_on.set()
    idle(qtbot, runner)
    assert [e[1:] for e in runner.events if e[0] == "yielded"] == [(rev, 1), (rev, 2)]
    assert not [e for e in runner.events if e[0] == "returned"]
    assert ("finished", rev) in runner.events


def test_cancel_stops_a_generator_between_items(qtbot, runner):
    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            time.sleep(0.005)
            i += 1

    rev = runner.submit(endless)
    qtbot.waitUntil(lambda: len(produced) > 3, timeout=5000)
    assert runner.cancel() is True
    idle(qtbot, runner)
    count = len(produced)
    qtbot.wait(50)
    assert len(produced) == count, "the generator was closed"
    assert runner.is_cancelled(rev) and ("finished", rev) in runner.events
    assert runner.cancel() is False  # nothing in flight


def test_errors_of_the_latest_are_delivered_and_of_stale_ones_dropped(qtbot, runner):
    gate = threading.Event()

    def fail(message):
        gate.wait(5)
        raise ValueError(message)

    runner.submit(fail, "old")
    latest = runner.submit(fail, "new")
    gate.set()
    idle(qtbot, runner)
    errors = [(e[1], str(e[2])) for e in runner.events if e[0] == "errored"]
    assert errors == [(latest, "new")]


def test_shutdown_waits_for_the_running_job(qtbot):
    r = LatestRunner()
    ended = threading.Event()

    def slow():
        for _ in range(1000):
            yield
            time.sleep(0.002)
        ended.set()

    r.submit(slow)
    qtbot.waitUntil(lambda: r.running, timeout=5000)
    time.sleep(0.02)
    assert r.shutdown(timeout=5.0)
    assert not ended.is_set(), "cancelled between items, not run to the end"
    assert r.is_stale(r.revision)
    r.submit(lambda: None)  # ignored once shut down
    assert not r.busy


def test_no_latest_wins_code_overrides_superqt_workers():
    for path in UI.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\((Generator|Function)Worker\)", source), path.name
        assert not re.search(r"self\._running = |self\._finished\.emit", source), path.name
    users = [
        p.name
        for p in UI.rglob("*.py")
        if p.name != "runner.py" and "LatestRunner(" in p.read_text("utf-8")
    ]
    assert sorted(users) == [
        "compare_window.py",
        "controller.py",
        "export.py",  # Copy as PyTorch Code of a scene with large inline weights
        "image_loader.py",
        "layer_timing.py",
        "model_import.py",
        "scene_loader.py",
        "scene_writer.py",  # File ▸ Save's and the autosave's writer
        "walkthrough_dock.py",
        "weight_reader.py",
    ]


def test_a_job_whose_runner_is_gone_ends_quietly():
    """Closing the window while a job runs deletes the runner: the worker then has nobody to
    deliver to, and ends without an exception (it used to print a traceback at exit)."""
    import shiboken6

    from explorer.ui.state.runner import _Job, _Relay

    for func in (lambda: 42, lambda: (yield 1), lambda: 1 / 0):
        relay = _Relay()
        shiboken6.delete(relay)
        job = _Job(1, func, (), {}, lambda _rev: False, relay)
        job.run()  # raised RuntimeError("Signal source has been deleted") before
        assert job.done.is_set()


def test_items_that_come_quicker_than_the_gui_thread_takes_them_arrive_in_one_wake_up(
    qtbot, monkeypatch
):
    """A quick run (the default scene's layers take ≈ 1 ms) used to post one queued signal
    per layer, its return and its end, each a wake-up of the GUI thread; now the worker
    queues them and wakes the GUI thread once, which takes them all, in order."""
    from explorer.ui.state.runner import _Relay

    wakes: list[int] = []  # events taken at each wake-up of the GUI thread
    original = _Relay.take

    def counting(self):
        taken = original(self)
        if taken is not None:  # None: a push held the lock, taken again 1 ms later
            wakes.append(len(taken))
        return taken

    monkeypatch.setattr(_Relay, "take", counting)
    r = LatestRunner()
    events: list[tuple] = []
    r.yielded.connect(lambda rev, item: events.append(("item", item)))
    r.returned.connect(lambda rev, value: events.append(("returned", value)))
    r.finished.connect(lambda rev: events.append(("finished", rev)))

    def quick():
        yield from range(5)
        return "done"

    rev = r.submit(quick)
    job = r._job
    assert job is not None and job.done.wait(5.0)  # all of it queued, none taken yet
    qtbot.waitUntil(lambda: ("finished", rev) in events, timeout=5000)
    assert events == [("item", i) for i in range(5)] + [("returned", "done"), ("finished", rev)]
    assert wakes == [7]  # five items, the return and the end
    # a later job is delivered too (the relay wakes again once it was emptied)
    r.submit(lambda: 7)
    qtbot.waitUntil(lambda: ("returned", 7) in events, timeout=5000)
