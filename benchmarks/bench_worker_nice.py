"""How nice a worker thread should be (``WORKER_NICE``, explorer/ui/state/worker_priority.py).

Two measures, each value in a fresh subprocess:

(a) ``busy``: a run of the default scene (``run_stack``, torch at one thread, ``--repeats`` times) on a
    worker thread at nice 0, 5 and 10, pinned to one core beside a busy-loop process at nice
    0 pinned to the same core (another program, or another app, busy on the worker's core).
    The figure is the run's time over the same run on that core without the competitor
    (measured in the same subprocess): the slowdown the nice value costs on a busy machine.
(b) ``gui``: the window (the default scene's layers on a random ``3×SIZE×SIZE`` input,
    ``--size`` 1024: a run and its maps take ~0.3 s; offscreen) while the seed changes every 300 ms, so
    a run is in flight most of the time, with the worker at nice 0, 5 and 10 and the cores
    not pinned: the GUI thread's 10 ms heartbeat's longest gap, its 99th percentile and the
    gaps over 33 ms, during 8 s. The baseline is the same window idle for 2 s first.
(c) ``one-core``: (b) with the whole window pinned to one core (a machine whose other cores
    are busy): the GUI thread and the worker share that core, which is what the nice value
    decides.

Run::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_worker_nice.py
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_worker_nice.py --only busy
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_worker_nice.py --only one-core

Linux only (thread nice values, ``sched_setaffinity``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NICES = (0, 5, 10)

_BUSY = r"""
import json, os, sys, threading, time, subprocess
import torch
torch.set_num_threads(1)
from explorer.core.compute.run import run_stack
from explorer.core.io.inputs import resolve_input
from explorer.core.io.samples import DEFAULT_SCENE, scene_path
from explorer.core.io.scene import load_scene

nice, core, REPEATS = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
os.sched_setaffinity(0, {core})
scene = load_scene(scene_path(DEFAULT_SCENE))
image = resolve_input(scene.input, seed=scene.seed)

def work():
    t0 = time.perf_counter()
    for seed in range(REPEATS):
        list(run_stack(scene.layers, image, seed=seed, device="cpu"))
    return time.perf_counter() - t0

out = {}
alone_done, spinning = threading.Event(), threading.Event()
def worker():
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    out["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    work()  # warm (first-use costs)
    out["alone"] = min(work() for _ in range(2))
    alone_done.set()
    spinning.wait()
    out["busy"] = work()
t = threading.Thread(target=worker); t.start()
alone_done.wait()
# the competitor starts from this (nice 0) thread: a child inherits its creator's nice
spin = subprocess.Popen([sys.executable, "-c",
    f"import os; os.sched_setaffinity(0, {{{core}}})\nwhile True: pass"])
time.sleep(0.3)
spinning.set()
t.join()
spin.kill(); spin.wait()
print(json.dumps(out))
"""

_GUI = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[2])
if int(sys.argv[4]) >= 0:  # the whole window on one core: GUI and worker share it
    os.sched_setaffinity(0, {int(sys.argv[4])})
import bench_stalls
app, scratch, scene = bench_stalls.start_app("conv-explorer-nice-", None)
from explorer.ui.state import worker_priority
worker_priority.WORKER_NICE = int(sys.argv[1])
from monkey import idle_wait
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from dataclasses import replace
size = int(sys.argv[3])
scene = replace(scene, input=replace(scene.input, image=None, shape=(3, size, size)))
win = bench_stalls.open_ready(scene, scratch, "nice")
runs = [0]
busy_s = [0.0, None]
def busy_changed(busy):
    if busy:
        busy_s[1] = time.perf_counter()
    elif busy_s[1] is not None:
        busy_s[0] += time.perf_counter() - busy_s[1]; busy_s[1] = None
win.controller.run_finished.connect(lambda *a: runs.__setitem__(0, runs[0] + 1))
gaps = []
clock = QElapsedTimer()
def tick():
    gaps.append(clock.restart() - 10.0)
beat = QTimer(); beat.setTimerType(Qt.TimerType.PreciseTimer); beat.setInterval(10)
beat.timeout.connect(tick); clock.start(); beat.start()
idle_wait(2000)
idle, gaps[:] = list(gaps[5:]), []
seeds = iter(range(1, 10_000))
edit = QTimer(); edit.setInterval(300)
edit.timeout.connect(lambda: win.document.set_seed(next(seeds)))
edit.start()
win.controller.busy_changed.connect(busy_changed)
idle_wait(8000)
edit.stop(); beat.stop()
def p99(v):
    v = sorted(v); return v[int(0.99 * (len(v) - 1))]
print(json.dumps({"idle_max": max(idle), "idle_p99": p99(idle), "max": max(gaps),
                  "p99": p99(gaps), "over33": sum(g > 33 for g in gaps),
                  "runs": runs[0], "busy_fraction": busy_s[0] / 8.0}))
os._exit(0)
"""


def _child(code: str, *args: str) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"child failed: {out.stderr.strip()[-800:]}")
    return json.loads(lines[-1])


def busy(core: int, repeats: int) -> dict:
    rows = {}
    for nice in NICES:
        r = _child(_BUSY, str(nice), str(core), str(repeats))
        r["slowdown"] = r["busy"] / r["alone"]
        rows[nice] = r
        print(
            f"(a) nice {nice:2}: run alone {r['alone']:.2f} s, beside a busy process "
            f"{r['busy']:.2f} s: {r['slowdown']:.1f}× slower",
            flush=True,
        )
    return rows


def gui(size: int, pin: int = -1) -> dict:
    rows = {}
    for nice in NICES:
        r = _child(_GUI, str(nice), str(ROOT / "benchmarks"), str(size), str(pin))
        rows[nice] = r
        print(
            f"({'c' if pin >= 0 else 'b'}) nice {nice:2}: heartbeat gap during runs: longest {r['max']:.0f} ms, "
            f"p99 {r['p99']:.0f} ms, {r['over33']} gaps > 33 ms (idle: longest "
            f"{r['idle_max']:.0f} ms, p99 {r['idle_p99']:.0f} ms); {r['runs']} runs finished, "
            f"busy {100 * r['busy_fraction']:.0f}% of the time",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("busy", "gui", "one-core"))
    parser.add_argument("--core", type=int, default=None, help="core for (a) (default: last)")
    parser.add_argument("--repeats", type=int, default=100, help="runs per measure in (a)")
    parser.add_argument("--size", type=int, default=1024, help="input size in (b), (c)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("Linux only (thread nice values)")
        return 0
    core = args.core if args.core is not None else max(os.sched_getaffinity(0))
    started = time.perf_counter()
    data: dict = {"load_before": os.getloadavg()}
    if args.only in (None, "busy"):
        data["busy"] = busy(core, args.repeats)
    if args.only in (None, "gui"):
        data["gui"] = gui(args.size)
    if args.only in (None, "one-core"):
        data["one_core"] = gui(args.size, core)
    data["load_after"] = os.getloadavg()
    data["seconds"] = time.perf_counter() - started
    print(f"load average before {data['load_before'][0]:.2f}, after {data['load_after'][0]:.2f}")
    if args.json:
        print(json.dumps(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
