"""Weight presets and hand edits in the window: the numbers the layer computes follow.

Each test drives the real window (menus, the weight view, the document) and checks the
layer's output against torch's ``F.conv2d`` with the weights it should now have.
"""

from __future__ import annotations

import json
import runpy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtCore import Qt
from ui_helpers import wait_run

from explorer.core.compute.build import build_stack
from explorer.core.compute.codegen import scene_code
from explorer.core.compute.run import quiet_same_padding
from explorer.core.io.inputs import resolve_input
from explorer.core.io.scene import InputSpec, Scene, load_scene, save_scene
from explorer.core.model.presets import GRAY_WEIGHTS, kernel_preset
from explorer.core.model.specs import InlineTensor, default_spec
from explorer.ui.tools.weights.weight_edit import cell_index
from explorer.ui.views.weight_view import WeightView

SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def scene_rgb() -> Scene:
    return Scene(
        input=InputSpec(image="sample:chelsea", size=40),
        layers=(
            default_spec("pointwise", out_channels=3),
            default_spec("depthwise"),
            default_spec("separable", out_channels=4),
        ),
        seed=5,
    )


@pytest.fixture
def window(make_window):
    return make_window(scene_rgb())


def tools(win):
    return win.tools["weight_tools"]


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, **kw) -> np.ndarray:
    with quiet_same_padding():
        out = F.conv2d(
            torch.from_numpy(np.array(x, np.float32))[None],
            torch.from_numpy(np.asarray(w, np.float32)),
            None if b is None else torch.from_numpy(np.asarray(b, np.float32)),
            **kw,
        )
    return out[0].numpy()


def inline(spec, target):
    source = dict(spec.weights)[target]
    assert isinstance(source, InlineTensor)
    return np.array(source.values).reshape(source.shape)


# ---------------------------------------------------------------------- presets
def test_rgb_to_gray_from_the_layer_menu_makes_every_channel_the_gray_image(qtbot, window):
    t = tools(window)
    window.document.select(0)
    titles = [a.text() for a in window.actions.layer_menu.actions()]
    assert "&Weights" in titles and "&Import Weights from Checkpoint…" in titles
    assert set(t.preset_actions) == {
        (None, n)
        for n in ("identity", "permutation", "rgb_to_gray", "rgb_to_yuv", "rgb_to_ycbcr", "random")
    }
    t.preset_actions[(None, "rgb_to_gray")].trigger()
    wait_run(qtbot, window)
    assert window.document.undo_label == "apply preset RGB → grayscale"
    x = window.controller.input_image
    gray = np.tensordot(np.array(GRAY_WEIGHTS), x, axes=1)
    out = window.controller.results[0].output
    for ch in range(3):
        np.testing.assert_allclose(out[ch], gray, atol=1e-5)
    shown = dict(window.feature_grid.visible_image_items())
    np.testing.assert_allclose(np.asarray(shown[0].image), gray, atol=1e-5)
    # the weight view shows the new 3×3 matrix
    matrix = window.weight_view.image_items()["weight"].image
    np.testing.assert_allclose(matrix, np.tile(GRAY_WEIGHTS, (3, 1)), atol=1e-6)
    # one undo step back to the seeded weights
    window.document.undo()
    wait_run(qtbot, window)
    assert window.document.layers[0].weights == ()
    assert not np.allclose(window.controller.results[0].output[0], gray, atol=1e-3)


def test_sobel_x_on_depthwise_filters_each_channel(qtbot, window):
    t = tools(window)
    window.document.select(1)
    assert (None, "sobel_x") in t.preset_actions and (None, "rgb_to_gray") not in t.preset_actions
    t.preset_actions[(None, "sobel_x")].trigger()
    wait_run(qtbot, window)
    assert window.document.undo_label == "apply preset Sobel x"
    spec = window.document.layers[1]
    np.testing.assert_array_equal(inline(spec, "weight")[:, 0], np.stack([SOBEL_X] * 3))
    res = window.controller.results
    expected = conv(
        res[0].output, np.stack([SOBEL_X[None]] * 3), np.zeros(3), padding="same", groups=3
    )
    np.testing.assert_allclose(res[1].output, expected, atol=1e-4)
    mosaic = window.weight_view.image_items()["weight"].image
    np.testing.assert_allclose(mosaic[:3, :3], SOBEL_X)


