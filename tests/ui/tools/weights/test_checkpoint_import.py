"""Layer ▸ Import Weights from Checkpoint: real checkpoints written with ``torch.save``,
imported into the window; the layer then computes ``F.conv2d`` with those tensors, the
scene saves a reference to the file, and a pickle that would run code never runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from ui_helpers import wait_run

from explorer.cli import main as cli_main
from explorer.core.compute.run import quiet_same_padding
from explorer.core.errors import CheckpointError
from explorer.core.io.scene import InputSpec, Scene, load_scene, save_scene
from explorer.core.model.specs import CheckpointTensor, default_spec
from explorer.ui.tools.weights.checkpoint_dialog import CheckpointImportDialog, layer_from_tensor


class RunsCode:
    """Unpickling this makes a folder: the proof that code in a checkpoint ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.fixture
def window(make_window):
    return make_window(
        Scene(
            input=InputSpec(image="sample:coffee", size=40),
            layers=(default_spec("pointwise", out_channels=8), default_spec("depthwise")),
            seed=2,
        )
    )


def conv(x, w, b=None, **kw) -> np.ndarray:
    with quiet_same_padding():
        return F.conv2d(torch.tensor(np.array(x))[None], w, b, **kw)[0].numpy()


@pytest.fixture
def checkpoint(tmp_path) -> tuple[Path, dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(7)
    state = {
        "stem.weight": torch.randn(16, 3, 3, 3, generator=g),
        "mix.weight": torch.randn(8, 3, 1, 1, generator=g),
        "mix.bias": torch.randn(8, generator=g),
        "dw.weight": torch.randn(8, 1, 3, 3, generator=g),
        "dw.bias": torch.randn(8, generator=g),
        "fc.weight": torch.randn(10, 8, generator=g),
        "steps": torch.tensor(1000),
    }
    path = tmp_path / "ckpt" / "model.pt"
    path.parent.mkdir()
    torch.save({"state_dict": state, "epoch": 3}, path)
    return path, state


def test_dialog_highlights_fitting_tensors_and_import_computes_conv2d(qtbot, window, checkpoint):
    path, state = checkpoint
    t = window.tools["weight_tools"]
    window.document.select(0)  # pointwise 3 → 8: weight (8, 3, 1, 1), bias (8,)
    dialog = t.open_import_dialog(path)
    qtbot.addWidget(dialog)
    assert dialog.fitting_rows() == ["mix.weight", "mix.bias", "dw.bias"]
    assert dialog.table.rowCount() == len(state)
    shapes = {
        dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
        for r in range(dialog.table.rowCount())
    }
    assert shapes["stem.weight"] == "[16, 3, 3, 3]" and shapes["fc.weight"] == "[10, 8]"
    # the bias next to the chosen weight, not merely the first that fits
    assert dialog.choices() == {"weight": "mix.weight", "bias": "mix.bias"}
    dialog.accept()
    spec = window.document.layers[0]
    resolved = str(path.resolve())
    assert spec.weights == (
        ("weight", CheckpointTensor(resolved, "mix.weight")),
        ("bias", CheckpointTensor(resolved, "mix.bias")),
    )
    assert window.document.undo_label == "import weights from model.pt"
    wait_run(qtbot, window)
    x = window.controller.input_image
    expected = conv(x, state["mix.weight"], state["mix.bias"])
    np.testing.assert_allclose(window.controller.results[0].output, expected, atol=1e-5)
    np.testing.assert_array_equal(
        window.weight_view.image_items()["weight"].image, state["mix.weight"][:, :, 0, 0].numpy()
    )


def test_keep_current_for_one_target(qtbot, window, checkpoint):
    path, state = checkpoint
    t = window.tools["weight_tools"]
    window.document.select(0)
    seeded_bias = window.controller.results[0].weights["bias"].copy()
    dialog = t.open_import_dialog(path)
    qtbot.addWidget(dialog)
    dialog.combo("bias").setCurrentIndex(0)  # (keep current)
    dialog.accept()
    wait_run(qtbot, window)
    assert [target for target, _ in window.document.layers[0].weights] == ["weight"]
    np.testing.assert_array_equal(window.controller.results[0].weights["bias"], seeded_bias)


def test_a_pickle_that_runs_code_is_refused_and_never_runs(qtbot, window, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    torch.save({"weight": torch.zeros(8, 3, 1, 1), "payload": RunsCode(marker)}, evil)
    # the test can fail: a plain (unsafe) load of this file does run the code
    control = tmp_path / "control"
    torch.save({"payload": RunsCode(control)}, tmp_path / "control.pth")
    torch.load(tmp_path / "control.pth", weights_only=False)
    assert control.exists()

    t = window.tools["weight_tools"]
    window.document.select(0)
    before = window.document.scene
    assert t.open_import_dialog(evil) is None
    assert t.import_weights(evil) is False
    assert not marker.exists()
    text = t.message.text()
    assert text.startswith(f"checkpoint {evil}") and "refused" in text and "never run" in text
    assert "\n" not in text and window.statusBar().currentMessage() == text
    assert window.document.scene == before


def test_a_file_that_does_not_fit_names_the_file_and_the_shapes(qtbot, window, tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"conv.weight": torch.zeros(16, 3, 3, 3), "fc.weight": torch.zeros(10, 16)}, path)
    t = window.tools["weight_tools"]
    window.document.select(0)
    before = window.document.scene
    assert t.import_weights(path) is False
    text = t.message.text()
    assert "other.pth" in text and "layer 1 (pointwise)" in text
    assert "weight [8, 3, 1, 1]" in text and "conv.weight [16, 3, 3, 3]" in text
    dialog = t.open_import_dialog(path)
    qtbot.addWidget(dialog)
    assert dialog.fitting_rows() == [] and not dialog.use_button.isEnabled()
    assert "no tensor fits" in dialog.message.text()
    dialog.reject()
    # an explicit wrong choice is refused too
    assert t.import_weights(path, {"weight": "conv.weight"}) is False
    assert (
        "tensor 'conv.weight' has shape [16, 3, 3, 3], but weight of layer 1 (pointwise) "
        "needs [8, 3, 1, 1]"
    ) in t.message.text()
    assert window.document.scene == before
    assert t.import_weights(tmp_path / "missing.pt") is False
    assert "no such file" in t.message.text()


def test_saved_scene_keeps_a_relative_reference_and_reopens_identically(
    qtbot, window, checkpoint, tmp_path, capsys
):
    path, state = checkpoint
    t = window.tools["weight_tools"]
    window.document.select(0)
    assert t.import_weights(path)
    window.document.select(1)
    assert t.import_weights(path, {"weight": "dw.weight", "bias": "dw.bias"})
    wait_run(qtbot, window)
    before = [window.controller.results[i].output.copy() for i in range(2)]
    x = window.controller.input_image
    mid = conv(x, state["mix.weight"], state["mix.bias"])
    np.testing.assert_allclose(
        before[1],
        conv(mid, state["dw.weight"], state["dw.bias"], padding="same", groups=8),
        atol=1e-4,
    )
    scene_path = tmp_path / "scene.json"
    save_scene(window.document.scene, scene_path)
    data = json.loads(scene_path.read_text())
    assert data["layers"][0]["weights"] == {
        "weight": {"checkpoint": "ckpt/model.pt", "key": "mix.weight"},
        "bias": {"checkpoint": "ckpt/model.pt", "key": "mix.bias"},
    }
    loaded = load_scene(scene_path)
    assert loaded == window.document.scene
    window.document.reset(Scene(layers=(default_spec("pointwise", out_channels=2),)), None)
    wait_run(qtbot, window)
    window.document.reset(loaded, scene_path)
    wait_run(qtbot, window)
    for i in range(2):
        np.testing.assert_array_equal(window.controller.results[i].output, before[i])
    # the command line honours the reference
    assert cli_main(["stats", str(scene_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["params"] == 8 * 3 + 8 + 8 * 9 + 8


def test_create_layer_from_tensor_inserts_the_matching_layer(qtbot, window, checkpoint):
    path, state = checkpoint
    t = window.tools["weight_tools"]
    window.document.select(-1)  # after the input: 3 channels come in
    dialog = t.open_import_dialog(path)
    qtbot.addWidget(dialog)
    dialog.select_key("fc.weight")
    assert not dialog.create_button.isEnabled() and "not a 4-D" in dialog.message.text()
    dialog.select_key("stem.weight")
    assert dialog.create_button.isEnabled()
    dialog.create_button.click()
    assert dialog.result() == CheckpointImportDialog.CREATE
    layers = window.document.layers
    assert [s.kind for s in layers] == ["standard", "pointwise", "depthwise"]
    assert window.document.selected == 0
    assert window.document.undo_label == "create standard layer from stem.weight"
    new = layers[0]
    assert (new.out_channels, new.kernel_size, new.groups, new.bias) == (16, (3, 3), 1, False)
    wait_run(qtbot, window)
    expected = conv(window.controller.input_image, state["stem.weight"], padding="same")
    np.testing.assert_allclose(window.controller.results[0].output, expected, atol=1e-4)
    # after the 8-channel pointwise (now layer 2): a (8, 1, 3, 3) weight is depthwise + bias
    window.document.select(1)
    assert t.create_layer_from_tensor(path, "dw.weight")
    spec = window.document.layers[2]
    assert spec.kind == "depthwise" and spec.bias and spec.multiplier == 1
    assert dict(spec.weights)["bias"].key == "dw.bias"
    assert not t.create_layer_from_tensor(path, "fc.weight")
    assert "4 dimensions" in t.message.text()


def test_layer_from_tensor_rules(tmp_path):
    state = {
        "pw": torch.zeros(6, 4, 1, 1),
        "dw2": torch.zeros(8, 1, 5, 5),
        "grouped.weight": torch.zeros(6, 2, 3, 3),
        "grouped.bias": torch.zeros(6),
        "odd": torch.zeros(5, 3, 3, 3),
    }
    path = tmp_path / "m.pt"
    pw = layer_from_tensor(state, "pw", 4, path)
    assert (pw.kind, pw.out_channels, pw.bias) == ("pointwise", 6, False)
    dw = layer_from_tensor(state, "dw2", 4, path)
    assert (dw.kind, dw.multiplier, dw.kernel_size) == ("depthwise", 2, (5, 5))
    grouped = layer_from_tensor(state, "grouped.weight", 4, path)
    assert (grouped.kind, grouped.groups, grouped.bias) == ("standard", 2, True)
    assert dict(grouped.weights)["bias"] == CheckpointTensor(str(path.resolve()), "grouped.bias")
    with pytest.raises(
        CheckpointError,
        match=r"m\.pt: tensor 'odd' of shape \[5, 3, 3, 3\] "
        r"cannot take 4 input channels",
    ):
        layer_from_tensor(state, "odd", 4, path)
