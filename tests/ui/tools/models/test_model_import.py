"""File ▸ Open Model… and dropped model files: the import runs on a worker, a dialog
chooses layers/size/range, and any error keeps the stack as it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ui_helpers import wait_run

from explorer.core.io.scene import Scene
from explorer.core.model.specs import default_spec

ROOT = Path(__file__).resolve().parents[4]
OCR = ROOT / "assets" / "models" / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
FACE = ROOT / "assets" / "models" / "face_detection_short_range.tflite"


def _start() -> Scene:
    return Scene(layers=(default_spec("standard", out_channels=4),))


def _dialog(qtbot, tool):
    qtbot.waitUntil(lambda: tool.dialog is not None and tool.dialog.isVisible(), timeout=20000)
    return tool.dialog


def test_open_model_dialog_then_stack(qtbot, make_window):
    win = make_window(_start())
    tool = win.tools["model_import"]
    assert tool.action in win.actions.file_menu.actions()
    tool.open_model(OCR)
    dialog = _dialog(qtbot, tool)
    assert dialog.probe.dynamic and dialog.layers.maximum() >= 3
    dialog.height_box.setValue(48)
    dialog.width_box.setValue(192)
    dialog.layers.setValue(3)
    dialog.range_box.setCurrentIndex(1)  # [-1, 1]
    with qtbot.waitSignal(tool.finished, timeout=30000) as blocker:
        dialog.accept()
    assert blocker.args == [True]
    layers = win.document.layers
    assert [s.kind for s in layers] == ["standard", "pointwise", "block"]
    assert layers[0].activation == "hardswish" and layers[2].se
    assert win.document.scene.input.normalize == ((0.5,), (0.5,))
    wait_run(qtbot, win)
    out = win.controller.results[2].output
    assert out.shape[0] == 8 and np.isfinite(out).all()
    win.document.select_inner(2, 0)
    assert tool.source_text() == (
        "Layer 3.1 comes from ch_ppocr_mobile_v2.0_cls_infer.onnx: its "
        "output equals the model's tensor 'relu_1.tmp_0'"
    )
    assert "relu_1.tmp_0" in win.statusBar().currentMessage()


@pytest.mark.parametrize("content", [b"", b"garbage" * 50])
def test_bad_model_keeps_the_stack(qtbot, make_window, tmp_path: Path, content: bytes):
    win = make_window(_start())
    before = win.document.scene
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(content)
    tool = win.tools["model_import"]
    with qtbot.waitSignal(tool.finished, timeout=20000) as blocker:
        win.files.open_path(bad)  # as a drop does
    assert blocker.args == [False]
    assert win.document.scene == before
    assert "broken.tflite" in win.statusBar().currentMessage()


def test_dropped_tflite_opens_the_dialog(qtbot, make_window):
    win = make_window(_start())
    tool = win.tools["model_import"]
    win.files.open_path(FACE)
    dialog = _dialog(qtbot, tool)
    assert dialog.probe.shape == (3, 128, 128) and not dialog.probe.dynamic
    with qtbot.waitSignal(tool.finished, timeout=20000):
        dialog.reject()
    assert [s.kind for s in win.document.layers] == ["standard"]
