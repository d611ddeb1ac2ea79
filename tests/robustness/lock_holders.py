"""Who held the interpreter lock while the stall watchdog waited for it (issue 16).

The watchdog samples the GUI thread every 4 ms, but it needs the interpreter lock to do so:
while any thread holds the lock in one long C call (a ``sum`` over a huge range, a torch op
that does not release it, a PySide call that keeps it while Qt paints), the sampler cannot
run, and a stall of 80 ms shows up with one sample. :class:`LockWaits` tells those waits
apart: each time the sampler wakes up late it reads

* how much CPU time every thread of the process used during the wait (the kernel's
  per-thread ``schedstat``, nanoseconds), so the thread that ran most in the wait is the
  one that held the lock (or kept the CPU), and
* every thread's stack (:func:`all_stacks`, as text). The thread that just handed the lock
  over is still at the line after its long call.

Stacks are read with :func:`sys._current_frames`, which walks the interpreter's list of
thread states under the runtime's lock (``HEAD_LOCK``). :mod:`faulthandler`'s
``dump_traceback(all_threads=True)``, used before, walks that list *without* the lock: it
is meant for a process that is already dying. A thread that starts or ends meanwhile (Qt's
pooled workers make and drop a Python thread state for every job) left it a half-made
entry, and the profiled monkey runs segfaulted (twice in round s7);
``tests/robustness/test_stall_watchdog.py`` makes threads come and go while it samples.
Frame objects are kept alive by whoever holds them, with the locals of a function that has
returned meanwhile; so they are never dropped on the sampler's thread: they go into a
:class:`FrameGraveyard` that the GUI thread empties (the watchdog's heartbeat).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["IDLE_FRAMES", "FrameGraveyard", "LockWait", "LockWaits", "all_stacks", "short_frame"]

#: Innermost frames of a thread that is waiting, not working (it cannot hold the lock).
IDLE_FRAMES = (
    "threading.py:wait",
    "threading.py:_wait_for_tstate_lock",
    "queue.py:get",
    "selectors.py:select",
    "lock_holders.py:",
)


def short_frame(frame: traceback.FrameSummary) -> str:
    """``explorer/ui/views/map_image.py:render`` (or ``pyqtgraph/...``): a frame's key."""
    path = frame.filename.replace("\\", "/")
    for root in ("/explorer/", "/pyqtgraph/", "/PySide6/", "/numpy/", "/torch/"):
        at = path.rfind(root)
        if at >= 0:
            return f"{path[at + 1 :]}:{frame.name}"
    return f"{Path(path).name}:{frame.name}"


class FrameGraveyard:
    """Frame objects a sampler thread took, to be dropped on the GUI thread.

    A frame object whose function returned while it was held owns that function's locals
    (Qt objects among them); the last reference dropped off the GUI thread would destroy
    them there (a QObject destroyed off its thread leaves its timers registered: the
    ``QTimerInfoList::activateTimers`` SIGSEGV of round s5). The sampler :meth:`bury` s
    what it took *before* it lets go of its own references; the GUI thread calls
    :meth:`empty`.
    """

    def __init__(self) -> None:
        self._dead: deque[Any] = deque()  # append / popleft are atomic

    def __len__(self) -> int:
        return len(self._dead)

    def bury(self, held: Any) -> None:
        """Keep ``held`` (any thread) until the next :meth:`empty`."""
        self._dead.append(held)

    def empty(self) -> None:
        """Drop everything buried so far, on the calling (GUI) thread."""
        while True:
            try:
                self._dead.popleft()
            except IndexError:
                return


def all_stacks(graveyard: FrameGraveyard) -> dict[int, list[traceback.FrameSummary]]:
    """Every other Python thread's stack (outermost first) by thread id, as text only.

    The frame objects read are handed to ``graveyard`` (see :class:`FrameGraveyard`).
    """
    stacks: dict[int, list[traceback.FrameSummary]] = {}
    frames = sys._current_frames()  # under the runtime's lock; faulthandler takes none
    # never the calling thread's own frames: this function's frame, buried, would own
    # ``held`` (a cycle that only a collection on some thread would break)
    frames.pop(threading.get_ident(), None)
    held: list[Any] = []  # every frame object made by walking f_back, too
    try:
        for ident, top in frames.items():
            stack: list[traceback.FrameSummary] = []
            frame = top
            while frame is not None:
                held.append(frame)
                code = frame.f_code
                stack.append(
                    traceback.FrameSummary(
                        code.co_filename, frame.f_lineno or 0, code.co_name, lookup_line=False
                    )
                )
                frame = frame.f_back
            stack.reverse()
            stacks[ident] = stack
    finally:
        graveyard.bury((frames, held))  # before our own references go
    return stacks


class _TaskClocks:
    """CPU nanoseconds per OS thread of this process from ``/proc/self/task/*/schedstat``
    (kept open, re-read with ``pread``). Never ``pthread_getcpuclockid``: a thread id of a
    thread that has ended points at freed memory (that segfaulted)."""

    def __init__(self) -> None:
        self._fds: dict[int, int] = {}
        self._calls = 0

    def read(self, *, rescan: bool = False) -> dict[int, tuple[int, int]]:
        """(CPU ns, run-queue ns) by thread id; ``rescan``: look for new threads now (else
        every 10th call)."""
        self._calls += 1
        if rescan or self._calls % 10 == 1:
            try:
                tids = {int(name) for name in os.listdir("/proc/self/task")}
            except OSError:
                tids = set()
            for tid in set(self._fds) - tids:
                os.close(self._fds.pop(tid))
            for tid in tids - set(self._fds):
                try:
                    self._fds[tid] = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)
                except OSError:
                    pass
        clocks = {}
        for tid, fd in list(self._fds.items()):
            try:
                ran, queued = os.pread(fd, 64, 0).split()[:2]
                clocks[tid] = (int(ran), int(queued))
            except (OSError, ValueError, IndexError):
                os.close(self._fds.pop(tid))  # the thread ended
        return clocks

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


