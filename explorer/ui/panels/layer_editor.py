"""The form that edits the selected layer, field by field, with its live formula and cost.

Widget → model: each control's change makes ``spec.with_changes(field=value)`` and hands it
to :meth:`SceneDocument.replace_layer` (the document merges quick edits of one field into
one undo step). Model → widget: values are written with signals blocked and only when they
differ, so nothing echoes back and a box being typed in keeps its cursor.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis.costs import StackCost, stack_cost
from explorer.core.analysis.formulas import layer_formulas, output_size_formula
from explorer.core.errors import ExplorerError, SpecError
from explorer.core.io.scene import Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.kinds.block import SE_GATES
from explorer.core.model.specs import ACTIVATIONS, LayerSpec, check_fields, spec_fields
from explorer.ui.panels.kind_controls import (
    KIND_FIELD_LABELS,
    KIND_FIELD_TIPS,
    EdgePaddingControl,
    choice_combo,
    kind_field_control,
    slope_box,
)
from explorer.ui.widgets import PairSpinBox, compact_spin_box
from explorer.ui.widgets.binding import connect_while_alive, mark_invalid, set_quietly, widget_value
from explorer.ui.widgets.growing_label import GrowingLabel

__all__ = ["FIELD_LABELS", "FIELD_TIPS", "LayerEditor", "formula_text"]

Shape = tuple[int, int, int]

FIELD_LABELS = {
    "out_channels": "Out channels",
    "kernel_size": "Kernel k",
    "stride": "Stride s",
    "padding": "Padding p",
    "dilation": "Dilation d",
    "groups": "Groups g",
    "multiplier": "Multiplier m",
    "bias": "Bias",
    "batch_norm": "BatchNorm",
    "activation": "Activation",
    **KIND_FIELD_LABELS,
}

FIELD_TIPS = {
    "out_channels": "C_out: how many output channels (feature maps) the layer makes. "
    "A 1×1 layer's weights are a C_out × C_in matrix.",
    "kernel_size": "k: the neighbourhood each output pixel looks at (k×k). "
    "A 1×1 kernel sees no spatial context.",
    "stride": "s: the step between output positions; 2 halves the height and width.",
    "padding": "p: zeros added on each side of the input; 'same' keeps the size "
    "(stride 1 only, as in torch).",
    "dilation": "d: spacing between kernel taps; the kernel spans d(k−1)+1 pixels.",
    "groups": "g: split the channels into g groups that never mix; "
    "g = C_in is a depthwise convolution. Must divide C_in and C_out.",
    "multiplier": "m: output channels per input channel of the depthwise step "
    "(depthwise C_out = C_in × m).",
    "bias": "A learnable bias b[c] added to each output channel "
    "(not counted in MACs; listed as bias additions).",
    "batch_norm": "BatchNorm2d after each convolution (eval mode: mean 0, var 1); "
    "2 parameters (γ, β) per channel.",
    "activation": "The non-linearity after each convolution (and its BN), as in MobileNet.",
    **KIND_FIELD_TIPS,
    "seed": "Seed of every layer's random weights: the same seed gives the same weights.",
}

_PAIR_RANGES = {"kernel_size": (1, 1024), "stride": (1, 1024), "dilation": (1, 1024)}
_INT_RANGES = {
    "out_channels": (1, 65536),
    "groups": (1, 65536),
    "multiplier": (1, 1024),
    "se_after": (1, 64),
    "se_channels": (0, 65536),
    "skip_pool": (1, 8),  # as BlockSpec.validate: the editor never holds what a file refuses
}
_ERROR_STYLE = "color: #c62828;"
_NOTE_STYLE = "color: #707070;"


def _make_control(name: str, spec: LayerSpec | None = None) -> QWidget:
    """A control for field ``name`` of ``spec``, with its tool tip."""
    tip = FIELD_TIPS.get(name, "")
    if name in _PAIR_RANGES:
        return PairSpinBox(*_PAIR_RANGES[name], tip=tip)
    if name == "padding" and spec is not None and "dilation" not in spec_fields(spec):
        return PairSpinBox(0, 1024, tip=tip)  # pools: symmetric only, as in torch
    if name == "padding":
        return EdgePaddingControl(tip=tip)
    if name == "negative_slope":
        return slope_box(tip)
    if name == "se_gate":
        return choice_combo(SE_GATES, tip)
    if name == "se_activation":
        return choice_combo(ACTIVATIONS[1:], tip)
    if name == "se_after" and spec is not None and getattr(spec, "layers", None):
        return compact_spin_box(1, len(spec.layers), tip=tip)  # one of the block's layers
    if name in _INT_RANGES:
        return compact_spin_box(*_INT_RANGES[name], tip=tip)
    if name in ("bias", "batch_norm", "ceil_mode", "skip", "se"):
        box = QCheckBox()
        box.setToolTip(tip)
        return box
    if name == "activation":
        return choice_combo(ACTIVATIONS, tip)
    return kind_field_control(name, spec, tip)  # a kind's own field, by its type


def _form_key(spec: LayerSpec) -> tuple:
    """What a form's controls depend on: the kind, and a block's length (``se_after``)."""
    return (spec.kind, len(getattr(spec, "layers", None) or ()))


def _change_signal(control: QWidget) -> Any:
    if isinstance(control, QCheckBox):
        return control.toggled
    if isinstance(control, QComboBox):
        return control.currentIndexChanged
    return control.valueChanged  # type: ignore[attr-defined]


def _size_lines(spec: LayerSpec, in_shape: Shape) -> list[str]:
    """Output-size formula of the layer's spatial part, one line for both axes when the
    two lines say the same thing."""
    kernel = getattr(spec, "kernel_size", (1, 1))
    stride = getattr(spec, "stride", (1, 1))
    padding = getattr(spec, "padding", (0, 0))
    dilation = getattr(spec, "dilation", (1, 1))
    lines = [
        output_size_formula(
            in_shape[1 + a],
            kernel[a],
            stride[a],
            padding if padding == "same" else padding[a],
            dilation[a],
            axis,
        )
        for a, axis in enumerate("HW")
    ]
    if lines[0].replace("H", "W") == lines[1]:
        return [lines[0].replace("H_out", "H_out = W_out", 1)]
    return lines


def formula_text(
    spec: LayerSpec,
    in_shape: Shape,
    index: int = 0,
    receptive_field_in: tuple[tuple[int, int], tuple[int, int]] = ((1, 1), (1, 1)),
) -> str:
    """The live formulas of a layer on its input: output size, receptive field (in input
    image pixels, given ``(rf, jump)`` of the layer's input), params, MACs and FLOPs, with
    the numbers filled in (from :mod:`explorer.core.analysis.formulas`).

    A layer that cannot run on ``in_shape`` gets only its output-size lines (which show
    why), or nothing when a field is malformed.
    """
    try:
        formulas = layer_formulas(spec, in_shape, index, receptive_field_in)
    except SpecError:
        try:
            check_fields(spec)
        except SpecError:
            return ""
        return "\n".join(_size_lines(spec, in_shape))
    rf_lines = list(formulas.receptive_field)
    if rf_lines[0].replace("H", "") == rf_lines[1].replace("W", ""):
        rf_lines = [rf_lines[0].replace("RF_H", "RF")]  # square: one line says both
    padding = getattr(spec, "padding", None)
    if "dilation" in spec_fields(spec) and not (isinstance(padding, tuple) and len(padding) == 4):
        size_lines = _size_lines(spec, in_shape)
    else:  # pools, activations, blocks, asymmetric padding: the sizes the parts give
        size_lines = list(formulas.output_size)
    return "\n".join([*size_lines, *rf_lines, formulas.params, formulas.macs, formulas.flops])


class LayerEditor(QWidget):
    """Edits the selected layer of a :class:`SceneDocument` (and the scene's seed).

    Parameters
    ----------
    document
        The document shown and edited.

    Notes
    -----
    :meth:`set_costs` tells the editor the input shape of each layer (for ``C_in``, the
    formula and the cost line); :meth:`show_error` shows a validation error and marks its
    field when it is about the selected layer.
    """

    def __init__(self, document: SceneDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.controls: dict[str, QWidget] = {}
        self._form_kind: tuple | None = None
        self._form_index: int | None = None
        self._cost: StackCost | None = None
        self._error: ExplorerError | None = None
        self._formula_key: tuple | None = None  # what the formula shown was worked out for

        self.title = QLabel(self)
        self.title.setStyleSheet("font-weight: bold;")
        self.kind_note = QLabel(self)
        self.kind_note.setWordWrap(True)
        self.kind_note.setStyleSheet(_NOTE_STYLE)
        self.hint = QLabel(
            "Select a layer to edit it.\nThe input's settings are in the Input panel.", self
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(_NOTE_STYLE)
        self.c_in = QLabel(self)
        self.c_in.setToolTip("C_in is not a field: it is the number of channels coming in")
        self.form_host = QWidget(self)  # holds one form per kind, the current one shown
        QVBoxLayout(self.form_host).setContentsMargins(0, 0, 0, 0)
        self.form = QFormLayout()  # the current kind's (see _build_form)
        self._forms: dict[tuple, tuple[QWidget, QFormLayout, dict[str, QWidget]]] = {}
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula_label = GrowingLabel(self)  # no relayout of the form per edit
        self.formula_label.setStyleSheet("font-size: 9pt;")
        self.formula_label.setToolTip(
            "Output size and cost of this layer on its input. params include biases and "
            "BatchNorm γ, β; MACs: multiply-accumulates of the convolutions only (bias, "
            "BatchNorm, activation excluded); FLOPs = 2 × MACs (torch FlopCounterMode)."
        )
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip(FIELD_TIPS["seed"])
        seed_row = QFormLayout()
        seed_row.setContentsMargins(0, 0, 0, 0)
        seed_row.addRow("Seed", self.seed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        for widget in (
            self.title,
            self.kind_note,
            self.hint,
            self.c_in,
            self.form_host,
            self.error_label,
            self.formula_label,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addLayout(seed_row)

        self.seed.valueChanged.connect(self._on_seed_edited)
        connect_while_alive(document.changed, self._on_document_changed, self)
        connect_while_alive(document.selection_changed, self._on_document_changed, self)
        connect_while_alive(document.inner_selection_changed, self._on_document_changed, self)
        self.refresh()

    # ------------------------------------------------------------------ public
    @property
    def layer_index(self) -> int:
        """Index of the layer being edited; ``-1`` when the input is selected."""
        return self.document.selected

    def set_costs(self, cost: StackCost | None) -> None:
        """Take the input shape of each layer from ``cost`` (it may stop before a bad layer)."""
        self._cost = cost
        self._update_info()

    def show_error(self, err: ExplorerError | None) -> None:
        """Show ``err`` under the form in red and mark its field if it names this layer.

        ``None`` clears the message and the marks.
        """
        self._error = err
        self._apply_error()

    def refresh(self) -> None:
        """Show the selected layer's fields, the seed, the formula and the error."""
        set_quietly(self.seed, self.document.scene.seed)
        i = self.document.selected
        spec = self._target()
        self.hint.setVisible(spec is None)
        for widget in (self.title, self.kind_note, self.c_in, self.form_host, self.formula_label):
            widget.setVisible(spec is not None)
        if spec is None:
            self._form_kind = self._form_index = None
        else:
            if _form_key(spec) != self._form_kind:
                self._build_form(spec)
            inner = self.document.inner_selected
            new_layer = (i, inner) != self._form_index
            if new_layer:  # another layer's formula: its own height
                self.formula_label.reset()
            self._form_index = (i, inner)  # type: ignore[assignment]
            where = f"{i + 1}.{inner + 1}" if inner >= 0 else f"{i + 1}"
            self.title.setText(
                f"Layer {where} · {spec.kind}" + (" (inside the block)" if inner >= 0 else "")
            )
            self.kind_note.setText(type(spec).tip)
            for name, control in self.controls.items():
                value = getattr(spec, name)
                if new_layer and isinstance(control, PairSpinBox):
                    control.set_rectangular(value[0] != value[1])
                set_quietly(control, value)
            if "negative_slope" in self.controls:  # only leaky ReLU has a slope
                leaky = "leaky_relu" in (spec.activation, getattr(spec, "se_activation", ""))
                self.form.setRowVisible(self.controls["negative_slope"], leaky)
        self._update_info()
        self._apply_error()

    # ------------------------------------------------------------------ internals
    def _build_form(self, spec: LayerSpec) -> None:
        """Show the form of ``spec``'s kind, made on its first use and kept: making its
        spin boxes again on every selection showed as GUI stalls."""
        key = _form_key(spec)
        if key not in self._forms:
            page = QWidget(self.form_host)
            page.hide()
            form = QFormLayout(page)
            form.setContentsMargins(0, 0, 0, 0)
            form.setVerticalSpacing(3)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            controls: dict[str, QWidget] = {}
            for name in spec_fields(spec):
                control = _make_control(name, spec)
                label = QLabel(FIELD_LABELS.get(name, name.replace("_", " ").capitalize()))
                label.setToolTip(FIELD_TIPS.get(name, ""))
                form.addRow(label, control)
                _change_signal(control).connect(
                    lambda *_, n=name, c=control: self._on_field_edited(n, widget_value(c))
                )
                controls[name] = control
            self.form_host.layout().addWidget(page)
            self._forms[key] = (page, form, controls)
        for other, (page, _, _) in self._forms.items():
            page.setVisible(other == key)
        _, self.form, self.controls = self._forms[key]
        self._form_kind = key

    def _target(self) -> LayerSpec | None:
        """The spec the form edits: the selected layer, or its selected inner layer."""
        i = self.document.selected
        if i < 0:
            return None
        spec = self.document.layers[i]
        inner = self.document.inner_selected
        return spec.layers[inner] if inner >= 0 else spec  # type: ignore[attr-defined]

    def _on_field_edited(self, name: str, value: Any) -> None:
        i = self.document.selected
        target = self._target()
        if target is None or getattr(target, name, None) == value:
            return
        new = target.with_changes(**{name: value})
        inner = self.document.inner_selected
        if inner >= 0:  # edit inside the block: a new block with that layer replaced
            block = self.document.layers[i]
            layers = block.layers  # type: ignore[attr-defined]
            new = block.with_changes(layers=layers[:inner] + (new,) + layers[inner + 1 :])
        self.document.replace_layer(i, new)

    def _on_seed_edited(self, seed: int) -> None:
        if seed != self.document.scene.seed:
            self.document.set_seed(seed)

    def _on_document_changed(self, *_: Scene | int) -> None:
        self.refresh()

    def _input_shape(self, index: int) -> Shape | None:
        cost = self._cost
        if cost is None:
            shape = self.document.scene.input.shape
            return tuple(shape) if shape is not None and index == 0 else None  # type: ignore[return-value]
        if index < len(cost.layers):
            return cost.layers[index].input_shape
        if index == len(cost.layers):
            return cost.output_shape
        return None

    def _update_info(self) -> None:
        i = self.document.selected
        if i < 0:
            return
        spec = self._target()
        assert spec is not None
        shape = self._input_shape(i)
        inner = self.document.inner_selected
        if inner >= 0 and shape is not None:  # the shape coming into that inner layer
            try:
                shape = stack_cost(shape, self.document.layers[i].layers[:inner]).output_shape
            except SpecError:
                shape = None
        if shape is None:
            self.c_in.setText("C_in = ?  (fix the layers before this one)")
            self.formula_label.setText("")
            self._formula_key = None
            return
        source = "the input" if i == 0 else "the layer before"
        self.c_in.setText(f"C_in = {shape[0]}, from {source}  ({shape[1]}×{shape[2]} pixels)")
        cost = self._cost
        rf_in = ((1, 1), (1, 1))
        if cost is not None and 0 < i <= len(cost.layers):
            before = cost.layers[i - 1]
            rf_in = (before.receptive_field, before.jump)
        # an edit shows the formula twice (the edit, then its costs), and each result's
        # costs again: worked out once per layer, shape and receptive field
        key = (spec, tuple(shape), i, rf_in)
        if key != self._formula_key:
            self._formula_key = key
            self.formula_label.set_text(formula_text(spec, shape, i, rf_in))

    def _apply_error(self) -> None:
        err = self._error
        i = self.document.selected
        here = isinstance(err, SpecError) and err.layer == i and i >= 0
        field = err.field if here else None  # type: ignore[union-attr]
        if field == "padding" and "stride" in err.message:  # type: ignore[union-attr]
            field = "stride"  # 'same' needs stride 1: the stride is what to change
        for name, control in self.controls.items():
            mark_invalid(control, err.message if field == name else None)  # type: ignore[union-attr]
        self.error_label.setVisible(err is not None)
        self.error_label.setText(str(err) if err is not None else "")
