"""The benchmark's stall watchdog reads the GUI thread's stack without owning its objects.

It used to take the GUI thread's frame objects (``sys._current_frames()``) and keep one for
0.1 s: when the stalled function returned meanwhile, that frame kept its locals alive and the
watchdog thread, dropping it, destroyed them on its own thread. For Qt objects that is the
"timer firing on a deleted object" SIGSEGV of long monkey runs (a QObject destroyed off its
thread leaves its timers registered), met right after the slow first build of the comparison
window or the Inspector — exactly the stalls the watchdog samples.
"""

from __future__ import annotations

import io
import threading
import time
import weakref

from monkey import StallWatchdog


class _Thing:
    """Stands for a Qt object held only by a local variable of the GUI thread."""


def _stalled_with_a_local(freed_on: list[str], seconds: float) -> None:
    thing = _Thing()
    weakref.finalize(thing, lambda: freed_on.append(threading.current_thread().name))
    time.sleep(seconds)  # the GUI thread is stuck here: the watchdog samples this frame


def test_objects_of_a_stalled_function_are_freed_on_the_gui_thread():
    assert threading.current_thread() is threading.main_thread()
    out = io.StringIO()
    watchdog = StallWatchdog(limit_ms=100, out=out)
    freed_on: list[str] = []
    try:
        for _ in range(4):
            watchdog.beat()
            _stalled_with_a_local(freed_on, 0.45)
            # still no heartbeat: the watchdog samples again, dropping what it held
            time.sleep(0.3)
    finally:
        watchdog.stop()
    assert freed_on == ["MainThread"] * 4
    # and it still says where the GUI thread was
    assert watchdog.dumps, "the watchdog saw no stall"
    assert "_stalled_with_a_local" in watchdog.dumps[0]
    assert "test_stall_watchdog.py" in out.getvalue()


def _waits_for(done: threading.Event) -> None:
    done.wait(5)


def test_main_stack_lists_the_gui_threads_frames_outermost_first():
    watchdog = StallWatchdog(limit_ms=60_000)
    got: list = []
    done = threading.Event()

    def read() -> None:  # as the watchdog thread does: from another thread
        time.sleep(0.05)
        got.extend(watchdog.main_stack())
        done.set()

    reader = threading.Thread(target=read, name="reader")
    try:
        reader.start()
        _waits_for(done)
        reader.join(5)
    finally:
        watchdog.stop()
    names = [f.name for f in got]
    assert names[-4:] == [  # Event.wait > Condition.wait innermost
        "test_main_stack_lists_the_gui_threads_frames_outermost_first",
        "_waits_for",
        "wait",
        "wait",
    ]
    assert got[-4].lineno > 0 and got[-4].filename.endswith("test_stall_watchdog.py")
    assert len(watchdog.graveyard) == 0  # stop() dropped what was read, here


