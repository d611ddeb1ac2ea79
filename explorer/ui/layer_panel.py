"""The layer list: the input, then one row per layer, with add/remove/duplicate/move.

The list shows the document; it never owns the layers. Every button, shortcut and drop
calls a :class:`~explorer.core.document.SceneDocument` method, and the rows are rewritten
when the document says it changed. Row 0 is the input; row ``i + 1`` is layer ``i``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QDropEvent, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.costs import StackCost
from explorer.core.document import SceneDocument
from explorer.core.errors import ExplorerError, SpecError
from explorer.core.samples import DEFAULT_SAMPLE, SAMPLE_PREFIX
from explorer.core.scene import InputSpec, Scene
from explorer.core.specs import KINDS, LayerSpec, default_spec
from explorer.core.text import shape_text

from .binding import connect_while_alive, signals_blocked

__all__ = ["SHAPE_ROLE", "LayerPanel", "input_summary", "layer_summary"]

#: Item data role holding the output shape text drawn right-aligned in a row.
SHAPE_ROLE = Qt.ItemDataRole.UserRole + 1

_ERROR_COLOR = QColor("#c62828")

KIND_TIPS = {
    "standard": "k×k convolution: sums over a neighbourhood and over all input channels",
    "pointwise": "1×1 convolution: at every pixel, a matrix product over the channels "
    "(C_out × C_in weights); no spatial context",
    "depthwise": "one k×k filter per input channel (groups = C_in): spatial filtering, "
    "channels never mix",
    "separable": "depthwise k×k then pointwise 1×1 (MobileNet): "
    "about 1/C_out + 1/k² of a standard conv's cost",
}


def _pair_text(pair: tuple[int, int] | str) -> str:
    if isinstance(pair, str):
        return pair
    return f"{pair[0]}×{pair[1]}"


def layer_summary(index: int, spec: LayerSpec) -> str:
    """The row text of a layer: ``"2  separable 3×3 → 32"`` (1-based index, key fields)."""
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
        return input_spec.image[len(SAMPLE_PREFIX):]
    return Path(input_spec.image).name


def input_summary(input_spec: InputSpec) -> str:
    """The row text of the input: ``"Input (astronaut, RGB)"``."""
    if input_spec.shape is not None:
        return "Input (random tensor)"
    mode = "RGB" if input_spec.mode == "rgb" else "Grayscale"
    return f"Input ({input_source_name(input_spec)}, {mode})"


class _RowDelegate(QStyledItemDelegate):
    """Draws a row's text on the left and its output shape right-aligned."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            super().paint(painter, option, index)
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        rect = rect.adjusted(2, 0, -4, 0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette = opt.palette
        color = palette.highlightedText().color() if selected else palette.text().color()
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        if isinstance(foreground, QBrush) and not selected:
            color = foreground.color()
        shape = index.data(SHAPE_ROLE) or ""
        fm = opt.fontMetrics
        shape_width = fm.horizontalAdvance(shape) + 8 if shape else 0
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(color)
        main = rect.adjusted(0, 0, -shape_width, 0)
        elided = fm.elidedText(text, Qt.TextElideMode.ElideRight, main.width())
        align = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(main, align | Qt.AlignmentFlag.AlignLeft, elided)
        if shape:
            if not selected:
                dim = QColor(color)
                dim.setAlphaF(0.65)
                painter.setPen(dim)
            painter.drawText(rect, align | Qt.AlignmentFlag.AlignRight, shape)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        shape = index.data(SHAPE_ROLE) or ""
        extra = option.fontMetrics.horizontalAdvance(shape) + 12 if shape else 0
        return QSize(size.width() + extra, max(size.height(), option.fontMetrics.height() + 6))


class LayerList(QListWidget):
    """The list view; a drop calls back instead of moving items itself.

    Signals
    -------
    row_dropped(int, int)
        ``(source_row, destination_row)`` of a drag within the list, in final positions.
    """

    row_dropped = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setItemDelegate(_RowDelegate(self))
        self.setUniformItemSizes(True)
        self.setAlternatingRowColors(True)
        self.setIconSize(QSize(12, 12))

    def drop_row(self, pos_y: int) -> int:
        """The row a drop at height ``pos_y`` (viewport coordinates) inserts before."""
        for row in range(self.count()):
            rect = self.visualItemRect(self.item(row))
            if pos_y < rect.center().y():
                return row
        return self.count()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt naming)
        source = self.currentRow()
        if event.source() is not self or source < 0:
            event.ignore()
            return
        before = self.drop_row(event.position().toPoint().y())
        destination = before - 1 if before > source else before
        # Not a move for Qt: the document reorders, and the rows follow its signal.
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if destination != source:
            self.row_dropped.emit(source, destination)


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

        self.remove_action = self._action("Remove", "Delete", "Remove the selected layer",
                                          self.remove_selected)
        self.duplicate_action = self._action("Duplicate", "Ctrl+D",
                                             "Insert a copy of the selected layer after it",
                                             self.duplicate_selected)
        self.move_up_action = self._action("↑", "Alt+Up", "Move the selected layer up",
                                           lambda: self.move_selected(-1))
        self.move_down_action = self._action("↓", "Alt+Down", "Move the selected layer down",
                                             lambda: self.move_selected(+1))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.setSpacing(2)
        buttons.addWidget(self.add_button)
        self.action_buttons: dict[str, QToolButton] = {}
        for name, action in (("remove", self.remove_action),
                             ("duplicate", self.duplicate_action),
                             ("up", self.move_up_action), ("down", self.move_down_action)):
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
        """Insert a default ``kind`` layer after the selected one (first if the input is)."""
        self.document.insert_layer(self.document.selected + 1, default_spec(kind))

    def remove_selected(self) -> None:
        """Remove the selected layer (nothing when the input is selected)."""
        if self.document.selected >= 0:
            self.document.remove_layer(self.document.selected)

    def duplicate_selected(self) -> None:
        """Insert a copy of the selected layer after it."""
        if self.document.selected >= 0:
            self.document.duplicate_layer(self.document.selected)

    def move_selected(self, step: int) -> None:
        """Move the selected layer ``step`` places (−1 up, +1 down), within the stack."""
        i = self.document.selected
        j = i + step
        if i >= 0 and 0 <= j < len(self.document.layers):
            self.document.move_layer(i, j)

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
        count = len(scene.layers) + 1
        with signals_blocked(self.list):
            while self.list.count() > count:
                self.list.takeItem(self.list.count() - 1)
            while self.list.count() < count:
                self.list.addItem(QListWidgetItem())
        cost = self._cost
        bad = self._row_error()
        input_shape = cost.input_shape if cost is not None else scene.input.shape
        rows = [(input_summary(scene.input), input_shape, "The image or tensor fed to "
                 "the first layer; select it to change it")]
        for i, spec in enumerate(scene.layers):
            out = cost.layers[i].output_shape if cost is not None and i < len(cost.layers) else None
            rows.append((layer_summary(i, spec), out, KIND_TIPS[spec.kind]))
        for row, (text, shape, tip) in enumerate(rows):
            item = self.list.item(row)
            item.setText(text)
            item.setData(SHAPE_ROLE, shape_text(shape) if shape is not None else "")
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if row > 0:  # the input stays first
                flags |= Qt.ItemFlag.ItemIsDragEnabled
            item.setFlags(flags)
            if bad is not None and bad[0] == row:
                item.setForeground(QBrush(_ERROR_COLOR))
                item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
                item.setToolTip(bad[1])
            else:
                item.setData(Qt.ItemDataRole.ForegroundRole, None)
                item.setData(Qt.ItemDataRole.DecorationRole, None)
                item.setToolTip(tip)
        self._update_actions()

    def _update_actions(self) -> None:
        i, n = self.document.selected, len(self.document.layers)
        self.remove_action.setEnabled(i >= 0)
        self.duplicate_action.setEnabled(i >= 0)
        self.move_up_action.setEnabled(i > 0)
        self.move_down_action.setEnabled(0 <= i < n - 1)

    def _on_scene_changed(self, _scene: Scene) -> None:
        self.refresh()

    def _on_selection_changed(self, index: int) -> None:
        row = index + 1
        if self.list.currentRow() != row:
            with signals_blocked(self.list):
                self.list.setCurrentRow(row)
        self._update_actions()

    def _on_current_row_changed(self, row: int) -> None:
        if row >= 0 and row - 1 != self.document.selected:
            self.document.select(row - 1)

    def _on_row_dropped(self, source_row: int, destination_row: int) -> None:
        n = len(self.document.layers)
        src, dst = source_row - 1, max(0, min(n - 1, destination_row - 1))
        if 0 <= src < n and src != dst:
            self.document.move_layer(src, dst)
        else:  # e.g. a drop above the input: put the rows back as the document has them
            self.refresh()

    def _context_menu(self, pos) -> None:
        menu = QMenu(self)
        add = menu.addMenu("Add layer")
        for action in self.add_actions.values():
            add.addAction(action)
        for action in (self.duplicate_action, self.remove_action, self.move_up_action,
                       self.move_down_action):
            menu.addAction(action)
        menu.exec(self.list.viewport().mapToGlobal(pos))

