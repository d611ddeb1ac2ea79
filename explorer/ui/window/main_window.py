"""The main window: composes the panels and views and wires them to the controller.

No drawing and no state of its own: the :class:`SceneDocument` owns the scene, the
:class:`Controller` computes, the views show. Left dock: input, layers, layer editor;
centre: the feature maps of the selected layer above its weights; right dock: the costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import SpecError
from explorer.core.model.channel_names import channel_names  # not on the first selection
from explorer.core.model.document import SceneDocument
from explorer.core.model.kinds.curves import activation_curve, curve_of
from explorer.ui.panels.input_panel import InputPanel
from explorer.ui.panels.layer_editor import LayerEditor
from explorer.ui.panels.layer_panel import LayerPanel
from explorer.ui.state.controller import Controller
from explorer.ui.state.gc_policy import collect_on_main_thread
from explorer.ui.state.settings import AppSettings
from explorer.ui.state.worker_priority import favour_gui_thread
from explorer.ui.tools import install_tools
from explorer.ui.views.cost_view import CostView
from explorer.ui.views.feature_grid import FeatureMapGrid
from explorer.ui.views.weight_view import WeightView
from explorer.ui.widgets.binding import connect_while_alive
from explorer.ui.widgets.busy_bar import BusyBar
from explorer.ui.widgets.screen_fit import fit_to_screen, vertical_scroll
from explorer.ui.window.actions import WindowActions
from explorer.ui.window.cost_pass import pace_costs
from explorer.ui.window.crash import Autosave
from explorer.ui.window.file_ops import FileOps
from explorer.ui.window.image_drop import dropped_paths
from explorer.ui.window.result_pacer import pace_results
from explorer.ui.window.stack_fit import share_stack_height
from explorer.ui.window.window_host import WindowHost

__all__ = ["MainWindow"]

APP_TITLE = "Conv Explorer"


class MainWindow(QMainWindow):
    """The Conv Explorer window.

    Parameters
    ----------
    document
        The scene being edited.
    settings
        Where the window remembers its layout, recent files and view options.
    controller
        Computes costs and runs; made here when not given.
    autosave
        Whether to autosave the scene while it has unsaved changes.
    """

    def __init__(
        self,
        document: SceneDocument,
        settings: AppSettings,
        *,
        controller: Controller | None = None,
        autosave: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        favour_gui_thread()  # before this window's first paint (see worker_priority)
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.document = document
        self.settings = settings
        self.controller = controller or Controller(document, self)
        self.timings: dict[int, object] = {}  # warm Timing per layer (ui.layer_timing)
        self.device = ""
        self._closed = False

        # ---------------------------------------------------------------- views
        self.input_panel = InputPanel(document)
        self.layer_panel = LayerPanel(document)
        self.layer_editor = LayerEditor(document)
        self.feature_grid = FeatureMapGrid()
        self.weight_view = WeightView()
        self.cost_view = CostView()

        self.part_choice = QComboBox()
        self.part_choice.setToolTip(
            "Which part of the layer to show: the layer's output, "
            "or the output of one of its convolutions"
        )
        self.part_choice.currentIndexChanged.connect(lambda _: self.show_selected())
        header = QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 0)
        header.addStretch(1)
        header.addWidget(self.part_choice)
        maps_box = QWidget()
        self._maps_layout = QVBoxLayout(maps_box)
        self._maps_layout.setContentsMargins(0, 0, 0, 0)
        self._maps_layout.addLayout(header)
        self._maps_layout.addWidget(self.feature_grid, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("CentreSplitter")
        self.splitter.addWidget(maps_box)
        self.splitter.addWidget(self.weight_view)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.splitter)

        # the editor scrolls when the screen is low (1280×720), never squashing its boxes
        self.editor_area = vertical_scroll(self.layer_editor, "LayerEditorArea")
        self.layer_editor.installEventFilter(self)  # the area shows and hides with it
        self.stack_splitter = left = QSplitter(Qt.Orientation.Vertical)
        for w in (self.input_panel, self.layer_panel, self.editor_area):
            left.addWidget(w)
        left.setStretchFactor(1, 1)
        left.setStretchFactor(2, 2)
        self.stack_dock = self._dock(
            "Stack", "StackDock", left, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        # a low screen scrolls the costs instead of overlapping them
        self.cost_dock = self._dock(
            "Costs",
            "CostDock",
            vertical_scroll(self.cost_view, keep_bar=True),  # no width change: s10e
            Qt.DockWidgetArea.RightDockWidgetArea,
        )

        # ---------------------------------------------------------------- status bar
        self.status_text = QLabel()
        self.busy_bar = BusyBar()  # shown only for a run still on after a moment
        self.device_label = QLabel()
        self.device_label.setToolTip("Where torch runs the layers")
        bar = self.statusBar()
        bar.addPermanentWidget(self.status_text)
        bar.addPermanentWidget(self.busy_bar)
        bar.addPermanentWidget(self.device_label)

        # ---------------------------------------------------------------- actions
        self.files = FileOps(self)
        self.actions = WindowActions(self)
        for dock in (self.stack_dock, self.cost_dock):
            self.actions.docks_menu.addAction(dock.toggleViewAction())
        self.set_colormap(settings.colormap)
        self.set_scale_mode(settings.scale_mode)
        self.setAcceptDrops(True)
        fit_to_screen(self, 1500, 920)
        # the cost dock as wide as its table needs, so every column shows
        self.resizeDocks(
            [self.stack_dock, self.cost_dock],
            [340, self._cost_dock_width()],
            Qt.Orientation.Horizontal,
        )
        self.splitter.setSizes([480, 380])
        self._default_state = self.saveState()
        self._fit_docks_on_show = not settings.restore_window(self)

        # ---------------------------------------------------------------- wiring
        c = self.controller
        self.pacer = pace_results(self)  # results drawn in the pass after, once (issue 16)
        self.cost_pass = pace_costs(self)  # an edit's costs: a later pass, after its maps
        c.costs_changed.connect(self._on_costs)
        c.spec_error.connect(self._on_spec_error)
        c.input_ready.connect(self._on_input_ready)
        c.layer_result.connect(self._on_layer_result)
        c.run_started.connect(self._on_run_started)
        c.run_finished.connect(self._on_run_finished)
        c.run_failed.connect(self._on_run_failed)
        c.run_cancelled.connect(lambda _: self.status_text.setText("run cancelled"))
        c.busy_changed.connect(self._on_busy)
        self.cost_view.layer_selected.connect(self._select_from_costs)
        connect_while_alive(document.selection_changed, self._on_selection, self)
        connect_while_alive(
            document.inner_selection_changed, lambda *_: self._on_selection(document.selected), self
        )
        connect_while_alive(document.dirty_changed, self._update_title, self)
        connect_while_alive(document.path_changed, self._update_title, self)
        self.autosave = Autosave(document, self) if autosave else None
        self.host = WindowHost(self)
        self.tools: dict[str, object] = {}
        self.tools.update(install_tools(self.host))
        self._update_title()
        self.show_selected()
        c.refresh()
        self.cost_pass.flush()  # the first costs before the first layout (the editor's size)
        self._frozen_after_run = False
        collect_on_main_thread().freeze_long_lived()  # collections skip its widgets: gc_policy

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt naming)
        """On the first show without a saved layout, share the width out by the screen."""
        super().showEvent(event)
        if self._fit_docks_on_show:
            self._fit_docks_on_show = False
            QTimer.singleShot(0, self.fit_docks)  # once the docks are laid out

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        """The editor's scroll area is hidden and shown with the editor."""
        if watched is self.layer_editor and event.type() in (
            QEvent.Type.HideToParent,
            QEvent.Type.ShowToParent,
        ):
            self.editor_area.setVisible(not self.layer_editor.isHidden())
        return super().eventFilter(watched, event)

    def fit_docks(self) -> None:
        """Dock widths for the window's width: the cost dock as wide as its table needs
        (at most 36 %), the stack dock about a quarter; the maps and weights get the rest."""
        width = self.width()
        left = int(min(400, max(290, 0.23 * width)))
        right = int(min(self._cost_dock_width(), max(320, 0.36 * width)))
        self.resizeDocks(
            [self.stack_dock, self.cost_dock], [left, right], Qt.Orientation.Horizontal
        )
        total = sum(self.splitter.sizes())  # a low screen: the weights get nearly half
        if 0 < total < 700:
            self.splitter.setSizes([int(total * 0.55), total - int(total * 0.55)])
        share_stack_height(self.stack_splitter, self.layer_panel, self.layer_editor)

    def _cost_dock_width(self) -> int:
        """The cost view's width and its scroll bar's (always shown: see ``keep_bar``)."""
        bar = self.cost_dock.widget().verticalScrollBar().sizeHint().width()
        return self.cost_view.sizeHint().width() + bar

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # ------------------------------------------------------------------ view options
    def set_colormap(self, name: str, *, remember: bool = True) -> None:
        """Colour map of the feature maps (remembered in the settings unless ``remember``
        is false: a temporary view preference such as presentation mode's)."""
        self.feature_grid.set_colormap(name)
        if remember:
            self.settings.colormap = name
        self.actions.sync_view(name, self.feature_grid.scale_mode)

    def set_scale_mode(self, mode: str) -> None:
        """``"shared"`` or ``"per_channel"`` colour scale of the feature maps (remembered)."""
        self.feature_grid.set_scale_mode(mode)
        self.settings.scale_mode = mode
        self.actions.sync_view(self.feature_grid.colormap_name, mode)

    def add_above_maps(self, widget: QWidget) -> None:
        """Extension point: ``widget`` in a row above the feature maps (the newest on top)."""
        self._maps_layout.insertWidget(0, widget)

    def set_timings(self, timings: Mapping[int, object], *, measuring: bool = False) -> None:
        """Per-layer forward times (seconds or warm :class:`~explorer.core.compute.timing.Timing`)
        to show; ``measuring``: more are on their way."""
        state, layers = self.controller.state, self.document.layers
        state.set_timings(layers, timings)  # by identity: a moved layer keeps its time
        self.timings = state.timings_by_index(layers)
        self.cost_view.set_timings(dict(self.timings), measuring=measuring)

    def reset_layout(self) -> None:
        """View ▸ Reset Layout."""
        self.restoreState(self._default_state)
        for dock in (self.stack_dock, self.cost_dock):
            dock.setVisible(True)
            dock.setFloating(False)

    # ------------------------------------------------------------------ showing
    def show_selected(self) -> None:
        """Show the feature maps and weights of the selected layer (or the input)."""
        self.pacer.drawn()
        self.cost_pass.resume()  # costs held for these maps come in the pass after them
        index = self.document.selected
        c = self.controller
        if index < 0:
            self._set_parts([])
            image = c.input_image
            if image is None:
                self.feature_grid.clear("Loading the input…")
            else:
                names = self._names(-1, len(image))
                self._gray_if_image(names)
                self.feature_grid.set_maps(
                    np.asarray(image), title="Input (C×H×W)", channel_names=names
                )
            self.weight_view.clear(
                "The input has no weights: select a layer to see them.", compact=True
            )
            return
        spec = self.document.layers[index] if index < len(self.document.layers) else None
        result = c.state.result(spec)  # by identity: never a moved layer's old maps
        if result is None or spec is None or result.kind != spec.kind:
            self._set_parts([])
            self.feature_grid.clear("Computing…" if c.error is None else "Not run: fix the error")
            self.weight_view.clear("")
            return
        parts = list(result.parts) if len(result.parts) > 1 else []
        self._set_parts(parts)
        self._follow_inner(index, parts)
        part = self.part_choice.currentData()
        maps = result.parts[part] if part in result.parts else result.output
        what = f"{part} part" if part in result.parts else "output"
        title = f"Layer {index + 1} · {result.kind} · {what} (C×H×W)"
        names = self._names(index, len(maps)) if part not in result.parts else None
        self._gray_if_image(names)
        ranges = result.ranges.get(part if part in result.parts else [*result.parts][-1])
        self.feature_grid.set_maps(maps, title=title, channel_names=names, ranges=ranges)
        cost = c.cost
        in_channels = (
            cost.layers[index].input_shape[0]
            if cost is not None and index < len(cost.layers)
            else None
        )
        curve = curve_of(spec)
        if curve is not None:  # an activation layer: draw its function
            x = np.linspace(-6.0, 6.0, 241)
            what = curve[0] + (
                f" (slope {curve[1]:g})" if curve[0] in ("leaky_relu", "prelu") else ""
            )
            self.weight_view.show_curve(
                f"Activation {what}: f applied to every value",
                x,
                activation_curve(curve[0], x, curve[1]),
            )
            return
        inner = self.document.inner_selected
        if inner >= 0:  # an inner layer of a block: its own weights
            inner_spec = spec.layers[inner]  # type: ignore[attr-defined]
            prefix = f"{inner + 1}."
            weights = {
                k[len(prefix) :]: v for k, v in result.weights.items() if k.startswith(prefix)
            }
            if weights:
                before = [p for p in result.parts if p.startswith(f"{inner}.")] if inner else []
                channels = result.parts[before[-1]].shape[0] if before else in_channels
                self.weight_view.set_layer(inner_spec, weights, in_channels=channels)
                return
        self.weight_view.set_channel_names(
            self._names(index - 1, in_channels or 0), self._names(index, len(result.output))
        )
        self.weight_view.set_layer(spec, result.weights, in_channels=in_channels)

    def _follow_inner(self, index: int, parts: list[str]) -> None:
        """When an inner layer of a block is newly selected, show that layer's part."""
        inner = self.document.inner_selected
        key = (index, inner)
        if key == getattr(self, "_inner_shown", None):
            return
        self._inner_shown = key
        wanted = [p for p in parts if p.startswith(f"{inner + 1}.")] if inner >= 0 else []
        at = self.part_choice.findData(wanted[-1]) if wanted else 0
        self.part_choice.blockSignals(True)
        self.part_choice.setCurrentIndex(max(0, at))
        self.part_choice.blockSignals(False)

    def _names(self, index: int, count: int) -> list[str] | None:
        """Channel names of layer ``index``'s output (-1: the input), if it has them."""
        return channel_names(self.document.scene, index, count)

    def _gray_if_image(self, names: list[str] | None) -> None:
        """A single gray image channel (named gray or Y) is drawn in gray, others in the
        chosen colour map."""
        gray = names is not None and len(names) == 1 and names[0] in ("gray", "Y")
        wanted = "gray" if gray else self.settings.colormap
        if self.feature_grid.colormap_name != wanted:
            self.feature_grid.set_colormap(wanted)

    def _set_parts(self, parts: list[str]) -> None:
        wanted = [("layer output", None)] + [(f"{p} part", p) for p in parts]
        current = [
            (self.part_choice.itemText(i), self.part_choice.itemData(i))
            for i in range(self.part_choice.count())
        ]
        if wanted != current:
            self.part_choice.blockSignals(True)
            self.part_choice.clear()
            for text, data in wanted:
                self.part_choice.addItem(text, data)
            self.part_choice.blockSignals(False)
        self.part_choice.setVisible(bool(parts))

    # ------------------------------------------------------------------ controller → views
    def _on_costs(self, cost: object, comparisons: object) -> None:
        # the edited field's error mark goes at once; the numbers come in a later pass
        self.layer_editor.show_error(None)
        self.cost_pass.request(cost, comparisons)

    def _on_spec_error(self, err: SpecError | None) -> None:
        self.cost_pass.flush()  # the error over the newest costs, never under older ones
        if err is None:
            return  # cleared by the costs that came with the fix
        self.layer_editor.show_error(err)
        self.layer_panel.set_costs(self.controller.cost, err)
        self.layer_editor.set_costs(self.controller.cost)
        self.cost_view.set_error(str(err))
        self.statusBar().showMessage(str(err), 10000)

    def _on_input_ready(self, revision: int, image: object) -> None:
        if self.document.selected < 0:
            self.pacer.request(revision)

    def _on_layer_result(self, revision: int, result: object) -> None:
        if result.index == self.document.selected:
            self.pacer.request(revision)

    def _on_run_started(self, revision: int) -> None:
        self.status_text.setText("running…")

    def _on_run_finished(self, revision: int, seconds: float) -> None:
        # the wall time of this run's (cold, one-pass) forward; warm per-layer times are in
        # the cost table (explorer.ui.tools.layer_timing)
        results = self.controller.results
        forward = sum(r.seconds for r in results.values() if not getattr(r, "cached", False))
        if not self.device:
            from explorer.core.compute.devices import device_text  # torch: imported by now

            self.device = device_text()
            self.device_label.setText(f"device: {self.device}")
        self.status_text.setText(
            f"forward {forward * 1e3:.1f} ms on {self.device.split(':')[0]} (this run, cold)"
        )
        self.statusBar().clearMessage()
        if not self._frozen_after_run:  # torch imported, the first maps shown
            self._frozen_after_run = True
            collect_on_main_thread().freeze_long_lived()  # see gc_policy

    def _on_run_failed(self, message: str) -> None:
        self.status_text.setText("not run")
        self.statusBar().showMessage(message, 15000)
        self.cost_view.set_error(message)
        index, layers = self.document.selected, self.document.layers
        spec = layers[index] if 0 <= index < len(layers) else None
        if self.controller.state.result(spec) is None:  # nothing of this layer's is shown
            self.feature_grid.clear(message)

    def _on_busy(self, busy: bool) -> None:
        self.busy_bar.set_busy(busy)
        self.actions.cancel_run.setEnabled(busy)

    def _select_from_costs(self, index: int) -> None:
        if 0 <= index < len(self.document.layers):
            self.document.select(index)

    def _on_selection(self, index: int) -> None:
        self.cost_view.select_layer(index)
        self.show_selected()

    def _update_title(self, *_: object) -> None:
        path = self.document.path
        name = Path(path).name if path else "untitled"
        self.setWindowTitle(f"{APP_TITLE} — {name}[*]")
        self.setWindowModified(self.document.dirty)

    # ------------------------------------------------------------------ drops, closing
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt naming)
        """Accept drags of local files."""
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt naming)
        """A dropped ``.json`` opens as a scene; any other file becomes the input image."""
        paths = dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.files.open_path(paths[0], background=True)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        """Ask about unsaved changes, stop the worker, remember the layout."""
        if not self._closed and not self.files.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop computing and autosaving, and save the settings (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.controller.shutdown()
        self.files.shutdown()
        collect_on_main_thread().release_frozen()  # its widgets can go now (gc_policy)
        if self.autosave is not None:
            self.autosave.stop(discard=not self.document.dirty)
        self.settings.save_window(self)
        self.settings.last_scene = self.document.path
