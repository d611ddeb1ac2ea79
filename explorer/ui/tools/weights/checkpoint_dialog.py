"""Layer ▸ Import Weights from Checkpoint…: pick tensors of a PyTorch ``state_dict`` for
the selected layer, or create the layer a conv weight tensor describes.

Files are read with :func:`explorer.core.io.checkpoints.load_state_dict` (``weights_only``: a
pickle that would run code is refused, never run). A chosen tensor goes on the layer as a
:class:`~explorer.core.model.specs.CheckpointTensor` (absolute path in memory; the scene file
stores it relative to the scene), so a saved scene refers to the checkpoint rather than
copying it.

The functions at the top need no widgets; the dialog only lets a person choose.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets

from explorer.core.errors import CheckpointError, ExplorerError
from explorer.core.model.document import SceneDocument
from explorer.core.model.presets import target_shapes
from explorer.core.model.specs import WEIGHT_TARGETS, CheckpointTensor, LayerSpec, default_spec
from explorer.core.text import (
    tensor_shape_text as shape_text,  # "[16, 3, 3, 3]", as torch writes it
)
from explorer.ui.tools.weights.layer_checks import torch_loading
from explorer.ui.tools.weights.weight_edit import in_channels_at, replace_layer_step

if TYPE_CHECKING:
    import torch

__all__ = [
    "CheckpointImport",
    "CheckpointImportDialog",
    "auto_choices",
    "fitting_targets",
    "layer_from_tensor",
    "no_fit_message",
    "shape_text",
    "with_checkpoint",
]


def _load_state_dict(path: str | Path) -> Mapping[str, torch.Tensor]:
    """The checkpoint's tensors (GUI thread): not while another thread imports torch (or
    before the first paint has started that): importing it here then froze the window for
    0.2-1 s (monkey seed 6, Import Weights from Checkpoint… as its 4th action: 450 ms)."""
    if torch_loading():
        raise ExplorerError(
            "PyTorch is still loading (the first run loads it); try again in a moment"
        )
    from explorer.core.io.checkpoints import load_state_dict  # torch: not before the window is up

    return load_state_dict(path)


_FIT_BRUSH = QtGui.QBrush(QtGui.QColor(200, 235, 200))
KEEP = "(keep current)"


def _layer_name(spec: LayerSpec, layer_index: int) -> str:
    return f"layer {layer_index + 1} ({spec.kind})"


def fitting_targets(
    state: Mapping[str, torch.Tensor], spec: LayerSpec, in_channels: int
) -> dict[str, list[str]]:
    """For each weight target of ``spec`` (bias only when the layer has one), the names of
    the tensors whose shape is exactly the target's, in file order."""
    return {
        target: [k for k, t in state.items() if tuple(t.shape) == shape]
        for target, shape in target_shapes(spec, in_channels).items()
    }


def _bias_key(weight_key: str) -> str | None:
    return weight_key[: -len("weight")] + "bias" if weight_key.endswith("weight") else None


def auto_choices(
    state: Mapping[str, torch.Tensor], spec: LayerSpec, in_channels: int
) -> dict[str, str]:
    """A sensible pick per target: the first fitting tensor for a weight, and for a bias
    the ``….bias`` next to the chosen weight when it fits (else the first fitting)."""
    fits = fitting_targets(state, spec, in_channels)
    chosen: dict[str, str] = {}
    for target in WEIGHT_TARGETS[spec.kind]:
        if not fits.get(target):
            continue
        if target.endswith("bias"):
            weight_key = chosen.get(target[: -len("bias")] + "weight")
            partner = _bias_key(weight_key) if weight_key else None
            chosen[target] = partner if partner in fits[target] else fits[target][0]
        else:
            chosen[target] = fits[target][0]
    return chosen


