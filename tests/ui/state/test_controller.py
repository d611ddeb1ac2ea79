"""Controller: costs at once, errors without runs, latest-wins runs on a worker."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pytest
from PySide6.QtCore import QThreadPool, QTimer

from explorer.core.analysis.costs import stack_cost
from explorer.core.errors import ResourceError, SpecError
from explorer.core.io.scene import Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec
from explorer.ui.state.controller import Controller

SHAPE = (3, 32, 32)


@dataclass
class FakeResult:
    index: int
    spec: object
    seed: int


class FakeRunner:
    """Stands in for run_stack: records calls, honours should_abort, sleeps per layer."""

    def __init__(self, per_layer: float = 0.005, fail: Exception | None = None) -> None:
        self.per_layer = per_layer
        self.fail = fail
        self.calls = 0
        self.aborted = 0

    def __call__(self, layers, image, *, seed, should_abort, cache):
        self.calls += 1
        assert image.shape == SHAPE
        if self.fail is not None:
            raise self.fail
        for i, spec in enumerate(layers):
            if should_abort():
                self.aborted += 1
                return
            time.sleep(self.per_layer)
            yield FakeResult(i, spec, seed)


@pytest.fixture(autouse=True)
def no_dangling_threads():
    yield
    pool = QThreadPool.globalInstance()
    assert pool.waitForDone(5000)
    assert pool.activeThreadCount() == 0


def make(qtbot, runner, n_layers=3, debounce_ms=20):
    layers = tuple(default_spec("standard", out_channels=4 + i) for i in range(n_layers))
    doc = SceneDocument(Scene(layers=layers))
    ctrl = Controller(
        doc,
        debounce_ms=debounce_ms,
        run_stack=runner,
        resolve_input=lambda spec, seed: np.zeros(SHAPE, np.float32),
        input_shape=lambda spec: SHAPE,
    )
    return doc, ctrl


def finish(qtbot, ctrl, timeout=10000):
    qtbot.waitUntil(lambda: not ctrl.busy and not ctrl.worker_running, timeout=timeout)


def test_costs_are_published_synchronously_and_run_follows(qtbot):
    runner = FakeRunner()
    doc, ctrl = make(qtbot, runner)
    costs = []
    ctrl.costs_changed.connect(lambda c, comp: costs.append(c))
    with qtbot.waitSignal(ctrl.run_finished, timeout=5000) as blocker:
        doc.replace_layer(1, doc.scene.layers[1].with_changes(out_channels=9))
        # Before any event-loop turn the costs are there already.
        assert costs and costs[-1] == stack_cost(SHAPE, doc.scene.layers)
        assert ctrl.busy
    assert blocker.args[0] == ctrl.revision
    assert sorted(ctrl.results) == [0, 1, 2]
    assert ctrl.results[1].spec == doc.scene.layers[1]
    finish(qtbot, ctrl)
    assert runner.calls == 1


def test_spec_error_runs_nothing_and_keeps_results(qtbot):
    runner = FakeRunner()
    doc, ctrl = make(qtbot, runner)
    with qtbot.waitSignal(ctrl.run_finished, timeout=5000):
        ctrl.refresh()
    finish(qtbot, ctrl)
    before = dict(ctrl.results)
    errors = []
    ctrl.spec_error.connect(errors.append)
    # 3 input channels are not divisible by 2 groups.
    doc.replace_layer(0, doc.scene.layers[0].with_changes(groups=2))
    assert isinstance(errors[-1], SpecError)
    assert errors[-1].layer == 0 and errors[-1].field == "groups"
    assert not ctrl.busy
    qtbot.wait(100)
    assert runner.calls == 1 and ctrl.results == before
    assert doc.scene.layers[0].groups == 2  # the document keeps the edit
    # Fixing it clears the error and runs again.
    with qtbot.waitSignal(ctrl.run_finished, timeout=5000):
        doc.undo()
    assert errors[-1] is None
    finish(qtbot, ctrl)


def test_burst_of_edits_latest_wins_and_loop_stays_responsive(qtbot):
    runner = FakeRunner(per_layer=0.01)
    doc, ctrl = make(qtbot, runner, n_layers=4, debounce_ms=5)
    seen = []  # (revision emitted, controller's latest revision at that time)
    ctrl.layer_result.connect(lambda rev, r: seen.append((rev, ctrl.revision, r)))
    started = []
    ctrl.run_started.connect(started.append)
    ticks = []
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    ticker.start()
    t0 = time.perf_counter()
    for k in range(200):
        i = k % 4
        doc.replace_layer(i, doc.scene.layers[i].with_changes(out_channels=1 + k))
        qtbot.wait(1 if k % 3 else 8)  # sometimes long enough for a run to start
    burst = time.perf_counter() - t0
    finish(qtbot, ctrl)
    ticker.stop()
    # Several runs started during the burst and were aborted; the last one completed.
    assert len(started) > 1 and runner.aborted >= 1
    assert started[-1] == ctrl.revision
    # No result of an old revision ever reached the views.
    assert all(rev == latest for rev, latest, _ in seen)
    final = [r for rev, _, r in seen if rev == ctrl.revision]
    assert [r.spec for r in final] == list(doc.scene.layers)
    assert [ctrl.results[i].spec for i in range(4)] == list(doc.scene.layers)
    # The event loop kept turning: the 5 ms ticker fired regularly during the burst.
    during = [t for t in ticks if t <= t0 + burst]
    assert len(during) >= burst / 0.005 * 0.2  # loose: the CI machine is shared
    gaps = np.diff(during)
    assert gaps.max() < 0.5
    assert not ctrl.worker_running


def test_cancel_stops_the_run(qtbot):
    runner = FakeRunner(per_layer=0.05)
    doc, ctrl = make(qtbot, runner, n_layers=10, debounce_ms=1)
    cancelled = []
    ctrl.run_cancelled.connect(cancelled.append)
    finished = []
    ctrl.run_finished.connect(lambda rev, s: finished.append(rev))
    with qtbot.waitSignal(ctrl.run_started, timeout=5000):
        ctrl.refresh()
    qtbot.waitUntil(lambda: len(ctrl.results) >= 1, timeout=5000)
    ctrl.cancel()
    finish(qtbot, ctrl)
    assert cancelled == [ctrl.revision]
    assert finished == [] and len(ctrl.results) < 10


def test_resource_error_is_reported(qtbot):
    runner = FakeRunner(fail=ResourceError("needs 9.0 GiB, limit is 2.0 GiB"))
    doc, ctrl = make(qtbot, runner)
    with qtbot.waitSignal(ctrl.run_failed, timeout=5000) as blocker:
        ctrl.refresh()
    assert "9.0 GiB" in blocker.args[0]
    finish(qtbot, ctrl)


def test_shutdown_waits_for_worker(qtbot):
    runner = FakeRunner(per_layer=0.05)
    doc, ctrl = make(qtbot, runner, n_layers=20, debounce_ms=1)
    with qtbot.waitSignal(ctrl.run_started, timeout=5000):
        ctrl.refresh()
    qtbot.waitUntil(lambda: len(ctrl.results) >= 1, timeout=5000)
    t0 = time.perf_counter()
    assert ctrl.shutdown(timeout=3.0)
    assert time.perf_counter() - t0 < 1.0
    assert QThreadPool.globalInstance().waitForDone(2000)
    # Edits after shutdown do nothing.
    doc.replace_layer(0, doc.scene.layers[0].with_changes(out_channels=2))
    qtbot.wait(50)
    assert runner.calls == 1


def test_real_run_reuses_unchanged_layers(qtbot):
    """With the real run_stack: an edit of layer 2 recomputes layer 2 only."""
    from explorer.core.io.scene import InputSpec

    layers = (default_spec("standard", out_channels=4), default_spec("pointwise", out_channels=3))
    doc = SceneDocument(Scene(layers=layers, input=InputSpec(shape=(2, 16, 16)), seed=1))
    ctrl = Controller(doc, debounce_ms=1)
    with qtbot.waitSignal(ctrl.run_finished, timeout=30000):
        ctrl.refresh()
    assert not ctrl.results[0].cached and not ctrl.results[1].cached
    finish(qtbot, ctrl)
    with qtbot.waitSignal(ctrl.run_finished, timeout=30000):
        doc.replace_layer(1, doc.layers[1].with_changes(out_channels=5))
    assert ctrl.results[0].cached and not ctrl.results[1].cached
    assert ctrl.results[1].output.shape == (5, 16, 16)
    assert ctrl.input_image.shape == (2, 16, 16)
    finish(qtbot, ctrl)
