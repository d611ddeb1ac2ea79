"""Checks that a window fits its screen and shows its text whole (issue 15).

Each ``*_problems`` function returns a list of one-line descriptions of what is wrong
(empty when all is well), so a test can assert ``== []`` and print every problem at once,
and ``take_shots.py`` can list them next to the pictures.
"""

from __future__ import annotations

import re

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QListView,
    QTableView,
    QWidget,
)

_NUMBER = re.compile(r"\d")
_TAGS = re.compile(r"<[^>]+>")


def _name(widget: QWidget) -> str:
    name = widget.objectName()
    text = widget.text() if isinstance(widget, QLabel) else ""
    text = _TAGS.sub("", text).replace("\n", " ")[:40]
    return f"{type(widget).__name__}{'#' + name if name else ''}{' ' + repr(text) if text else ''}"


def _shown(widget: QWidget, top: QWidget) -> bool:
    return (
        QWidget.isVisible(widget) and QWidget.isVisibleTo(widget, top) and QWidget.width(widget) > 0
    )


def _in_scroll_content(widget: QWidget, top: QWidget) -> bool:
    """Inside a scroll area's content (which may be larger than its viewport)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if (
            isinstance(parent, QAbstractScrollArea)
            and widget is not parent.viewport()
            and parent.isAncestorOf(widget)
        ):
            viewport = parent.viewport()
            if viewport is not widget and viewport.isAncestorOf(widget):
                return True
        parent = parent.parentWidget()
    return False


def _rect_in(widget: QWidget, top: QWidget) -> QRect:
    return QRect(QWidget.mapTo(widget, top, QPoint(0, 0)), QWidget.size(widget))


def size_problems(top: QWidget, width: int, height: int) -> list[str]:
    """``top`` is exactly ``width``×``height`` and its minimum size is not larger."""
    out = []
    minimum = top.minimumSizeHint().expandedTo(top.minimumSize())
    if top.layout() is not None:
        minimum = minimum.expandedTo(top.layout().totalMinimumSize())
    if minimum.width() > width or minimum.height() > height:
        out.append(
            f"{_name(top)} needs at least {minimum.width()}×{minimum.height()}, "
            f"more than the {width}×{height} screen"
        )
    if top.width() > width or top.height() > height:
        out.append(
            f"{_name(top)} is {top.width()}×{top.height()}, larger than the {width}×{height} screen"
        )
    return out


def outside_problems(top: QWidget) -> list[str]:
    """Every shown widget (outside scroll contents) lies inside ``top``."""
    bounds = top.rect()
    out = []
    for widget in top.findChildren(QWidget):
        if not _shown(widget, top) or widget.isWindow() or _in_scroll_content(widget, top):
            continue
        if widget.window() is not top:  # inside a floating dock: a window of its own
            continue
        rect = _rect_in(widget, top)
        if not bounds.contains(rect):
            out.append(
                f"{_name(widget)} at {rect.x()},{rect.y()} {rect.width()}×"
                f"{rect.height()} is outside the {bounds.width()}×{bounds.height()} "
                "window"
            )
    return out


def _visible_part(widget: QWidget, top: QWidget) -> QRect:
    """The part of ``widget`` (its own coordinates) not clipped by a scroll viewport."""
    rect = QWidget.rect(widget)
    parent = widget.parentWidget()
    offset = QPoint(0, 0)
    child = widget
    while parent is not None and child is not top:
        offset += QWidget.pos(child)
        clip = QWidget.rect(parent).translated(-offset)
        rect = rect.intersected(clip)
        child, parent = parent, parent.parentWidget()
    return rect


def label_problems(top: QWidget) -> list[str]:
    """No shown label with a number in it is cut: its text fits its width (one line) or
    its height (word wrap), and it is not hidden under a scroll area's edge."""
    out = []
    for label in top.findChildren(QLabel):
        text = label.text()
        if not _shown(label, top) or not _NUMBER.search(_TAGS.sub("", text)):
            continue
        if label.pixmap() is not None and not label.pixmap().isNull():
            continue
        contents = label.contentsRect()
        if label.wordWrap():
            need = label.heightForWidth(label.width())
            if need > label.height() + 1:
                out.append(f"{_name(label)} needs {need} px of height, has {label.height()}")
        else:
            need = label.sizeHint().width() - (label.width() - contents.width())
            if need > contents.width() + 1 and label.minimumSizeHint().width() > label.width():
                out.append(f"{_name(label)} needs {need} px of width, has {contents.width()}")
        visible = _visible_part(label, top)
        if visible.width() < label.width() - 1 and not _in_scroll_content(label, top):
            out.append(f"{_name(label)} is cut at the edge of its parent")
    return out


