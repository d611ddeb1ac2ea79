"""A block in the side panel: a group of rows that collapses, moves, duplicates and
deletes as one, and whose inner layers are edited in place; its maps and costs show."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from torch.utils.flop_counter import FlopCounterMode
from ui_helpers import wait_run

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_layer
from explorer.core.io.scene import InputSpec, Scene, load_scene, save_scene
from explorer.core.model.specs import default_spec
from explorer.ui.views.cost_view import COLUMNS

torch.set_num_threads(1)
VALUE = Qt.ItemDataRole.UserRole


@pytest.fixture
def window(make_window):
    return make_window(
        Scene(
            input=InputSpec(image="sample:rocket", size=24),
            layers=(
                default_spec("standard", out_channels=16),
                default_spec("pointwise", out_channels=8),
            ),
            seed=2,
        )
    )


def _texts(panel):
    return [panel.list.item(r).text() for r in range(panel.list.count())]


def test_mobilenet_v3_block_is_a_group_edited_inside(qtbot, window, tmp_path):
    doc, panel, editor = window.document, window.layer_panel, window.layer_editor
    doc.select(0)
    assert window.tools["weight_tools"].insert_block("mobilenet_v3", out_channels=16)
    block = doc.layers[1]
    assert block.kind == "block" and block.se and block.skip
    texts = _texts(panel)
    assert texts[2].startswith("2  ▾ block: 3 layers + SE + skip")
    assert [t.split()[0] for t in texts[3:8]] == ["2.1", "2.2", "SE", "2.3", "+"]
    assert texts[8].startswith("3  pointwise")

    # select the depthwise inside the block: the editor edits it in place
    panel.list.setCurrentRow(4)
    assert (doc.selected, doc.inner_selected) == (1, 1)
    assert "Layer 2.2 · depthwise (inside the block)" == editor.title.text()
    editor.controls["kernel_size"].setValue((5, 5))
    assert doc.layers[1].layers[1].kernel_size == (5, 5)
    assert doc.layers[1].uid == block.uid  # same layer, edited
    # 5×5 with padding 1 shrinks the map: the skip no longer fits, and says so
    err = window.controller.error
    assert err is not None and err.layer == 1 and err.field == "skip"
    editor.controls["padding"].setValue((2, 2))
    assert doc.layers[1].layers[1].padding == (2, 2)
    assert window.controller.error is None
    assert editor.formula_label.text()  # its formulas on the shape coming into it

    # maps: the block's output and, on request, each inner part
    wait_run(qtbot, window)
    result = window.controller.state.result(doc.layers[1])
    assert list(result.parts) == ["1.pointwise", "2.depthwise", "se", "3.pointwise", "add"]
    choices = [window.part_choice.itemText(i) for i in range(window.part_choice.count())]
    assert "se part" in choices and "add part" in choices
    panel.list.setCurrentRow(3)  # inner layer 2.1: the view follows to its part
    assert window.part_choice.currentData() == "1.pointwise"
    assert "Pointwise 1×1" in window.weight_view.title_text()  # the inner layer's weights
    panel.list.setCurrentRow(4)
    assert "Depthwise 5×5" in window.weight_view.title_text()
    cost = stack_cost(window.controller.input_image.shape, doc.layers)
    assert result.output.shape == cost.layers[1].output_shape
    assert np.isfinite(result.output).all()

    # collapse: one row; move, duplicate and delete as one
    panel.toggle_block(2)
    assert len(_texts(panel)) == 4 and "▸ block" in _texts(panel)[2]
    doc.select(1)
    panel.move_selected(+1)
    assert [s.kind for s in doc.layers] == ["standard", "pointwise", "block"]
    panel.duplicate_selected()
    assert [s.kind for s in doc.layers] == ["standard", "pointwise", "block", "block"]
    assert doc.layers[3] == doc.layers[2] and doc.layers[3].uid != doc.layers[2].uid
    panel.remove_selected()
    assert [s.kind for s in doc.layers] == ["standard", "pointwise", "block"]

    doc.select(2)
    panel.move_selected(-1)  # back where its skip fits (16 channels in and out)
    assert [s.kind for s in doc.layers] == ["standard", "block", "pointwise"]
    assert window.controller.error is None

    # save and reopen
    path = tmp_path / "v3.json"
    save_scene(doc.scene, path)
    assert load_scene(path).layers == doc.layers


def test_build_a_mobilenet_v3_block_from_scratch(qtbot, window, tmp_path):
    """Add ▸ block, then add, move and set its inner layers with the panel's own actions;
    its maps and exact costs show (checked against torch), and it is saved and reopened
    (the issue's "Done when")."""
    doc, panel, editor = window.document, window.layer_panel, window.layer_editor
    doc.select(0)  # 16 channels come out of layer 1
    panel.add_layer("block")  # a residual depthwise 3×3
    assert doc.layers[1].kind == "block" and doc.layers[1].skip
    panel.list.setCurrentRow(3)  # its inner depthwise
    assert (doc.selected, doc.inner_selected) == (1, 0)
    panel.add_layer("pointwise")  # inside the block, after the depthwise
    panel.move_selected(-1)  # ...and before it: the expand
    editor.controls["out_channels"].setValue(64)
    editor.controls["activation"].setCurrentIndex(
        editor.controls["activation"].findData("hardswish")
    )
    doc.select_inner(1, 1)  # the depthwise: hardswish too
    editor.controls["activation"].setCurrentIndex(
        editor.controls["activation"].findData("hardswish")
    )
    panel.add_layer("pointwise")  # the projection back to 16
    editor.controls["out_channels"].setValue(16)
    doc.select(1)  # the block itself: squeeze-excitation after the depthwise
    editor.controls["se"].setChecked(True)
    editor.controls["se_after"].setValue(2)
    block = doc.layers[1]
    assert [s.kind for s in block.layers] == ["pointwise", "depthwise", "pointwise"]
    assert [s.activation for s in block.layers] == ["hardswish", "hardswish", "none"]
    assert block.se and block.skip and block.se_after == 2
    wait_run(qtbot, window)
    result = window.controller.state.result(block)
    assert list(result.parts) == ["1.pointwise", "2.depthwise", "se", "3.pointwise", "add"]
    # remove inside, and undo it
    doc.select_inner(1, 2)
    panel.remove_selected()
    assert len(doc.layers[1].layers) == 2
    doc.undo()
    assert doc.layers[1] == block

    # its maps: the grid draws the block's output, as computed
    wait_run(qtbot, window)
    doc.select(1)
    window.show_selected()
    result = window.controller.state.result(doc.layers[1])
    tiles = dict(window.feature_grid.visible_image_items())
    assert tiles and result.output.shape[0] == 16
    for ch, item in tiles.items():
        np.testing.assert_allclose(np.array(item.image), result.output[ch], rtol=1e-6)
    # its exact costs on screen equal torch's own count of the same module
    x = torch.from_numpy(np.array(window.controller.state.result(doc.layers[0]).output))
    module = build_layer(doc.layers[1], 16, seed=doc.scene.seed, index=1).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as flops:
        module(x[None])
    table = window.cost_view.table
    params = sum(p.numel() for p in module.parameters())
    assert table.item(1, COLUMNS.index("params")).data(VALUE) == params
    assert table.item(1, COLUMNS.index("MACs")).data(VALUE) == flops.get_total_flops() // 2
    assert table.item(1, COLUMNS.index("kind")).text() == "block"

    # save, and reopen in the window: the same block, the same group, the same maps
    path = tmp_path / "v3-from-scratch.json"
    assert window.files.save_as(path)
    before = np.array(result.output)
    doc.select(0)
    doc.reset(Scene(input=doc.scene.input, layers=(default_spec("pointwise"),)))
    assert window.files.open_scene(path)
    assert doc.layers[1] == block and doc.path == path
    assert _texts(window.layer_panel)[2].startswith("2  ▾ block: 3 layers + SE + skip")
    wait_run(qtbot, window)
    np.testing.assert_array_equal(window.controller.state.result(doc.layers[1]).output, before)


def test_after_a_move_a_layer_never_shows_another_layers_maps(qtbot, make_window):
    window = make_window(
        Scene(
            input=InputSpec(image="sample:rocket", size=16),
            layers=(
                default_spec("pointwise", out_channels=4),
                default_spec("pointwise", out_channels=6),
            ),
        )
    )
    wait_run(qtbot, window)
    doc = window.document
    doc.select(0)
    doc.move_layer(0, 1)  # the 4-channel layer is now second; its rerun has not arrived
    window.show_selected()
    channels = [i for i, _ in window.feature_grid.visible_image_items()]
    assert window.controller.results[1].output.shape[0] == 6  # the old, index-keyed result
    assert max(channels, default=-1) < 4  # but the view shows the moved layer's own maps
