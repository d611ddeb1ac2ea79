"""Controls for the fields the layer kinds of :mod:`explorer.core.model.kinds` added: asymmetric
padding (top, bottom, left, right), a float slope, and the choice lists of activations and
SE gates. The layer editor picks a control per field name."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QWidget,
)

from explorer.ui.widgets import PaddingControl, compact_spin_box

__all__ = [
    "ACTIVATION_LABELS",
    "KIND_FIELD_LABELS",
    "KIND_FIELD_TIPS",
    "EdgePaddingControl",
    "choice_combo",
    "slope_box",
]

ACTIVATION_LABELS = {
    "none": "none",
    "relu": "ReLU",
    "relu6": "ReLU6",
    "hardswish": "hardswish",
    "hardsigmoid": "hardsigmoid",
    "sigmoid": "sigmoid",
    "silu": "SiLU",
    "leaky_relu": "leaky ReLU",
    "prelu": "PReLU (learned)",
}

Edges = tuple[int, int, int, int]

#: Form labels of the fields the new kinds brought.
KIND_FIELD_LABELS = {
    "negative_slope": "Leaky slope",
    "ceil_mode": "Ceil mode",
    "skip": "Skip (add input)",
    "skip_pool": "Skip max pool",
    "skip_pad": "Skip zero channels",
    "se": "Squeeze-excite",
    "se_after": "SE after layer",
    "se_channels": "SE channels",
    "se_activation": "SE activation",
    "se_gate": "SE gate",
}

#: Tool tips of those fields.
KIND_FIELD_TIPS = {
    "negative_slope": "The slope of leaky ReLU for negative inputs (used by leaky_relu only; "
    "torch default 0.01).",
    "ceil_mode": "Round the output size up (a last, partial window) instead of down.",
    "skip": "Add the block's input to its output (identity; shapes must match), before the "
    "block's activation — the residual connection of ResNet and MobileNetV2.",
    "skip_pool": "Max-pool the skip with this kernel and stride before the add (1: none; "
    "the block's stride, e.g. 2, as BlazeFace does).",
    "skip_pad": "Append zero channels to the skip up to the block's output channels "
    "(BlazeFace's channel padding).",
    "se": "Squeeze-and-excitation: global average pool → 1×1 reduce → activation → 1×1 "
    "expand → gate → multiply each channel (MobileNetV3).",
    "se_after": "The inner layer whose output the SE gates (MobileNetV3: the depthwise).",
    "se_channels": "Reduced channels of the SE; 0 = C/4 rounded to a multiple of 8 (MobileNetV3).",
    "se_activation": "The activation between the SE's two 1×1 convolutions.",
    "se_gate": "The gate that turns the SE's output into per-channel scales in [0, 1].",
}


class EdgePaddingControl(PaddingControl):
    """:class:`PaddingControl` plus an "edges" box: zeros added to the top, bottom, left
    and right separately (TensorFlow's 'SAME' with stride 2 pads one more at the bottom
    and right), which torch does with ``ZeroPad2d`` before the conv."""

    def __init__(self, hi: int = 1024, *, tip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(hi, tip=tip, parent=parent)
        self.edges = QCheckBox("edges", self)
        self.edges.setToolTip("Pad top, bottom, left and right separately (asymmetric)")
        self.edge_host = QWidget(self)
        grid = QGridLayout(self.edge_host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        self.edge_spins = []
        for i, name in enumerate(("top", "bottom", "left", "right")):
            spin = compact_spin_box(0, hi, tip=f"zeros added at the {name}")
            spin.setPrefix(name[0] + " ")
            grid.addWidget(spin, i // 2, i % 2)
            spin.valueChanged.connect(self._emit)
            self.edge_spins.append(spin)
        self.edge_host.setVisible(False)
        layout = self.layout()
        layout.insertWidget(1, self.edge_host, 1)  # type: ignore[attr-defined]
        layout.addWidget(self.edges)
        self.edges.toggled.connect(self._on_edges)
        # with "same" and "edges" beside it the size box was squeezed 2 px below its hint
        for spin in self.pair.findChildren(QAbstractSpinBox):
            spin.setMinimumWidth(spin.minimumSizeHint().width())

    def value(self):  # type: ignore[override]
        """``"same"``, ``(h, w)`` or ``(top, bottom, left, right)``."""
        if self.edges.isChecked() and not self.same.isChecked():
            return tuple(s.value() for s in self.edge_spins)
        return super().value()

    def setValue(self, value):  # type: ignore[override]  # noqa: N802 (Qt naming)
        edges = isinstance(value, tuple) and len(value) == 4
        for widget in (self.edges, *self.edge_spins):
            widget.blockSignals(True)
        self.edges.setChecked(edges)
        self.edge_host.setVisible(edges)
        self.pair.setVisible(not edges)
        if edges:
            for spin, v in zip(self.edge_spins, value, strict=True):
                spin.setValue(int(v))
        for widget in (self.edges, *self.edge_spins):
            widget.blockSignals(False)
        super().setValue((value[0], value[2]) if edges else value)

    def _on_edges(self, on: bool) -> None:
        if on:
            h, w = self.pair.value()
            for spin, v in zip(self.edge_spins, (h, h, w, w), strict=True):
                spin.blockSignals(True)
                spin.setValue(v)
                spin.blockSignals(False)
        self.edge_host.setVisible(on)
        self.pair.setVisible(not on)
        self._emit()


def kind_field_control(name: str, spec: object, tip: str) -> QWidget:
    """A control for a field only a kind knows, chosen by its default's type: a list for
    ``choices``, a check box for a bool, a spin box for a number.

    Raises
    ------
    ValueError
        For a field that is none of these.
    """
    from dataclasses import fields

    choices = getattr(spec, "choices", {}).get(name)
    if choices is not None:
        return choice_combo(tuple(choices), tip)
    default = next((f.default for f in fields(spec) if f.name == name), None)  # type: ignore[arg-type]
    if isinstance(default, bool):
        box = QCheckBox()
        box.setToolTip(tip)
        return box
    if isinstance(default, int):
        return compact_spin_box(0, 65536, tip=tip)
    if isinstance(default, float):
        return slope_box(tip)
    raise ValueError(f"no control for field {name!r}")


def slope_box(tip: str) -> QDoubleSpinBox:
    """A spin box for leaky ReLU's negative slope."""
    box = QDoubleSpinBox()
    box.setRange(-10.0, 10.0)
    box.setDecimals(3)
    box.setSingleStep(0.01)
    box.setToolTip(tip)
    return box


def choice_combo(values: tuple[str, ...], tip: str) -> QComboBox:
    """A combo box of ``values`` (data) with readable labels."""
    combo = QComboBox()
    for value in values:
        combo.addItem(ACTIVATION_LABELS.get(value, value), value)
    combo.setToolTip(tip)
    return combo
