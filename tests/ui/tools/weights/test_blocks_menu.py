"""MobileNet blocks from the layer panel's Add ▾ menu and Layer ▸ Insert Block: inserted
after the selected layer in one undo step, with C_in from the layer before."""

from __future__ import annotations

import numpy as np
import pytest
from ui_helpers import wait_run

from explorer.core.analysis.costs import stack_cost
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.blocks import make_block
from explorer.core.model.specs import default_spec
from explorer.ui.tools.weights.block_menu import default_out_channels


@pytest.fixture
def window(make_window):
    return make_window(
        Scene(
            input=InputSpec(image="sample:rocket", size=32),
            layers=(
                default_spec("standard", out_channels=12),
                default_spec("pointwise", out_channels=5),
            ),
            seed=4,
        )
    )


def test_add_menu_and_layer_menu_offer_the_blocks(window):
    t = window.tools["weight_tools"]
    add = window.layer_panel.add_button.menu().actions()
    texts = [a.text() for a in add]
    assert texts[-4:] == [
        "",
        "MobileNetV1 block",
        "MobileNetV2 inverted residual",
        "MobileNetV3 block",
    ]
    assert add[-4].isSeparator()
    assert texts[:4] == ["standard", "pointwise", "depthwise", "separable"]
    assert [a.text() for a in t.blocks_menu.actions()] == texts[-3:]
    assert t.blocks_menu.menuAction() in window.actions.layer_menu.actions()


def test_v2_block_goes_after_the_selected_layer_in_one_undo_step(qtbot, window):
    t = window.tools["weight_tools"]
    doc = window.document
    doc.select(0)  # 12 channels come out of layer 1
    before = doc.scene
    assert t.insert_block("mobilenet_v2", out_channels=12)
    kinds = [s.kind for s in doc.layers]
    assert kinds == ["standard", "block", "pointwise"]  # one block: moves and deletes as one
    assert doc.layers[1:2] == tuple(make_block("mobilenet_v2", 12, 12))
    assert doc.layers[1].layers[0].out_channels == 72  # expand ×6 from the 12 coming in
    assert doc.layers[1].skip  # stride 1, 12 → 12: the residual add
    assert doc.selected == 1
    assert doc.undo_label == "insert MobileNetV2 block"
    wait_run(qtbot, window)
    shapes = [window.controller.results[i].output.shape for i in range(3)]
    cost = stack_cost(window.controller.input_image.shape, doc.layers)
    assert shapes == [tuple(layer.output_shape) for layer in cost.layers]
    parts = window.controller.results[1].parts
    assert list(parts) == ["1.pointwise", "2.depthwise", "3.pointwise", "add"]
    assert parts["1.pointwise"].shape[0] == 72 and shapes[1][0] == 12
    out = parts["2.depthwise"]
    assert np.all(out >= 0) and np.all(out <= 6)  # ReLU6 after the depthwise
    before_add = parts["3.pointwise"]
    block_in = window.controller.results[0].output
    np.testing.assert_allclose(parts["add"], before_add + block_in, rtol=1e-6, atol=1e-6)
    doc.undo()
    assert doc.scene == before


def test_v1_block_from_the_input_with_the_dialog(qtbot, window):
    t = window.tools["weight_tools"]
    doc = window.document
    doc.select(-1)
    t.block_actions["mobilenet_v1"].trigger()
    dialog = t.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.out_channels.value() == default_out_channels("mobilenet_v1", 3) == 16
    dialog.out_channels.setValue(24)
    dialog.stride.setValue(2)
    dialog.split.setChecked(True)
    dialog.accept()
    assert [s.kind for s in doc.layers[:2]] == ["depthwise", "pointwise"]
    assert doc.layers[0].stride == (2, 2) and doc.layers[1].out_channels == 24
    assert doc.undo_label == "insert MobileNetV1 block" and doc.selected == 0
    assert doc.layers[2:] == (
        default_spec("standard", out_channels=12),
        default_spec("pointwise", out_channels=5),
    )
    wait_run(qtbot, window)
    _, h, w = window.controller.input_image.shape
    assert window.controller.results[1].output.shape == (24, (h + 1) // 2, (w + 1) // 2)


def test_cancelled_dialog_and_bad_values_change_nothing(qtbot, window):
    t = window.tools["weight_tools"]
    doc = window.document
    before = doc.scene
    dialog = t.ask_block("mobilenet_v2")
    assert dialog.out_channels.value() == default_out_channels("mobilenet_v2", 12) == 12
    dialog.reject()
    assert doc.scene == before
    assert not t.insert_block("mobilenet_v2", out_channels=0)
    assert "out_channels" in t.message.text() and "MobileNetV2" in t.message.text()
    assert doc.scene == before
