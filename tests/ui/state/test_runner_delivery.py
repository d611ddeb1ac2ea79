"""LatestRunner's delivery never waits for a worker (task s10a, issue 16).

The worker queues events in a :class:`~explorer.ui.state.runner._Relay` under its lock and
emits ``ready`` while holding it. The worker runs at a lower priority, so on a busy machine
the GUI thread waiting for that lock in ``take`` waited 3-10 ms per wake-up (31 ms once)
while a 4096-channel stack was delivered. Now ``take`` answers ``None`` at once and the
runner takes the events again after a 1 ms timer.
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThreadPool

from explorer.ui.state.runner import RETRY_MS, LatestRunner, _Relay


@pytest.fixture(autouse=True)
def drained_pool():
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


def test_take_answers_at_once_while_a_worker_is_inside_push(qtbot):
    relay = _Relay()
    held, release = threading.Event(), threading.Event()

    def worker() -> None:  # a push in progress: the event queued, the lock still held
        with relay._lock:
            relay._events.append(("yielded", (1, "map")))
            held.set()
            release.wait(2.0)

    thread = threading.Thread(target=worker)
    thread.start()
    assert held.wait(5.0)
    try:
        during = relay.take()  # the old take waited here until the worker let go (2 s)
    finally:
        release.set()
        thread.join(5.0)
    assert during is None
    assert relay.take() == [("yielded", (1, "map"))]  # nothing lost: taken once it is free
    assert relay.take() == []


def test_events_found_locked_are_delivered_after_a_short_timer_in_order(qtbot, monkeypatch):
    """The first wake-up finds the relay locked (as if the worker were inside ``push``): the
    runner neither waits nor drops anything; a 1 ms timer later every event arrives."""
    original = _Relay.take
    calls: list[str] = []

    def locked_once(self):
        if not calls:
            calls.append("locked")
            return None
        calls.append("taken")
        return original(self)

    monkeypatch.setattr(_Relay, "take", locked_once)
    runner = LatestRunner()
    events: list[tuple] = []
    runner.yielded.connect(lambda rev, item: events.append(("item", item)))
    runner.returned.connect(lambda rev, value: events.append(("returned", value)))
    runner.finished.connect(lambda rev: events.append(("finished", rev)))

    def job():
        yield from range(3)
        return "done"

    rev = runner.submit(job)
    qtbot.waitUntil(lambda: ("finished", rev) in events, timeout=5000)
    assert events == [
        ("item", 0),
        ("item", 1),
        ("item", 2),
        ("returned", "done"),
        ("finished", rev),
    ]
    assert calls[0] == "locked" and "taken" in calls
    assert RETRY_MS >= 1  # a real timer: a zero-delay one runs before the heartbeat's turn
    runner.shutdown()
