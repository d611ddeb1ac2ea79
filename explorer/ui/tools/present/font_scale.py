"""One scale factor for every font of a window: widgets and the pyqtgraph scenes inside it.

:class:`FontScaler` scales the application font, then each widget whose font does not follow
it (an explicit font, a style sheet), then the text items of every graphics scene (axis
ticks and labels, plot titles, tile titles, numbers written on a matrix). Each original is
kept on the object it belongs to (a widget property, an item's ``data``), so scaling again
is idempotent, text items made later are caught by :meth:`FontScaler.rescale`, and
:meth:`FontScaler.restore` puts every font back as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsView,
    QStatusBar,
    QWidget,
)
from shiboken6 import isValid

from explorer.ui.views.cell_numbers import CellNumbers
from explorer.ui.widgets.paint_hold import resume_painting

__all__ = ["NEXT_PASS_MS", "FontScaler", "font_size", "scaled_font"]

#: The delay of a turn that must run in a later pass of the event loop than the one before
#: it. ``QTimer.singleShot(0)`` is a posted event, run in the same pass as the posted events
#: before it: two turns chained with it filled one gap of the GUI thread (35-50 ms); a real
#: timer waits for the timers' phase, so a heartbeat, input and a frame come in between.
NEXT_PASS_MS = 1

_ORIGINAL = "_presentation_font"  # widget property: its font before scaling
_HAD_FONT = "_presentation_had_font"  # widget property: whether it had an explicit font
_ITEM_KEY = 0x5CA1E  # QGraphicsItem.data key: the item's original font (or label size)


def font_size(font: QFont) -> float:
    """The font's size in points, or in pixels when it is set in pixels."""
    return font.pointSizeF() if font.pointSizeF() > 0 else float(font.pixelSize())


def scaled_font(font: QFont, factor: float) -> QFont:
    """A copy of ``font`` ``factor`` times as large (in points or pixels, as it was set)."""
    out = QFont(font)
    if font.pointSizeF() > 0:
        out.setPointSizeF(font.pointSizeF() * factor)
    elif font.pixelSize() > 0:
        out.setPixelSize(max(1, round(font.pixelSize() * factor)))
    return out


def _scaled_css_size(size: str, factor: float) -> str:
    """``"9pt"`` → ``"13.5pt"`` (units ``pt`` or ``px``); other text unchanged."""
    for unit in ("pt", "px"):
        if size.endswith(unit):
            try:
                return f"{float(size[: -len(unit)]) * factor:g}{unit}"
            except ValueError:
                return size
    return size


#: Graphics items whose fonts size their plots (axes, their labels, titles, colour bars):
#: scaled in the first turn of ``apply``, with the widgets.
_LAYOUT_ITEMS = (pg.AxisItem, pg.LabelItem, pg.ColorBarItem, QGraphicsTextItem)
_TEXT_ITEMS = (pg.AxisItem, pg.LabelItem, QGraphicsSimpleTextItem, QGraphicsTextItem)


def _stored(item: QGraphicsItem) -> object:
    # Called unbound: some pyqtgraph items shadow ``data`` with an array attribute.
    return QGraphicsItem.data(item, _ITEM_KEY)


def _store(item: QGraphicsItem, value: object) -> None:
    QGraphicsItem.setData(item, _ITEM_KEY, value)


@contextmanager
def _no_paint(root: QWidget) -> Iterator[None]:
    """No repaint of ``root`` while fonts change (each change would schedule its own), and
    none until the layouts they upset have settled (the next event-loop turn)."""
    if not root.updatesEnabled():
        yield
        return
    root.setUpdatesEnabled(False)
    try:
        yield
    finally:
        QTimer.singleShot(NEXT_PASS_MS, root, lambda: resume_painting(root))


def _set_app_font(font: QFont) -> None:
    """Set the application font and deliver its change now.

    Qt *posts* the change to every widget: delivered later, each widget would still show
    its old font below and be given an explicit font of its own (hundreds of ``setFont``
    calls, each relaying out its subtree). Delivered now, the widgets that inherit their
    font follow it, and only those with a font of their own are set one by one.
    """
    QApplication.instance().setFont(font)
    QApplication.sendPostedEvents(None, int(QEvent.Type.ApplicationFontChange))


def _relayout(root: QWidget) -> None:
    """Graphics with new fonts need new minimum sizes: ask the widgets holding them."""
    for view in root.findChildren(QGraphicsView):
        view.updateGeometry()
        if view.parentWidget() is not None:
            view.parentWidget().updateGeometry()
    # a status bar keeps the height of its tallest item as of its last layout request: the
    # application font's change made one while its labels still had their scaled fonts
    # (restored a pass later), and it stayed 4 px taller after presentation mode
    for bar in root.findChildren(QStatusBar):
        QCoreApplication.postEvent(bar, QEvent(QEvent.Type.LayoutRequest))


