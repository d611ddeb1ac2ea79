"""The input settings: which image (a bundled sample, a file, or a random tensor), its
working size and colour mode.

Every change becomes a new :class:`~explorer.core.io.scene.InputSpec` handed to
:meth:`SceneDocument.set_input`. Opening a file needs a dialog, which is the main window's
business: the "Open image…" button only emits :attr:`InputPanel.open_image_requested`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from explorer.core.io.samples import DEFAULT_SAMPLE, SAMPLE_PREFIX, list_samples
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.ui.widgets import compact_spin_box
from explorer.ui.widgets.binding import connect_while_alive, set_quietly

__all__ = ["DEFAULT_RANDOM_SHAPE", "RANDOM", "InputPanel"]

#: Combo data of the "random tensor" source.
RANDOM = "random"
#: Shape a random input starts with: the 64-channel tensor of the classic 1×1 example.
DEFAULT_RANDOM_SHAPE = (64, 32, 32)

_TIPS = {
    "source": "What goes into the first layer: a bundled photo, your own image, or a "
    "seeded random tensor (for channel counts no photo has, like the 64 → 128 example)",
    "open": "Open an image file (PNG, JPEG, WebP…) as the input",
    "size": "Working size: the photo's longest side is scaled down to this many pixels "
    "(never up). Smaller is faster; every layer's cost grows with H·W.",
    "mode": "RGB gives 3 input channels, Grayscale 1. The first layer's C_in follows.",
    "shape": "C × H × W of the random tensor (values drawn from the scene's seed)",
}


class InputPanel(QWidget):
    """Edits the input of a :class:`SceneDocument`.

    Signals
    -------
    open_image_requested()
        The user asked to open an image file; the main window shows the dialog and
        calls :meth:`use_image`.
    """

    open_image_requested = Signal()

    def __init__(self, document: SceneDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._credits: dict[str, str] = {}

        self.source = QComboBox(self)
        self.source.setToolTip(_TIPS["source"])
        for sample in list_samples():
            data = SAMPLE_PREFIX + sample.name
            self.source.addItem(sample.name, data)
            self.source.setItemData(
                self.source.count() - 1, sample.title, Qt.ItemDataRole.ToolTipRole
            )
            self._credits[data] = " · ".join(t for t in (sample.title, sample.credit) if t)
        self.source.addItem("random tensor", RANDOM)
        self.source.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.source.setMinimumContentsLength(10)
        self.open_button = QPushButton("Open…", self)
        self.open_button.setToolTip(_TIPS["open"])
        self.credit = QLabel(self)
        self.credit.setStyleSheet("color: #707070; font-size: 8pt;")

        self.size = compact_spin_box(16, 2048, tip=_TIPS["size"], parent=self)
        self.size.setSuffix(" px")
        self.mode = QComboBox(self)
        self.mode.addItem("RGB", "rgb")
        self.mode.addItem("Grayscale", "grayscale")
        self.mode.setToolTip(_TIPS["mode"])

        self.shape_boxes: tuple[QSpinBox, QSpinBox, QSpinBox] = (
            compact_spin_box(1, 4096, tip="C: " + _TIPS["shape"], parent=self),
            compact_spin_box(1, 4096, tip="H: " + _TIPS["shape"], parent=self),
            compact_spin_box(1, 4096, tip="W: " + _TIPS["shape"], parent=self),
        )
        self.shape_row = QWidget(self)
        shape_layout = QHBoxLayout(self.shape_row)
        shape_layout.setContentsMargins(0, 0, 0, 0)
        shape_layout.setSpacing(3)
        for i, box in enumerate(self.shape_boxes):
            if i:
                shape_layout.addWidget(QLabel("×", self.shape_row))
            shape_layout.addWidget(box, 1)
        for box, value in zip(self.shape_boxes, DEFAULT_RANDOM_SHAPE, strict=True):
            box.setValue(value)

        source_row = QHBoxLayout()
        source_row.setSpacing(3)
        source_row.addWidget(self.source, 1)
        source_row.addWidget(self.open_button)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(4, 4, 4, 4)
        self.form.setVerticalSpacing(3)
        self.form.addRow("Source", source_row)
        self.form.addRow("", self.credit)
        self.form.addRow("Size", self.size)
        self.form.addRow("Mode", self.mode)
        self.form.addRow("Shape", self.shape_row)

        self.source.currentIndexChanged.connect(self._on_source_edited)
        self.open_button.clicked.connect(self.open_image_requested)
        self.size.valueChanged.connect(lambda v: self._set(size=v))
        self.mode.currentIndexChanged.connect(lambda _: self._set(mode=self.mode.currentData()))
        for box in self.shape_boxes:
            box.valueChanged.connect(self._on_shape_edited)
        connect_while_alive(document.changed, self._on_scene_changed, self)
        self.refresh()

    # ------------------------------------------------------------------ public
    def use_image(self, path: str | Path) -> None:
        """Make the image file at ``path`` the input (after the main window's dialog)."""
        self._set(image=str(path), shape=None)

    def refresh(self) -> None:
        """Show the document's input."""
        spec = self.document.scene.input
        data = self._source_data(spec)
        if data != RANDOM and data not in self._credits:
            self._show_file_item(data)
        set_quietly(self.source, data)
        random = spec.shape is not None
        if random:
            for box, value in zip(self.shape_boxes, spec.shape, strict=False):  # type: ignore[arg-type]
                set_quietly(box, int(value))
        set_quietly(self.size, spec.size)
        set_quietly(self.mode, spec.mode)
        self.form.setRowVisible(self.shape_row, random)
        self.form.setRowVisible(self.size, not random)
        self.form.setRowVisible(self.mode, not random)
        credit = self._credits.get(data, "")
        self.credit.setText(credit)
        self.form.setRowVisible(self.credit, bool(credit))

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _source_data(spec: InputSpec) -> str:
        if spec.shape is not None:
            return RANDOM
        if spec.image is None:
            return SAMPLE_PREFIX + DEFAULT_SAMPLE
        return spec.image

    def _show_file_item(self, path: str) -> None:
        """Keep one combo item for the image file in use, just before "Random tensor"."""
        text = f"{Path(path).name} (file)"
        if self.source.findData(path) >= 0:
            return
        tip = Qt.ItemDataRole.ToolTipRole
        for i in range(self.source.count()):
            data = self.source.itemData(i)
            if data != RANDOM and data not in self._credits:
                self.source.blockSignals(True)
                self.source.setItemText(i, text)
                self.source.setItemData(i, path)
                self.source.setItemData(i, path, tip)
                self.source.blockSignals(False)
                return
        self.source.blockSignals(True)
        at = self.source.findData(RANDOM)
        self.source.insertItem(at, text, path)
        self.source.setItemData(at, path, tip)
        self.source.blockSignals(False)

    def _set(self, **changes: object) -> None:
        new = replace(self.document.scene.input, **changes)
        if new != self.document.scene.input:
            self.document.set_input(new)

    def _on_source_edited(self, _index: int) -> None:
        data = self.source.currentData()
        if data == RANDOM:
            self._set(shape=tuple(box.value() for box in self.shape_boxes))
        else:
            self._set(image=data, shape=None)

    def _on_shape_edited(self, _value: int) -> None:
        if self.document.scene.input.shape is not None:
            self._set(shape=tuple(box.value() for box in self.shape_boxes))

    def _on_scene_changed(self, _scene: Scene) -> None:
        self.refresh()
