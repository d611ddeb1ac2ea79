"""The real main window, driven through the document, the panels and the actions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QMessageBox
from ui_helpers import wait_run

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_stack
from explorer.core.io.images import load_image
from explorer.core.io.inputs import resolve_input
from explorer.core.io.samples import sample_path
from explorer.core.io.scene import InputSpec, Scene, load_scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

Button = QMessageBox.StandardButton


def scene_64() -> Scene:
    return Scene(
        input=InputSpec(image="sample:chelsea", size=48),
        layers=(
            default_spec("standard", out_channels=6),
            default_spec("pointwise", out_channels=4),
        ),
        seed=3,
    )


@pytest.fixture
def window(make_window):
    return make_window(scene_64())


def torch_outputs(scene: Scene) -> list[np.ndarray]:
    """Each layer's output, computed here with torch directly (not through run_stack)."""
    image = resolve_input(scene.input, seed=scene.seed)
    stack = build_stack(scene.layers, image.shape[0], seed=scene.seed)
    x = torch.from_numpy(image)[None]
    outs = []
    with torch.no_grad():
        for layer in stack:
            x = layer(x)
            outs.append(x[0].numpy().copy())
    return outs


def shown_maps(win) -> dict[int, np.ndarray]:
    return {ch: np.asarray(item.image) for ch, item in win.feature_grid.visible_image_items()}


def assert_grid_shows(win, expected: np.ndarray) -> None:
    shown = shown_maps(win)
    assert shown, "no feature map drawn"
    for ch, data in shown.items():
        np.testing.assert_allclose(data, expected[ch], rtol=1e-5, atol=1e-5)


def test_feature_maps_equal_torch(qtbot, window):
    outs = torch_outputs(window.document.scene)
    for index in (0, 1):
        window.document.select(index)
        assert_grid_shows(window, outs[index])
    assert len(window.feature_grid.visible_image_items()) == 4
    window.document.select(-1)
    assert_grid_shows(window, resolve_input(window.document.scene.input))
    assert window.device_label.text() == "device: cpu"
    assert (
        window.status_text.text().startswith("forward ")
        and "ms on cpu" in window.status_text.text()
    )


def cost_table_numbers(win) -> list[list[float]]:
    table = win.cost_view.table
    rows = []
    for r in range(table.rowCount()):
        rows.append([table.item(r, c).data(Qt.ItemDataRole.UserRole) for c in (3, 4, 5)])
    return rows


def test_cost_labels_equal_cost_model(qtbot, window):
    doc = window.document
    shape = resolve_input(doc.scene.input).shape
    expected = stack_cost(shape, doc.layers)
    rows = cost_table_numbers(window)
    assert rows == [[c.params, c.macs, c.flops] for c in expected.layers] + [
        [expected.params, expected.macs, expected.flops]
    ]
    # The costs follow an edit in a later pass (window.cost_pass: after its maps, ≤ 0.1 s).
    doc.replace_layer(1, doc.layers[1].with_changes(out_channels=64))
    expected = stack_cost(shape, doc.layers)
    row = [expected.layers[1].params, expected.layers[1].macs, expected.layers[1].flops]
    qtbot.waitUntil(lambda: cost_table_numbers(window)[1] == row, timeout=2000)
    assert expected.layers[1].params == 6 * 64 + 64
    wait_run(qtbot, window)
    # Warm measured times arrive after the run; clicking a cost row selects the layer.
    timer = window.tools["layer_timing"]
    qtbot.waitUntil(lambda: not timer.busy and len(timer.timings) == 2, timeout=60000)
    assert window.cost_view.table.item(0, 6).data(Qt.ItemDataRole.UserRole) > 0
    window.cost_view.table.cellClicked.emit(1, 0)
    assert doc.selected == 1