def _queued_ns() -> int:
    """Nanoseconds the calling thread has waited on a run queue (ready, no CPU free)."""
    try:
        with open("/proc/thread-self/schedstat") as handle:
            return int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _task_name(tid: int) -> str:
    try:
        with open(f"/proc/self/task/{tid}/comm") as handle:
            return f"{handle.read().strip()} (tid {tid})"
    except OSError:
        return f"tid {tid}"


@dataclass
class LockWait:
    """One late wake-up of the sampler: ``waited_ms`` past its poll, the CPU milliseconds
    each thread used meanwhile (most first) and each working thread's innermost frames."""

    waited_ms: float
    #: of ``waited_ms``, the time the sampler was ready but queued for a CPU (a busy
    #: machine, not the lock)
    queued_ms: float = 0.0
    cpu_ms: list[tuple[str, float]] = field(default_factory=list)
    #: the milliseconds each thread was ready to run but queued for a CPU (a thread that
    #: holds the lock while queued keeps everyone waiting: a busy machine)
    queued_by: dict[str, float] = field(default_factory=dict)
    stacks: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def holder(self) -> str:
        """The thread that ran most during the wait ("?" when none ran 1 ms)."""
        return self.cpu_ms[0][0] if self.cpu_ms and self.cpu_ms[0][1] >= 1.0 else "?"

    def lines(self, indent: str = "      ") -> list[str]:
        """The wait as report lines: the CPU per thread, then each working thread's stack."""
        cpu = ", ".join(
            f"{name} {ms:.0f} ms"
            + (f" (queued {q:.0f})" if (q := self.queued_by.get(name, 0)) >= 1 else "")
            for name, ms in self.cpu_ms[:4]
            if ms >= 0.5 or self.queued_by.get(name, 0) >= 1
        )
        out = [
            f"{indent}sampler waited {self.waited_ms:.0f} ms (queued for a CPU "
            f"{self.queued_ms:.0f}); CPU meanwhile: {cpu or 'none'}"
        ]
        if self.holder == threading.main_thread().name:
            # its Python stack is already back where it was: the hold was C++ under it
            out[0] += " (the GUI thread held it: Qt's C++ work, e.g. a paint pass)"
        for name, stack in self.stacks.items():
            out.append(f"{indent}  {name}: {' > '.join(stack[-3:]) or '(no Python frames)'}")
        return out


class LockWaits:
    """Measure, from the sampler thread, how late each wake-up was and who ran meanwhile.

    Call :meth:`before_sleep` right before the sampler sleeps for ``poll`` seconds and
    :meth:`after_sleep` right after; a wake-up later than ``min_ms`` returns a
    :class:`LockWait`. CPU time is per OS thread (Python threads by their name, others,
    such as Qt's pooled workers, by their OS name); stacks are per Python thread state.
    """

    def __init__(self, min_ms: float = 8.0, graveyard: FrameGraveyard | None = None) -> None:
        self.min_ms = min_ms
        #: where the frame objects read go (the owner empties it on the GUI thread)
        self.graveyard = graveyard if graveyard is not None else FrameGraveyard()
        self._me = 0  # the sampler thread's OS id (the first before_sleep says which)
        self._main = threading.main_thread().ident
        self._clocks = _TaskClocks()
        self._cpu: dict[int, tuple[int, int]] = {}
        self._asleep_at = 0.0
        self._queued = 0  # the sampler's run-queue nanoseconds before its sleep

    def before_sleep(self) -> None:
        self._me = self._me or threading.get_native_id()
        self._cpu = self._clocks.read()
        self._queued = _queued_ns()
        self._asleep_at = time.perf_counter()

    def after_sleep(self, poll: float) -> LockWait | None:
        """The wait just ended when the lock was held elsewhere for ``min_ms`` or more
        (a wake-up late only because no CPU was free is no lock wait: ``None``)."""
        waited = (time.perf_counter() - self._asleep_at - poll) * 1000
        if waited < self.min_ms:
            return None
        queued = (_queued_ns() - self._queued) / 1e6
        if waited - queued < self.min_ms:
            return None
        now = self._clocks.read(rescan=True)
        stacks = all_stacks(self.graveyard)
        threads = {t.native_id: t for t in threading.enumerate()}
        used: list[tuple[str, float]] = []
        queued_by: dict[str, float] = {}
        for tid, (ran, waited_ns) in now.items():
            if tid == self._me:
                continue
            thread = threads.get(tid)
            name = thread.name if thread is not None else _task_name(tid)
            # a thread first seen now (started during the wait): all its CPU time so far
            ran0, waited0 = self._cpu.get(tid, (0, 0))
            used.append((name, (ran - ran0) / 1e6))
            queued_by[name] = (waited_ns - waited0) / 1e6
        used.sort(key=lambda item: -item[1])
        names = {t.ident: t.name for t in threading.enumerate()}
        working: dict[str, tuple[str, ...]] = {}
        for ident, frames in stacks.items():
            keys = tuple(short_frame(f) for f in frames)
            if ident == self._main or (keys and not keys[-1].startswith(IDLE_FRAMES)):
                working[names.get(ident) or f"thread {ident:#x}"] = keys
        working.pop(threading.current_thread().name, None)
        # the thread that ran most first: it held the lock (or the CPU) through the wait
        ordered = {name: working[name] for name, _ in used if name in working}
        ordered.update(working)
        return LockWait(waited, queued, used, queued_by, ordered)

    def close(self) -> None:
        self._clocks.close()
