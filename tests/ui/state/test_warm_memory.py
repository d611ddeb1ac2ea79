"""The next tiny run's output memory is written after the paint (issue 13, update latency):
a fresh output's page faults were ≈ half of the edited layer's convolution."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QThreadPool

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec
from explorer.ui.state import warm_memory
from explorer.ui.state.controller import Controller
from explorer.ui.state.inline_runs import InlinePlanner
from explorer.ui.state.warm_memory import MAX_WARM_BYTES, WarmMemory

glibc = pytest.mark.skipif(
    warm_memory._glibc() is None, reason="warming needs Linux with glibc (mallopt)"
)


@pytest.fixture(autouse=True)
def drained_pool():
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


@glibc
def test_warm_writes_a_block_of_at_most_the_cap():
    memory = WarmMemory()
    assert memory.active
    memory.warm(3 * 4096)
    assert memory.warmed_bytes == 3 * 4096
    memory.warm(10 * MAX_WARM_BYTES)
    assert memory.warmed_bytes == MAX_WARM_BYTES


def test_disabled_or_elsewhere_it_does_nothing(monkeypatch):
    memory = WarmMemory(enabled=False)
    memory.warm(4096)
    assert not memory.active and memory.warmed_bytes == 0
    monkeypatch.setattr(sys, "platform", "darwin")
    assert warm_memory._glibc() is None


@glibc
def test_after_a_tiny_run_the_controller_warms_twice_its_outputs(qtbot):
    layers = (default_spec("standard", out_channels=4), default_spec("pointwise", out_channels=4))
    doc = SceneDocument(Scene(layers=layers, input=InputSpec(shape=(3, 32, 32)), seed=0))
    ctrl = Controller(doc, planner=InlinePlanner(budget_s=0.5))  # generous: no flaky timing
    with qtbot.waitSignal(ctrl.run_finished, timeout=60000):
        ctrl.refresh()
    qtbot.waitUntil(lambda: not ctrl.busy and not ctrl.worker_running, timeout=5000)
    assert not ctrl.last_run_here and ctrl._warm.warmed_bytes == 0  # the worker's arena
    for out in (5, 6, 7):  # the run after a slow one (torch's import) goes to the worker
        with qtbot.waitSignal(ctrl.run_finished, timeout=10000):
            doc.replace_layer(1, doc.layers[1].with_changes(out_channels=out))
        qtbot.waitUntil(lambda: not ctrl.busy and not ctrl.worker_running, timeout=5000)
        if ctrl.last_run_here:
            break
    assert ctrl.last_run_here
    made = sum(a.nbytes for a in ctrl.results[1].parts.values())  # layer 0 came from the cache
    qtbot.waitUntil(lambda: ctrl._warm.warmed_bytes == 2 * made, timeout=2000)
    ctrl.shutdown()


@glibc
def test_a_big_block_is_written_a_slice_per_step():
    """The controller writes one slice per turn of the event loop. Before: the whole 32 MiB
    block was written in one call on the GUI thread (a 33 ms stall after a preset)."""
    from explorer.ui.state.warm_memory import WARM_SLICE_BYTES

    memory = WarmMemory()
    assert memory.start(MAX_WARM_BYTES) and memory.warming
    steps = 1
    while memory.step():
        assert memory._written == steps * WARM_SLICE_BYTES and memory.warmed_bytes == 0
        steps += 1
    assert steps == MAX_WARM_BYTES // WARM_SLICE_BYTES > 1
    assert not memory.warming and memory.warmed_bytes == MAX_WARM_BYTES
    memory.start(3 * WARM_SLICE_BYTES)
    memory.step()
    memory.cancel()  # a run started: the block is dropped, nothing counted as warmed
    assert not memory.warming and not memory.step()
    assert memory.warmed_bytes == MAX_WARM_BYTES
