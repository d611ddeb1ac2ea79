"""Worker threads run below the GUI thread's CPU priority.

On a machine with few cores a run (torch), the layer timer and file decoding compete with
the GUI thread for the same cores; at equal priority the GUI thread waits its turn behind
them, and the window stops ticking for 100-250 ms with almost no work of its own (the
monkey of issue 16 saw gaps of 200 ms in which the GUI thread ran for 1 ms). A worker
lowers its own priority once (Linux: each thread has its own nice value; elsewhere this
does nothing), so the scheduler hands a core to the GUI thread as soon as it has work.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["WORKER_NICE", "lower_this_thread", "thread_nice"]

#: How much nicer than the process a worker thread runs (0-19; 10 ≈ a tenth of the share).
WORKER_NICE = 10

_lowered = threading.local()


def thread_nice() -> int | None:
    """The calling thread's nice value (``None`` where threads have none of their own)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except OSError:
        return None


def lower_this_thread() -> None:
    """Lower the calling (worker) thread's priority by :data:`WORKER_NICE`, once per thread.
    Never call it on the GUI thread."""
    if getattr(_lowered, "done", False) or threading.current_thread() is threading.main_thread():
        return
    _lowered.done = True
    now = thread_nice()
    if now is None:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, now + WORKER_NICE))
    except OSError:  # not allowed here: run at the process's priority
        pass
