"""Garbage collection happens on the GUI thread only (explorer/ui/gc_policy.py)."""

from __future__ import annotations

import gc
import threading

from explorer.ui.gc_policy import MainThreadCollector, collect_on_main_thread


class _Cycle:
    def __init__(self) -> None:
        self.me = self
        self.thread: str | None = None

    def __del__(self) -> None:
        self.thread = threading.current_thread().name
        _Cycle.freed.append(self.thread)


_Cycle.freed = []


def test_a_controller_turns_automatic_collection_off_and_a_timer_collects(qtbot, qapp):
    collector = collect_on_main_thread()
    assert collect_on_main_thread() is collector  # installed once
    assert not gc.isenabled()
    # cycles made on a worker thread are not collected there...
    def make_garbage() -> None:
        for _ in range(5000):
            _Cycle()

    worker = threading.Thread(target=make_garbage, name="worker")
    _Cycle.freed.clear()
    worker.start()
    worker.join()
    assert "worker" not in _Cycle.freed
    # ...but by the GUI thread's timer
    qtbot.waitUntil(lambda: len(_Cycle.freed) == 5000, timeout=5000)
    assert set(_Cycle.freed) == {threading.main_thread().name}


def test_check_collects_the_generations_past_their_thresholds(qapp, monkeypatch):
    collector = MainThreadCollector()
    try:
        calls = []
        monkeypatch.setattr(gc, "collect", lambda g=2: calls.append(g) or 0)
        monkeypatch.setattr(gc, "get_count", lambda: (701, 3, 0))
        collector._thresholds = (700, 10, 10)
        assert collector.check() == 0
        monkeypatch.setattr(gc, "get_count", lambda: (701, 11, 11))
        assert collector.check() == 2
        monkeypatch.setattr(gc, "get_count", lambda: (5, 11, 11))
        assert collector.check() == -1
        assert calls == [0, 2]
    finally:
        collector.deleteLater()