class FontScaler:
    """Scales and restores the fonts of one window.

    Attributes
    ----------
    factor
        The scale in use (1.0 when nothing is scaled).
    """

    def __init__(self) -> None:
        self.factor = 1.0
        self._app_font: QFont | None = None
        # What the last pass saw at ``factor``: a refresh looks only at widgets and items
        # not in these (walking all of them was 10-30 ms of the GUI thread per result).
        # The wrappers are held, so an address is never reused while it is in a set.
        self._seen_widgets: set[QWidget] = set()
        self._seen_items: set[QGraphicsItem] = set()
        # axes and titles seen: code may set their size again (a panel's new title), so
        # every pass checks them (a few dozen)
        self._watched: list[QGraphicsItem] = []
        # widgets that followed the app font when scaled: one given a font since inherits
        # again when restored
        self._inherited: set[QWidget] = set()
        self._held: QWidget | None = None  # not painted until the items are scaled
        # apply(widgets_later=True): the widgets' and layout items' slice still to come
        self._widgets_pending = False
        # restore(widgets_later=True): the widgets' and items' fonts still to put back
        self._restore_pending = False

    @property
    def active(self) -> bool:
        """Whether fonts are scaled now."""
        return self._app_font is not None

    def apply(
        self,
        root: QWidget,
        factor: float,
        *,
        items_later: bool = False,
        widgets_later: bool = False,
    ) -> None:
        """Scale every font of ``root`` (and the application font) by ``factor``.

        Calling it again with another factor rescales from the originals.
        ``items_later``: scale the widgets now and the graphics items at the next
        :meth:`rescale` (the caller's next event-loop turn), so that neither turn holds
        the GUI thread for the whole of it; ``root`` is not painted in between.
        ``widgets_later`` (with ``items_later``): only the application font now (10-30 ms
        of Qt's own relayout with the docks open); the widgets and the items that size the
        plots at :meth:`scale_widgets`, the caller's next turn, the other items after.
        """
        app = QApplication.instance()
        widgets = [root, *root.findChildren(QWidget)]
        inherited = self._inherited
        for widget in widgets:  # originals first: the app font change moves most of them
            if not widget.testAttribute(Qt.WidgetAttribute.WA_SetFont):
                # follows the app font: nothing to keep but that it had no font of its own
                # (two properties on each of ~500 widgets were 4 ms of entering)
                inherited.add(widget)
            elif widget not in inherited and widget.property(_ORIGINAL) is None:
                widget.setProperty(_ORIGINAL, QFont(widget.font()))
                widget.setProperty(_HAD_FONT, True)
        if self._app_font is None:
            self._app_font = QFont(app.font())
        self.factor = float(factor)
        self._forget()  # a new factor: everything is looked at again
        self._restore_pending = False  # scaled again before restore's second slice
        if items_later:
            if self._held is None and root.updatesEnabled():
                root.setUpdatesEnabled(False)  # painted once, after the items: rescale
                self._held = root
            _set_app_font(scaled_font(self._app_font, self.factor))
            self._widgets_pending = True
            if not widgets_later:
                self.scale_widgets(root)
            return
        with _no_paint(root):  # the window is painted once, with every font changed
            _set_app_font(scaled_font(self._app_font, self.factor))
            self.rescale(root)

    def scale_widgets(self, root: QWidget) -> None:
        """The second slice of ``apply(widgets_later=True)``: the widgets, and the graphics
        items that size the plots (a layout in between would otherwise fit the weight
        panels to the old axes); the other items at :meth:`rescale`. Nothing when none is
        pending (done already, or restored since)."""
        if not (self.active and self._widgets_pending):
            return
        self._widgets_pending = False
        self._rescale_widgets(root)
        self._rescale_items(root, only=_LAYOUT_ITEMS)

    @property
    def widgets_pending(self) -> bool:
        """Whether :meth:`scale_widgets` (``apply``) or :meth:`finish_restore` (``restore``)
        has a slice still to do."""
        return self._widgets_pending or self._restore_pending

    def rescale(self, root: QWidget) -> int:
        """Bring fonts made since :meth:`apply` (new tiles, new labels) to the factor.

        Only widgets and graphics items not seen by the last pass are looked at, and the
        axes and titles seen (whose size code may set again).

        Returns
        -------
        int
            How many widgets and items were looked at (for tests).
        """
        if not self.active:
            return 0
        self._widgets_pending = False  # done here, with the rest
        changed, new_widgets = self._rescale_widgets(root)
        changed_items, new_items = self._rescale_items(root)
        if changed or changed_items or new_widgets or new_items:
            _relayout(root)
        self._release()
        return new_widgets + len(self._watched) + new_items

    def _rescale_items(self, root: QWidget, only: tuple[type, ...] = ()) -> tuple[bool, int]:
        """Scale the graphics items not seen by the last pass (only those of the types
        ``only``, if given: the others stay new) and the axes and titles seen: (whether
        anything was set, how many new items)."""
        items: list[QGraphicsItem] = []
        for view in root.findChildren(QGraphicsView):
            scene = view.scene()
            if scene is not None:
                items += scene.items()
        seen = self._seen_items
        new_items = [item for item in items if item not in seen]
        if only:
            new_items = [item for item in new_items if isinstance(item, only)]
            self._seen_items = {item for item in items if item in seen} | set(new_items)
        else:
            self._seen_items = set(items)  # drops the deleted ones
        self._watched = [item for item in self._watched if item in self._seen_items]
        changed = False
        for item in self._watched:
            changed |= self._scale_item(item)
        for item in new_items:
            changed |= self._scale_item(item)
            if isinstance(item, (pg.AxisItem, pg.LabelItem)):
                self._watched.append(item)
        return changed, len(new_items)

    def _rescale_widgets(self, root: QWidget) -> tuple[bool, int]:
        """Scale the widgets not seen by the last pass: (whether a font was set, how many)."""
        widgets = [root, *root.findChildren(QWidget)]
        seen = self._seen_widgets
        new_widgets = [widget for widget in widgets if widget not in seen]
        self._seen_widgets = set(widgets)  # drops the deleted ones
        return self._scale_widgets(new_widgets), len(new_widgets)

    def take_hold(self) -> bool:
        """Whether a root is held unpainted by ``apply(items_later=True)``; from now on the
        caller lets it go, not :meth:`rescale` or :meth:`restore`."""
        held, self._held = self._held, None
        return held is not None and isValid(held)

    def _release(self) -> None:
        """Let the widget held unpainted by ``apply(items_later=True)`` paint again (on the
        next event-loop turn, when the layouts have settled)."""
        held, self._held = self._held, None
        if held is not None and isValid(held):
            QTimer.singleShot(NEXT_PASS_MS, held, lambda: resume_painting(held))

    def _forget(self) -> None:
        self._seen_widgets, self._seen_items, self._watched = set(), set(), []

    def _scale_widgets(self, widgets: list[QWidget]) -> bool:
        """Scale ``widgets``; whether a font was set."""
        changed = False
        for widget in widgets:
            original = widget.property(_ORIGINAL)
            if original is None:
                # Made while scaled: an inherited font already follows the app font; a font
                # set in pixels does not.
                font = widget.font()
                if not (
                    widget.testAttribute(Qt.WidgetAttribute.WA_SetFont) and font.pixelSize() > 0
                ):
                    continue
                original = QFont(font)
                widget.setProperty(_ORIGINAL, original)
                widget.setProperty(_HAD_FONT, True)
            target = scaled_font(original, self.factor)
            if abs(font_size(widget.font()) - font_size(target)) > 1e-3:
                widget.setFont(target)
                changed = True
        return changed

    def restore(self, root: QWidget, *, widgets_later: bool = False) -> None:
        """Put back every font changed by :meth:`apply` / :meth:`rescale`.

        ``widgets_later``: only the application font now; the widgets' and items' fonts at
        :meth:`finish_restore`, the caller's next turn, while the caller holds ``root``
        unpainted (each slice 7-15 ms instead of 20-45 ms in one).
        """
        if not self.active:
            if not widgets_later:  # restored in slices, the second still to come: now
                self.finish_restore(root)
            return
        self.factor = 1.0
        self._forget()
        self._widgets_pending = False
        if widgets_later:
            _set_app_font(self._app_font)
            self._app_font = None
            self._restore_pending = True
            return
        with _no_paint(root):
            self._restore_fonts(root)
        self._release()

    def finish_restore(self, root: QWidget) -> None:
        """The second slice of ``restore(widgets_later=True)`` (nothing when none is
        pending: done, or scaled again since)."""
        if not self._restore_pending or self.active:
            return
        self._restore_fonts(root)
        self._release()

    def _restore_fonts(self, root: QWidget) -> None:
        self._restore_pending = False
        if self._app_font is not None:
            _set_app_font(self._app_font)
            self._app_font = None
        for widget in [root, *root.findChildren(QWidget)]:
            original = widget.property(_ORIGINAL)
            if original is None:
                continue
            if widget.property(_HAD_FONT):
                if widget.font() != original:
                    widget.setFont(original)
            elif widget.testAttribute(Qt.WidgetAttribute.WA_SetFont):
                widget.setFont(QFont())  # inherit again, as before
                widget.setAttribute(Qt.WidgetAttribute.WA_SetFont, False)
            widget.setProperty(_ORIGINAL, None)
            widget.setProperty(_HAD_FONT, None)
        inherited, self._inherited = self._inherited, set()
        for widget in inherited:
            if isValid(widget) and widget.testAttribute(Qt.WidgetAttribute.WA_SetFont):
                widget.setFont(QFont())  # inherit again, as before
                widget.setAttribute(Qt.WidgetAttribute.WA_SetFont, False)
        for view in root.findChildren(QGraphicsView):
            scene = view.scene()
            if scene is not None:
                for item in scene.items():
                    self._restore_item(item)
        _relayout(root)

    # ------------------------------------------------------------------ graphics items
    def _scale_item(self, item: QGraphicsItem) -> bool:
        """Bring ``item`` to the factor; whether anything was set."""
        factor = self.factor
        changed = False
        if isinstance(item, pg.ColorBarItem):  # a fixed-width bar: room for larger numbers
            original = _stored(item)
            if original is None:
                original = (item.minimumWidth(), item.maximumWidth())
                _store(item, original)
            wanted = original[0] * factor
            if (
                0 < original[1] < 1e4
                and original[0] == original[1]
                and item.maximumWidth() != wanted
            ):
                item.setFixedWidth(wanted)
                changed = True
        elif isinstance(item, pg.AxisItem):
            original = _stored(item)
            if original is None:
                font = item.style.get("tickFont")
                original = (
                    QFont(font) if font is not None else None,
                    item.fixedWidth,
                    item.fixedHeight,
                )
                _store(item, original)
            font, width, height = original
            base = font if font is not None else self._app_font
            target = scaled_font(base, factor)
            # every refresh comes here (each result while presenting): an axis already at
            # the scale is left alone, since setting its font again redraws its ticks
            if item.style.get("tickFont") != target:
                item.setTickFont(target)
                changed = True
            if width is not None and item.fixedWidth != width * factor:
                item.setWidth(width * factor)
                changed = True
            if height is not None and item.fixedHeight != height * factor:
                item.setHeight(height * factor)
                changed = True
        elif isinstance(item, pg.LabelItem):
            original = _stored(item)
            if original is None:
                original = (item.opts.get("size"),)
                _store(item, original)
            size = _scaled_css_size(original[0], factor) if original[0] else None
            if size is not None and item.opts.get("size") != size:  # re-renders its HTML
                item.setText(item.text, size=size)
                changed = True
        elif isinstance(item, CellNumbers):
            changed = item.font_factor != factor
            item.set_font_factor(factor)  # it scales its own base font
        elif isinstance(item, (QGraphicsSimpleTextItem, QGraphicsTextItem)):
            parent = item.parentItem()
            if isinstance(parent, pg.LabelItem) and parent.opts.get("size"):
                return False  # sized by its label's HTML
            original = _stored(item)
            if original is None:
                font = item.font()
                # no font of its own: the app font when it was made, scaled already when
                # made while presenting; its original is the app font's
                original = QFont(font) if font.resolveMask() else QFont(self._app_font)
                _store(item, original)
            target = scaled_font(original, factor)
            if item.font() != target:
                item.setFont(target)
                changed = True
        return changed

    @staticmethod
    def _restore_item(item: QGraphicsItem) -> None:
        if isinstance(item, CellNumbers):
            item.set_font_factor(1.0)
            return
        if isinstance(item, pg.ColorBarItem):
            original = _stored(item)
            if original is not None and 0 < original[1] < 1e4 and original[0] == original[1]:
                item.setFixedWidth(original[0])
            _store(item, None)
            return
        original = _stored(item) if isinstance(item, _TEXT_ITEMS) else None
        if original is None:
            return
        if isinstance(item, pg.AxisItem):
            font, width, height = original
            item.setTickFont(font)
            if width is not None:
                item.setWidth(width)
            if height is not None:
                item.setHeight(height)
        elif isinstance(item, pg.LabelItem):
            if original[0]:
                item.setText(item.text, size=original[0])
        else:
            item.setFont(original)
        _store(item, None)
