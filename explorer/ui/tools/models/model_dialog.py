"""The small dialog of File ▸ Open Model…: how many layers, which input size and range."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtWidgets

__all__ = ["RANGES", "ModelImportDialog", "ModelProbe"]

#: Input ranges offered: label → (mean, std) applied to images in [0, 1] (None: as they are).
RANGES: dict[str, tuple[tuple[float, ...], tuple[float, ...]] | None] = {
    "[0, 1] (the image as it is)": None,
    "[−1, 1] (x − 0.5) / 0.5": ((0.5,), (0.5,)),
    "ImageNet mean / std": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


@dataclass(frozen=True)
class ModelProbe:
    """What a first look at a model found (computed on a worker)."""

    path: str
    input_name: str
    shape: tuple[int, int, int]
    dynamic: bool
    layers: int
    stop: str
    #: ``(mean, std)`` the model's metadata declares for its input (TFLite), else ``None``
    input_range: tuple[tuple[float, ...], tuple[float, ...]] | None = None


class ModelImportDialog(QtWidgets.QDialog):
    """Choose the number of layers, the input height × width and the input range."""

    def __init__(self, probe: ModelProbe, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ModelImportDialog")
        self.setWindowTitle("Open Model")
        self.probe = probe
        c, h, w = probe.shape
        form = QtWidgets.QFormLayout(self)
        name = probe.path.replace("\\", "/").rsplit("/", 1)[-1]
        info = QtWidgets.QLabel(
            f"<b>{name}</b><br>{probe.layers} layer(s) can be imported exactly; the import "
            f"stops at {probe.stop}"
        )
        info.setWordWrap(True)
        info.setMinimumWidth(420)
        form.addRow(info)
        self.layers = QtWidgets.QSpinBox(objectName="ModelLayers")
        self.layers.setRange(1, max(1, probe.layers))
        self.layers.setValue(max(1, probe.layers))
        form.addRow("Layers to take:", self.layers)
        size = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(size)
        row.setContentsMargins(0, 0, 0, 0)
        self.height_box = QtWidgets.QSpinBox(objectName="ModelHeight")
        self.width_box = QtWidgets.QSpinBox(objectName="ModelWidth")
        for box, value in ((self.height_box, h), (self.width_box, w)):
            box.setRange(8, 4096)
            box.setValue(value)
            row.addWidget(box)
        row.insertWidget(1, QtWidgets.QLabel("×"))
        row.addStretch(1)
        label = f"Input ({probe.input_name!r}, {c} channels) H × W:"
        form.addRow(label, size)
        note = QtWidgets.QLabel(
            ("The model's input size is dynamic: choose one. " if probe.dynamic else "")
            + "Images are scaled so that their longest side is the larger of H and W."
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.range_box = QtWidgets.QComboBox(objectName="ModelRange")
        self.ranges = dict(RANGES)
        if probe.input_range is not None:  # what the model's metadata declares comes first
            mean, std = (", ".join(f"{v:.4g}" for v in values) for values in probe.input_range)
            self.ranges = {f"From the model: (x − [{mean}]) / [{std}]": probe.input_range, **RANGES}
            # "as it is" must stay as it is, not fall back to the model's range
            self.ranges["[0, 1] (the image as it is)"] = ((0.0,), (1.0,))
        self.range_box.addItems(list(self.ranges))
        self.range_box.setToolTip("The range the model was trained on; images are scaled to it")
        form.addRow("Input range:", self.range_box)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> tuple[int, tuple[int, int, int], object]:
        """``(layers, (C, H, W), normalize)`` as chosen."""
        c = self.probe.shape[0]
        shape = (c, self.height_box.value(), self.width_box.value())
        return self.layers.value(), shape, self.ranges[self.range_box.currentText()]
