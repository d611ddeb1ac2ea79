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


def test_main_stack_lists_the_gui_threads_frames_outermost_first():
    watchdog = StallWatchdog(limit_ms=60_000)
    try:
        frames = watchdog.main_stack()
    finally:
        watchdog.stop()
    names = [f.name for f in frames]
    # called on the GUI thread itself here: main_stack (reading the dump) is innermost
    assert names[-3:] == [
        "test_main_stack_lists_the_gui_threads_frames_outermost_first",
        "main_stack",
        "all_stacks",
    ]
    assert frames[-3].lineno > 0 and frames[-3].filename.endswith("test_stall_watchdog.py")


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