def squashed_problems(top: QWidget) -> list[str]:
    """Spin boxes and combo boxes are at least as wide as their smallest size hint."""
    out = []
    for box in top.findChildren(QWidget):
        if not isinstance(box, (QAbstractSpinBox, QComboBox)) or not _shown(box, top):
            continue
        need = box.minimumSizeHint().width()
        if box.width() + 1 < need:
            out.append(f"{_name(box)} is squashed to {box.width()} px (needs {need})")
    return out


def _wraps_whole(table: QTableView, text: str, width: int, row: int) -> bool:
    """Word-wrapped into a column ``width`` wide, ``text`` breaks only between words
    (no word wider than the column) and its lines fit the row's height."""
    from PySide6.QtCore import Qt

    fm = table.fontMetrics()
    room = width - 6
    if not text or any(fm.horizontalAdvance(word) > room for word in text.split()):
        return False
    box = fm.boundingRect(QRect(0, 0, room, 100000), int(Qt.TextFlag.TextWordWrap), text)
    return box.height() <= table.rowHeight(row) + 1


def table_problems(top: QWidget) -> list[str]:
    """Every shown table fits its shown columns: no horizontal scroll bar, each column as
    wide as its header and cells need."""
    out = []
    for table in top.findChildren(QTableView):
        if not _shown(table, top) or table.model() is None:
            continue
        name = _name(table)
        bar = table.horizontalScrollBar()
        if bar.isVisible() and bar.maximum() > 0:
            out.append(f"{name}: columns hide behind a horizontal scroll bar")
        header = table.horizontalHeader()
        model = table.model()
        used = 0
        for col in range(model.columnCount()):
            if table.isColumnHidden(col):
                continue
            width = table.columnWidth(col)
            used += width
            title = str(model.headerData(col, header.orientation()) or "")
            need = header.fontMetrics().horizontalAdvance(title) + 8
            for row in range(model.rowCount()):
                text = str(model.index(row, col).data() or "")
                if table.wordWrap() and _wraps_whole(table, text, width, row):
                    continue  # wrapped onto lines that the row is tall enough to show
                need = max(need, table.fontMetrics().horizontalAdvance(text) + 6)
            if width + 1 < need:
                out.append(f"{name}: column {title!r} is {width} px, needs {need}")
        if used > table.viewport().width() + 1:
            out.append(
                f"{name}: columns need {used} px, the table shows {table.viewport().width()}"
            )
    return out


def plot_problems(top: QWidget) -> list[str]:
    """pyqtgraph plot titles are not cut (a plot narrower than its title's text)."""
    out = []
    for view in top.findChildren(pg.GraphicsView):
        if not _shown(view, top) or view.scene() is None:
            continue
        for item in view.scene().items():
            if not isinstance(item, pg.PlotItem) or not item.isVisible():
                continue
            title = item.titleLabel
            if title is None or not title.isVisible() or not title.text:
                continue
            text_width = title.item.boundingRect().width()
            if text_width > item.boundingRect().width() + 2:
                plain = _TAGS.sub("", title.text)[:30]
                out.append(
                    f"plot title {plain!r} needs {text_width:.0f} px, the plot is "
                    f"{item.boundingRect().width():.0f}"
                )
    return out


def list_problems(top: QWidget) -> list[str]:
    """No shown list elides a row: its widest row fits the list's viewport."""
    out = []
    for view in top.findChildren(QListView):
        if not _shown(view, top) or view.model() is None or not view.model().rowCount():
            continue
        need = view.sizeHintForColumn(0)
        if need > view.viewport().width() + 1:
            out.append(
                f"{_name(view)}: rows need {need} px, the list shows {view.viewport().width()}"
            )
    return out


