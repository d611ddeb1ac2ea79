"""InputPanel on a real SceneDocument: each control writes the right InputSpec, and the
document's input is shown without echoing edits back."""

from __future__ import annotations

from dataclasses import replace

import pytest

from explorer.core.io.samples import DEFAULT_SAMPLE, list_samples
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.ui.panels.input_panel import DEFAULT_RANDOM_SHAPE, RANDOM, InputPanel


@pytest.fixture
def doc() -> SceneDocument:
    return SceneDocument(Scene())


@pytest.fixture
def panel(qtbot, doc) -> InputPanel:
    widget = InputPanel(doc)
    qtbot.addWidget(widget)
    return widget


def sources(panel: InputPanel) -> list[str]:
    return [panel.source.itemData(i) for i in range(panel.source.count())]


def test_lists_every_sample_then_random(panel):
    samples = list_samples()
    assert samples, "the bundled samples are missing"
    assert sources(panel) == [f"sample:{s.name}" for s in samples] + [RANDOM]
    assert panel.source.currentData() == f"sample:{DEFAULT_SAMPLE}"
    assert panel.size.value() == 256 and panel.mode.currentData() == "rgb"
    assert not panel.form.isRowVisible(panel.shape_row)


def test_choosing_a_sample_sets_the_image(panel, doc):
    other = [s.name for s in list_samples() if s.name != DEFAULT_SAMPLE][0]
    panel.source.setCurrentIndex(panel.source.findData(f"sample:{other}"))
    assert doc.scene.input == InputSpec(image=f"sample:{other}")
    assert panel.credit.text()


def test_random_tensor_and_its_shape(panel, doc):
    panel.source.setCurrentIndex(panel.source.findData(RANDOM))
    assert doc.scene.input.shape == DEFAULT_RANDOM_SHAPE
    assert panel.form.isRowVisible(panel.shape_row)
    assert not panel.form.isRowVisible(panel.size)
    panel.shape_boxes[0].setValue(128)
    panel.shape_boxes[2].setValue(16)
    assert doc.scene.input.shape == (128, 32, 16)
    panel.source.setCurrentIndex(0)
    assert doc.scene.input.shape is None
    assert doc.scene.input.image == panel.source.itemData(0)


def test_size_and_mode(panel, doc):
    panel.size.setValue(128)
    panel.mode.setCurrentIndex(panel.mode.findData("grayscale"))
    assert doc.scene.input == InputSpec(size=128, mode="grayscale")
    assert panel.size.minimum() == 16 and panel.size.maximum() == 2048


def test_open_button_asks_the_main_window(panel, qtbot, doc, tmp_path):
    with qtbot.waitSignal(panel.open_image_requested, timeout=1000):
        panel.open_button.click()
    assert doc.scene.input == InputSpec()  # the panel itself changes nothing
    path = tmp_path / "photo.png"
    panel.use_image(path)
    assert doc.scene.input.image == str(path)
    assert panel.source.currentData() == str(path)
    assert panel.source.currentText() == "photo.png (file)"
    panel.use_image(tmp_path / "other.jpg")  # one file item, replaced
    assert len(sources(panel)) == len(list_samples()) + 2


def test_model_changes_update_widgets_without_echo(panel, doc):
    changes: list = []
    doc.changed.connect(changes.append)
    doc.set_input(InputSpec(size=64, mode="grayscale", shape=None, image="sample:coffee"))
    assert panel.size.value() == 64 and panel.mode.currentData() == "grayscale"
    assert panel.source.currentData() == "sample:coffee"
    doc.set_input(replace(doc.scene.input, shape=(64, 8, 9)))
    assert panel.source.currentData() == RANDOM
    assert [b.value() for b in panel.shape_boxes] == [64, 8, 9]
    assert len(changes) == 2
    doc.undo()
    doc.undo()
    assert panel.source.currentData() == f"sample:{DEFAULT_SAMPLE}"
    assert panel.size.value() == 256 and panel.mode.currentData() == "rgb"
    assert not panel.form.isRowVisible(panel.shape_row)
    assert len(changes) == 4
