"""The Fit dock: it trains on a worker while the window keeps processing events, the loss
curve grows, the weights reach the document, Stop keeps the best ones, one undo step."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from explorer.core.compute.fit_targets import LUMA
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.fit_record import FitRecord
from explorer.core.model.specs import default_spec


def _scene(**changes) -> Scene:
    fields = dict(
        layers=(default_spec("pointwise", out_channels=1),),
        input=InputSpec(shape=(3, 48, 48)),
        seed=1,
    )
    fields.update(changes)
    return Scene(**fields)


@pytest.fixture
def fit_window(make_window):
    docks = []

    def make(scene: Scene):
        win = make_window(scene)
        dock = win.tools["fit_dock"]
        dock.show()
        docks.append(dock)
        return win, dock

    yield make
    for dock in docks:
        assert dock.shutdown(10.0)


def _weights(win) -> dict[str, np.ndarray]:
    return {t: np.asarray(s.values) for t, s in win.document.layers[0].weights}


def test_fit_runs_on_a_worker_plot_grows_window_responds_and_stop(qtbot, fit_window):
    win, dock = fit_window(_scene())
    dock.form.steps.setValue(1_000_000)
    dock.form.lr.setValue(0.0001)  # slow: it is still running when we stop it
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    dock.start()
    assert dock.running
    qtbot.waitUntil(lambda: dock.plots.point_count > 20, timeout=30000)
    seen, ticked = dock.plots.point_count, len(ticks)
    qtbot.waitUntil(
        lambda: dock.plots.point_count > seen + 20 and len(ticks) > ticked + 5, timeout=30000
    )
    # every loss is in the curve's data (getData() is what is drawn: clipped to the view and
    # downsampled, one point short when the autorange had not yet reached the newest step)
    assert len(dock.plots.loss_curve.xData) == dock.plots.point_count
    # the weights reach the document while it trains (throttled snapshots)
    qtbot.waitUntil(lambda: bool(win.document.layers[0].weights), timeout=30000)
    assert dock.running and "Step" in dock.status.text()
    dock.stop()
    qtbot.waitUntil(lambda: not dock.running, timeout=30000)
    timer.stop()
    assert dock.status.text().startswith("Stopped")
    assert win.document.undo_labels == [f"fit to gray ({win.document.scene.fit.steps_done} steps)"]
    assert win.document.scene.fit.loss_end <= min(dock.plots._losses)
    win.document.undo()
    assert not win.document.layers[0].weights  # one step puts back the random weights


def test_fit_lands_on_luma_and_reset_undoes_it(qtbot, fit_window):
    win, dock = fit_window(_scene())
    dock.form.steps.setValue(300)
    dock.form.lr.setValue(0.05)
    dock.start()
    qtbot.waitUntil(lambda: not dock.running, timeout=60000)
    w = _weights(win)
    assert np.abs(w["weight"] - LUMA).max() < 0.01 and abs(w["bias"][0]) < 0.01
    assert dock.status.text().startswith("Done")
    assert "+0.299 +0.587 +0.114" in dock.plots.weights_label.text()
    record = win.document.scene.fit
    assert record.target == "gray" and record.steps_done == 300
    assert dock.plots.residual_image.image is not None
    assert np.abs(dock.plots.residual_image.image).max() < 1e-3
    # the numbers on screen, recomputed with torch from the saved scene
    import torch

    from explorer.core.compute.build import build_stack
    from explorer.core.io.inputs import resolve_input

    scene = win.document.scene
    image = resolve_input(scene.input, seed=scene.seed)
    with torch.no_grad():
        out = build_stack(scene.layers, 3, seed=scene.seed)(torch.from_numpy(image)[None])[0]
    gray = torch.tensordot(torch.tensor(LUMA, dtype=torch.float32), torch.from_numpy(image), 1)
    mse = float(((out[0].double() - gray.double()) ** 2).mean())
    assert mse == pytest.approx(record.loss_end, rel=0.05, abs=1e-12)
    assert record.relative_error == pytest.approx(
        record.loss_end / float(gray.double().var(unbiased=False)), rel=1e-6
    )
    assert f"relative error {record.relative_error:.3g}" in dock.status.text()
    assert dock.reset_button.isEnabled()
    dock.reset()
    assert not win.document.layers[0].weights and win.document.can_redo


def test_bad_target_is_refused_in_one_line_and_the_stack_stays(qtbot, fit_window):
    win, dock = fit_window(_scene())
    before = win.document.scene
    dock.form.set_target("sobel-x")
    dock.start()
    qtbot.waitUntil(lambda: not dock.running, timeout=30000)
    text = dock.status.text()
    assert text.startswith("Cannot fit: target 'sobel-x' has the wrong channel count")
    assert "\n" not in text
    assert win.document.scene is before and not win.document.can_undo


def test_nothing_to_train(qtbot, fit_window):
    win, dock = fit_window(_scene())
    dock.form.layers.item(0).setCheckState(dock.form.layers.item(0).checkState().Unchecked)
    dock.start()
    qtbot.waitUntil(lambda: not dock.running, timeout=30000)
    assert dock.status.text().startswith("Cannot fit: nothing to train")


def test_editing_during_a_fit_stops_it_and_keeps_the_edit(qtbot, fit_window):
    win, dock = fit_window(_scene())
    dock.form.steps.setValue(1_000_000)
    dock.form.lr.setValue(0.0001)
    dock.start()
    qtbot.waitUntil(lambda: dock.plots.point_count > 5, timeout=30000)
    win.document.set_seed(5)
    qtbot.waitUntil(lambda: not dock.running, timeout=30000)
    assert win.document.scene.seed == 5 and win.document.undo_labels[-1] == "change seed"


def test_a_scene_fit_record_fills_the_options(qtbot, fit_window):
    record = FitRecord(
        target="gaussian:2.5", optimizer="sgd", lr=0.5, momentum=0.8, steps=77, loss_function="l1"
    )
    win, dock = fit_window(_scene(fit=record))
    form = dock.form
    assert form.target_text() == "gaussian:2.5"
    assert form.optimizer.currentData() == "sgd" and form.lr.value() == 0.5
    assert form.momentum.value() == pytest.approx(0.8) and form.steps.value() == 77
    assert form.loss.currentData() == "l1"
    assert "fitted to gaussian:2.5" in dock.status.text()


def test_slow_motion_caps_the_steps_per_second(qtbot, fit_window):
    win, dock = fit_window(_scene())
    dock.form.steps.setValue(1000)
    dock.form.slow.setChecked(True)
    dock.start()
    assert dock.session.max_rate == 30.0
    qtbot.waitUntil(lambda: dock.plots.point_count >= 3, timeout=30000)
    first = dock.plots.point_count
    start = time.monotonic()
    qtbot.wait(1000)
    rate = (dock.plots.point_count - first) / (time.monotonic() - start)
    assert rate < 45  # 30 steps/s, with a poll of slack
    dock.stop()
    qtbot.waitUntil(lambda: not dock.running, timeout=30000)
    assert dock.status.text().startswith("Stopped after")


def test_the_dock_is_built_on_first_show_from_the_tools_menu(make_window):
    win = make_window(_scene(), wait=False)
    dock = win.tools["fit_dock"]
    assert not dock._built and dock.isHidden()
    toggle = dock.toggleViewAction()
    assert toggle in win.actions.tools_menu.actions()
    toggle.trigger()
    assert dock._built and dock.form.target_text() == "gray"


def test_closing_the_window_stops_the_fit(qtbot, fit_window):
    win, dock = fit_window(_scene())
    dock.form.steps.setValue(1_000_000)
    dock.form.lr.setValue(0.0001)
    dock.start()
    qtbot.waitUntil(lambda: dock.plots.point_count > 5, timeout=30000)
    session = dock.session
    win.close()
    assert not session.running  # stopped and joined before the window went


def test_the_fit_waits_for_the_controller_and_is_the_same_for_the_same_seed(qtbot, fit_window):
    """Builds seed torch's global generator: the fit must not build while a run does."""
    win, dock = fit_window(_scene(layers=(default_spec("separable", out_channels=1),)))
    dock.form.steps.setValue(3)
    starts = []
    for _ in range(2):
        win.document.set_seed(win.document.scene.seed)  # no-op edit: nothing to run
        win.controller.refresh()  # a run in flight when Start is pressed
        assert win.controller.busy
        dock.start()
        assert not dock.session.started  # waits for the run
        qtbot.waitUntil(lambda: not dock.running, timeout=30000)
        starts.append(win.document.scene.fit.loss_start)
        dock.reset()
    assert starts[0] == starts[1]


