"""One latest-wins runner: a job at a time on a worker thread, stale results dropped.

Used by the main window's :class:`~explorer.ui.state.controller.Controller` (the runs of the
stack) and by the comparison window and the layer timer
(:mod:`explorer.ui.tools.compare_window`).

Every request has a revision. :meth:`LatestRunner.new_revision` (or a :meth:`submit`
without one) makes everything older stale: a job in flight sees it through
:meth:`LatestRunner.is_stale` (thread-safe) and stops between steps, and whatever a stale
job still delivers is dropped on the GUI thread. Only one job runs at a time; a request
made meanwhile waits (a newer one replaces it) and starts when the running job ends, which
keeps the CPU for the request that matters.

The job is a plain function. If it returns a generator, the runner iterates it on the
worker thread and delivers each item as it comes (``yielded``), checking between items
whether the job was cancelled (:meth:`LatestRunner.cancel`, :meth:`LatestRunner.shutdown`);
a job that is merely superseded finds out through ``is_stale`` (the controller's run passes
it to :func:`~explorer.core.compute.run.run_stack` as ``should_abort``), and its items are dropped.
The generator's return value is delivered as ``returned``.
The worker never touches process-global state (no ``warnings.catch_warnings``) and
never a widget; results reach the GUI thread through a queued signal, several at a time
when they come quicker than the GUI thread takes them (:class:`_Relay`).

A request may also be run *here*, on the runner's own (GUI) thread
(``submit(..., here=True)``): for a job of a few milliseconds the hand-off to the worker
costs more than the job. It obeys the same rules: it waits while a worker job is in
flight, it is one revision like any other (stale items are dropped, a cancel stops it
between items), and it is delivered through the same signals in the same order
(``started``, ``yielded`` …, ``returned`` or ``errored``, ``finished``), only synchronously.
"""

from __future__ import annotations

import inspect
import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from explorer.ui.state.worker_priority import lower_this_thread

__all__ = ["LatestRunner"]

log = logging.getLogger(__name__)

#: While a worker is inside :meth:`_Relay.push`, the GUI thread takes its events this many
#: milliseconds later instead of waiting for it (a real timer: a zero-delay one runs in the
#: same pass of the event loop, before the heartbeat and input get their turn).
RETRY_MS = 1


class _Relay(QObject):
    """Carries a job's events from the worker thread to the GUI thread.

    The worker queues each event and wakes the GUI thread only when nothing it has queued
    is still waiting there (one queued signal, ``ready``); the GUI thread then takes every
    event queued so far, in order. A quick run of a few layers thus reaches the GUI thread
    in one wake-up instead of one per layer, its input, its return and its end.

    It is a child of its runner, so Qt deletes it on the GUI thread (the runner deletes it
    once its job is done, or with itself), never the worker dropping the last Python
    reference: a QObject freed off its thread, or inside its own signal, is the crash at
    quit of round s8 (the settings writer's relay). :meth:`close` (GUI thread) ends the
    worker's access first: after it, :meth:`push` touches nothing of Qt.
    """

    ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events: deque[tuple[str, tuple]] = deque()
        # reentrant: a direct connection (a push on the runner's own thread) takes inside push
        self._lock = threading.RLock()
        self._waking = False  # a `ready` is on its way and has not been handled yet
        self._closed = False

    def push(self, name: str, *args: Any) -> bool:
        """Queue one event (worker thread); ``False`` when the relay is closed or gone (its
        runner shut down or was deleted while the job ran): nobody is left to tell, which
        is not an error."""
        with self._lock:  # close() waits for an emit in progress
            if self._closed or not shiboken6.isValid(self):
                return False
            self._events.append((name, args))
            wake, self._waking = not self._waking, True
            if wake:
                try:
                    self.ready.emit()
                except RuntimeError:  # "Signal source has been deleted" meanwhile
                    return False
        return True

    def close(self) -> None:
        """No more events (GUI thread): a :meth:`push` after this returns ``False`` at once,
        one in progress has ended when this returns. Events not taken are dropped here."""
        with self._lock:
            self._closed = True
            self._events.clear()

    def take(self) -> list[tuple[str, tuple]] | None:
        """Every event queued so far, oldest first (GUI thread); ``None``, at once, while a
        :meth:`push` holds the lock: the caller tries again a moment later.

        The GUI thread never waits for the lock: the worker holding it runs at a lower
        priority (:mod:`~explorer.ui.state.worker_priority`) and gives the interpreter lock
        away inside ``emit``, so on a busy machine waiting for it was a priority inversion:
        3-10 ms per wake-up, 31 ms once (task s10a, a 4096-channel stack being delivered).
        """
        if not self._lock.acquire(blocking=False):
            return None
        try:
            events = list(self._events)
            self._events.clear()
            self._waking = False
        finally:
            self._lock.release()
        return events


