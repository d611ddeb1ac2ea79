"""Weights people can reason about, in the window: presets, hand edits, checkpoints, blocks.

* **Layer ▸ Weights** (also the "Weights ▾" button above the weight view and its context
  menu): the presets of :mod:`explorer.core.model.presets` that fit the selected layer (for a
  separable layer, one section per part), "Edit Weights…" and "Reset to Seeded Random".
* Double-click a cell of the 1×1 matrix, a kernel tap or a bias: a spin box opens there;
  Enter sets that one weight (:func:`~explorer.core.model.presets.set_weight_value`).
* **Layer ▸ Import Weights from Checkpoint…** (:mod:`explorer.ui.tools.weights.checkpoint_dialog`).
* **Layer ▸ Insert Block** and the layer panel's Add ▾ menu (:mod:`explorer.ui.tools.weights.block_menu`).

Every change is one labelled undo step ("apply preset Sobel x") made through the
document, so the controller reruns and the views follow. A preset or file that does not fit
changes nothing and says why, in the status bar and in the line above the weight view.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtWidgets
from PySide6.QtGui import QAction

from explorer.core.errors import ExplorerError, SpecError
from explorer.core.model.blocks import BLOCKS
from explorer.core.model.presets import (
    apply_preset,
    presets_for,
    set_weight_value,
    target_shapes,
    with_weight,
)
from explorer.core.model.specs import LayerSpec
from explorer.ui.tools.weights.block_menu import ask_and_insert, block_actions, insert_block
from explorer.ui.tools.weights.checkpoint_dialog import CheckpointImport, CheckpointImportDialog
from explorer.ui.tools.weights.layer_checks import check_layer, edit_problem, fit_scene_weights
from explorer.ui.tools.weights.weight_edit import (
    CellEditor,
    WeightTableDialog,
    cell_index,
    in_channels_at,
    index_text,
    replace_layer_step,
)
from explorer.ui.tools.weights.weight_reader import WeightReader
from explorer.ui.views.weight_panels import MatrixPanel
from explorer.ui.widgets.binding import connect_while_alive

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = ["PRESET_TITLES", "WeightTools", "install"]

#: Menu text of each preset (the undo label is "apply preset " + this).
PRESET_TITLES = {
    "identity": "Identity",
    "permutation": "Channel permutation",
    "rgb_to_gray": "RGB → grayscale",
    "rgb_to_yuv": "RGB → YUV",
    "rgb_to_ycbcr": "RGB → YCbCr",
    "random": "Random (seeded Kaiming)",
    "box_blur": "Box blur",
    "gaussian": "Gaussian",
    "sobel_x": "Sobel x",
    "sobel_y": "Sobel y",
    "laplacian": "Laplacian",
    "sharpen": "Sharpen",
}
_HINT = "Double-click a weight to edit it"
_CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth *.ckpt *.bin *.safetensors);;All files (*)"


def install(host: ToolHost) -> WeightTools:
    """Add the weight tools to the window of ``host`` (see the module docstring)."""
    return WeightTools(host)


class WeightTools(QtCore.QObject):
    """Owns the weight menus, the bar above the weight view and the dialogs they open.

    Attributes
    ----------
    weights_menu
        Layer ▸ Weights, rebuilt for the selected layer.
    preset_actions
        ``(part, name) → QAction`` of the presets offered now (``part`` is ``None``
        except for a separable layer: ``"depthwise"``/``"pointwise"``).
    block_actions
        Block name → QAction (in Layer ▸ Insert Block and the panel's Add ▾ menu).
    message
        The line above the weight view that says what happened or what did not fit.
    """

    def __init__(self, host: ToolHost) -> None:
        window = host.widget
        super().__init__(window)
        self.host = host
        self.window = window  # the parent of the dialogs
        self.document = host.document
        layer_menu = host.menu("layer")
        self.weights_menu = layer_menu.addMenu("&Weights")
        self.weights_menu.setToolTipsVisible(True)
        self.preset_actions: dict[tuple[str | None, str], QAction] = {}
        self.edit_action = self._action(
            "&Edit Weights…", self.edit_table, "Edit the selected layer's weights in a table"
        )
        self.reset_action = self._action(
            "&Reset to Seeded Random",
            self.reset_weights,
            "Forget set weights: back to the scene's seeded init",
        )
        self.import_action = self._action(
            "&Import Weights from Checkpoint…",
            self.import_checkpoint,
            "Use tensors of a PyTorch .pt/.pth state_dict",
        )
        layer_menu.addAction(self.import_action)
        self.blocks_menu = layer_menu.addMenu("Insert &Block")
        self.block_actions = block_actions(
            self.window, self.ask_block, (self.blocks_menu, host.menu("add"))
        )
        self.dialog: QtWidgets.QDialog | None = None
        self.checkpoints = CheckpointImport(self.document, window, self.report)
        self.editor: CellEditor | None = None
        self.reader = WeightReader(self.document, self)  # reads weights on a worker
        host.run.run_finished.connect(lambda *_: self.reader.schedule())
        self._build_bar()
        self._hook_weight_view()
        # keep what fits (core/weight_fit.py)
        self.document.fit = lambda scene: fit_scene_weights(scene, remembered=True)
        connect_while_alive(self.document.adjusted, self._on_adjusted, window)
        connect_while_alive(self.document.changed, self._rebuild, window)
        connect_while_alive(self.document.selection_changed, self._on_selection, window)
        self._rebuild()

    # ------------------------------------------------------------------ presets
    def apply_preset(self, name: str, part: str | None = None, **options: object) -> bool:
        """Apply preset ``name`` to the selected layer (one undo step); ``False`` and a
        message when it does not fit."""
        target = self._selected()
        if target is None:
            return False
        index, spec = target
        title = PRESET_TITLES.get(name, name)
        scene = self.document.scene
        if name == "random":
            from explorer.core.compute.build import layer_seed  # torch: not before the window is up

            options.setdefault("seed", layer_seed(scene.seed, index))
        try:
            new = apply_preset(spec, check_layer(scene, index), name, part=part, **options)
        except ExplorerError as exc:
            text = exc.message if isinstance(exc, SpecError) else str(exc)
            return self.report(
                f"{title} does not fit layer {index + 1} ({spec.kind}): {text}", error=True
            )
        self._replace(index, new, f"apply preset {title.split(' (')[0]}")
        return self.report(f"layer {index + 1}: applied {title}")

    def reset_weights(self) -> bool:
        """Clear the selected layer's set weights (back to the seeded random init)."""
        target = self._selected()
        if target is None:
            return False
        index, spec = target
        if not spec.weights:
            return self.report(f"layer {index + 1} already has its seeded random weights")
        self._replace(index, replace(spec, weights=()), "reset weights to seeded random")
        return self.report(f"layer {index + 1}: weights back to seeded random")

    # ------------------------------------------------------------------ hand edits
    def set_weight(self, target: str, index: tuple[int, ...], value: float) -> bool:
        """Set one weight of the selected layer (a matrix cell, kernel tap or bias)."""
        selected = self._selected()
        if selected is None:
            return False
        i, spec = selected
        try:
            c_in, weights = self.reader.weights(self.document.scene, i)
            if target not in weights:
                raise SpecError(f"{spec.kind} layer has no {target!r}", field="weights")
            new = set_weight_value(spec, c_in, target, index, value, current=weights[target])
        except ExplorerError as exc:
            return self.report(f"layer {i + 1}: {exc}", error=True)
        where = index_text(target, tuple(index))
        self.document.replace_layer(i, new, f"edit weight {where}")
        return self.report(f"layer {i + 1}: {where} = {value:.4g}")

    def open_cell_editor(
        self, target: str, index: tuple[int, ...], at: QtCore.QPointF | None = None
    ) -> CellEditor | None:
        """A spin box over the weight ``target[index]`` of the selected layer (at scene
        position ``at`` of its panel; the panel's centre by default)."""
        selected = self._selected()
        panel = self.host.weight_view.panels().get(target)
        if selected is None or panel is None:
            return None
        try:
            _, weights = self.reader.weights(self.document.scene, selected[0])
            value = float(weights[target][tuple(index)])
        except (ExplorerError, KeyError, IndexError) as exc:
            self.report(f"cannot edit {index_text(target, tuple(index))}: {exc}", error=True)
            return None
        if self.editor is not None:
            self.editor.cancel()
        view = panel.view
        point = view.mapFromScene(at) if at is not None else view.viewport().rect().center()
        self.editor = CellEditor(
            value,
            lambda v: self.set_weight(target, tuple(index), v),
            view.viewport(),
            tip=f"{index_text(target, tuple(index))}: Enter sets it, Esc cancels",
        )
        self.editor.destroyed.connect(lambda *_: setattr(self, "editor", None))
        self.editor.show_at(point)
        return self.editor

    def cell_at(
        self, panel: MatrixPanel, scene_pos: QtCore.QPointF
    ) -> tuple[str, tuple[int, ...]] | None:
        """``(target, torch index)`` of the weight drawn under ``scene_pos`` in ``panel``."""
        key = {id(p): k for k, p in self.host.weight_view.panels().items()}.get(id(panel))
        pixel = panel.pixel_at(scene_pos)
        selected = self._selected(quiet=True)
        if key is None or pixel is None or selected is None:
            return None
        i, spec = selected
        shape = target_shapes(spec, in_channels_at(self.document.scene, i)).get(key)
        index = (
            None
            if shape is None
            else cell_index(spec, key, shape, panel.image_item.image.shape, *pixel)
        )
        return (key, index) if index is not None else None

    def edit_table(self) -> WeightTableDialog | None:
        """Open the table dialog for the selected layer (non-blocking)."""
        selected = self._selected()
        if selected is None:
            return None
        i, spec = selected
        try:
            _, weights = self.reader.weights(self.document.scene, i)
        except ExplorerError as exc:
            self.report(f"layer {i + 1}: {exc}", error=True)
            return None

        def apply(target: str, array: np.ndarray) -> str | None:
            layers = self.document.layers
            if i >= len(layers) or layers[i].kind != spec.kind:
                return f"layer {i + 1} changed since this dialog opened; open it again"
            try:
                new = with_weight(layers[i], target, array)
            except SpecError as exc:
                return str(exc)
            self._replace(i, new, f"edit {target}")
            self.report(f"layer {i + 1}: {target} set from the table")
            return None

        dialog = WeightTableDialog(
            spec, weights, apply, self.window, title=f"Edit Weights — layer {i + 1} ({spec.kind})"
        )
        self._show_dialog(dialog)
        return dialog

    # ------------------------------------------------------------------ checkpoints
    def import_checkpoint(self) -> None:
        """Layer ▸ Import Weights from Checkpoint…: pick a file, then choose tensors."""
        start = str(self.document.path.parent) if self.document.path else ""
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.window, "Import Weights from Checkpoint", start, _CHECKPOINT_FILTER
        )
        if path:
            self.open_import_dialog(path)

    def open_import_dialog(self, path: str | Path) -> CheckpointImportDialog | None:
        """Read ``path`` safely and open the tensor chooser (non-blocking); ``None`` and a
        message when the file cannot be used."""
        dialog = self.checkpoints.open_dialog(path)
        if dialog is not None:
            self._show_dialog(dialog)
        return dialog

    def import_weights(self, path: str | Path, choices: dict[str, str] | None = None) -> bool:
        """Point the selected layer's targets at tensors of checkpoint ``path``
        (``choices``: target → tensor name; default the best fitting ones)."""
        return self.checkpoints.import_weights(path, choices)

    def create_layer_from_tensor(self, path: str | Path, key: str) -> bool:
        """Insert, after the selected layer, the layer the conv weight ``key`` describes."""
        return self.checkpoints.create_layer(path, key)

    # ------------------------------------------------------------------ blocks
    def ask_block(self, name: str) -> QtWidgets.QDialog:
        """Ask the block's output channels and stride, then insert it (non-blocking)."""
        self.dialog = ask_and_insert(self.document, name, self.window, self.report)
        return self.dialog

    def insert_block(self, name: str, **options: object) -> bool:
        """Insert block ``name`` after the selected layer without asking."""
        try:
            insert_block(self.document, name, **options)
        except SpecError as exc:
            return self.report(f"{BLOCKS[name].title}: {exc}", error=True)
        return self.report(f"inserted {BLOCKS[name].title}")

    # ------------------------------------------------------------------ messages
    def report(self, text: str, *, error: bool = False) -> bool:
        """Say ``text`` in the status bar and above the weight view; return ``not error``."""
        self.host.show_status(text, 15000)
        self.message.setText(text)
        self.message.setToolTip(text)
        self.message.setStyleSheet("color: #c62828" if error else "")
        return not error

    def _on_adjusted(self, notes: list[str]) -> None:
        self.report("; ".join(notes) + f" (Undo brings {'it' if len(notes) == 1 else 'them'} back)")

    # ------------------------------------------------------------------ internals
    def _action(self, text: str, slot, tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        return action

    def _selected(self, quiet: bool = False) -> tuple[int, LayerSpec] | None:
        i = self.document.selected
        if 0 <= i < len(self.document.layers):
            spec = self.document.layers[i]
            if type(spec).weight_paths:
                return i, spec
            if not quiet:  # pools, activation layers, blocks
                self.report(f"layer {i + 1} ({spec.kind}) has no weights to set here", error=True)
            return None
        if not quiet:
            self.report("select a layer first: the input has no weights", error=True)
        return None

    def _replace(self, index: int, spec: LayerSpec, label: str) -> None:
        replace_layer_step(self.document, index, spec, label)

    def _show_dialog(self, dialog: QtWidgets.QDialog) -> None:
        if self.dialog is not None and self.dialog is not dialog:
            self.dialog.close()
        self.dialog = dialog
        dialog.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        dialog.show()

    def _on_selection(self, _index: int) -> None:
        problem = self._rebuild()  # checked once per selection, not twice
        selected = self._selected(quiet=True)
        self.message.setText(
            "" if selected is None else f"Cannot set weights: {problem}" if problem else _HINT
        )
        self.message.setStyleSheet("")

    def _rebuild(self, *_: object) -> str | None:
        """Fill the weights menu for the selected layer; returns why its weights cannot be
        set now (``None`` when they can)."""
        self.reader.schedule()
        menu = self.weights_menu
        menu.clear()
        self.preset_actions = {}
        selected = self._selected(quiet=True)
        problem: str | None = None
        if selected is None:
            note = menu.addAction("Select a layer to set its weights")
            note.setEnabled(False)
        else:
            spec = selected[1]
            problem = edit_problem(self.document.scene, selected[0])
            if problem is not None:  # the actions stay listed, disabled, saying why
                note = menu.addAction(f"Cannot set weights: {problem}")
                note.setEnabled(False)
            owners = [t.partition(".")[0] for t in type(spec).weight_paths if "." in t]
            parts = tuple(dict.fromkeys(reversed(owners))) or (None,)  # separable: pw, dw
            for part in parts:
                if part is not None:
                    menu.addSection(f"{part} part ({'1×1' if part == 'pointwise' else 'k×k'})")
                for name, description in presets_for(spec, part).items():
                    action = menu.addAction(PRESET_TITLES.get(name, name))
                    action.setToolTip(description)
                    action.setStatusTip(description)
                    action.triggered.connect(
                        lambda _=False, n=name, p=part: self.apply_preset(n, p)
                    )
                    action.setEnabled(problem is None)
                    self.preset_actions[(part, name)] = action
            menu.addSeparator()
            menu.addAction(self.edit_action)
            menu.addAction(self.reset_action)
        shown = self.message.text() if hasattr(self, "message") else ""
        if shown == _HINT or shown.startswith("Cannot set weights: "):  # not a report: follow
            self.message.setText(f"Cannot set weights: {problem}" if problem else _HINT)
            self.message.setToolTip(self.message.text())
        editable = selected is not None and problem is None
        self.edit_action.setEnabled(editable)
        self.edit_action.setToolTip(problem or "Edit the selected layer's weights in a table")
        self.reset_action.setEnabled(selected is not None and bool(selected[1].weights))
        self.import_action.setEnabled(selected is not None)  # the input has no weights
        if hasattr(self, "presets_button"):
            self.presets_button.setEnabled(selected is not None)
        return problem

    def _build_bar(self) -> None:
        bar = QtWidgets.QWidget(self.host.weight_view)
        bar.setObjectName("WeightToolsBar")
        row = QtWidgets.QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.presets_button = QtWidgets.QToolButton(bar)
        self.presets_button.setText("Weights")
        self.presets_button.setToolTip("Weight presets for the selected layer")
        self.presets_button.setMenu(self.weights_menu)
        self.presets_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        row.addWidget(self.presets_button)
        for action, text in ((self.edit_action, "Edit…"), (self.import_action, "Import…")):
            button = QtWidgets.QToolButton(bar)
            button.setDefaultAction(action)
            button.setText(text)
            action.changed.connect(lambda b=button, t=text: b.setText(t))  # always this text
            row.addWidget(button)
        self.message = QtWidgets.QLabel(_HINT, bar)
        self.message.setObjectName("WeightToolsMessage")
        self.message.setMinimumWidth(40)
        self.message.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
        )
        row.addWidget(self.message, 1)
        self.bar = bar
        self.host.weight_view.add_bar(bar)

    def _hook_weight_view(self) -> None:
        view = self.host.weight_view
        view.set_context_menu(self.weights_menu)  # our menu, not pyqtgraph's axis/view menu
        view.panel_clicked.connect(self._on_click)

    def _on_click(self, panel: MatrixPanel, event: object) -> None:
        button = event.button()  # type: ignore[attr-defined]
        if button == QtCore.Qt.MouseButton.RightButton:
            self.weights_menu.popup(event.screenPos().toPoint())  # type: ignore[attr-defined]
            return
        if not event.double() or button != QtCore.Qt.MouseButton.LeftButton:  # type: ignore
            return
        hit = self.cell_at(panel, event.scenePos())  # type: ignore[attr-defined]
        if hit is not None:
            self.open_cell_editor(hit[0], hit[1], event.scenePos())  # type: ignore
