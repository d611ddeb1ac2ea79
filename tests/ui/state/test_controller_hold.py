"""Controller.hold/release: at start-up the first run waits for the window's first paint,
while the costs follow the document at once."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QThreadPool

from explorer.core.io.scene import Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec
from explorer.ui.state.controller import Controller

SHAPE = (3, 16, 16)


@pytest.fixture(autouse=True)
def no_dangling_threads():
    yield
    pool = QThreadPool.globalInstance()
    assert pool.waitForDone(5000)


def _controller(calls: list) -> tuple[SceneDocument, Controller]:
    def run_stack(layers, image, *, seed, should_abort, cache):
        calls.append(len(layers))
        yield from ()

    doc = SceneDocument(Scene(layers=(default_spec("standard", out_channels=4),)))
    ctrl = Controller(
        doc,
        run_stack=run_stack,
        resolve_input=lambda spec, seed: np.zeros(SHAPE, np.float32),
        input_shape=lambda spec: SHAPE,
    )
    return doc, ctrl


def test_a_held_controller_computes_costs_but_runs_only_the_latest_edit_on_release(qtbot):
    calls: list = []
    doc, ctrl = _controller(calls)
    costs = []
    ctrl.costs_changed.connect(lambda cost, _: costs.append(cost))
    ctrl.hold()
    assert ctrl.held
    ctrl.refresh()
    doc.append_layer(default_spec("pointwise", out_channels=2))
    qtbot.wait(100)  # several event-loop turns: the pending run's timer has fired
    assert calls == [] and not ctrl.worker_running
    assert len(costs) == 2 and ctrl.busy  # costs at once; the run waits (busy shows it)
    with qtbot.waitSignal(ctrl.run_finished, timeout=5000):
        ctrl.release()
    assert not ctrl.held
    assert calls == [2]  # one run, of the latest scene (two layers)
    qtbot.waitUntil(lambda: not ctrl.busy and not ctrl.worker_running, timeout=5000)
    ctrl.release()  # a second release does nothing
    qtbot.wait(50)
    assert calls == [2]
    ctrl.shutdown()


def test_release_without_anything_pending_starts_nothing(qtbot):
    calls: list = []
    _doc, ctrl = _controller(calls)
    ctrl.hold()
    ctrl.release()
    qtbot.wait(50)
    assert calls == [] and not ctrl.busy
    ctrl.shutdown()


def test_cancel_while_held_drops_the_pending_run(qtbot):
    calls: list = []
    _doc, ctrl = _controller(calls)
    ctrl.hold()
    ctrl.refresh()
    ctrl.cancel()
    assert not ctrl.busy
    ctrl.release()
    qtbot.wait(50)
    assert calls == []
    ctrl.shutdown()