def test_separable_offers_both_parts_and_each_lands_on_its_part(qtbot, window):
    t = tools(window)
    window.document.select(2)
    assert ("pointwise", "rgb_to_gray") in t.preset_actions
    assert ("depthwise", "laplacian") in t.preset_actions
    t.preset_actions[("depthwise", "identity")].trigger()
    t.preset_actions[("pointwise", "identity")].trigger()
    wait_run(qtbot, window)
    # two presets in quick succession stay two undo steps
    assert window.document.undo_labels[-2:] == ["apply preset Identity"] * 2
    res = window.controller.results
    x = res[1].output
    np.testing.assert_allclose(res[2].output[:3], x, atol=1e-5)  # identity ∘ identity
    np.testing.assert_allclose(res[2].output[3], 0.0, atol=1e-6)  # a 4th output reads nothing


def test_a_preset_that_does_not_fit_says_why_and_changes_nothing(qtbot, window):
    t = tools(window)
    window.document.replace_layer(0, default_spec("pointwise", out_channels=5))
    wait_run(qtbot, window)
    window.document.select(0)
    before, labels = window.document.scene, window.document.undo_labels
    t.preset_actions[(None, "rgb_to_yuv")].trigger()
    assert window.document.scene == before and window.document.undo_labels == labels
    text = t.message.text()
    assert "RGB → YUV does not fit layer 1 (pointwise)" in text and "3 output channels" in text
    assert "5" in text
    assert window.statusBar().currentMessage() == text
    assert t.apply_preset("sobel_x") is False
    assert "k×k kernel preset" in t.message.text()
    window.document.select(-1)
    assert t.apply_preset("identity") is False and "select a layer" in t.message.text()
    assert window.document.scene == before


def test_random_is_seeded_and_reset_returns_to_the_scene_init(qtbot, window):
    t = tools(window)
    window.document.select(1)
    seeded = window.controller.results[1].weights["weight"].copy()
    assert not t.reset_action.isEnabled()
    t.preset_actions[(None, "random")].trigger()
    first = inline(window.document.layers[1], "weight")
    window.document.undo()
    t.apply_preset("random")
    np.testing.assert_array_equal(inline(window.document.layers[1], "weight"), first)
    bound = 1 / np.sqrt(9)  # Kaiming uniform: ±1/√fan_in, fan_in = 1·3·3
    assert np.abs(first).max() <= bound and np.abs(first).max() > 0.5 * bound
    assert t.reset_action.isEnabled()
    t.reset_action.trigger()
    assert window.document.layers[1].weights == ()
    assert window.document.undo_label == "reset weights to seeded random"
    wait_run(qtbot, window)
    np.testing.assert_array_equal(window.controller.results[1].weights["weight"], seeded)


# ---------------------------------------------------------------------- cell mapping
def _check_mapping(view: WeightView, spec, weights: dict[str, np.ndarray]) -> None:
    for key, item in view.image_items().items():
        image = item.image
        seen = set()
        for r, c in np.ndindex(image.shape):
            index = cell_index(spec, key, weights[key].shape, image.shape, r, c)
            if np.isnan(image[r, c]):
                assert index is None, (key, r, c)
                continue
            assert index is not None, (key, r, c)
            assert weights[key][index] == image[r, c], (key, r, c, index)
            seen.add(index)
        assert len(seen) == weights[key].size, key  # every weight drawn once


