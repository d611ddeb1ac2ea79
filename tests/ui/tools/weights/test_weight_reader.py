"""The weight tools read the selected layer's weights on a worker, not on the GUI thread
(explorer/ui/weight_reader.py), and get the same numbers as building the layer."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import explorer.core.compute.build as build
from explorer.core.compute.build import build_layer, layer_weights
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec


@pytest.fixture
def window(make_window):
    scene = Scene(
        input=InputSpec(shape=(3, 16, 16)),
        layers=(
            default_spec("standard", out_channels=4),
            default_spec("pointwise", out_channels=5),
        ),
        seed=3,
    )
    return make_window(scene)


def test_weight_edits_use_weights_read_on_a_worker(window, qtbot, monkeypatch):
    tools = window.tools["weight_tools"]
    reader = tools.reader
    doc = window.document
    builds: list[str] = []
    original = build.build_layer  # current_weights imports it from there when called

    def recording(*args, **kwargs):
        builds.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(build, "build_layer", recording)
    doc.select(1)
    qtbot.waitUntil(lambda: reader.ready(doc.scene, 1), timeout=10000)
    assert builds and threading.main_thread().name not in builds
    c_in, weights = reader.weights(doc.scene, 1)
    module = original(doc.layers[1], c_in, seed=doc.scene.seed, index=1)
    expected = layer_weights(module, doc.layers[1])
    assert c_in == 4 and sorted(weights) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(weights[name], value)
    weights["weight"][:] = 99.0  # a copy: the reader's stays as read
    assert not np.any(reader.weights(doc.scene, 1)[1]["weight"] == 99.0)

    # a weight edit, the table: nothing built on the GUI thread
    builds.clear()
    assert tools.set_weight("weight", (0, 0, 0, 0), 1.5)
    assert doc.layers[1].weights  # the edit is in the scene
    qtbot.waitUntil(lambda: reader.ready(doc.scene, 1), timeout=10000)  # the new scene's
    dialog = tools.edit_table()
    assert dialog is not None
    assert dialog.values("weight")[0, 0] == pytest.approx(1.5)
    dialog.close()
    assert threading.main_thread().name not in builds


def test_an_action_faster_than_the_worker_reads_on_demand(window):
    tools = window.tools["weight_tools"]
    doc = window.document
    doc.select(0)
    scene = doc.scene
    # asked before the worker answered: the guarded read on the GUI thread, same numbers
    c_in, weights = tools.reader.weights(scene, 0)
    module = build_layer(scene.layers[0], 3, seed=scene.seed, index=0)
    expected = layer_weights(module, scene.layers[0])["weight"]
    np.testing.assert_array_equal(weights["weight"], expected)
    assert c_in == 3


def test_a_layer_that_cannot_be_read_says_why_from_the_worker(window, qtbot):
    from dataclasses import replace

    tools = window.tools["weight_tools"]
    doc = window.document
    doc.replace_layer(0, replace(doc.layers[0], groups=2), "groups")  # 3 channels: invalid
    doc.select(0)
    scene = doc.scene
    qtbot.waitUntil(lambda: tools.reader.ready(scene, 0), timeout=10000)
    assert not tools.set_weight("weight", (0, 0, 0, 0), 1.0)
    assert "groups" in tools.message.text()
    assert doc.scene is scene  # nothing changed
