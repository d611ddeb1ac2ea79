"""The Fit dock on the kinds of issues 10 and 11: a block learns in the window (its inner
weights reach the document), and lesson slide 17 (a trained PaddleOCR layer as target) fills
the dock's options and fits to the relative error its caption quotes."""

from __future__ import annotations

import re

import numpy as np
import pytest

from explorer.core.compute.build import build_stack
from explorer.core.io.lesson import default_lesson_path, load_lesson
from explorer.core.io.scene import InputSpec, Scene, load_scene
from explorer.core.model.blocks import mobilenet_v2_block
from explorer.core.model.specs import BlockSpec


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


def test_a_block_fits_in_the_dock_and_its_inner_weights_reach_the_document(qtbot, fit_window):
    scene = Scene(
        layers=tuple(mobilenet_v2_block(3, 3, expansion=2)),
        input=InputSpec(shape=(3, 16, 16)),
        seed=1,
    )
    win, dock = fit_window(scene)
    dock.form.set_target("box:3")
    dock.form.steps.setValue(60)
    dock.start()
    qtbot.waitUntil(lambda: not dock.running, timeout=60000)
    assert dock.status.text().startswith("Done"), dock.status.text()
    block = win.document.layers[0]
    assert isinstance(block, BlockSpec)
    assert all(dict(inner.weights).get("weight") is not None for inner in block.layers)
    record = win.document.scene.fit
    assert record.steps_done == 60 and record.loss_end < record.loss_start
    # what the document holds rebuilds to the same stack: all three inner convs were set
    module = build_stack(win.document.layers, 3, seed=99)  # the seed no longer matters
    conv = module[0].body[0].conv.weight.detach().numpy()
    np.testing.assert_allclose(
        conv.ravel(), dict(block.layers[0].weights)["weight"].values, rtol=1e-6
    )


def test_slide_17_fills_the_dock_and_fits_to_its_caption(qtbot, fit_window):
    path = load_lesson(default_lesson_path()).slides[16]
    assert path.name == "17_distil_trained.json"
    scene = load_scene(path)
    win, dock = fit_window(scene)
    assert dock.form.target_text() == scene.fit.target
    assert dock.form.steps.value() == 500 and dock.form.optimizer.currentData() == "adam"
    dock.start()
    qtbot.waitUntil(lambda: not dock.running, timeout=300000)
    quoted = float(re.search(r"relative error of about ([0-9.]+)", scene.caption)[1])
    record = win.document.scene.fit
    assert record.relative_error == pytest.approx(quoted, abs=0.005)
    assert f"relative error {record.relative_error:.3g}" in dock.status.text()
