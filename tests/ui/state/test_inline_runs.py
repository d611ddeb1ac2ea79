"""Tiny runs on the GUI thread (issue 13, update latency): the prediction, the runner's
``here`` path with the worker's rules, and the controller choosing between the two."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from PySide6.QtCore import QThreadPool

from explorer.core.analysis.costs import stack_cost
from explorer.core.io.inputs import input_shape
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.kinds.base import CheckpointTensor
from explorer.core.model.specs import default_spec
from explorer.ui.state.controller import Controller
from explorer.ui.state.inline_runs import InlinePlanner


@pytest.fixture(autouse=True)
def drained_pool():
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


# ---------------------------------------------------------------------- the prediction
@dataclass
class Result:
    index: int
    kind: str
    seconds: float
    cached: bool = False


def small_scene(out: int = 4, seed: int = 0, size: int = 16) -> Scene:
    layers = (default_spec("standard", out_channels=4), default_spec("pointwise", out_channels=out))
    return Scene(layers=layers, input=InputSpec(shape=(3, size, size)), seed=seed)


def cost_of(scene: Scene):
    return stack_cost(input_shape(scene.input), scene.layers)


def measured(planner: InlinePlanner, scene: Scene, seconds=(0.001, 0.001), wall=0.0025) -> None:
    results = [
        Result(i, s.kind, t) for i, (s, t) in enumerate(zip(scene.layers, seconds, strict=True))
    ]
    planner.ran(scene, cost_of(scene), results, wall)


def test_nothing_is_tiny_before_a_run_was_measured():
    scene = small_scene()
    assert InlinePlanner().predict(scene, cost_of(scene)) is None
    assert not InlinePlanner().tiny(scene, cost_of(scene))


def test_an_edit_of_the_last_layer_counts_that_layer_and_the_overhead_only():
    planner = InlinePlanner(budget_s=0.004)
    first = small_scene(out=4)
    measured(planner, first, seconds=(0.003, 0.001), wall=0.0045)
    edited = small_scene(out=4)
    edited = Scene(
        layers=(edited.layers[0], edited.layers[1].with_changes(out_channels=5)),
        input=first.input,
        seed=first.seed,
    )
    predicted = planner.predict(edited, cost_of(edited))
    # layer 1 scaled by its work (5/4 of the MACs and outputs) + 0.5 ms outside the layers
    assert predicted == pytest.approx(0.0005 + 0.001 * 5 / 4, rel=0.05)
    assert planner.tiny(edited, cost_of(edited))
    # a new seed re-runs every layer: 3 + 1 + 0.5 ms is over the budget
    reseeded = Scene(layers=first.layers, input=first.input, seed=1)
    assert planner.predict(reseeded, cost_of(reseeded)) == pytest.approx(0.0045)
    assert not planner.tiny(reseeded, cost_of(reseeded))


def test_a_layer_is_predicted_from_its_cpu_time_when_its_wall_time_waited():
    """A run on the worker waits for the interpreter lock while the GUI thread paints: its
    wall time (here 5 + 2 ms) is not what it would take on the GUI thread (its CPU time,
    1.5 + 0.5 ms). The prediction takes the lesser of the two per layer, so a seed edit
    measured slow on the worker once is not sent there for ever."""
    planner = InlinePlanner(budget_s=0.004)
    scene = small_scene()
    results = [Result(0, "standard", 0.005), Result(1, "pointwise", 0.002)]
    planner.ran(scene, cost_of(scene), results, 0.0075)
    reseeded = Scene(layers=scene.layers, input=scene.input, seed=1)
    assert not planner.tiny(reseeded, cost_of(reseeded))  # 5 + 2 + 0.5 ms
    planner.ran(scene, cost_of(scene), results, 0.0075, cpu_seconds={0: 0.0015, 1: 0.0005})
    # the overhead stays the wall time outside the layers: 0.5 ms
    assert planner.predict(reseeded, cost_of(reseeded)) == pytest.approx(0.0025)
    assert planner.tiny(reseeded, cost_of(reseeded))
    # a CPU time above the wall time (another thread's work counted) is not taken
    planner.ran(scene, cost_of(scene), results, 0.0075, cpu_seconds={0: 0.009, 1: 0.0005})
    assert planner.predict(reseeded, cost_of(reseeded)) == pytest.approx(0.006)


def test_the_overhead_is_learnt_from_the_runs_cpu_time_when_its_wall_time_waited():
    """Between layers a run on the worker also waits for the lock while the GUI thread paints
    each result: 15 ms of wall time for 2.5 ms of CPU time. Learnt as overhead, those waits
    (15 - 7 = 8 ms) kept a seed edit on the worker; from the run's CPU time the overhead is
    2.5 - (1.5 + 0.5) = 0.5 ms."""
    planner = InlinePlanner(budget_s=0.004)
    scene = small_scene()
    results = [Result(0, "standard", 0.005), Result(1, "pointwise", 0.002)]
    cpu = {0: 0.0015, 1: 0.0005}
    reseeded = Scene(layers=scene.layers, input=scene.input, seed=1)
    planner.ran(scene, cost_of(scene), results, 0.015, cpu_seconds=cpu)
    assert planner.predict(reseeded, cost_of(reseeded)) == pytest.approx(0.010)
    assert not planner.tiny(reseeded, cost_of(reseeded))
    planner.ran(scene, cost_of(scene), results, 0.015, cpu_seconds=cpu, run_cpu_s=0.0025)
    assert planner.predict(reseeded, cost_of(reseeded)) == pytest.approx(0.0025)
    assert planner.tiny(reseeded, cost_of(reseeded))
    # a CPU time above the wall time (clock grains) is not taken
    planner.ran(scene, cost_of(scene), results, 0.0075, cpu_seconds=cpu, run_cpu_s=0.02)
    assert planner.predict(reseeded, cost_of(reseeded)) == pytest.approx(0.0075)  # 5.5 + 2 ms


def test_the_controller_tells_the_planner_each_layers_cpu_time(qtbot):
    seen: list[dict] = []
    run_cpu: list[float | None] = []

    class Spy(InlinePlanner):
        def ran(self, *args, cpu_seconds=None, run_cpu_s=None, **kwargs):
            seen.append(dict(cpu_seconds or {}))
            run_cpu.append(run_cpu_s)
            super().ran(*args, cpu_seconds=cpu_seconds, run_cpu_s=run_cpu_s, **kwargs)

    doc = SceneDocument(small_scene(size=64))
    ctrl = Controller(doc, planner=Spy(budget_s=0.5))
    with qtbot.waitSignal(ctrl.run_finished, timeout=60000):
        ctrl.refresh()
    qtbot.waitUntil(lambda: not ctrl.busy and not ctrl.worker_running, timeout=5000)
    with qtbot.waitSignal(ctrl.run_finished, timeout=10000):
        doc.replace_layer(1, doc.layers[1].with_changes(out_channels=5))
    assert set(seen[0]) == {0, 1} and set(seen[1]) == {0, 1}
    for cpu, results in ((seen[1], ctrl.results),):
        assert all(0 <= cpu[i] for i in cpu)
        # a computed layer's CPU time is at most a little over its wall time (clock grains)
        assert cpu[1] <= results[1].seconds + 0.005
    # and the whole run's CPU time, at least its layers' (the same clock)
    for total, layers in zip(run_cpu, seen, strict=True):
        assert total is not None and total >= sum(layers.values()) - 1e-6
    ctrl.shutdown()


def test_slow_runs_more_work_another_kind_or_input_go_to_the_worker():
    planner = InlinePlanner(budget_s=0.004)
    scene = small_scene()
    measured(planner, scene, seconds=(0.001, 0.001), wall=0.0025)
    assert planner.tiny(scene, cost_of(scene))
    # 100 times the channels: predicted 100 times slower
    bigger = Scene(
        layers=(scene.layers[0], scene.layers[1].with_changes(out_channels=400)),
        input=scene.input,
        seed=scene.seed,
    )
    assert not planner.tiny(bigger, cost_of(bigger))
    # the same layer index now another kind: never measured
    other = Scene(
        layers=(scene.layers[0], default_spec("standard", out_channels=4)),
        input=scene.input,
        seed=scene.seed,
    )
    assert planner.predict(other, cost_of(other)) is None
    # another input (an image to decode, another size)
    resized = small_scene(size=17)
    assert planner.predict(resized, cost_of(resized)) is None
    # weights read from a file
    from_file = Scene(
        layers=(
            scene.layers[0],
            scene.layers[1].with_changes(weights=(("weight", CheckpointTensor("/x.pt", "w")),)),
        ),
        input=scene.input,
        seed=scene.seed,
    )
    assert planner.predict(from_file, cost_of(from_file)) is None
    # a slow run (a loaded machine) makes the next prediction of that layer slow too,
    # and any run after a run over four times the budget goes to the worker
    measured(planner, scene, seconds=(0.001, 0.006), wall=0.0075)
    edited = Scene(
        layers=(scene.layers[0], scene.layers[1].with_changes(out_channels=3)),
        input=scene.input,
        seed=scene.seed,
    )
    assert planner.predict(edited, cost_of(edited)) == pytest.approx(0.0065)
    assert not planner.tiny(edited, cost_of(edited))
    assert planner.tiny(scene, cost_of(scene))  # unchanged: every layer from the cache
    measured(planner, scene, seconds=(0.001, 0.02), wall=0.022)
    assert not planner.tiny(scene, cost_of(scene))
    planner.forget()
    assert planner.predict(scene, cost_of(scene)) is None


def test_large_inputs_or_memory_always_go_to_the_worker():
    scene = small_scene(size=16)
    planner = InlinePlanner(budget_s=1.0, max_input_values=3 * 16 * 16 - 1)
    measured(planner, scene)
    assert planner.predict(scene, cost_of(scene)) is not None
    assert not planner.tiny(scene, cost_of(scene))
    planner = InlinePlanner(budget_s=1.0, max_bytes=1000)
    measured(planner, scene)
    assert not planner.tiny(scene, cost_of(scene))


# ---------------------------------------------------------------------- the runner


def test_a_job_run_here_is_delivered_synchronously_in_the_workers_order(runner):
    threads = []

    def job(n):
        for i in range(n):
            threads.append(threading.get_ident())
            yield i
        return "done"

    rev = runner.submit(job, 3, here=True)
    assert threads == [threading.get_ident()] * 3  # on this thread, before submit returned
    assert runner.events == [
        ("started", rev),
        ("busy_changed", True),
        ("yielded", rev, 0),
        ("yielded", rev, 1),
        ("yielded", rev, 2),
        ("returned", rev, "done"),
        ("finished", rev),
        ("busy_changed", False),
    ]
    assert not runner.busy


def test_a_job_run_here_obeys_stale_cancel_and_errors(runner):
    def job():
        yield 1
        yield 2
        yield 3

    # a listener that makes the run stale: what it still yields is dropped
    def supersede(rev, item):
        if item == 1:
            runner.new_revision()

    runner.yielded.connect(supersede)
    rev = runner.submit(job, here=True, revision=runner.new_revision())
    assert [e for e in runner.events if e[0] == "yielded"] == [("yielded", rev, 1)]
    assert ("returned", rev, None) not in runner.events and ("finished", rev) in runner.events

    # a cancel between items stops the job
    runner.events.clear()
    runner.yielded.disconnect(supersede)
    runner.yielded.connect(lambda rev, item: runner.cancel())
    rev = runner.submit(job, here=True)
    assert [e[0] for e in runner.events].count("yielded") == 1

    # an error is delivered as a worker's would be
    runner.events.clear()

    def broken():
        raise ValueError("bad")

    rev = runner.submit(broken, here=True)
    (error,) = [e for e in runner.events if e[0] == "errored"]
    assert error[1] == rev and isinstance(error[2], ValueError)


def test_a_job_for_here_waits_while_a_worker_job_is_in_flight(qtbot, runner):
    gate = threading.Event()
    first = runner.submit(lambda: gate.wait(5) and "worker")
    ran_on = []
    second = runner.submit(lambda: ran_on.append(threading.get_ident()) or "here", here=True)
    assert not ran_on and runner.running_revision == first  # never two at once
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    assert ran_on == [threading.get_ident()]
    returned = [e[1:] for e in runner.events if e[0] == "returned"]
    assert returned == [(second, "here")]  # the first one was stale


# ---------------------------------------------------------------------- the controller
def _conv_reference(scene: Scene, image: np.ndarray) -> np.ndarray:
    from explorer.core.compute.build import build_stack

    model = build_stack(scene.layers, image.shape[0], seed=scene.seed)
    with torch.inference_mode():
        return model(torch.from_numpy(np.array(image))[None])[0].numpy()


def test_the_controller_runs_a_tiny_edit_here_and_the_first_and_big_runs_on_the_worker(qtbot):
    scene = small_scene(out=4)
    doc = SceneDocument(scene)
    ctrl = Controller(doc, planner=InlinePlanner(budget_s=0.5))  # generous: no flaky timing
    threads = []
    ctrl.layer_result.connect(lambda *_: threads.append(threading.get_ident()))
    with qtbot.waitSignal(ctrl.run_finished, timeout=60000):
        ctrl.refresh()
    assert not ctrl.last_run_here  # the first run: nothing measured yet, torch imported there
    qtbot.waitUntil(lambda: not ctrl.busy and not ctrl.worker_running, timeout=5000)

    threads.clear()
    with qtbot.waitSignal(ctrl.run_finished, timeout=10000):
        doc.replace_layer(1, doc.layers[1].with_changes(out_channels=5))
    assert ctrl.last_run_here and not ctrl.worker_running
    assert threads == [threading.get_ident()] * 2  # delivered on the GUI thread
    assert ctrl.results[0].cached and not ctrl.results[1].cached
    np.testing.assert_allclose(
        ctrl.results[1].output, _conv_reference(doc.scene, ctrl.input_image), rtol=1e-5, atol=1e-5
    )

    # predicted over the budget (a tight one: every run is): back to the worker
    ctrl._planner.budget_s = 0.0
    with qtbot.waitSignal(ctrl.run_finished, timeout=10000):
        doc.replace_layer(1, doc.layers[1].with_changes(out_channels=6))
    assert not ctrl.last_run_here
    np.testing.assert_allclose(
        ctrl.results[1].output, _conv_reference(doc.scene, ctrl.input_image), rtol=1e-5, atol=1e-5
    )
    qtbot.waitUntil(lambda: not ctrl.busy and not ctrl.worker_running, timeout=5000)
    ctrl.shutdown()


def test_an_injected_run_stack_always_runs_on_the_worker(qtbot):
    def fake(layers, image, *, seed, should_abort, cache):
        yield from ()

    doc = SceneDocument(small_scene())
    ctrl = Controller(
        doc,
        run_stack=fake,
        resolve_input=lambda spec, seed: np.zeros((3, 16, 16), np.float32),
        input_shape=lambda spec: (3, 16, 16),
    )
    for out in (5, 6):
        with qtbot.waitSignal(ctrl.run_finished, timeout=10000):
            doc.replace_layer(1, doc.layers[1].with_changes(out_channels=out))
        assert not ctrl.last_run_here
        qtbot.waitUntil(lambda: not ctrl.busy and not ctrl.worker_running, timeout=5000)
    ctrl.shutdown()
