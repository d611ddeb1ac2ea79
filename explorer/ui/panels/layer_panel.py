"""The layer list: the input, then one row per layer, with add/remove/duplicate/move.

The list shows the document; it never owns the layers. Every button, shortcut and drop
calls a :class:`~explorer.core.model.document.SceneDocument` method, and the rows are rewritten
when the document says it changed. Row 0 is the input, then one row per layer;
an expanded block adds a row per inner layer (and its SE and skip) under its own row.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidgetItem,
    QMenu,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis.costs import StackCost
from explorer.core.errors import ExplorerError, SpecError
from explorer.core.io.samples import DEFAULT_SAMPLE, SAMPLE_PREFIX
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import KINDS, LAYER_KINDS, SPEC_TYPES, LayerSpec, default_spec
from explorer.core.text import shape_text
from explorer.ui.panels.block_rows import block_rows, block_summary, inner_edit
from explorer.ui.panels.layer_list import SHAPE_ROLE, LayerList
from explorer.ui.widgets.binding import connect_while_alive, signals_blocked

__all__ = ["SHAPE_ROLE", "LayerPanel", "input_summary", "layer_summary"]

#: Item data role holding the output shape text drawn right-aligned in a row.

_ERROR_COLOR = QColor("#c62828")

KIND_TIPS = {name: cls.tip for name, cls in SPEC_TYPES.items()}  # one line per kind


def _pair_text(pair: tuple[int, int] | str) -> str:
    if isinstance(pair, str):
        return pair
    return f"{pair[0]}×{pair[1]}"


def layer_summary(index: int, spec: LayerSpec) -> str:
    """The row text of a layer: ``"2  separable 3×3 → 32"`` (1-based index, key fields)."""
    if isinstance(getattr(spec, "layers", None), tuple):  # a block: its own summary
        return f"{index + 1}  {block_summary(spec, expanded=True)}"
    parts = [f"{index + 1}  {spec.kind}"]
    kernel = getattr(spec, "kernel_size", None)
    if kernel is not None:
        parts.append(_pair_text(kernel))
    if getattr(spec, "multiplier", 1) != 1:
        parts.append(f"×{spec.multiplier}")  # type: ignore[attr-defined]
    if getattr(spec, "groups", 1) != 1:
        parts.append(f"g{spec.groups}")  # type: ignore[attr-defined]
    stride = getattr(spec, "stride", (1, 1))
    if stride != (1, 1):
        parts.append(f"/{stride[0]}" if stride[0] == stride[1] else f"/{_pair_text(stride)}")
    if spec.has_out_channels:
        parts.append(f"→ {spec.out_channels}")  # type: ignore[attr-defined]
    return " ".join(parts)


def input_source_name(input_spec: InputSpec) -> str:
    """A short name for where the input comes from: a sample, a file name or ``random``."""
    if input_spec.shape is not None:
        return "random"
    if input_spec.image is None:
        return DEFAULT_SAMPLE
    if input_spec.image.startswith(SAMPLE_PREFIX):
        return input_spec.image[len(SAMPLE_PREFIX) :]
    return Path(input_spec.image).name


def input_summary(input_spec: InputSpec) -> str:
    """The row text of the input: ``"Input (astronaut, RGB)"``."""
    if input_spec.shape is not None:
        return "Input (random tensor)"
    mode = "RGB" if input_spec.mode == "rgb" else "Grayscale"
    return f"Input ({input_source_name(input_spec)}, {mode})"


class LayerPanel(QWidget):
    """The input and the layers of a :class:`SceneDocument`, with editing actions.

    Parameters
    ----------
    document
        The document shown and edited.

    Notes
    -----
    :meth:`set_costs` gives the output shape of each row and marks the row of an error.
    """

    def __init__(self, document: SceneDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._cost: StackCost | None = None
        self._error: ExplorerError | None = None
        #: ``(layer index, inner index)`` of each row: ``(-1, -1)`` the input, ``(i, -1)``
        #: layer i (or a block's SE/skip row), ``(i, j)`` inner layer j of block i
        self._rows: list[tuple[int, int]] = [(-1, -1)]
        #: identities of the blocks shown collapsed
        self._collapsed: set[int] = set()

        self.list = LayerList(self)
        self.list.setToolTip("The input, then the layers in the order they run")
        self.add_actions: dict[str, QAction] = {}
        add_menu = QMenu(self)
        for kind in KINDS:
            action = QAction(kind, self)
            action.setToolTip(KIND_TIPS[kind])
            action.setStatusTip(KIND_TIPS[kind])
            action.triggered.connect(lambda _=False, k=kind: self.add_layer(k))
            add_menu.addAction(action)
            self.add_actions[kind] = action
        add_menu.setToolTipsVisible(True)
        self.add_button = QToolButton(self)
        self.add_button.setText("Add")
        self.add_button.setMenu(add_menu)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolTip("Add a layer after the selected one")

        self.remove_action = self._action(
            "Remove", "Delete", "Remove the selected layer", self.remove_selected
        )
        self.duplicate_action = self._action(
            "Duplicate",
            "Ctrl+D",
            "Insert a copy of the selected layer after it",
            self.duplicate_selected,
        )
        self.move_up_action = self._action(
            "↑", "Alt+Up", "Move the selected layer up", lambda: self.move_selected(-1)
        )
        self.move_down_action = self._action(
            "↓", "Alt+Down", "Move the selected layer down", lambda: self.move_selected(+1)
        )
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.setSpacing(2)
        buttons.addWidget(self.add_button)
        self.action_buttons: dict[str, QToolButton] = {}
        for name, action in (
            ("remove", self.remove_action),
            ("duplicate", self.duplicate_action),
            ("up", self.move_up_action),
            ("down", self.move_down_action),
        ):
            button = QToolButton(self)
            button.setDefaultAction(action)
            buttons.addWidget(button)
            self.action_buttons[name] = button
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.currentRowChanged.connect(self._on_current_row_changed)
        self.list.row_dropped.connect(self._on_row_dropped)
        connect_while_alive(document.changed, self._on_scene_changed, self)
        connect_while_alive(document.selection_changed, self._on_selection_changed, self)
        connect_while_alive(
            document.inner_selection_changed,
            lambda *_: self._on_selection_changed(self.document.selected),
            self,
        )
        self.list.itemDoubleClicked.connect(lambda item: self.toggle_block(self.list.row(item)))
        self.refresh()

    # ------------------------------------------------------------------ public
    def set_costs(self, cost: StackCost | None, error: ExplorerError | None = None) -> None:
        """Show output shapes from ``cost`` and mark the row that ``error`` names.

        ``cost`` may cover only the layers before a failing one (rows after it get no
        shape); a :class:`SpecError` marks its layer's row, any other error the input.
        """
        self._cost = cost
        self._error = error
        self._update_rows()

    def add_layer(self, kind: str) -> None:
        """Insert a default ``kind`` layer after the selected one (first if the input is);
        inside the block when a block's inner layer is selected."""
        if kind in LAYER_KINDS and inner_edit(self.document, "add", kind):
            return
        self.document.insert_layer(self.document.selected + 1, default_spec(kind))

    def remove_selected(self) -> None:
        """Remove the selected layer (nothing when the input is selected)."""
        if inner_edit(self.document, "remove"):
            return
        if self.document.selected >= 0:
            self.document.remove_layer(self.document.selected)

    def duplicate_selected(self) -> None:
        """Insert a copy of the selected layer after it."""
        if inner_edit(self.document, "duplicate"):
            return
        if self.document.selected >= 0:
            self.document.duplicate_layer(self.document.selected)

    def move_selected(self, step: int) -> None:
        """Move the selected layer ``step`` places (−1 up, +1 down), within the stack
        (within its block for an inner layer)."""
        if inner_edit(self.document, "move", step=step):
            return
        i = self.document.selected
        j = i + step
        if i >= 0 and 0 <= j < len(self.document.layers):
            self.document.move_layer(i, j)

    def toggle_block(self, row: int | None = None) -> None:
        """Collapse or expand the block of ``row`` (default: the selected layer)."""
        index = (
            self._rows[row][0]
            if row is not None and 0 <= row < len(self._rows)
            else self.document.selected
        )
        if index < 0 or not hasattr(self.document.layers[index], "layers"):
            return
        uid = self.document.layers[index].uid
        self._collapsed.symmetric_difference_update({uid})
        self.document.select(index)
        self.refresh()

    def refresh(self) -> None:
        """Rewrite every row and the selection from the document."""
        self._update_rows()
        self._on_selection_changed(self.document.selected)

    # ------------------------------------------------------------------ internals
    def _action(self, text: str, shortcut: str, tip: str, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})")
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _row_error(self) -> tuple[int, str] | None:
        if self._error is None:
            return None
        if isinstance(self._error, SpecError) and self._error.layer is not None:
            return self._error.layer + 1, str(self._error)
        return 0, str(self._error)

    def _update_rows(self) -> None:
        scene: Scene = self.document.scene
        cost = self._cost
        bad = self._row_error()
        input_shape = cost.input_shape if cost is not None else scene.input.shape
        rows = [
            (
                input_summary(scene.input),
                input_shape,
                "The image or tensor fed to the first layer; select it to change it",
            )
        ]
        self._rows = [(-1, -1)]
        bad_row = None
        for i, spec in enumerate(scene.layers):
            out = cost.layers[i].output_shape if cost is not None and i < len(cost.layers) else None
            if bad is not None and bad[0] == i + 1:
                bad_row = len(rows)
            text = layer_summary(i, spec)
            blocked = hasattr(spec, "layers")
            expanded = blocked and spec.uid not in self._collapsed
            if blocked:
                text = f"{i + 1}  {block_summary(spec, expanded)}"
            rows.append((text, out, type(spec).tip))
            self._rows.append((i, -1))
            if expanded:
                in_shape = (
                    cost.layers[i].input_shape
                    if cost is not None and i < len(cost.layers)
                    else None
                )

                def inner_text(j: int, layer: LayerSpec, i: int = i) -> str:
                    return layer_summary(j, layer).replace(f"{j + 1}  ", f"{i + 1}.{j + 1}  ", 1)

                for child in block_rows(spec, in_shape, inner_text):
                    rows.append((child.text, child.shape, child.tip))
                    self._rows.append((i, child.inner))
        if bad is not None and bad[0] == 0:
            bad_row = 0
        count = len(rows)
        with signals_blocked(self.list):
            while self.list.count() > count:
                self.list.takeItem(self.list.count() - 1)
            while self.list.count() < count:
                self.list.addItem(QListWidgetItem())
        for row, (text, shape, tip) in enumerate(rows):
            item = self.list.item(row)
            item.setText(text)
            item.setData(SHAPE_ROLE, shape_text(shape) if shape is not None else "")
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            index, inner = self._rows[row]
            if row > 0 and (row == 0 or self._rows[row - 1][0] != index):  # a layer's row;
                flags |= Qt.ItemFlag.ItemIsDragEnabled  # the input stays first
            item.setFlags(flags)
            if bad is not None and bad_row == row:
                item.setForeground(QBrush(_ERROR_COLOR))
                item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
                item.setToolTip(bad[1])
            else:
                item.setData(Qt.ItemDataRole.ForegroundRole, None)
                item.setData(Qt.ItemDataRole.DecorationRole, None)
                item.setToolTip(tip)
        self.list.updateGeometry()  # its minimum follows its rows (MIN_ROWS, the widest)
        self._update_actions()

    def _update_actions(self) -> None:
        i, n = self.document.selected, len(self.document.layers)
        j = self.document.inner_selected
        if j >= 0:  # inside a block: the actions act on its layers
            count = len(self.document.layers[i].layers)  # type: ignore[attr-defined]
            i, n = j, count
        self.remove_action.setEnabled(i >= 0)
        self.duplicate_action.setEnabled(i >= 0)
        self.move_up_action.setEnabled(i > 0)
        self.move_down_action.setEnabled(0 <= i < n - 1)

    def _on_scene_changed(self, _scene: Scene) -> None:
        self.refresh()

    def _row_of(self, index: int, inner: int = -1) -> int:
        """The row of layer ``index`` (and of its inner layer ``inner`` when shown)."""
        for row, key in enumerate(self._rows):
            if key == (index, inner):
                return row
        return self._rows.index((index, -1)) if (index, -1) in self._rows else index + 1

    def _on_selection_changed(self, index: int) -> None:
        row = self._row_of(index, self.document.inner_selected if index >= 0 else -1)
        if self.list.currentRow() != row:
            with signals_blocked(self.list):
                self.list.setCurrentRow(row)
        self._update_actions()

    def _on_current_row_changed(self, row: int) -> None:
        if not 0 <= row < len(self._rows):
            return
        index, inner = self._rows[row]
        if index < 0:
            if self.document.selected != -1:
                self.document.select(-1)
        elif (index, inner) != (self.document.selected, self.document.inner_selected):
            self.document.select_inner(index, inner)

    def _on_row_dropped(self, source_row: int, destination_row: int) -> None:
        n = len(self.document.layers)
        last = len(self._rows) - 1
        src = self._rows[min(source_row, last)][0]
        dst = max(0, min(n - 1, self._rows[max(0, min(destination_row, last))][0]))
        if 0 <= src < n and src != dst:
            self.document.move_layer(src, dst)
        else:  # e.g. a drop above the input: put the rows back as the document has them
            self.refresh()

    def _context_menu(self, pos) -> None:
        menu = QMenu(self)
        add = menu.addMenu("Add layer")
        for action in self.add_actions.values():
            add.addAction(action)
        for action in (
            self.duplicate_action,
            self.remove_action,
            self.move_up_action,
            self.move_down_action,
        ):
            menu.addAction(action)
        i = self.document.selected
        if i >= 0 and hasattr(self.document.layers[i], "layers"):
            collapsed = self.document.layers[i].uid in self._collapsed
            menu.addAction(
                "Expand block" if collapsed else "Collapse block", lambda: self.toggle_block()
            )
        menu.exec(self.list.viewport().mapToGlobal(pos))
