"""Python's cyclic garbage collector runs on the GUI thread only, and rarely for long.

CPython runs an automatic collection in whichever thread happens to allocate when a
threshold is crossed — in this app, often the worker thread running torch. A collection
there destroys Qt objects (a closed window's widgets, say) off the GUI thread, and
PySide then deadlocks: the worker holds a Qt connection lock and waits for the GIL, while
the GUI thread holds the GIL and waits for that lock (seen in this project's test runs:
``QObject::~QObject`` on both threads, both blocked). So automatic collection is turned
off and a timer on the GUI thread collects instead, generation by generation, with the
same thresholds Python would use — and, like Python, a full collection (the oldest
generation) only once the objects that reached the oldest generation since the last
full one are more than 25 % of those it kept; otherwise the middle generation is collected.

A full collection visits every tracked object: with torch, Qt and pyqtgraph loaded that
is ~230,000 objects and ~0.13 s on the GUI thread — a freeze by itself. Objects that live
as long as the app (modules, the window's widgets, torch) need never be visited: once
start-up is done (:meth:`MainThreadCollector.freeze_long_lived`, called when the window is
built and again when its first run has finished, torch imported) they are moved to Python's permanent generation
(:func:`gc.freeze`), and so are the survivors of a full collection once there are more
than :data:`FREEZE_ABOVE` of them (a scene load, a new tool window). A full collection then
visits only what was made since, a few milliseconds. The price: a frozen object that later
becomes garbage in a reference cycle is not reclaimed (one that is not in a cycle still
is, by its reference count).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from explorer.ui.state.torch_preload import torch_import_in_flight

__all__ = ["FREEZE_ABOVE", "YOUNG_COLLECT_MAX", "MainThreadCollector", "collect_on_main_thread"]

#: Survivors of a full collection beyond this many are frozen (≈ 25 ms to visit).
FREEZE_ABOVE = 40_000
#: :meth:`MainThreadCollector.freeze_long_lived` collects a youngest generation no larger.
YOUNG_COLLECT_MAX = 10_000


class MainThreadCollector(QObject):
    """Disables automatic garbage collection and collects from a GUI-thread timer."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = 250) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._long_lived = 0  # objects in the oldest generation after the last full collection
        self.frozen_at_start_up = False  # freeze_long_lived has run
        self._import_seen = False  # a check saw the start-up's torch import in flight
        self._full_wanted = False  # release_frozen asked for a full collection
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> int:
        """Collect the generations whose counts passed their thresholds; returns the
        generation collected, or -1 for none.

        While the start-up's torch import runs (:func:`torch_import_in_flight`) nothing is
        collected: its young generation grew by tens of thousands of objects between two
        checks, and each young collection took 11-32 ms on the GUI thread, only to find
        torch's modules alive. Once it has ended they are frozen, not visited (O(1)).
        """
        if torch_import_in_flight():
            self._import_seen = True
            return -1
        if self._import_seen:
            self._import_seen = False
            self._freeze()
            return -1
        if self._full_wanted:  # release_frozen
            self._full_wanted = False
            gc.unfreeze()
            gc.collect()
            self._long_lived = len(gc.get_objects(generation=2))
            if self._long_lived > FREEZE_ABOVE:
                self._freeze()
            return 2
        counts = gc.get_count()
        generation = -1
        for g, (count, threshold) in enumerate(zip(counts, self._thresholds, strict=True)):
            if count > threshold:
                generation = g
            else:
                break
        if generation == 2 and not self._full_due():
            generation = 1
        if generation >= 0:
            gc.collect(generation)
            if generation == 2:
                self._long_lived = len(gc.get_objects(generation=2))
                if self._long_lived > FREEZE_ABOVE:
                    self._freeze()
        return generation

    def freeze_long_lived(self) -> None:
        """Move every object alive now to the permanent generation: full collections no
        longer visit them (call when start-up is done). Only the youngest generation is
        collected first (cheap); the garbage of the older one, if any, is frozen with
        them — collecting it would visit every start-up object (~70 ms). A youngest
        generation of more than :data:`YOUNG_COLLECT_MAX` objects (torch's import just
        ended: 78 ms seen) is frozen uncollected too."""
        self.frozen_at_start_up = True
        if gc.get_count()[0] <= YOUNG_COLLECT_MAX:
            gc.collect(0)
        self._import_seen = False
        self._freeze()

    def release_frozen(self) -> None:
        """A window closes: let the next check collect everything, the frozen objects too.

        Frozen objects are never visited, so a closed window's widgets, which hold each
        other in reference cycles (PySide wrappers, bound methods, closures), were never
        reclaimed: every MainWindow opened in a process (tests, benchmarks) stayed alive
        with all its Python objects. The next :meth:`check` (the event loop's, on this
        thread) puts them back in the oldest generation (:func:`gc.unfreeze`) and makes
        one full collection (≈ 0.1 s, when a window has just closed), after which the
        survivors are frozen again. Nothing happens when the event loop does not run again
        (the app quits): the interpreter's teardown then finds them frozen, as before.
        """
        self._full_wanted = True

    def _freeze(self) -> None:
        gc.freeze()
        self._long_lived = 0

    def _full_due(self) -> bool:
        """Python's rule for a full collection: more than 25 % new long-lived objects."""
        pending = len(gc.get_objects(generation=2)) - self._long_lived
        return pending > self._long_lived // 4


_collector: MainThreadCollector | None = None


def collect_on_main_thread() -> MainThreadCollector:
    """Install the collector once for the running QApplication (call on the GUI thread)."""
    global _collector
    app = QCoreApplication.instance()
    try:
        alive = _collector is not None and _collector.parent() is app
    except RuntimeError:  # the C++ object went with an earlier QApplication
        alive = False
    if not alive:
        _collector = MainThreadCollector(app)
    return _collector
