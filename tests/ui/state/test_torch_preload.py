"""Torch's shared library is loaded ahead without the interpreter lock (issue 16: the first
run's ``import torch`` stopped the GUI thread for ≈ 0.18 s). Each test runs in a fresh
interpreter: the preload is once per process and only before torch is imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _python(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_preload_maps_libtorch_cpu_without_importing_torch():
    seen = _python(
        """
import json, sys
from explorer.ui.state import torch_preload as tp
result = tp.start_torch_preload()
assert tp.start_torch_preload() is result  # once per process
done = tp.wait_for_torch_preload(60)
maps = open("/proc/self/maps").read()
out = {"done": done, "loaded": result.loaded, "skipped": result.skipped,
       "torch_imported": "torch" in sys.modules, "mapped": "libtorch_cpu.so" in maps}
import torch
out["sum"] = float(torch.arange(4.0).sum())
print(json.dumps(out))
"""
    )
    assert seen == {
        "done": True,
        "loaded": ["libtorch_cpu.so"],
        "skipped": None,
        "torch_imported": False,
        "mapped": True,
        "sum": 6.0,
    }


def test_import_torch_waits_for_a_preload_in_flight():
    """An ``import torch`` that starts while the library is being loaded waits for it
    (else it would load the library itself, with the interpreter lock held)."""
    seen = _python(
        """
import json, sys, time
from explorer.ui.state import torch_preload as tp
real = tp._dlopen_without_the_lock
def slow(path):
    time.sleep(2.0)  # a loader far slower than the import's own Python part
    return real(path)
tp._dlopen_without_the_lock = slow
result = tp.start_torch_preload()
import torch
print(json.dumps({"done_when_imported": result.done.is_set(), "loaded": result.loaded}))
"""
    )
    assert seen == {"done_when_imported": True, "loaded": ["libtorch_cpu.so"]}


@pytest.mark.slow
def test_preload_does_nothing_off_linux_or_after_torch():
    seen = _python(
        """
import json, sys
from explorer.ui.state import torch_preload as tp
r = tp.start_torch_preload(platform="win32")
out = {"skipped": r.skipped, "done": r.done.is_set(), "gate": tp._gate in sys.meta_path}
print(json.dumps(out))
"""
    )
    assert seen == {"skipped": "not on Linux (win32)", "done": True, "gate": False}
    seen = _python(
        """
import json, torch
from explorer.ui.state import torch_preload as tp
r = tp.start_torch_preload()
print(json.dumps({"skipped": r.skipped, "loaded": r.loaded}))
"""
    )
    assert seen == {"skipped": "torch was imported already", "loaded": []}


@pytest.mark.slow
def test_a_missing_library_is_skipped_and_torch_still_imports():
    seen = _python(
        """
import json
from explorer.ui.state import torch_preload as tp
r = tp.start_torch_preload(("libno_such_library.so",))
import torch
print(json.dumps({"skipped": r.skipped.endswith("libno_such_library.so not found"),
                  "done": r.done.is_set(), "ok": float(torch.ones(2).sum())}))
"""
    )
    assert seen == {"skipped": True, "done": True, "ok": 2.0}


@pytest.mark.slow
def test_then_import_imports_torch_on_the_preload_thread():
    seen = _python(
        """
import json, sys, threading, time
from explorer.ui.state import torch_preload as tp
r = tp.start_torch_preload(then_import=True)
in_flight = tp.torch_import_in_flight()
end = time.time() + 20
while "torch" not in sys.modules and time.time() < end:
    time.sleep(0.01)
while any(t.name == "torch-preload" for t in threading.enumerate()) and time.time() < end:
    time.sleep(0.01)
imported_there = "torch" in sys.modules  # before this thread imports it
after = tp.torch_import_in_flight()
import torch
print(json.dumps({"loaded": r.loaded, "imported_there": imported_there,
                  "in_flight": [in_flight, after], "interval": sys.getswitchinterval()}))
"""
    )
    assert seen == {
        "loaded": ["libtorch_cpu.so"],
        "imported_there": True,
        "in_flight": [True, False],
        "interval": 0.005,  # Python's own again after the import (0.5 ms during it)
    }


def test_before_loading_runs_with_the_gate_in_place_and_before_the_loading_thread():
    """The first run's worker is started in ``before_loading``: its thread is created
    before the loader holds its lock (a thread created during the load waited for it),
    and its ``import torch`` still waits at the gate for the load. A second call (the
    preload already started) or a failing callback still runs / still loads."""
    seen = _python(
        """
import json, sys, threading
from explorer.ui.state import torch_preload as tp
seen = {}
def before():
    seen["gate"] = tp._gate in sys.meta_path
    seen["done"] = tp._result.done.is_set()
    seen["loading"] = any(t.name == "torch-preload" for t in threading.enumerate())
def worker():
    import torch
    seen["worker_saw_done"] = tp._result.done.is_set()
r = tp.start_torch_preload(before_loading=lambda: (before(), threading.Thread(target=worker).start()))
calls = []
assert tp.start_torch_preload(before_loading=lambda: calls.append(1)) is r
seen["second_call_ran"] = calls == [1]
seen["preload_done"] = tp.wait_for_torch_preload(60)
for t in threading.enumerate():
    if t is not threading.current_thread() and not t.daemon:
        t.join(60)
print(json.dumps(seen))
"""
    )
    assert seen == {
        "gate": True,
        "done": False,
        "loading": False,
        "worker_saw_done": True,
        "second_call_ran": True,
        "preload_done": True,
    }


@pytest.mark.slow
def test_a_failing_before_loading_still_starts_the_load():
    seen = _python(
        """
import json
from explorer.ui.state import torch_preload as tp
def boom():
    raise RuntimeError("no")
try:
    tp.start_torch_preload(before_loading=boom)
except RuntimeError as exc:
    error = str(exc)
print(json.dumps({"error": error, "done": tp.wait_for_torch_preload(60)}))
"""
    )
    assert seen == {"error": "no", "done": True}
