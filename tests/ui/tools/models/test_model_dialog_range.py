"""The Open Model dialog offers the input range a model's metadata declares, first."""

from __future__ import annotations

from explorer.ui.tools.models.model_dialog import RANGES, ModelImportDialog, ModelProbe


def _probe(input_range=None) -> ModelProbe:
    return ModelProbe(
        path="/m/model.tflite",
        input_name="input",
        shape=(3, 8, 8),
        dynamic=False,
        layers=2,
        stop="the end",
        input_range=input_range,
    )


def test_the_models_own_range_comes_first_and_as_is_stays_as_is(qtbot):
    dialog = ModelImportDialog(_probe(((0.5,), (0.5,))))
    qtbot.addWidget(dialog)
    assert dialog.range_box.count() == len(RANGES) + 1
    assert dialog.range_box.currentText().startswith("From the model: (x − [0.5]) / [0.5]")
    assert dialog.choice()[2] == ((0.5,), (0.5,))
    dialog.range_box.setCurrentText("[0, 1] (the image as it is)")
    assert dialog.choice()[2] == ((0.0,), (1.0,))  # not the model's range


def test_without_metadata_the_list_is_unchanged(qtbot):
    dialog = ModelImportDialog(_probe())
    qtbot.addWidget(dialog)
    assert [dialog.range_box.itemText(i) for i in range(dialog.range_box.count())] == list(RANGES)
    assert dialog.choice()[2] is None