@pytest.mark.parametrize(
    "spec, c_in",
    [
        (default_spec("pointwise", out_channels=5), 3),
        (default_spec("depthwise", multiplier=2, kernel_size=(3, 2)), 10),
        (default_spec("standard", out_channels=6, groups=2, kernel_size=3), 4),
        (default_spec("standard", out_channels=4, kernel_size=1), 3),
        (default_spec("separable", out_channels=3, kernel_size=5), 9),
    ],
)
def test_cell_index_finds_the_weight_drawn_at_every_pixel(qtbot, rng, spec, c_in):
    from explorer.core.model.presets import target_shapes

    weights = {
        k: rng.standard_normal(s).astype(np.float32) for k, s in target_shapes(spec, c_in).items()
    }
    view = WeightView()
    qtbot.addWidget(view)
    view.set_layer(spec.kind, weights, in_channels=c_in)
    _check_mapping(view, spec, weights)


# ---------------------------------------------------------------------- hand edits
def _double_click(qtbot, panel, row, col):
    view = panel.view
    point = view.mapFromScene(panel.scene_pos_of(row, col))
    # what a mouse sends: press, release, double-click, release (QTest's mouseDClick
    # sends only the double-click; pyqtgraph reports it when the button is released)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_double_click_a_matrix_cell_and_type_a_value(qtbot, window):
    t = tools(window)
    window.document.select(0)
    t.apply_preset("identity")
    wait_run(qtbot, window)
    qtbot.waitUntil(lambda: "weight" in window.weight_view.panels())
    panel = window.weight_view.panels()["weight"]
    _double_click(qtbot, panel, 2, 0)  # W[c=2, c'=0]
    editor = t.editor
    assert editor is not None and editor.isVisible()
    assert editor.value() == 0.0
    editor.lineEdit().selectAll()
    qtbot.keyClicks(editor.lineEdit(), "0.5")
    qtbot.keyClick(editor.lineEdit(), Qt.Key.Key_Return)
    assert window.document.undo_label == "edit weight weight[2, 0, 0, 0]"
    expected = np.eye(3)
    expected[2, 0] = 0.5
    np.testing.assert_allclose(inline(window.document.layers[0], "weight")[:, :, 0, 0], expected)
    wait_run(qtbot, window)
    x = window.controller.input_image
    np.testing.assert_allclose(window.controller.results[0].output[2], x[2] + 0.5 * x[0], atol=1e-5)


def test_double_click_a_kernel_tap_edits_that_tap_and_esc_cancels(qtbot, window):
    t = tools(window)
    window.document.select(1)
    t.apply_preset("box_blur")
    wait_run(qtbot, window)
    panel = window.weight_view.panels()["weight"]
    hit = t.cell_at(panel, panel.scene_pos_of(2, 1 + 4))  # kernel 1 (gap 1), row 2, col 1
    assert hit == ("weight", (1, 0, 2, 1))
    before = window.document.scene
    editor = t.open_cell_editor(*hit)
    assert editor.value() == pytest.approx(1 / 9, abs=1e-4)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert window.document.scene == before
    editor = t.open_cell_editor(*hit)
    editor.setValue(-2.0)
    editor.editingFinished.emit()
    w = inline(window.document.layers[1], "weight")
    assert w[1, 0, 2, 1] == -2.0 and np.count_nonzero(w == -2.0) == 1
    wait_run(qtbot, window)
    res = window.controller.results
    np.testing.assert_allclose(
        res[1].output, conv(res[0].output, w, np.zeros(3), padding="same", groups=3), atol=1e-4
    )
    assert t.cell_at(panel, panel.scene_pos_of(3, 0)) is None  # the gap row


