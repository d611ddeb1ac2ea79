"""The layer panel's list view and its row delegate (text left, output shape right).

Split out of :mod:`explorer.ui.panels.layer_panel`, which re-exports :class:`LayerList`.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDropEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

__all__ = ["MIN_ROWS", "SHAPE_ROLE", "LayerList"]

#: Rows the list always shows whole (fewer when it has fewer): an imported model of 19
#: layers must not shrink to 4 visible rows at 1280×720 (issue 15)
MIN_ROWS = 8
#: Widest the list asks to be to show its longest row without eliding it
_MAX_WIDTH = 440

SHAPE_ROLE = Qt.ItemDataRole.UserRole + 1


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

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Room for :data:`MIN_ROWS` rows, each as wide as the longest row needs (so
        nothing is elided), plus the scroll bar when there are more rows."""
        base = super().minimumSizeHint()
        count = self.count()
        if not count:
            return base
        frame = 2 * self.frameWidth()
        rows = min(count, MIN_ROWS)
        height = rows * max(1, self.sizeHintForRow(0)) + frame
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) if count > rows else 0
        width = min(_MAX_WIDTH, self.sizeHintForColumn(0) + frame + bar)
        return QSize(max(base.width(), width), max(base.height(), height))

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