def test_pointwise_weight_matrix_equals_torch(qtbot, window):
    scene = window.document.scene
    stack = build_stack(scene.layers, 3, seed=scene.seed)
    weight = stack[1][0].weight.detach().numpy()  # (C_out, C_in, 1, 1)
    window.document.select(1)
    items = window.weight_view.image_items()
    np.testing.assert_allclose(np.asarray(items["weight"].image), weight[:, :, 0, 0], rtol=1e-6)


def test_edits_through_panels_rerun(qtbot, window):
    doc = window.document
    doc.select(0)
    window.layer_panel.add_actions["separable"].trigger()
    assert [s.kind for s in doc.layers] == ["standard", "separable", "pointwise"]
    assert doc.selected == 1
    window.layer_editor.controls["out_channels"].setValue(5)
    assert doc.layers[1].out_channels == 5
    wait_run(qtbot, window)
    outs = torch_outputs(doc.scene)
    assert_grid_shows(window, outs[1])
    # A separable layer offers its parts; the depthwise part keeps the 6 channels.
    assert not window.part_choice.isHidden()
    window.part_choice.setCurrentIndex(window.part_choice.findData("depthwise"))
    assert len(window.feature_grid.visible_image_items()) == 6
    window.layer_panel.move_down_action.trigger()
    assert [s.kind for s in doc.layers] == ["standard", "pointwise", "separable"]
    window.layer_panel.remove_action.trigger()
    assert [s.kind for s in doc.layers] == ["standard", "pointwise"]
    wait_run(qtbot, window)
    doc.select(1)
    assert_grid_shows(window, torch_outputs(doc.scene)[1])


def test_invalid_edit_shows_error_keeps_results(qtbot, window):
    doc = window.document
    doc.select(0)
    before = shown_maps(window)
    started = []
    window.controller.run_started.connect(started.append)
    window.layer_editor.controls["groups"].setValue(2)  # 3 input channels: not divisible
    assert doc.layers[0].groups == 2
    assert "groups" in window.layer_editor.error_label.text()
    assert window.layer_editor.error_label.isVisibleTo(window)
    qtbot.wait(150)
    assert started == []
    after = shown_maps(window)
    assert after.keys() == before.keys()
    for ch in before:
        np.testing.assert_array_equal(after[ch], before[ch])
    # Undo through the Edit menu fixes it and the error goes away.
    assert window.actions.undo.text() == "&Undo change groups"
    window.actions.undo.trigger()
    assert doc.layers[0].groups == 1
    assert not window.layer_editor.error_label.isVisibleTo(window)
    wait_run(qtbot, window)


def test_undo_redo_actions_and_dirty_title(qtbot, window, tmp_path):
    doc = window.document
    assert not window.actions.undo.isEnabled()
    assert window.windowTitle() == "Conv Explorer — untitled[*]"
    assert not window.isWindowModified()
    doc.replace_layer(0, doc.layers[0].with_changes(kernel_size=5))
    assert window.isWindowModified()
    assert window.actions.undo.text() == "&Undo change kernel_size"
    window.actions.undo.trigger()
    assert doc.layers[0].kernel_size == (3, 3) and not window.isWindowModified()
    assert window.actions.redo.text() == "&Redo change kernel_size"
    window.actions.redo.trigger()
    assert doc.layers[0].kernel_size == (5, 5)
    wait_run(qtbot, window)
    doc.select(0)
    assert_grid_shows(window, torch_outputs(doc.scene)[0])