def test_table_dialog_edits_with_the_keyboard_and_refuses_text(qtbot, window):
    t = tools(window)
    window.document.select(0)
    dialog = t.edit_table()
    qtbot.addWidget(dialog)
    assert dialog.current_target() == "weight" and dialog.table.rowCount() == 3
    seeded = window.controller.results[0].weights["weight"][:, :, 0, 0]
    assert float(dialog.cell(1, 2).text()) == pytest.approx(seeded[1, 2], rel=1e-5)
    dialog.cell(1, 2).setText("abc")
    assert "not a finite number" in dialog.message.text()
    dialog.cell(1, 2).setText("3.25")
    dialog.table.setCurrentCell(1, 2)
    assert dialog.apply()
    assert window.document.undo_label == "edit weight"
    got = inline(window.document.layers[0], "weight")[:, :, 0, 0]
    assert got[1, 2] == 3.25
    np.testing.assert_allclose(np.delete(got.ravel(), 5), np.delete(seeded.ravel(), 5), rtol=1e-6)
    # kernels: pick output channel 2 of the depthwise layer
    window.document.select(1)
    dialog = t.edit_table()
    qtbot.addWidget(dialog)
    dialog.out_channel.setValue(2)
    dialog.cell(0, 0).setText("7")
    assert dialog.apply()
    assert inline(window.document.layers[1], "weight")[2, 0, 0, 0] == 7.0


# ---------------------------------------------------------------------- saved with the scene
def test_edited_weights_save_reload_and_generate_matching_code(qtbot, window, tmp_path):
    t = tools(window)
    window.document.select(0)
    t.apply_preset("rgb_to_ycbcr")
    t.set_weight("weight", (1, 1, 0, 0), 0.25)
    window.document.select(1)
    t.apply_preset("sobel_y")
    wait_run(qtbot, window)
    outputs = [window.controller.results[i].output.copy() for i in range(3)]
    path = tmp_path / "edited.json"
    save_scene(window.document.scene, path)
    data = json.loads(path.read_text())
    assert data["layers"][0]["weights"]["weight"][1] == pytest.approx([-0.168736, 0.25, 0.5])
    assert data["layers"][0]["weights"]["bias"] == [0.0, 0.5, 0.5]
    assert len(data["layers"][1]["weights"]["weight"]) == 3  # (3, 1, 3, 3) nested
    loaded = load_scene(path)
    assert loaded.layers == window.document.scene.layers
    window.document.reset(loaded, path)
    wait_run(qtbot, window)
    for i in range(3):
        np.testing.assert_array_equal(window.controller.results[i].output, outputs[i])
    # the generated script carries the same weights
    image = resolve_input(loaded.input, seed=loaded.seed)
    script = tmp_path / "stack.py"
    script.write_text(scene_code(loaded, image.shape), encoding="utf-8")
    module = runpy.run_path(str(script), run_name="generated")
    with torch.no_grad(), quiet_same_padding():
        y = module["ConvStack"]().eval()(torch.from_numpy(image)[None])[0].numpy()
        ref = build_stack(loaded.layers, 3, seed=loaded.seed)(torch.from_numpy(image)[None])
    np.testing.assert_allclose(y, outputs[2], atol=1e-5)
    np.testing.assert_allclose(y, ref[0].numpy(), atol=1e-6)
    ycbcr = outputs[0]
    np.testing.assert_allclose(
        ycbcr[2], 0.5 * image[0] - 0.418688 * image[1] - 0.081312 * image[2] + 0.5, atol=1e-5
    )
    k = kernel_preset("sobel_y", 3)
    np.testing.assert_allclose(
        outputs[1],
        conv(ycbcr, np.stack([k[None]] * 3), np.zeros(3), padding="same", groups=3),
        atol=1e-4,
    )


def test_context_menu_of_the_weight_view_is_the_weights_menu(qtbot, window, monkeypatch):
    t = tools(window)
    window.document.select(1)
    shown = []  # the offscreen platform warns when a popup really opens: record it instead
    monkeypatch.setattr(t.weights_menu, "popup", lambda pos: shown.append(pos))
    panel = window.weight_view.panels()["weight"]
    view = panel.view
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.RightButton, pos=view.mapFromScene(panel.scene_pos_of(0, 0))
    )
    assert len(shown) == 1
    texts = [a.text() for a in t.weights_menu.actions()]
    assert "Sobel x" in texts and "&Edit Weights…" in texts
    assert "Reset to Seeded Random" in " ".join(texts).replace("&", "")
    assert t.presets_button.menu() is t.weights_menu
