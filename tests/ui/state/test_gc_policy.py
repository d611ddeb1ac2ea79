"""Garbage collection happens on the GUI thread only (explorer/ui/state/gc_policy.py)."""

from __future__ import annotations

import gc
import threading

from explorer.ui.state.gc_policy import MainThreadCollector, collect_on_main_thread


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collections_run_on_the_gui_thread_only(qtbot, qapp):
    collector = collect_on_main_thread()
    assert collect_on_main_thread() is collector  # installed once
    assert not gc.isenabled()
    where: list[str] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            where.append(threading.current_thread().name)

    gc.callbacks.append(record)
    try:
        # a worker makes plenty of cyclic garbage: no collection runs on its thread...
        worker = threading.Thread(target=lambda: [_Cycle() for _ in range(20000)], name="worker")
        worker.start()
        worker.join()
        assert "worker" not in where
        # ...the GUI thread's timer collects instead
        qtbot.waitUntil(lambda: bool(where), timeout=5000)
        assert set(where) == {threading.main_thread().name}
    finally:
        gc.callbacks.remove(record)


def test_check_collects_the_generations_past_their_thresholds(qapp, monkeypatch):
    collector = MainThreadCollector()
    try:
        calls = []
        monkeypatch.setattr(gc, "collect", lambda g=2: calls.append(g) or 0)
        monkeypatch.setattr(gc, "get_objects", lambda generation=None: [None] * 100)
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


def test_a_full_collection_waits_for_25_percent_new_long_lived_objects(qapp, monkeypatch):
    """As in CPython: the oldest generation (torch, Qt, pyqtgraph: a long GUI stall) is
    collected only when it grew by more than a quarter since its last collection."""
    collector = MainThreadCollector()
    try:
        calls, oldest = [], [1000]
        monkeypatch.setattr(gc, "collect", lambda g=2: calls.append(g) or 0)
        monkeypatch.setattr(gc, "get_objects", lambda generation=None: [None] * oldest[0])
        monkeypatch.setattr(gc, "get_count", lambda: (701, 11, 11))
        collector._thresholds = (700, 10, 10)
        assert collector.check() == 2  # the first one: nothing known yet
        oldest[0] = 1200  # 20 % more: the middle generation only
        assert collector.check() == 1
        oldest[0] = 1251  # more than 25 %
        assert collector.check() == 2
        assert calls == [2, 1, 2]
    finally:
        collector.deleteLater()


def test_a_full_collection_does_not_visit_the_objects_frozen_at_start_up(qapp):
    """After start-up the app's long-lived objects are frozen: a full collection no longer
    visits them (a cycle made before is not reclaimed by it), only what came after."""
    import weakref

    collector = MainThreadCollector()
    try:
        before = _Cycle()
        old = weakref.ref(before)
        collector.freeze_long_lived()
        assert collector.frozen_at_start_up and gc.get_freeze_count() > 0
        after = _Cycle()
        new = weakref.ref(after)
        del before, after
        gc.collect()
        assert new() is None  # made after start-up: collected
        assert old() is not None  # frozen at start-up: not visited
        assert all(o is not old() for o in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()
        gc.collect()
        collector.deleteLater()


def test_many_survivors_of_a_full_collection_are_frozen(qapp, monkeypatch):
    from explorer.ui.state import gc_policy

    collector = MainThreadCollector()
    frozen = []
    try:
        monkeypatch.setattr(gc, "collect", lambda g=2: 0)
        monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
        monkeypatch.setattr(gc, "get_count", lambda: (701, 11, 11))
        collector._thresholds = (700, 10, 10)
        survivors = [gc_policy.FREEZE_ABOVE // 2]
        monkeypatch.setattr(gc, "get_objects", lambda generation=None: [None] * survivors[0])
        assert collector.check() == 2
        assert not frozen  # few: kept in the oldest generation
        survivors[0] = gc_policy.FREEZE_ABOVE + 1
        assert collector.check() == 2
        assert frozen and collector._long_lived == 0
    finally:
        collector.deleteLater()


def test_nothing_is_collected_while_torch_imports_then_it_is_frozen(qapp, monkeypatch):
    """The start-up's torch import makes tens of thousands of long-lived objects between
    two checks: young collections of them took 11-32 ms each on the GUI thread. While it
    runs nothing is collected; after it, they are frozen (O(1)), not visited."""
    import explorer.ui.state.gc_policy as policy

    collector = MainThreadCollector()
    try:
        calls: list[object] = []
        monkeypatch.setattr(gc, "collect", lambda g=2: calls.append(g) or 0)
        monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
        monkeypatch.setattr(gc, "get_count", lambda: (50_000, 3, 0))
        collector._thresholds = (700, 10, 10)
        in_flight = [True]
        monkeypatch.setattr(policy, "torch_import_in_flight", lambda: in_flight[0])
        assert collector.check() == -1 and collector.check() == -1
        assert calls == []
        in_flight[0] = False
        assert collector.check() == -1
        assert calls == ["freeze"]  # the import's objects: frozen, not collected
        assert collector.check() == 0  # then as before
        assert calls == ["freeze", 0]
    finally:
        collector.deleteLater()


def test_freeze_long_lived_does_not_collect_a_huge_young_generation(qapp, monkeypatch):
    import explorer.ui.state.gc_policy as policy

    collector = MainThreadCollector()
    try:
        calls: list[object] = []
        monkeypatch.setattr(gc, "collect", lambda g=2: calls.append(g) or 0)
        monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
        monkeypatch.setattr(gc, "get_count", lambda: (policy.YOUNG_COLLECT_MAX + 1, 0, 0))
        collector.freeze_long_lived()
        assert calls == ["freeze"]
        monkeypatch.setattr(gc, "get_count", lambda: (500, 0, 0))
        collector.freeze_long_lived()
        assert calls == ["freeze", 0, "freeze"]
    finally:
        collector.deleteLater()
