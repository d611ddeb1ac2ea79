"""Export: panels as PNG/SVG, the maps shown as .npy, the stack as PyTorch code."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox
from ui_helpers import wait_run

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.codegen import scene_code
from explorer.core.io.inputs import input_shape
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.tools.present.export import ExportError, render_png

Button = QMessageBox.StandardButton


def scene() -> Scene:
    return Scene(
        input=InputSpec(image="sample:astronaut", size=48),
        layers=(
            default_spec("separable", out_channels=6),
            default_spec("pointwise", out_channels=4),
        ),
        seed=5,
    )


@pytest.fixture
def window(qtbot, make_window):
    win = make_window(scene(), size=(1300, 850), wait=False)
    win.files.reports = []
    win.files.report = lambda title, message: win.files.reports.append(message)
    wait_run(qtbot, win, 60000)
    return win


@pytest.mark.parametrize("panel", ["maps", "weights", "costs", "window"])
def test_png_has_the_requested_width_and_is_not_blank(tmp_path, window, panel):
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / f"{panel}"  # no suffix: .png is added
    exporter.ask_width = lambda: 1920
    exporter.png_actions[panel].trigger()
    exporter.job.wait()  # painted in strips over the event loop (ui/export_job.py)
    path = tmp_path / f"{panel}.png"
    assert path.exists(), window.files.reports
    image = np.asarray(Image.open(path).convert("RGB"))
    widget = exporter.panel(panel)
    assert image.shape[1] == 1920
    assert image.shape[0] == pytest.approx(widget.height() * 1920 / widget.width(), abs=1)
    colours = len(np.unique(image.reshape(-1, 3), axis=0))
    assert colours > 40, f"{panel}: {colours} colours, looks blank"
    assert image.std() > 10


@pytest.mark.parametrize("panel", ["maps", "weights", "costs"])
def test_png_is_drawn_at_the_target_size_not_scaled_up(window, panel):
    """Text and lines of a 2× PNG are re-drawn, as sharp as at 1×.

    An edge keeps its one-pixel step when re-drawn, so the mean squared horizontal step
    per pixel falls to about 1/2 at twice the width; an image scaled up smoothly spreads
    each step over two pixels, and it falls to about 1/4 or less (measured: 0.53–0.61
    against 0.15–0.16).
    """
    widget = window.tools["export"].panel(panel)
    one = _gray(render_png(widget, widget.width()))
    two = _gray(render_png(widget, 2 * widget.width()))
    assert two.shape[1] == 2 * one.shape[1]

    def step(a: np.ndarray) -> float:
        return float(np.mean(np.diff(a, axis=1) ** 2))

    assert step(two) / step(one) > 0.4


def _gray(image) -> np.ndarray:
    image = image.convertToFormat(image.Format.Format_Grayscale8)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    return data[:, :width].astype(float)


def test_png_refuses_a_bad_width(tmp_path, window):
    exporter = window.tools["export"]
    with pytest.raises(ExportError, match="width"):
        exporter.save_panel("maps", tmp_path / "x.png", "png", width=10)
    exporter.ask_path = lambda *a: tmp_path / "x.png"
    exporter.ask_width = lambda: 99999
    exporter.png_actions["maps"].trigger()
    assert not (tmp_path / "x.png").exists()
    assert "PNG width" in window.files.reports[-1]


@pytest.mark.parametrize("panel", ["maps", "weights"])
def test_svg_is_xml_with_an_svg_root_and_vector_text(tmp_path, window, panel):
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / f"{panel}.svg"
    exporter.svg_actions[panel].trigger()
    exporter.job.wait()
    root = ET.parse(tmp_path / f"{panel}.svg").getroot()
    assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg")
    texts = " ".join(t for t in root.itertext() if t.strip())
    if panel == "maps":
        assert re.search(r"ch\s*0", texts), texts[:400]
        assert "Layer 1" in texts
    else:
        assert len(list(root.iter())) > 20


def test_npy_is_exactly_what_is_shown(tmp_path, window):
    exporter = window.tools["export"]
    c = window.controller
    exporter.ask_path = lambda *a: tmp_path / "maps.npy"
    exporter.npy_action.trigger()
    saved = np.load(tmp_path / "maps.npy")
    assert saved.dtype == np.float32 and saved.ndim == 3
    np.testing.assert_array_equal(saved, c.results[0].output)
    shown = dict(window.feature_grid.visible_image_items())
    np.testing.assert_array_equal(saved[0], shown[0].image)

    # The depthwise part of the separable layer, chosen in the window.
    window.part_choice.setCurrentIndex(window.part_choice.findData("depthwise"))
    exporter.save_maps(tmp_path / "dw.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "dw.npy"), c.results[0].parts["depthwise"])
    assert np.load(tmp_path / "dw.npy").shape[0] == 3  # depthwise keeps the RGB channels

    window.document.select(-1)
    exporter.save_maps(tmp_path / "input")
    np.testing.assert_array_equal(np.load(tmp_path / "input.npy"), c.input_image)


def test_npy_refused_when_nothing_is_computed(tmp_path, window):
    exporter = window.tools["export"]
    window.document.select(1)
    layers = window.document.layers  # as between an insert and the end of its run: no result
    window.controller.state.keep_only([s for s in layers if s.uid != layers[1].uid])
    with pytest.raises(ExportError, match="layer 2"):
        exporter.save_maps(tmp_path / "none.npy")
    exporter.ask_path = lambda *a: tmp_path / "none.npy"
    exporter.npy_action.trigger()
    assert "layer 2" in window.files.reports[-1]


def test_copy_as_pytorch_code_equals_the_cli_generator_and_runs(tmp_path, qtbot, window):
    QApplication.clipboard().clear()
    QTest.keyClick(
        window,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    text = QApplication.clipboard().text()
    s = window.document.scene
    cost = stack_cost(input_shape(s.input), s.layers)
    assert text == scene_code(s, cost.input_shape)
    script = tmp_path / "stack.py"
    script.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-I", str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    shape = re.findall(r"torch\.Size\(\[([\d, ]+)\]\)", proc.stdout)[-1]
    assert [int(v) for v in shape.split(",")] == [1, *cost.output_shape]
    assert str(cost.params) in proc.stdout.split()


def test_copy_code_with_an_error_reports_it(window):
    window.document.replace_layer(
        0, default_spec("standard", out_channels=4, kernel_size=99, padding=0)
    )
    window.controller.refresh()
    assert window.controller.error is not None
    QApplication.clipboard().setText("before")
    assert window.tools["export"].copy_code() is None
    assert QApplication.clipboard().text() == "before"
    assert "layer 1" in window.files.reports[-1].lower()


def test_copy_code_of_large_inline_weights_is_written_off_the_gui_thread(
    qtbot, window, monkeypatch
):
    """s9f: 110k inline weight values took 100+ ms of repr on the GUI thread; the script is
    now written on a worker and put on the clipboard when done (the same text)."""
    import threading

    from explorer.core.compute import codegen
    from explorer.core.model.presets import with_weight
    from explorer.ui.tools.present import export

    spec = default_spec("standard", out_channels=1024)  # 27,648 weight values
    assert 1024 * 27 > getattr(export, "CODE_HERE_VALUES", 0)
    shape = (spec.out_channels, 3, 3, 3)
    spec = with_weight(spec, "weight", np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape))
    window.document.replace_layer(0, spec)
    wait_run(qtbot, window)
    threads = []
    real = codegen.scene_code

    def spy(*args):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*args)

    monkeypatch.setattr(codegen, "scene_code", spy)
    QApplication.clipboard().setText("before")
    assert window.tools["export"].copy_code() is None  # not written in the action's turn
    assert QApplication.clipboard().text() == "before"
    s = window.document.scene
    expected = real(s, stack_cost(input_shape(s.input), s.layers).input_shape)
    qtbot.waitUntil(lambda: QApplication.clipboard().text() != "before", timeout=30000)
    assert QApplication.clipboard().text() == expected
    assert threads == [False]  # once, on the worker