def test_save_and_open_scene(qtbot, window, tmp_path):
    doc = window.document
    path = tmp_path / "mine"
    assert window.files.save_as(path)
    saved = tmp_path / "mine.json"
    assert load_scene(saved) == doc.scene
    assert window.windowTitle() == "Conv Explorer — mine.json[*]"
    assert not window.isWindowModified()
    assert window.settings.recent_files()[0] == saved.resolve()
    assert window.actions.recent_menu.actions()[0].text().endswith("mine.json")
    doc.replace_layer(1, doc.layers[1].with_changes(out_channels=9))
    assert window.isWindowModified()
    # Open it again, discarding the change: back to the saved scene, clean.
    assert window.files.open_scene(saved)
    assert doc.layers[1].out_channels == 4 and not doc.dirty and doc.path == saved.resolve()
    # Cancel keeps the unsaved edit and the document.
    doc.replace_layer(1, doc.layers[1].with_changes(out_channels=7))
    window.files.ask_save = lambda: Button.Cancel
    assert not window.files.open_scene(saved)
    assert doc.layers[1].out_channels == 7
    window.files.ask_save = lambda: Button.Discard
    wait_run(qtbot, window)


def test_bad_files_are_reported_document_unchanged(qtbot, window, tmp_path):
    doc = window.document
    scene_before = doc.scene
    bad_scene = tmp_path / "bad.json"
    bad_scene.write_text("{not json")
    assert not window.files.open_scene(bad_scene)
    assert doc.scene == scene_before
    box = window.files.error_box
    assert box is not None and box.isVisible() and "bad.json" in box.text()
    box.close()
    bad_image = tmp_path / "bad.png"
    bad_image.write_bytes(b"not an image at all")
    assert not window.files.open_image(bad_image)
    assert doc.scene == scene_before
    assert "bad.png" in window.files.error_box.text()
    window.files.error_box.close()
    assert not window.files.open_scene(tmp_path / "missing.json")
    assert doc.scene == scene_before
    window.files.error_box.close()


def drop(win, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dropEvent(event)


def test_drop_image_and_scene(qtbot, window, tmp_path):
    doc = window.document
    image_file = tmp_path / "coffee.jpg"
    image_file.write_bytes(sample_path("coffee").read_bytes())
    with qtbot.waitSignal(window.files.images.finished, timeout=10000):
        drop(window, image_file)  # checked on a worker
    assert doc.scene.input.image == str(image_file.resolve())
    wait_run(qtbot, window)
    doc.select(-1)
    assert_grid_shows(window, load_image(image_file, size=48))
    scene_file = tmp_path / "other.json"
    from explorer.core.io.scene import save_scene

    other = Scene(input=InputSpec(shape=(2, 12, 12)), layers=(default_spec("depthwise"),))
    save_scene(other, scene_file)
    drop(window, scene_file)  # read on a worker (scene_loader): it arrives a moment later
    qtbot.waitUntil(lambda: doc.path == scene_file.resolve(), timeout=10000)
    assert doc.scene == load_scene(scene_file)
    wait_run(qtbot, window)
    doc.select(0)
    assert_grid_shows(window, torch_outputs(doc.scene)[0])


def test_paste_image_from_clipboard(qtbot, window):
    image = QImage(20, 10, QImage.Format.Format_RGB32)
    image.fill(0xFF336699)
    QApplication.clipboard().setImage(image)
    before = window.document.scene
    with qtbot.waitSignal(window.files.images.finished, timeout=10000):
        window.actions.paste_image.trigger()  # encoded and checked on a worker
        assert window.document.scene is before
    path = window.document.scene.input.image
    assert path and "pasted" in path
    wait_run(qtbot, window)
    window.document.select(-1)
    shown = shown_maps(window)
    np.testing.assert_allclose(shown[0], np.full((10, 20), 0x33 / 255), atol=1e-6)
    np.testing.assert_allclose(shown[2], np.full((10, 20), 0x99 / 255), atol=1e-6)


def test_close_asks_and_cancel_keeps_window(qtbot, window):
    doc = window.document
    doc.replace_layer(0, doc.layers[0].with_changes(out_channels=2))
    window.files.ask_save = lambda: Button.Cancel
    window.close()
    assert window.isVisible() and not window._closed
    window.files.ask_save = lambda: Button.Discard
    window.close()
    assert not window.isVisible() and window._closed
    assert not window.controller.worker_running
    assert window.settings.qsettings.value("window/state") is not None