def axis_problems(top: QWidget) -> list[str]:
    """pyqtgraph axes show their tick numbers and their label whole."""
    out = []
    for view in top.findChildren(pg.GraphicsView):
        if not _shown(view, top) or view.scene() is None:
            continue
        for axis in view.scene().items():
            if (
                not isinstance(axis, pg.AxisItem)
                or not axis.isVisible()
                or not axis.style.get("showValues", True)
            ):
                continue
            vertical = axis.orientation in ("left", "right")
            length = axis.geometry().height() if vertical else axis.geometry().width()
            if vertical and axis.fixedWidth is not None:
                room = (
                    axis.fixedWidth
                    - max(0, axis.style["tickLength"])
                    - axis.style["tickTextOffset"][0]
                )
                if axis.label.isVisible():
                    room -= axis.label.boundingRect().height()
                if axis.textWidth > room + 1:
                    out.append(
                        f"{axis.orientation} axis numbers need {axis.textWidth:.0f} px, "
                        f"have {room:.0f}"
                    )
            if axis.label.isVisible() and axis.labelText and length > 0:
                need = axis.label.boundingRect().width()
                if need > length + 2:
                    out.append(
                        f"axis label {axis.labelText!r} needs {need:.0f} px, the axis "
                        f"is {length:.0f}"
                    )
    return out


def graphics_problems(top: QWidget) -> list[str]:
    """No pyqtgraph view is smaller than the minimum of its layout (which clips it)."""
    out = []
    for view in top.findChildren(pg.GraphicsView):
        item = getattr(view, "centralWidget", None)
        if not _shown(view, top) or item is None:
            continue
        from PySide6.QtCore import Qt

        least = item.effectiveSizeHint(Qt.SizeHint.MinimumSize)
        room = view.viewport().size()
        if least.width() > room.width() + 1 or least.height() > room.height() + 1:
            out.append(
                f"{_name(view.parentWidget() or view)}: graphics need "
                f"{least.width():.0f}×{least.height():.0f}, the view is "
                f"{room.width()}×{room.height()} (clipped)"
            )
    return out


def _overlap_exempt(widget: QWidget) -> bool:
    """Children that legitimately share room: a scroll area's parts, and the size grip or
    rubber bands Qt lays over things."""
    parent = widget.parentWidget()
    return isinstance(parent, QAbstractScrollArea) or type(widget).__name__ in (
        "QSizeGrip",
        "QRubberBand",
        "QFocusFrame",
    )


def overlap_problems(top: QWidget) -> list[str]:
    """No two shown sibling widgets overlap (e.g. a banner laid over a title line): each
    covers what lies under it. Widgets in a layout never overlap; one placed by hand over
    its siblings does."""
    out = []
    for parent in [top, *top.findChildren(QWidget)]:
        if parent is not top and (not _shown(parent, top) or parent.isWindow()):
            continue
        if isinstance(parent, QAbstractScrollArea):
            continue
        kids = [
            w
            for w in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if _shown(w, top) and not w.isWindow() and not _overlap_exempt(w)
        ]
        for i, a in enumerate(kids):
            ra = a.geometry()
            for b in kids[i + 1 :]:
                both = ra.intersected(b.geometry())
                if both.width() > 2 and both.height() > 2:
                    out.append(
                        f"{_name(a)} and {_name(b)} overlap by {both.width()}×{both.height()} "
                        f"px in {_name(parent)}"
                    )
    return out


def all_problems(top: QWidget, width: int, height: int) -> list[str]:
    """Every check above for the window ``top`` on a ``width``×``height`` screen."""
    return (
        size_problems(top, width, height)
        + outside_problems(top)
        + label_problems(top)
        + squashed_problems(top)
        + table_problems(top)
        + plot_problems(top)
        + list_problems(top)
        + axis_problems(top)
        + graphics_problems(top)
        + overlap_problems(top)
    )
