"""The narrow interface a tool gets instead of the main window.

A tool (a module in :data:`explorer.ui.tools.TOOLS`) has ``install(host) -> object``. The
``host`` is anything that has the members of :class:`ToolHost`: the main window gives a
:class:`~explorer.ui.window.window_host.WindowHost`, tests give a small fake
(``tests/ui/fake_host.py``). A tool adds docks, menu entries and status messages through the
host, reads the document, the run state and the settings through it, and reaches the views
only through their public methods and extension points (``WeightView.add_bar``,
``CostView.set_column_tip``, :meth:`ToolHost.add_above_maps`); it never edits another view's
layout or touches the window's private parts.

Menus are named (:data:`MENU_NAMES`): ``"file"``, ``"edit"``, ``"view"``, ``"layer"``,
``"tools"``, ``"panels"`` (View ▸ Panels), ``"lessons"`` (File ▸ Lessons) and ``"add"``
(the layer panel's *Add ▾*).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtCore import Qt, SignalInstance
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings
    from explorer.ui.views.cost_view import CostView
    from explorer.ui.views.feature_grid import FeatureMapGrid
    from explorer.ui.views.weight_view import WeightView

__all__ = ["MENU_NAMES", "RunState", "ToolHost"]

#: The menus a tool can add entries to, by name.
MENU_NAMES = ("file", "edit", "view", "layer", "tools", "panels", "lessons", "add")


@runtime_checkable
class RunState(Protocol):
    """What a tool may read of the runs: the controller's public signals and results.

    Signals: ``costs_changed(cost, comparisons)``, ``spec_error(err)``,
    ``input_ready(revision, image)``, ``layer_result(revision, result)``,
    ``run_started(revision)``, ``run_finished(revision, seconds)``, ``run_failed(message)``,
    ``run_cancelled(revision)``, ``busy_changed(busy)``.
    """

    cost: Any
    error: Any
    input_image: Any
    results: Mapping[int, Any]
    busy: bool
    #: Results, costs and timings by layer identity (:class:`explorer.core.model.run_state.RunState`).
    state: Any

    costs_changed: SignalInstance
    spec_error: SignalInstance
    input_ready: SignalInstance
    layer_result: SignalInstance
    run_started: SignalInstance
    run_finished: SignalInstance
    run_failed: SignalInstance
    run_cancelled: SignalInstance
    busy_changed: SignalInstance


@runtime_checkable
class ToolHost(Protocol):
    """What a tool may use of the window it is installed in."""

    #: The scene being edited (the one owner of state, with undo).
    document: SceneDocument
    #: The user's saved settings (a tool writes only what the user chose).
    settings: AppSettings
    #: The runs: costs, results, input image and their signals.
    run: RunState

    @property
    def widget(self) -> QMainWindow:
        """The window as a widget: the parent of a tool's dialogs and actions, the root
        its fonts are scaled from. Not for reaching into."""
        ...

    @property
    def selection(self) -> int:
        """The selected layer's index (-1: the input)."""
        ...

    @property
    def part_changed(self) -> SignalInstance:
        """Emitted when the part of the layer shown (output, depthwise …) changes."""
        ...

    # ------------------------------------------------------------------ views
    @property
    def maps_view(self) -> FeatureMapGrid:
        """The feature maps (signals ``pixel_clicked``, ``pixel_hovered``)."""
        ...

    @property
    def weight_view(self) -> WeightView:
        """The weights of the selected layer (extension point: ``add_bar``)."""
        ...

    @property
    def cost_view(self) -> CostView:
        """The cost table and chart (extension point: ``set_column_tip``)."""
        ...

    def current_part(self) -> str | None:
        """The part of the selected layer whose maps are shown (``None``: its output)."""
        ...

    def add_above_maps(self, widget: QWidget) -> None:
        """Put ``widget`` in a row above the feature maps (hidden widgets take no room)."""
        ...

    # ------------------------------------------------------------------ docks, menus, status
    def add_dock(
        self, dock: QDockWidget, area: Qt.DockWidgetArea, *, visible: bool = False
    ) -> QAction:
        """Add ``dock`` (hidden unless ``visible``) with a toggle in View ▸ Panels; returns
        the toggle action."""
        ...

    def menu(self, name: str) -> QMenu:
        """The menu called ``name`` (one of :data:`MENU_NAMES`)."""
        ...

    def add_action(
        self, action: QAction, menu: str | None = None, *, before: QAction | None = None
    ) -> None:
        """Make ``action``'s shortcut work in the whole window (even with the menu bar
        hidden) and, with ``menu``, add it to that menu (before ``before``)."""
        ...

    def add_file_opener(self, suffixes: tuple[str, ...], opener: Callable[[Path], bool]) -> None:
        """Open dropped or pasted files with these suffixes (lower case, with the dot) with
        ``opener`` instead of as a scene or an image."""
        ...

    def quit_action(self) -> QAction:
        """File ▸ Quit (an anchor for entries that go just above it)."""
        ...

    def show_status(self, text: str, msec: int = 0) -> None:
        """Say ``text`` in the status bar (for ``msec`` ms; 0: until the next message)."""
        ...

    def clear_status(self) -> None:
        """Remove the status message."""
        ...

    def report_error(self, title: str, message: str) -> None:
        """Tell the user that something could not be done (a dialog)."""
        ...

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; ``False`` when the user cancelled."""
        ...

    def tool(self, name: str) -> object | None:
        """Another installed tool by module name (``None`` if not installed)."""
        ...

    # ------------------------------------------------------------------ view state
    def set_timings(self, timings: Mapping[int, Any], *, measuring: bool = False) -> None:
        """Show these per-layer forward times (seconds or :class:`~explorer.core.compute.timing.Timing`)
        in the cost view; ``measuring``: more are on their way."""
        ...

    def set_colormap(self, name: str, *, remember: bool = True) -> None:
        """Colour the feature maps with ``name``; ``remember=False`` for a temporary
        change (presentation mode) that must not reach the user's settings."""
        ...

    def colormap(self) -> str:
        """The colour map the feature maps use now."""
        ...

    def save_layout(self) -> object:
        """An opaque snapshot of the window's layout, for :meth:`restore_layout`."""
        ...

    def restore_layout(self, layout: object) -> None:
        """Put the layout back as :meth:`save_layout` found it."""
        ...

    def layer_list_width(self) -> int:
        """The width the layer list needs to show every row whole (pixels)."""
        ...

    def widen_stack(self, width: int) -> None:
        """Make the layer list's panel at least ``width`` pixels wide."""
        ...

    def focus_views(self, *, stack_width: int, maps_share: float, full_screen: bool) -> None:
        """Only the maps, weights and layer list: hide the other panels and the bars."""
        ...
