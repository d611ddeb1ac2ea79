"""A :class:`~explorer.ui.tools.host.ToolHost` that is not the main window, for installing a tool
on its own: a bare QMainWindow with the three views, named menus, and a run state whose
signals the test emits itself."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QVBoxLayout, QWidget

from explorer.core.io.scene import Scene
from explorer.core.model.document import SceneDocument
from explorer.ui.state.settings import AppSettings, make_qsettings
from explorer.ui.tools.host import MENU_NAMES
from explorer.ui.views.cost_view import CostView
from explorer.ui.views.feature_grid import FeatureMapGrid
from explorer.ui.views.weight_view import WeightView


class FakeRun(QObject):
    """The run state: the controller's signals and attributes, set by the test."""

    costs_changed = Signal(object, object)
    spec_error = Signal(object)
    input_ready = Signal(int, object)
    layer_result = Signal(int, object)
    run_started = Signal(int)
    run_finished = Signal(int, float)
    run_failed = Signal(str)
    run_cancelled = Signal(int)
    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.cost: Any = None
        self.error: Any = None
        self.input_image: Any = None
        self.results: dict[int, Any] = {}
        self.busy = False
        from explorer.core.model.run_state import RunState

        self.state = RunState()


class FakeHost(QObject):
    """Records what tools ask of it: docks, menu entries, status messages, layouts."""

    part_changed = Signal()

    def __init__(self, scene: Scene, settings_path: Path) -> None:
        super().__init__()
        self.document = SceneDocument(scene)
        self.settings = AppSettings(make_qsettings(settings_path))
        self.run = FakeRun()
        self.openers: dict[str, Any] = {}
        self._widget = QMainWindow()
        self._maps, self._weights, self._costs = FeatureMapGrid(), WeightView(), CostView()
        centre = QWidget()
        self._column = QVBoxLayout(centre)
        for view in (self._maps, self._weights, self._costs):
            self._column.addWidget(view)
        self._widget.setCentralWidget(centre)
        self.menus = {name: QMenu(name, self._widget) for name in MENU_NAMES}
        self.quit = self.menus["file"].addAction("Quit")
        self.docks: list[QDockWidget] = []
        self.above_maps: list[QWidget] = []
        self.status: list[str] = []
        self.errors: list[tuple[str, str]] = []
        self.timings: dict[int, float] = {}
        self.colormaps: list[tuple[str, bool]] = []
        self.focused = 0
        self.part: str | None = None
        self.tools: dict[str, object] = {}
        self._colormap = "viridis"

    @property
    def widget(self) -> QMainWindow:
        return self._widget

    @property
    def selection(self) -> int:
        return self.document.selected

    @property
    def maps_view(self) -> FeatureMapGrid:
        return self._maps

    @property
    def weight_view(self) -> WeightView:
        return self._weights

    @property
    def cost_view(self) -> CostView:
        return self._costs

    def current_part(self) -> str | None:
        return self.part

    def add_above_maps(self, widget: QWidget) -> None:
        self.above_maps.append(widget)
        self._column.insertWidget(0, widget)

    def add_dock(
        self, dock: QDockWidget, area: Qt.DockWidgetArea, *, visible: bool = False
    ) -> QAction:
        self._widget.addDockWidget(area, dock)
        dock.setVisible(visible)
        self.docks.append(dock)
        self.menus["panels"].addAction(dock.toggleViewAction())
        return dock.toggleViewAction()

    def menu(self, name: str) -> QMenu:
        return self.menus[name]

    def add_action(
        self, action: QAction, menu: str | None = None, *, before: QAction | None = None
    ) -> None:
        self._widget.addAction(action)
        if menu is not None:
            self.menus[menu].insertAction(before, action)  # type: ignore[arg-type]

    def add_file_opener(self, suffixes: tuple[str, ...], opener: Any) -> None:
        for suffix in suffixes:
            self.openers[suffix] = opener

    def quit_action(self) -> QAction:
        return self.quit

    def show_status(self, text: str, msec: int = 0) -> None:
        self.status.append(text)

    def clear_status(self) -> None:
        self.status.append("")

    def report_error(self, title: str, message: str) -> None:
        self.errors.append((title, message))

    def maybe_save(self) -> bool:
        return True

    def tool(self, name: str) -> object | None:
        return self.tools.get(name)

    def set_timings(self, timings: Mapping[int, Any], *, measuring: bool = False) -> None:
        self.timings = dict(timings)
        self._costs.set_timings(self.timings, measuring=measuring)

    def set_colormap(self, name: str, *, remember: bool = True) -> None:
        self.colormaps.append((name, remember))
        self._colormap = name
        self._maps.set_colormap(name)
        if remember:
            self.settings.colormap = name

    def colormap(self) -> str:
        return self._colormap

    def save_layout(self) -> object:
        return ("layout", self.focused)

    def restore_layout(self, layout: object) -> None:
        self.focused = 0

    def layer_list_width(self) -> int:
        return 200

    def widen_stack(self, width: int) -> None:
        self.stack_width = width

    def focus_views(self, *, stack_width: int, maps_share: float, full_screen: bool) -> None:
        self.focused += 1