def no_fit_message(
    path: str | Path,
    state: Mapping[str, torch.Tensor],
    spec: LayerSpec,
    in_channels: int,
    layer_index: int,
) -> str:
    """One line naming the file, what the layer needs and what the file has."""
    needs = ", ".join(f"{t} {shape_text(s)}" for t, s in target_shapes(spec, in_channels).items())
    has = ", ".join(f"{k} {shape_text(t.shape)}" for k, t in list(state.items())[:6])
    more = f" and {len(state) - 6} more" if len(state) > 6 else ""
    return (
        f"checkpoint {Path(path).name}: no tensor fits {_layer_name(spec, layer_index)}, "
        f"which needs {needs}; the file has {has}{more}"
    )


def with_checkpoint(
    spec: LayerSpec,
    in_channels: int,
    path: str | Path,
    state: Mapping[str, torch.Tensor],
    choices: Mapping[str, str],
    layer_index: int = 0,
) -> LayerSpec:
    """A copy of ``spec`` whose targets in ``choices`` (target → tensor name) read those
    tensors of the checkpoint at ``path``; other targets keep their source.

    Raises
    ------
    CheckpointError
        A name not in the file, a target the layer lacks, or a shape that does not fit
        (naming the file, the tensor, both shapes and the layer).
    """
    name = Path(path).name
    shapes = target_shapes(spec, in_channels)
    sources = dict(spec.weights)
    for target, key in choices.items():
        if target not in shapes:
            raise CheckpointError(
                f"checkpoint {name}: {_layer_name(spec, layer_index)} has no {target!r} "
                f"(it has {', '.join(shapes)})"
            )
        if key not in state:
            raise CheckpointError(f"checkpoint {name}: has no tensor {key!r}")
        got = tuple(state[key].shape)
        if got != shapes[target]:
            raise CheckpointError(
                f"checkpoint {name}: tensor {key!r} has shape {shape_text(got)}, but "
                f"{target} of {_layer_name(spec, layer_index)} needs {shape_text(shapes[target])}"
            )
        sources[target] = CheckpointTensor(checkpoint=str(Path(path).resolve()), key=key)
    order = WEIGHT_TARGETS[spec.kind]
    return replace(spec, weights=tuple(sorted(sources.items(), key=lambda p: order.index(p[0]))))


