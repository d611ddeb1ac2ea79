"""Worker threads run below the GUI thread's CPU priority, and Qt paints on the GUI thread.

On a machine with few cores a run (torch), the layer timer and file decoding compete with
the GUI thread for the same cores; at equal priority the GUI thread waits its turn behind
them, and the window stops ticking for 100-250 ms with almost no work of its own (the
monkey of issue 16 saw gaps of 200 ms in which the GUI thread ran for 1 ms). A worker
lowers its own priority once (Linux: each thread has its own nice value; elsewhere this
does nothing), so the scheduler hands a core to the GUI thread as soon as it has work.

Qt's raster engine splits a large ``drawImage`` or stroke into bands drawn by a pool of
helper threads while the GUI thread waits for them (``QLatch``). With two cores and a run
in flight the helpers wait for a core themselves: a profiled monkey run spent 2 s of its
60 s with the GUI thread asleep in that wait, most of its 150-220 ms gaps in which it did
almost nothing itself. On a machine of few cores :func:`paint_on_gui_thread` turns the
pool off (``QT_NO_GUI_THREADPOOL``, read when Qt first wants the pool), so the GUI thread
draws the bands itself, as fast when the cores are free and never waiting when they are not.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = [
    "MAX_CPUS_FOR_GUI_PAINTING",
    "WORKER_NICE",
    "favour_gui_thread",
    "lower_this_thread",
    "paint_on_gui_thread",
    "short_gil_turns",
    "thread_nice",
]

#: How much nicer than the process a worker thread runs (0-19). Linux weighs nice 5 at a
#: third of nice 0: on a core shared with the GUI thread the GUI gets ~75% of it, enough for
#: its bursts (``benchmarks/bench_worker_nice.py`` (c), the window pinned to one core during
#: runs: longest heartbeat gap 7-17 ms at 5, 10-20 ms at 10, 15-64 ms at 0), while a run
#: beside another program busy on its core is 4.6-5.9× slower instead of 13× at nice 10
#: ((a); 2× at nice 0). A thread cannot raise its priority again, so the value is fixed.
WORKER_NICE = 5

#: Up to this many cores, Qt paints without its helper threads (see the module docstring).
MAX_CPUS_FOR_GUI_PAINTING = 4

_lowered = threading.local()


def paint_on_gui_thread(cpus: int | None = None) -> bool:
    """Turn Qt's painting helper threads off on a machine of at most
    :data:`MAX_CPUS_FOR_GUI_PAINTING` cores (``cpus``: the count, ``os.cpu_count()`` by
    default), unless ``QT_NO_GUI_THREADPOOL`` was set already; call before the first paint.
    Returns whether painting stays on the GUI thread."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if "QT_NO_GUI_THREADPOOL" not in os.environ and cpus <= MAX_CPUS_FOR_GUI_PAINTING:
        os.environ["QT_NO_GUI_THREADPOOL"] = "1"
    return "QT_NO_GUI_THREADPOOL" in os.environ  # Qt reads whether it is set, not its value


def thread_nice() -> int | None:
    """The calling thread's nice value (``None`` where threads have none of their own)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except OSError:
        return None


#: Longest a thread keeps the interpreter lock while another asks for it (Python's 5 ms).
GIL_TURN_S = 0.001


def short_gil_turns() -> None:
    """Hand the interpreter lock over after at most :data:`GIL_TURN_S` (Python: 5 ms).

    A paint or an edit calls into Python many times (every pyqtgraph item's ``paint``,
    every slot); each time, a worker running Python (importing torch at start-up, building
    a layer) may hold the lock and keep it for a whole turn before the GUI thread gets it.
    Fifty calls waiting 5 ms each are a 250 ms freeze; at 1 ms, 50 ms. The worker loses a
    little: switching is only forced while another thread is waiting.
    """
    if sys.getswitchinterval() > GIL_TURN_S:
        sys.setswitchinterval(GIL_TURN_S)


def favour_gui_thread() -> None:
    """:func:`paint_on_gui_thread` and :func:`short_gil_turns` (a window calls it first)."""
    paint_on_gui_thread()
    short_gil_turns()


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
