"""The main window's side of :class:`~explorer.ui.tools.host.ToolHost`.

This is the one place that knows how the window is put together for the tools: which dock
is which, where the menus are, which widgets presentation mode hides. Tools see only the
host interface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

if TYPE_CHECKING:
    from explorer.ui.views.cost_view import CostView
    from explorer.ui.views.feature_grid import FeatureMapGrid
    from explorer.ui.views.weight_view import WeightView
    from explorer.ui.window.main_window import MainWindow

__all__ = ["WindowHost"]


@dataclass(frozen=True)
class _Layout:
    state: QByteArray
    geometry: QByteArray
    window_state: Any
    splitter: list[int]
    visible: tuple[tuple[QWidget, bool], ...]


class WindowHost(QObject):
    """What the tools get of ``window`` (see :class:`explorer.ui.tools.host.ToolHost`).

    Signals
    -------
    part_changed()
        The part of the layer shown changed.
    """

    part_changed = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.document = window.document
        self.settings = window.settings
        self.run = window.controller
        window.part_choice.currentIndexChanged.connect(lambda _: self.part_changed.emit())

    # ------------------------------------------------------------------ basics
    @property
    def widget(self) -> MainWindow:
        return self._window

    @property
    def selection(self) -> int:
        return self.document.selected

    @property
    def maps_view(self) -> FeatureMapGrid:
        return self._window.feature_grid

    @property
    def weight_view(self) -> WeightView:
        return self._window.weight_view

    @property
    def cost_view(self) -> CostView:
        return self._window.cost_view

    def current_part(self) -> str | None:
        return self._window.part_choice.currentData()

    def add_above_maps(self, widget: QWidget) -> None:
        self._window.add_above_maps(widget)

    # ------------------------------------------------------------------ docks, menus, status
    def add_dock(
        self, dock: QDockWidget, area: Qt.DockWidgetArea, *, visible: bool = False
    ) -> QAction:
        self._window.addDockWidget(area, dock)
        dock.setVisible(visible)
        toggle = dock.toggleViewAction()
        self._window.actions.docks_menu.addAction(toggle)
        return toggle

    def menu(self, name: str) -> QMenu:
        actions = self._window.actions
        menus = {
            "file": actions.file_menu,
            "edit": actions.edit_menu,
            "view": actions.view_menu,
            "layer": actions.layer_menu,
            "tools": actions.tools_menu,
            "panels": actions.docks_menu,
            "lessons": actions.lessons_menu,
            "add": self._window.layer_panel.add_button.menu(),
        }
        if name not in menus:
            raise KeyError(f"no menu {name!r}; expected one of {', '.join(menus)}")
        return menus[name]

    def add_action(
        self, action: QAction, menu: str | None = None, *, before: QAction | None = None
    ) -> None:
        self._window.addAction(action)
        if menu is not None:
            self.menu(menu).insertAction(before, action)  # type: ignore[arg-type]

    def add_file_opener(self, suffixes: tuple[str, ...], opener: Callable[[Path], bool]) -> None:
        for suffix in suffixes:
            self._window.files.openers[suffix] = opener

    def quit_action(self) -> QAction:
        return self._window.actions.quit

    def show_status(self, text: str, msec: int = 0) -> None:
        self._window.statusBar().showMessage(text, msec)

    def clear_status(self) -> None:
        self._window.statusBar().clearMessage()

    def report_error(self, title: str, message: str) -> None:
        self._window.files.report(title, message)

    def maybe_save(self) -> bool:
        return self._window.files.maybe_save()

    def tool(self, name: str) -> object | None:
        return getattr(self._window, "tools", {}).get(name)

    # ------------------------------------------------------------------ view state
    def set_timings(self, timings: Mapping[int, Any], *, measuring: bool = False) -> None:
        self._window.set_timings(timings, measuring=measuring)

    def set_colormap(self, name: str, *, remember: bool = True) -> None:
        self._window.set_colormap(name, remember=remember)

    def colormap(self) -> str:
        return self._window.feature_grid.colormap_name

    def _focus_hidden(self) -> tuple[QWidget, ...]:
        w = self._window
        return (w.input_panel, w.layer_editor, w.cost_dock, w.menuBar(), w.statusBar())

    def save_layout(self) -> object:
        w = self._window
        return _Layout(
            QByteArray(w.saveState()),
            QByteArray(w.saveGeometry()),
            w.windowState(),
            w.splitter.sizes(),
            tuple((widget, widget.isVisibleTo(w)) for widget in self._focus_hidden()),
        )

    def restore_layout(self, layout: object) -> None:
        assert isinstance(layout, _Layout)
        w = self._window
        w.setWindowState(layout.window_state)
        w.restoreGeometry(layout.geometry)
        w.restoreState(layout.state)
        for widget, visible in layout.visible:
            widget.setVisible(visible)
        w.splitter.setSizes(layout.splitter)

    def layer_list_width(self) -> int:
        view = self._window.layer_panel.list
        need = view.sizeHintForColumn(0) + 2 * view.frameWidth() + 24  # dock margins
        if view.verticalScrollBar().isVisible():
            need += view.verticalScrollBar().sizeHint().width()
        return need

    def widen_stack(self, width: int) -> None:
        w = self._window
        if w.stack_dock.width() < width:
            w.resizeDocks([w.stack_dock], [width], Qt.Orientation.Horizontal)

    def focus_views(self, *, stack_width: int, maps_share: float, full_screen: bool) -> None:
        w = self._window
        for widget in self._focus_hidden():
            widget.setVisible(False)
        w.stack_dock.setVisible(True)
        if full_screen:
            w.showFullScreen()
        w.resizeDocks([w.stack_dock], [stack_width], Qt.Orientation.Horizontal)
        total = sum(w.splitter.sizes()) or 1000
        w.splitter.setSizes([int(total * maps_share), int(total * (1 - maps_share))])