def layer_from_tensor(
    state: Mapping[str, torch.Tensor], key: str, in_channels: int, path: str | Path
) -> LayerSpec:
    """The layer a conv weight ``(C_out, C_in/g, kh, kw)`` describes on ``in_channels``
    inputs, carrying it (and ``….bias`` when the file has one of shape ``(C_out,)``).

    1×1 reading every input channel → pointwise; ``(C·m, 1, k, k)`` on ``C > 1`` inputs →
    depthwise with multiplier ``m``; otherwise standard with ``groups = C_in / shape[1]``.
    k×k layers get ``padding="same"``.

    Raises
    ------
    CheckpointError
        Not 4-D, or the shape cannot take ``in_channels`` inputs.
    """
    name = Path(path).name
    if key not in state:
        raise CheckpointError(f"checkpoint {name}: has no tensor {key!r}")
    shape = tuple(int(s) for s in state[key].shape)
    if len(shape) != 4:
        raise CheckpointError(
            f"checkpoint {name}: tensor {key!r} has shape {shape_text(shape)}; a conv weight "
            "has 4 dimensions (C_out, C_in/groups, kh, kw)"
        )
    c_out, per_group, kh, kw = shape
    c_in = int(in_channels)
    if c_in % per_group != 0 or c_out % (c_in // per_group) != 0:
        raise CheckpointError(
            f"checkpoint {name}: tensor {key!r} of shape {shape_text(shape)} cannot take "
            f"{c_in} input channels: C_in/groups = {per_group} must divide {c_in}, and the "
            f"groups must divide C_out = {c_out}"
        )
    bias_key = _bias_key(key)
    has_bias = bias_key in state and tuple(state[bias_key].shape) == (c_out,)
    if (kh, kw) == (1, 1) and per_group == c_in:
        spec: LayerSpec = default_spec("pointwise", out_channels=c_out, bias=has_bias)
    elif per_group == 1 and c_in > 1 and c_out % c_in == 0:
        spec = default_spec(
            "depthwise", kernel_size=(kh, kw), multiplier=c_out // c_in, bias=has_bias
        )
    else:
        spec = default_spec(
            "standard",
            out_channels=c_out,
            kernel_size=(kh, kw),
            groups=c_in // per_group,
            bias=has_bias,
        )
    choices = {"weight": key}
    if has_bias and bias_key is not None:
        choices["bias"] = bias_key
    return with_checkpoint(spec, c_in, path, state, choices)


class CheckpointImportDialog(QtWidgets.QDialog):
    """Lists a checkpoint's tensors with their shapes, highlights those that fit the layer,
    and offers one choice per weight target.

    ``result()`` after closing: ``QDialog.Accepted`` → use :meth:`choices` for the layer;
    :data:`CREATE` → create a layer from :meth:`selected_key`.
    """

    CREATE = 2

    def __init__(
        self,
        path: str | Path,
        state: Mapping[str, torch.Tensor],
        spec: LayerSpec | None,
        in_channels: int,
        layer_index: int,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("CheckpointImportDialog")
        self.setWindowTitle(f"Import Weights — {Path(path).name}")
        self.path = Path(path)
        self.state = dict(state)
        self._combos: dict[str, QtWidgets.QComboBox] = {}
        fits = fitting_targets(state, spec, in_channels) if spec is not None else {}
        fitting = {k for keys in fits.values() for k in keys}

        where = (
            f"{_layer_name(spec, layer_index)} on {in_channels} input channels"
            if spec is not None
            else "the input (no layer selected)"
        )
        header = QtWidgets.QLabel(
            f"<b>{self.path.name}</b>: {len(state)} tensors. Those that fit {where} are "
            "highlighted. Files are read with weights_only=True: no code in them is run."
        )
        header.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(len(state), 3)
        self.table.setObjectName("CheckpointTensors")
        self.table.setHorizontalHeaderLabels(["tensor", "shape", "fits"])
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        bold = self.font()
        bold.setBold(True)
        for row, (key, tensor) in enumerate(state.items()):
            targets = [t for t, keys in fits.items() if key in keys]
            cells = (key, shape_text(tensor.shape), ", ".join(targets))
            for col, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if key in fitting:
                    item.setBackground(_FIT_BRUSH)
                    item.setForeground(QtGui.QBrush(QtGui.QColor("black")))
                    item.setFont(bold)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)

        form = QtWidgets.QFormLayout()
        choices = auto_choices(state, spec, in_channels) if spec is not None else {}
        for target, shape in target_shapes(spec, in_channels).items() if spec else ():
            combo = QtWidgets.QComboBox()
            combo.addItem(KEEP, None)
            for key in fits[target]:
                combo.addItem(key, key)
            if target in choices:
                combo.setCurrentIndex(combo.findData(choices[target]))
            combo.setEnabled(bool(fits[target]))
            form.addRow(f"{target} {shape_text(shape)}:", combo)
            self._combos[target] = combo

        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828")
        if spec is not None and not fitting:
            self.message.setText(no_fit_message(path, state, spec, in_channels, layer_index))
        buttons = QtWidgets.QDialogButtonBox()
        self.use_button = buttons.addButton(
            f"Use for Layer {layer_index + 1}", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.use_button.setEnabled(bool(fitting))
        self.create_button = buttons.addButton(
            "Create Layer from Tensor", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole
        )
        self.create_button.setToolTip(
            "Insert a new layer after the selected one that uses "
            "the selected 4-D conv weight (and its bias)"
        )
        self.create_button.setEnabled(False)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.create_button.clicked.connect(lambda: self.done(self.CREATE))
        self.table.itemSelectionChanged.connect(self._on_selection)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(640, 460)

    def combo(self, target: str) -> QtWidgets.QComboBox:
        return self._combos[target]

    def fitting_rows(self) -> list[str]:
        """Names of the highlighted (fitting) tensors, in table order."""
        return [
            self.table.item(r, 0).text()
            for r in range(self.table.rowCount())
            if self.table.item(r, 0).background() == _FIT_BRUSH
        ]

    def choices(self) -> dict[str, str]:
        """Target → tensor name for every target not left at "keep current"."""
        return {t: c.currentData() for t, c in self._combos.items() if c.currentData()}

    def select_key(self, key: str) -> None:
        rows = [r for r in range(self.table.rowCount()) if self.table.item(r, 0).text() == key]
        if rows:
            self.table.selectRow(rows[0])

    def selected_key(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).text() if rows else None

    def _on_selection(self) -> None:
        key = self.selected_key()
        ok = key is not None and self.state[key].dim() == 4
        self.create_button.setEnabled(ok)
        if key is not None and not ok:
            self.message.setText(
                f"{key} {shape_text(self.state[key].shape)} is not a 4-D "
                "conv weight; a layer can only be created from one"
            )


class CheckpointImport:
    """Applies checkpoint tensors to the document: to the selected layer's targets, or as
    a new layer. ``report(text, error=...)`` says what happened (returns ``not error``)."""

    def __init__(
        self,
        document: SceneDocument,
        parent: QtWidgets.QWidget,
        report: Callable[..., bool],
    ) -> None:
        self.document = document
        self.parent = parent
        self.report = report

    def _selected(self) -> tuple[int, LayerSpec] | None:
        i = self.document.selected
        return (i, self.document.layers[i]) if 0 <= i < len(self.document.layers) else None

    def open_dialog(self, path: str | Path) -> CheckpointImportDialog | None:
        """Read ``path`` (weights only) and make the chooser, wired to apply its result;
        ``None`` and a message when the file cannot be used."""
        try:
            state = _load_state_dict(path)
        except ExplorerError as exc:
            self.report(str(exc), error=True)
            return None
        selected = self._selected()
        index = selected[0] if selected else 0
        spec = selected[1] if selected else None
        c_in = in_channels_at(self.document.scene, index)
        dialog = CheckpointImportDialog(path, state, spec, c_in, index, self.parent)
        if spec is not None and not dialog.fitting_rows():
            self.report(no_fit_message(path, state, spec, c_in, index), error=True)

        def done(result: int) -> None:
            key = dialog.selected_key()
            if result == QtWidgets.QDialog.DialogCode.Accepted:
                self.import_weights(path, dialog.choices())
            elif result == CheckpointImportDialog.CREATE and key:
                self.create_layer(path, key)

        dialog.finished.connect(done)
        return dialog

    def import_weights(self, path: str | Path, choices: Mapping[str, str] | None = None) -> bool:
        """Point the selected layer's targets at tensors of ``path`` (one undo step)."""
        selected = self._selected()
        if selected is None:
            return self.report("select a layer first: the input has no weights", error=True)
        i, spec = selected
        c_in = in_channels_at(self.document.scene, i)
        try:
            state = _load_state_dict(path)
            if choices is None:
                choices = auto_choices(state, spec, c_in)
            if not choices:
                return self.report(no_fit_message(path, state, spec, c_in, i), error=True)
            new = with_checkpoint(spec, c_in, path, state, choices, i)
        except ExplorerError as exc:
            return self.report(str(exc), error=True)
        replace_layer_step(self.document, i, new, f"import weights from {Path(path).name}")
        picked = ", ".join(f"{t} ← {k}" for t, k in choices.items())
        return self.report(f"layer {i + 1}: {picked} ({Path(path).name})")

    def create_layer(self, path: str | Path, key: str) -> bool:
        """Insert after the selected layer the layer that tensor ``key`` describes."""
        at = self.document.selected + 1
        scene = self.document.scene
        try:
            state = _load_state_dict(path)
            spec = layer_from_tensor(state, key, in_channels_at(scene, at), path)
        except ExplorerError as exc:
            return self.report(str(exc), error=True)
        layers = scene.layers[:at] + (spec,) + scene.layers[at:]
        self.document.set_scene(
            replace(scene, layers=layers), f"create {spec.kind} layer from {key}"
        )
        self.document.select(at)
        return self.report(f"layer {at + 1}: {spec.kind} layer from {key} ({Path(path).name})")