def _close_all(relays: weakref.WeakSet[_Relay], gone: threading.Event) -> None:
    """The runner is being destroyed (GUI thread): it is gone for good (no job of it runs
    on, nothing of it is busy) and every relay still alive is closed."""
    gone.set()
    for relay in list(relays):
        relay.close()


class _Job(QRunnable):
    """The worker-thread side of one request."""

    def __init__(
        self,
        revision: int,
        func: Callable[..., Any],
        args: tuple,
        kwargs: dict,
        is_cancelled: Callable[[int], bool],
        relay: _Relay,
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner holds it until its `finished` is handled
        self.revision = revision
        self._call = (func, args, kwargs)
        self._is_cancelled = is_cancelled
        self.relay = relay
        #: Set on the worker thread once the job has ended and nothing more of it runs.
        self.done = threading.Event()

    def run(self) -> None:  # the QRunnable entry point, on a pool thread
        rev = self.revision
        lower_this_thread()  # the GUI thread gets a core first (worker_priority)
        try:
            try:
                # no local names for the function and its arguments: the GUI thread drops
                # them (LatestRunner._on_finished), never this thread leaving run()
                value = self._call[0](*self._call[1], **self._call[2])
                if inspect.isgenerator(value):
                    value = self._iterate(value)
            except Exception as exc:  # noqa: BLE001 - delivered to the GUI thread
                self._emit("errored", rev, exc)
            else:
                self._emit("returned", rev, value)  # dropped on the GUI thread when stale
            self._emit("finished", rev)
        finally:
            self.done.set()

    def _emit(self, name: str, *args: Any) -> bool:
        """Send one event to the GUI thread; ``False`` when the runner is gone (its window
        closed while the job ran): there is nobody left to tell, which is not an error."""
        return self.relay.push(name, *args)

    def _iterate(self, gen: Any) -> Any:
        rev = self.revision
        try:
            while not self._is_cancelled(rev):
                try:
                    item = next(gen)
                except StopIteration as stop:
                    return stop.value
                if not self._emit("yielded", rev, item):
                    return None
            return None
        finally:
            gen.close()  # a stale generator is left suspended: end it here


class LatestRunner(QObject):
    """Runs one job at a time on a worker thread; only the latest revision's results
    are delivered.

    Parameters
    ----------
    parent
        The owner (the runner lives on its thread, normally the GUI thread).
    pool
        The thread pool to run in (Qt's global pool by default).
    own_thread
        Run in a one-thread pool of the runner's own instead (file reading that must not
        wait behind a long run in the global pool).

    Signals
    -------
    started(int)
        A job of that revision starts (emitted on the GUI thread, before it runs).
    yielded(int, object)
        One item of a generator job of the latest revision.
    returned(int, object)
        The job's return value (a generator job: the generator's return value).
    errored(int, object)
        The exception the job raised.
    finished(int)
        The job of that revision ended (stale or not); the next waiting one starts.
    busy_changed(bool)
        Whether a job runs or waits.
    """

    started = Signal(int)
    yielded = Signal(int, object)
    returned = Signal(int, object)
    errored = Signal(int, object)
    finished = Signal(int)
    busy_changed = Signal(bool)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        pool: QThreadPool | None = None,
        own_thread: bool = False,
    ) -> None:
        super().__init__(parent)
        if own_thread:  # a one-thread pool of its own: never queued behind a long run
            pool = QThreadPool(self)
            pool.setMaxThreadCount(1)
        self._pool = pool
        self._revision = 0
        self._cancelled = -1
        self._closed = False
        self._job: _Job | None = None
        #: finished jobs whose worker may not have left them yet (see _on_finished)
        self._retired: list[_Job] = []
        # every relay of a job in flight is closed before Qt deletes it with us
        live: weakref.WeakSet[_Relay] = weakref.WeakSet()
        self._live = live
        # Set when Qt destroys this runner (with its parent window, say) while its Python
        # side lives on: a job in flight then never reports `finished` (its relay is closed),
        # so without this `busy` would stay true for good.
        gone = threading.Event()
        self._gone = gone
        self.destroyed.connect(lambda *_: _close_all(live, gone))
        self._pending: tuple[int, Callable[..., Any], tuple, dict, bool] | None = None
        self._here: int | None = None  # the revision of a job running on this thread
        self._busy = False

    # ------------------------------------------------------------------ state
    @property
    def revision(self) -> int:
        """The latest revision."""
        return self._revision

    @property
    def running(self) -> bool:
        """A job's worker thread has not finished it yet."""
        return self._job is not None and not self._job.done.is_set()

    @property
    def running_revision(self) -> int | None:
        """The revision of the job in flight (on the worker or here), if any."""
        if self._here is not None:
            return self._here
        return None if self._job is None else self._job.revision

    @property
    def busy(self) -> bool:
        """A job runs or waits (never once shut down or destroyed)."""
        return (
            not self._closed
            and not self._gone.is_set()
            and (self._job is not None or self._pending is not None or self._here is not None)
        )

    def is_stale(self, revision: int) -> bool:
        """Whether ``revision`` is no longer wanted (safe to call from the worker)."""
        return self.is_cancelled(revision) or revision != self._revision

    def is_cancelled(self, revision: int) -> bool:
        """Whether the job of ``revision`` was cancelled or the runner shut down (or was
        destroyed)."""
        return self._closed or self._gone.is_set() or revision <= self._cancelled

    # ------------------------------------------------------------------ requests
    def new_revision(self) -> int:
        """Start a new revision: from now on every older one is stale."""
        self._revision += 1
        return self._revision

    def submit(
        self,
        func: Callable[..., Any],
        *args: Any,
        revision: int | None = None,
        here: bool = False,
        **kwargs: Any,
    ) -> int:
        """Run ``func(*args, **kwargs)`` as soon as no other job runs; returns its revision.

        ``revision`` is one from :meth:`new_revision` (a new one when omitted). A request
        still waiting is replaced. ``here``: run it on this thread instead of the worker
        (a job of a few milliseconds; see the module docstring), synchronously when no
        job is in flight, else when the one in flight ends.
        """
        if revision is None:
            revision = self.new_revision()
        if self._closed or self._gone.is_set():
            return revision
        self._pending = (revision, func, args, kwargs, here)
        self._start()
        self._update_busy()
        return revision

    def cancel(self) -> bool:
        """Drop the waiting request and make the running one stale; returns whether a
        job was in flight."""
        self._pending = None
        running = self._job is not None or self._here is not None
        if running:
            self._cancelled = self._revision
        self._update_busy()
        return running

    def shutdown(self, timeout: float = 3.0) -> bool:
        """Stop for good: drop everything and wait up to ``timeout`` seconds for the running
        job to end. Returns whether no job is left running."""
        self._closed = True
        self._pending = None
        self._cancelled = self._revision
        job = self._job
        if job is None:
            self._release_done()
            return True
        ended = job.done.wait(timeout)
        if not ended:
            log.warning("the worker did not stop within %.1f s", timeout)
            job.relay.close()  # it may go on; it tells nobody (and the runner may go)
        self._release_done()
        return ended

    # ------------------------------------------------------------------ internals
    def _start(self) -> None:
        if self._closed or self._gone.is_set() or self._job is not None or self._here is not None:
            return
        if self._pending is None:
            return
        revision, func, args, kwargs, here = self._pending
        self._pending = None
        if here:
            self._run_here(revision, func, args, kwargs)
            return
        relay = _Relay(self)  # made here, on the runner's thread: its signal queues to us
        relay.ready.connect(self._on_ready)  # a slot of ours: dropped when we are deleted
        self._live.add(relay)
        self._job = _Job(revision, func, args, kwargs, self.is_cancelled, relay)
        self.started.emit(revision)
        (self._pool or QThreadPool.globalInstance()).start(self._job)

    def _run_here(self, revision: int, func: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        """Run a job on this thread, delivering as the worker's relay would."""
        self._here = revision
        self.started.emit(revision)
        self._update_busy()
        try:
            try:
                value = func(*args, **kwargs)
                if inspect.isgenerator(value):
                    value = self._iterate_here(revision, value)
            except Exception as exc:  # noqa: BLE001 - delivered as the worker's would be
                self._on_errored(revision, exc)
            else:
                self._on_returned(revision, value)
        finally:
            self._here = None
        self._on_finished(revision)

    def _iterate_here(self, revision: int, gen: Any) -> Any:
        try:
            while not self.is_cancelled(revision):
                try:
                    item = next(gen)
                except StopIteration as stop:
                    return stop.value
                self._on_yielded(revision, item)
            return None
        finally:
            gen.close()

    def _on_ready(self) -> None:
        relay = self.sender()
        if isinstance(relay, _Relay):
            self._deliver(relay)

    def _deliver(self, relay: _Relay) -> None:
        """Hand on every event ``relay`` holds; while its worker is inside a push, try again
        after a 1 ms timer rather than wait for it (:meth:`_Relay.take`)."""
        if not shiboken6.isValid(relay):
            return
        events = relay.take()
        if events is None:
            QTimer.singleShot(RETRY_MS, relay, partial(self._deliver, relay))
            return
        handlers = {
            "yielded": self._on_yielded,
            "returned": self._on_returned,
            "errored": self._on_errored,
            "finished": self._on_finished,
        }
        for name, args in events:
            handlers[name](*args)

    def _on_yielded(self, revision: int, item: object) -> None:
        if not self.is_stale(revision):
            self.yielded.emit(revision, item)

    def _on_returned(self, revision: int, value: object) -> None:
        if not self.is_stale(revision):
            self.returned.emit(revision, value)

    def _on_errored(self, revision: int, exc: object) -> None:
        if not self.is_stale(revision):
            self.errored.emit(revision, exc)

    def _on_finished(self, revision: int) -> None:
        job = self._job
        if job is not None and job.revision == revision:
            self._job = None
            # The function (often a bound method of a window's QObject) and its arguments
            # go here, on this thread. PySide keeps every QRunnable given to a pool alive,
            # so a job used to keep them, and through them the closed window, for good.
            job._call = None
            job._is_cancelled = None  # (a bound method of ours) the worker is past its loop
            self._retired.append(job)
            self._release_done()
        self.finished.emit(revision)
        self._start()
        self._update_busy()

    def _release_done(self) -> None:
        """Delete the relays of retired jobs whose worker is done with them (``done`` is set
        after the worker's last push), on this thread; the others wait for the next call."""
        waiting = []
        for job in self._retired:
            if job.done.is_set():
                job.relay.close()
                job.relay.deleteLater()
                self._live.discard(job.relay)
            else:
                waiting.append(job)
        self._retired = waiting

    def _update_busy(self) -> None:
        busy = self.busy
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)