def test_pause_holds_the_worker_and_resume_goes_on(qtbot, fit_window):
    win, dock = fit_window(_scene())
    dock.form.steps.setValue(1_000_000)
    dock.form.lr.setValue(0.0001)
    dock.start()
    qtbot.waitUntil(lambda: dock.plots.point_count > 5, timeout=30000)
    dock.toggle_pause()
    assert dock.pause_button.text() == "Resume"
    qtbot.wait(400)  # let the steps in flight arrive
    held = dock.plots.point_count
    qtbot.wait(600)
    assert dock.plots.point_count == held and dock.running
    dock.toggle_pause()
    qtbot.waitUntil(lambda: dock.plots.point_count > held, timeout=30000)
    dock.stop()
    qtbot.waitUntil(lambda: not dock.running, timeout=30000)


def test_a_fit_too_big_for_memory_is_refused_and_the_stack_stays(qtbot, fit_window, monkeypatch):
    """The scene runs within the memory limit, its fit does not (issue 16): the dock says so
    in one line, nothing changes."""
    from explorer.core.analysis.costs import stack_cost
    from explorer.core.analysis.fit_memory import fit_memory_estimate
    from explorer.core.analysis.memory import ENV_VAR, memory_estimate

    win, dock = fit_window(_scene())
    before = win.document.scene
    cost = stack_cost((3, 48, 48), before.layers)
    run, fit = memory_estimate(cost).total, fit_memory_estimate(cost).total
    monkeypatch.setenv(ENV_VAR, str((run + fit) / 2 / 1024**2))
    dock.form.set_target("gray")
    dock.start()
    qtbot.waitUntil(lambda: not dock.running, timeout=30000)
    text = dock.status.text()
    assert text.startswith("Cannot fit: fitting this stack needs about"), text
    assert "\n" not in text
    assert win.document.scene is before and not win.document.can_undo
