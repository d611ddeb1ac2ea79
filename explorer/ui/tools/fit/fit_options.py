"""The options of the Fit dock: target, optimiser, learning rate, steps, loss, seed, and
which layers (and biases) train."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6 import QtCore, QtWidgets

from explorer.core.compute.fit_options import FitOptions
from explorer.core.compute.fit_targets import FitError, parse_target
from explorer.core.model.fit_record import FitRecord

__all__ = ["TARGET_CHOICES", "FitOptionsForm"]

#: (name, label, what the parameter field holds or ``None``).
TARGET_CHOICES = (
    ("gray", "gray (BT.601 luma)", None),
    ("ycbcr", "YCbCr (BT.601, JPEG)", None),
    ("sobel-x", "Sobel x, per channel", None),
    ("sobel-y", "Sobel y, per channel", None),
    ("gaussian", "Gaussian blur, per channel", "σ"),
    ("laplacian", "Laplacian, per channel", None),
    ("box", "box blur, per channel", "K"),
    ("scene", "another scene's output", "scene file"),
    ("npy", "a .npy array", ".npy file"),
)
_DEFAULT_VALUE = {"gaussian": "1.0", "box": "3"}


def _layer_text(index: int, spec: Any) -> str:
    k = getattr(spec, "kernel_size", None)
    size = f" {k[0]}×{k[1]}" if k is not None else ""
    out = getattr(spec, "out_channels", None)
    return f"{index + 1} · {spec.kind}{size}" + (f" → {out}" if out is not None else "")


class FitOptionsForm(QtWidgets.QWidget):
    """The fit's settings; :meth:`options` and :meth:`target_text` read them."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = QtWidgets.QComboBox()
        for name, label, _ in TARGET_CHOICES:
            self.target.addItem(label, name)
        self.value = QtWidgets.QLineEdit()
        self.browse = QtWidgets.QToolButton()
        self.browse.setText("…")
        self.browse.setToolTip("Choose the file")
        self.browse.clicked.connect(self._browse)
        self.target.currentIndexChanged.connect(self._target_changed)
        value_row = QtWidgets.QHBoxLayout()
        value_row.setContentsMargins(0, 0, 0, 0)
        value_row.addWidget(self.value, 1)
        value_row.addWidget(self.browse)
        self.value_label = QtWidgets.QLabel()

        self.optimizer = QtWidgets.QComboBox()
        self.optimizer.addItem("Adam", "adam")
        self.optimizer.addItem("SGD + momentum", "sgd")
        self.lr = QtWidgets.QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 100.0)
        self.lr.setSingleStep(0.001)
        self.lr.setValue(0.01)
        self.momentum = QtWidgets.QDoubleSpinBox()
        self.momentum.setRange(0.0, 0.999)
        self.momentum.setDecimals(3)
        self.momentum.setSingleStep(0.05)
        self.momentum.setValue(0.9)
        self.steps = QtWidgets.QSpinBox()
        self.steps.setRange(1, 1_000_000)
        self.steps.setValue(300)
        self.steps.setGroupSeparatorShown(True)
        self.loss = QtWidgets.QComboBox()
        self.loss.addItem("MSE (mean squared error)", "mse")
        self.loss.addItem("L1 (mean absolute error)", "l1")
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setSpecialValueText("current weights")
        self.seed.setValue(-1)
        self.seed.setToolTip(
            "Start from the layers' current weights, or from fresh random "
            "weights drawn with this seed"
        )
        self.float64 = QtWidgets.QCheckBox("float64 (slower, more exact)")
        self.slow = QtWidgets.QCheckBox("slow motion (30 steps/s, to watch it learn)")
        self.optimizer.currentIndexChanged.connect(self._optimizer_changed)

        self.layers = QtWidgets.QListWidget()
        self.layers.setMaximumHeight(96)
        self.layers.setToolTip("Checked layers train; unchecked ones keep their weights")
        self.train_bias = QtWidgets.QCheckBox("train biases")
        self.train_bias.setChecked(True)

        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Target", self.target)
        form.addRow(self.value_label, value_row)
        form.addRow("Optimiser", self.optimizer)
        form.addRow("Learning rate", self.lr)
        form.addRow("Momentum", self.momentum)
        form.addRow("Steps", self.steps)
        form.addRow("Loss", self.loss)
        form.addRow("Start from", self.seed)
        form.addRow("", self.float64)
        form.addRow("", self.slow)
        form.addRow("Train", self.layers)
        form.addRow("", self.train_bias)
        self._form = form
        self._target_changed()
        self._optimizer_changed()

    # ------------------------------------------------------------------ reading
    def target_text(self) -> str:
        """The target as the command line writes it (``gaussian:1.5``)."""
        name = self.target.currentData()
        needs = TARGET_CHOICES[self.target.currentIndex()][2]
        if needs is None:
            return name
        value = self.value.text().strip()
        if not value:
            raise FitError(f"the {name} target needs a {needs}")
        return f"{name}:{value}"

    def options(self, layer_count: int) -> FitOptions:
        """The options shown; raises :class:`FitError` when they cannot fit."""
        frozen = frozenset(
            i
            for i in range(min(layer_count, self.layers.count()))
            if self.layers.item(i).checkState() != QtCore.Qt.CheckState.Checked
        )
        seed = self.seed.value()
        options = FitOptions(
            steps=self.steps.value(),
            lr=self.lr.value(),
            optimizer=self.optimizer.currentData(),
            momentum=self.momentum.value(),
            loss=self.loss.currentData(),
            frozen=frozen,
            train_bias=self.train_bias.isChecked(),
            seed=None if seed < 0 else seed,
            float64=self.float64.isChecked(),
        )
        options.check()
        return options

    # ------------------------------------------------------------------ writing
    def set_layers(self, layers: Sequence[Any]) -> None:
        """One checkable row per layer; rows that stay keep their check."""
        texts = [_layer_text(i, s) for i, s in enumerate(layers)]
        if texts == [self.layers.item(i).text() for i in range(self.layers.count())]:
            return
        checks = [self.layers.item(i).checkState() for i in range(self.layers.count())]
        self.layers.clear()
        for i, text in enumerate(texts):
            item = QtWidgets.QListWidgetItem(text)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(checks[i] if i < len(checks) else QtCore.Qt.CheckState.Checked)
            self.layers.addItem(item)

    def set_target(self, text: str) -> None:
        """Show ``text`` (``"gaussian:1.5"``, ``"scene:/path/x.json"``)."""
        spec = parse_target(text)
        index = self.target.findData(spec.name)
        self.target.setCurrentIndex(index)
        if spec.value is not None:
            self.value.setText(str(spec.value))

    def load_record(self, record: FitRecord) -> None:
        """Take the target and options of a scene's fit record (a lesson slide's)."""
        try:
            self.set_target(record.target)
        except FitError:
            pass
        if record.optimizer is not None:
            self.optimizer.setCurrentIndex(self.optimizer.findData(record.optimizer))
        if record.lr is not None:
            self.lr.setValue(record.lr)
        if record.momentum is not None:
            self.momentum.setValue(record.momentum)
        if record.steps is not None:
            self.steps.setValue(record.steps)
        if record.loss_function is not None:
            self.loss.setCurrentIndex(self.loss.findData(record.loss_function))
        self.float64.setChecked(bool(record.float64))

    # ------------------------------------------------------------------ internals
    def _target_changed(self) -> None:
        name, _, needs = TARGET_CHOICES[max(0, self.target.currentIndex())]
        shown = needs is not None
        self._form.setRowVisible(1, shown)
        self.value_label.setText(needs or "")
        self.browse.setVisible(name in ("scene", "npy"))
        self.value.setText(_DEFAULT_VALUE.get(name, ""))

    def _optimizer_changed(self) -> None:
        self.momentum.setEnabled(self.optimizer.currentData() == "sgd")

    def _browse(self) -> None:
        name = self.target.currentData()
        pattern = "Scenes (*.json)" if name == "scene" else "NumPy arrays (*.npy)"
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Fit target", "", pattern)
        if path:
            self.value.setText(path)