def _busy_for(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:  # Python work: the sampler gets the lock every 5 ms
        sum(range(200))


def _short_pause() -> None:
    time.sleep(0.015)


def test_profile_keeps_the_samples_of_long_stalls_only():
    watchdog = StallWatchdog(limit_ms=60_000, profile_ms=40)
    try:
        watchdog.beat()
        _busy_for(0.12)  # a 120 ms stall: kept
        watchdog.beat()
        watchdog.on_stall(120.0, "long one")
        _short_pause()  # 15 ms: under the 40 ms of the profile, dropped
        watchdog.beat()
        watchdog.on_stall(15.0, "short one")
    finally:
        watchdog.stop()
    assert [what for _, what, _ in watchdog.profiles] == ["long one"]
    stacks = watchdog.profiles[0][2]
    assert len(stacks) >= 3  # every 4 ms after the first 12 ms late (fewer on a busy machine)
    busy = [any(name.endswith(":_busy_for") for name in stack) for stack in stacks]
    assert sum(busy) >= 0.7 * len(busy)  # a last sample may fall after it, before the beat
    report = watchdog.profile_report()
    assert "stalls over 40 ms: 1" in report and "120 ms" in report and "_busy_for" in report


def _hold_the_lock(seconds_of_python: float) -> None:
    """One long C call that keeps the interpreter lock (``sum`` iterates a range in C and
    never reaches the bytecode loop that would hand the lock over), then Python work: the
    thread is still alive, at the line after the call, when the sampler gets the lock."""
    sum(range(8_000_000))
    _busy_for(seconds_of_python)


def test_profile_says_which_thread_held_the_lock_while_the_sampler_waited():
    hold = threading.Thread(target=_hold_the_lock, args=(0.1,), name="lock-holder")
    watchdog = StallWatchdog(limit_ms=60_000, profile_ms=40)
    try:
        time.sleep(0.02)  # the sampler is polling
        watchdog.beat()
        start = time.perf_counter()
        hold.start()
        hold.join()  # the GUI thread waits (lock released): its heartbeat stops
        gap = (time.perf_counter() - start) * 1000
        watchdog.beat()
        watchdog.on_stall(gap, "held")
    finally:
        watchdog.stop()
    assert [what for _, what, _ in watchdog.profiles] == ["held"]
    waits = watchdog.lock_waits[0]
    assert waits, "the sampler saw no late wake-up"
    longest = max(waits, key=lambda w: w.waited_ms)
    # the sum ran ~50-150 ms with the lock held: the sampler could not wake up every 4 ms
    assert longest.waited_ms > 20
    assert longest.holder == "lock-holder"
    assert any(name.endswith(":_hold_the_lock") for name in longest.stacks["lock-holder"])
    report = watchdog.profile_report()
    assert "lock-holder" in report and "sampler waited" in report


def test_no_lock_waits_when_the_gui_thread_stalls_in_python():
    watchdog = StallWatchdog(limit_ms=60_000, profile_ms=40)
    try:
        time.sleep(0.02)
        watchdog.beat()
        _busy_for(0.12)  # bytecode: the lock changes hands every 5 ms (switch interval)
        watchdog.beat()
        watchdog.on_stall(120.0, "python")
    finally:
        watchdog.stop()
    # a late wake-up of a few ms (the 5 ms switch interval) is no long hold; on a busy
    # machine the GUI thread may be preempted while it holds the lock: not counted
    held = [w.waited_ms - w.queued_by.get("MainThread", 0.0) for w in watchdog.lock_waits[0]]
    assert all(ms < 40 for ms in held), held


_SAMPLE_WHILE_THREADS_COME_AND_GO = """
import sys, threading, time
from PySide6.QtCore import QCoreApplication, QRunnable, QThreadPool
from lock_holders import FrameGraveyard, all_stacks

app = QCoreApplication([])
pool = QThreadPool()
pool.setMaxThreadCount(8)
pool.setExpiryTimeout(0)  # each pooled thread ends after its job: a thread state each time


class Job(QRunnable):
    def run(self):
        sum(range(50))


stop = threading.Event()


def feed():
    while not stop.is_set():
        for _ in range(8):
            pool.start(Job())
        time.sleep(0.0005)


def spawn():
    while not stop.is_set():
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()


threading.Thread(target=feed, daemon=True).start()
threading.Thread(target=spawn, daemon=True).start()
graveyard = FrameGraveyard()
samples, end = 0, time.perf_counter() + float(sys.argv[1])
while time.perf_counter() < end:
    all_stacks(graveyard)
    graveyard.empty()
    samples += 1
stop.set()
pool.waitForDone()
print("samples", samples)
"""


def test_sampling_every_thread_while_threads_start_and_end_does_not_crash(subprocess_env):
    """The profiler's segfault: faulthandler's ``dump_traceback(all_threads=True)`` walked
    the thread states unlocked while Qt's pooled workers made and dropped theirs; this
    child crashed (exit -11) within half a second every time on the old ``all_stacks``."""
    import subprocess
    import sys

    child = subprocess.run(
        [sys.executable, "-c", _SAMPLE_WHILE_THREADS_COME_AND_GO, "1.5"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert int(child.stdout.split()[-1]) > 100  # it did sample, many times


def _worker_reads_stacks(graveyard, started: threading.Event, go: threading.Event) -> None:
    from lock_holders import all_stacks

    started.wait(5)
    all_stacks(graveyard)  # takes the GUI thread's frame (with its local) ...
    go.set()


def test_frames_read_off_the_gui_thread_are_dropped_on_it():
    """What the sampler read (every thread's frames, for the lock waits too) is dropped by
    the GUI thread's ``graveyard.empty()``, never by the sampler: a frame whose function
    returned meanwhile owns its locals."""
    from lock_holders import FrameGraveyard

    graveyard = FrameGraveyard()
    freed_on: list[str] = []
    started, go = threading.Event(), threading.Event()
    sampler = threading.Thread(
        target=_worker_reads_stacks, args=(graveyard, started, go), name="sampler"
    )
    sampler.start()

    def stalled() -> None:
        thing = _Thing()
        weakref.finalize(thing, lambda: freed_on.append(threading.current_thread().name))
        started.set()
        go.wait(5)  # the sampler reads this frame meanwhile

    stalled()
    sampler.join(5)  # ... and has let go of its own references now
    assert freed_on == []  # the graveyard keeps the returned frame's local
    assert len(graveyard) == 1
    graveyard.empty()
    assert freed_on == ["MainThread"]
