"""Editing single weights by hand: which weight a cell of the weight view is, an inline
editor at that cell, and a table dialog for keyboard editing of a small layer.

The weight view draws a 1×1 layer's ``W[:, :, 0, 0]`` as a matrix (row = output channel,
column = input channel), a bias as a column, and k×k kernels as a mosaic with one-pixel
gaps (see :mod:`explorer.ui.views.weight_panels`). :func:`cell_index` turns a pixel of one of
those images back into the torch index of the weight it shows, so an edit lands on the
weight the user pointed at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PySide6 import QtCore, QtWidgets

from explorer.core.io.scene import Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import LayerSpec
from explorer.ui.tools.weights.layer_checks import check_layer, torch_loading

__all__ = [
    "MAX_TABLE_SIDE",
    "CellEditor",
    "WeightTableDialog",
    "cell_index",
    "current_weights",
    "in_channels_at",
    "index_text",
    "replace_layer_step",
    "shown_as_matrix",
]

#: Largest side of a matrix or kernel the table dialog edits (bigger: use a checkpoint).
MAX_TABLE_SIDE = 64
#: Gap between kernels of a mosaic, as the weight view draws them.
_GAP = 1


def in_channels_at(scene: Scene, index: int) -> int:
    """Channels coming into layer ``index`` (``len(layers)``: out of the last layer).

    Needs no image: an image input has 3 channels (RGB) or 1 (grayscale).
    """
    inp = scene.input
    # arithmetic only: importing torch here would wait for the first run's import of it
    from explorer.core.model.presets import target_shapes

    channels = int(inp.shape[0]) if inp.shape is not None else (3 if inp.mode == "rgb" else 1)
    for spec in scene.layers[:index]:
        weights = [s for t, s in target_shapes(spec, channels).items() if t.endswith("weight")]
        channels = int(weights[-1][0])
    return channels


def current_weights(
    scene: Scene, index: int, *, edit: bool = True, on_worker: bool = False
) -> tuple[int, dict[str, np.ndarray]]:
    """``(in_channels, weights)`` of layer ``index`` as it runs now: seeded init with
    ``spec.weights`` applied (what :func:`~explorer.core.compute.build.layer_weights` returns).

    Goes through :func:`check_layer` first: nothing is built for a layer of an invalid stack,
    nor one whose weights would not fit in memory (or, with ``edit``, are too many to set by
    hand, which also keeps this quick enough for the GUI thread). ``on_worker``: called on
    a worker thread (:mod:`explorer.ui.tools.weights.weight_reader`), which may wait for torch's import.

    Raises
    ------
    ExplorerError
        From :func:`check_layer`, or a :class:`SpecError` when the layer cannot be built
        (e.g. set weights that no longer fit).
    """
    from explorer.core.errors import ExplorerError, SpecError

    c_in = check_layer(scene, index, edit=edit)
    if not on_worker and torch_loading():
        raise ExplorerError(
            "PyTorch is still loading (the first run loads it); try again in a moment"
        )
    from explorer.core.compute.build import (  # torch: not before the window is up
        build_layer,
        layer_weights,
    )

    try:
        module = build_layer(scene.layers[index], c_in, seed=scene.seed, index=index)
    except (ValueError, RuntimeError) as exc:  # torch refuses (a guard missed a case)
        raise SpecError(f"cannot build this layer: {exc}", layer=index) from exc
    return c_in, layer_weights(module, scene.layers[index])


def replace_layer_step(document: SceneDocument, index: int, spec: LayerSpec, label: str) -> None:
    """Replace layer ``index`` as one undo step called ``label``.

    Uses ``set_scene`` rather than ``replace_layer``: two presets applied in quick
    succession must stay two steps (``replace_layer`` merges quick edits of one field).
    """
    layers = list(document.layers)
    layers[index] = spec
    document.set_scene(replace(document.scene, layers=tuple(layers)), label)


def shown_as_matrix(spec: LayerSpec, target: str, shape: tuple[int, ...]) -> bool:
    """Whether the weight view draws ``target`` as a C_out×C_in matrix (1×1 weights)."""
    if len(shape) != 4 or shape[2:] != (1, 1) or target not in type(spec).weight_paths:
        return False
    conv = spec.target_conv(target)
    return conv is not None and not conv.per_channel and target.endswith("weight")


def cell_index(
    spec: LayerSpec,
    target: str,
    shape: tuple[int, ...],
    image_shape: tuple[int, int],
    row: int,
    col: int,
) -> tuple[int, ...] | None:
    """The torch index of the weight drawn at pixel ``(row, col)`` of the weight view's
    image of ``target`` (``image_shape`` = that image's shape), or ``None`` in a gap.

    Matrix → ``(c, c', 0, 0)``; bias → ``(c,)``; depthwise mosaic (kernel ``ch`` in cell
    ``divmod(ch, cols)``) → ``(ch, 0, r, c)``; standard mosaic (cell row = output channel,
    cell column = input channel of the group) → ``(o, i, r, c)``.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 1:
        return (row,) if 0 <= row < shape[0] and col == 0 else None
    if shown_as_matrix(spec, target, shape):
        ok = 0 <= row < shape[0] and 0 <= col < shape[1]
        return (row, col, 0, 0) if ok else None
    _, _, kh, kw = shape
    cell_r, r = divmod(row, kh + _GAP)
    cell_c, c = divmod(col, kw + _GAP)
    if r >= kh or c >= kw or row < 0 or col < 0:
        return None
    conv = spec.target_conv(target) if target in type(spec).weight_paths else None
    if shape[1] == 1 and conv is not None and conv.per_channel:  # depthwise mosaic
        cols = (int(image_shape[1]) + _GAP) // (kw + _GAP)
        channel = cell_r * cols + cell_c
        return (channel, 0, r, c) if channel < shape[0] else None
    if cell_r < shape[0] and cell_c < shape[1]:
        return (cell_r, cell_c, r, c)
    return None


def index_text(target: str, index: tuple[int, ...]) -> str:
    """``"pointwise.weight[2, 0, 0, 0]"``."""
    return f"{target}[{', '.join(str(i) for i in index)}]"


class CellEditor(QtWidgets.QDoubleSpinBox):
    """A spin box shown over one weight: Enter (or leaving it) commits, Esc cancels.

    ``commit(value)`` is called at most once; the editor deletes itself afterwards.
    """

    def __init__(
        self,
        value: float,
        commit: Callable[[float], None],
        parent: QtWidgets.QWidget,
        *,
        tip: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("WeightCellEditor")
        self.setRange(-1e6, 1e6)
        self.setDecimals(4)
        self.setSingleStep(0.1)
        self.setKeyboardTracking(False)
        self.setValue(float(value))
        self.setToolTip(tip or "Type a value; Enter sets it, Esc cancels")
        self._commit: Callable[[float], None] | None = commit
        self.editingFinished.connect(self._finish)

    def show_at(self, point: QtCore.QPoint) -> None:
        """Show centred on ``point`` (in the parent's coordinates), focused, text selected."""
        self.adjustSize()
        size = self.sizeHint()
        self.resize(max(size.width(), 96), size.height())
        parent = self.parentWidget()
        x = point.x() - self.width() // 2
        y = point.y() - self.height() // 2
        if parent is not None:
            x = max(0, min(x, parent.width() - self.width()))
            y = max(0, min(y, parent.height() - self.height()))
        self.move(x, y)
        self.show()
        self.raise_()
        self.setFocus(QtCore.Qt.FocusReason.PopupFocusReason)
        self.selectAll()

    def cancel(self) -> None:
        """Close without changing anything."""
        self._commit = None
        self.hide()
        self.deleteLater()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if event.key() == QtCore.Qt.Key.Key_Escape:
            self.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def _finish(self) -> None:
        commit, self._commit = self._commit, None
        if commit is None:
            return
        self.hide()
        self.deleteLater()
        commit(self.value())


class WeightTableDialog(QtWidgets.QDialog):
    """Edit one weight tensor of a layer in a table (keyboard: arrows, type, Enter).

    A 1×1 weight is shown as its C_out×C_in matrix; a k×k weight one kernel at a time
    (choose output channel and input channel); a bias as one column. **Apply** hands the
    whole edited tensor to ``apply(target, array)`` (one undo step).

    Parameters
    ----------
    spec
        The layer (to know how each target is drawn).
    weights
        The layer's current tensors, keyed by target (torch shapes).
    apply
        Called with ``(target, array)``; returns an error message or ``None``.
    """

    def __init__(
        self,
        spec: LayerSpec,
        weights: dict[str, np.ndarray],
        apply: Callable[[str, np.ndarray], str | None],
        parent: QtWidgets.QWidget | None = None,
        *,
        title: str = "Edit weights",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("WeightTableDialog")
        self.setWindowTitle(title)
        self._spec = spec
        self._apply = apply
        self._work = {k: np.array(v, dtype=np.float64) for k, v in weights.items()}
        self.target = QtWidgets.QComboBox()
        for key, value in self._work.items():
            self.target.addItem(f"{key}  {list(value.shape)}", key)
        self.out_channel = QtWidgets.QSpinBox()
        self.in_channel = QtWidgets.QSpinBox()
        self.table = QtWidgets.QTableWidget()
        self.table.setObjectName("WeightTable")
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828")
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Apply
            | QtWidgets.QDialogButtonBox.StandardButton.Close
        )
        self.apply_button = buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Apply)
        self.apply_button.clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        pick = QtWidgets.QHBoxLayout()
        pick.addWidget(QtWidgets.QLabel("Tensor:"))
        pick.addWidget(self.target, 1)
        self._kernel_labels = (QtWidgets.QLabel("output c:"), QtWidgets.QLabel("input c':"))
        for label, box in zip(
            self._kernel_labels, (self.out_channel, self.in_channel), strict=True
        ):
            pick.addWidget(label)
            pick.addWidget(box)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(pick)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.target.currentIndexChanged.connect(self._show)
        self.out_channel.valueChanged.connect(self._show)
        self.in_channel.valueChanged.connect(self._show)
        self.table.itemChanged.connect(self._on_item_changed)
        self._show()
        self.resize(560, 420)

    # ------------------------------------------------------------------ public
    def current_target(self) -> str:
        return str(self.target.currentData())

    def values(self, target: str | None = None) -> np.ndarray:
        """The edited tensor of ``target`` (default: the one shown)."""
        return self._work[target or self.current_target()].copy()

    def cell(self, row: int, col: int) -> QtWidgets.QTableWidgetItem:
        return self.table.item(row, col)

    def apply(self) -> bool:
        """Hand the edited tensor shown to ``apply``; show its error, if any."""
        target = self.current_target()
        error = self._apply(target, self._work[target].copy())
        self.message.setText(error or "")
        return error is None

    # ------------------------------------------------------------------ internals
    def _view(self) -> np.ndarray:
        """The 2-D view of the work tensor that the table shows (writes go through)."""
        target = self.current_target()
        w = self._work[target]
        if w.ndim == 1:
            return w.reshape(-1, 1)
        if shown_as_matrix(self._spec, target, w.shape):
            return w[:, :, 0, 0]
        return w[self.out_channel.value(), self.in_channel.value()]

    def _show(self) -> None:
        target = self.current_target()
        w = self._work[target]
        kernel = w.ndim == 4 and not shown_as_matrix(self._spec, target, w.shape)
        for widget in (*self._kernel_labels, self.out_channel, self.in_channel):
            widget.setVisible(kernel)
        if kernel:
            for box, n in ((self.out_channel, w.shape[0]), (self.in_channel, w.shape[1])):
                box.blockSignals(True)
                box.setRange(0, n - 1)
                box.blockSignals(False)
        view = self._view()
        rows, cols = view.shape
        if max(rows, cols) > MAX_TABLE_SIDE:
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.message.setText(
                f"{target} is {rows}×{cols}: too big to edit as a table (at most "
                f"{MAX_TABLE_SIDE}×{MAX_TABLE_SIDE}); import it from a checkpoint instead"
            )
            self.apply_button.setEnabled(False)
            return
        self.apply_button.setEnabled(True)
        self.message.setText("")
        self.table.blockSignals(True)
        self.table.setRowCount(rows)
        self.table.setColumnCount(cols)
        vertical, horizontal = self._headers(target, w, kernel, rows, cols)
        self.table.setVerticalHeaderLabels(vertical)
        self.table.setHorizontalHeaderLabels(horizontal)
        for r in range(rows):
            for c in range(cols):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(f"{view[r, c]:.6g}"))
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()

    @staticmethod
    def _headers(
        target: str, w: np.ndarray, kernel: bool, rows: int, cols: int
    ) -> tuple[list[str], list[str]]:
        if w.ndim == 1:
            return [f"c={r}" for r in range(rows)], ["b[c]"]
        if kernel:
            return [f"row {r}" for r in range(rows)], [f"col {c}" for c in range(cols)]
        return [f"c={r}" for r in range(rows)], [f"c'={c}" for c in range(cols)]

    def _on_item_changed(self, item: QtWidgets.QTableWidgetItem) -> None:
        view = self._view()
        r, c = item.row(), item.column()
        try:
            value = float(item.text().replace(",", "."))
            if not np.isfinite(value):
                raise ValueError
        except ValueError:
            self.message.setText(
                f"{self.current_target()} row {r}, column {c}: {item.text()!r} is not a "
                "finite number; the old value is kept"
            )
            self.table.blockSignals(True)
            item.setText(f"{view[r, c]:.6g}")
            self.table.blockSignals(False)
            return
        view[r, c] = value
        self.message.setText("")
