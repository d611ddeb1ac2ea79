"""The Fit dock: train the stack toward a target and watch the weights learn.

Choose a target (gray, YCbCr, a classic filter, another scene's output, a ``.npy``), the
layers that train, the optimiser and its options, then Start. The fit runs on a worker
(:class:`~explorer.ui.tools.fit.fit_session.FitSession`); the loss curve grows as it goes, and every
~0.25 s (when the previous update has been drawn) the current weights go into the document,
so the weight view and the feature maps follow. The whole fit, however long, is one undo
step (``SceneDocument.set_scene(..., group=...)``). Stop keeps the best weights so far; a
fit that diverges stops and keeps its best (last good) weights; Reset puts back the weights
from before the fit.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets

from explorer.core.compute.fit_targets import parse_target
from explorer.core.errors import ExplorerError
from explorer.core.model.fit_record import FitRecord
from explorer.ui.tools.fit.fit_labels import record_text, short_target, spread_name
from explorer.ui.tools.fit.fit_session import FitSession, StopOnClose, prepare_fit, sender_gone
from explorer.ui.widgets.binding import connect_while_alive
from explorer.ui.widgets.paint_hold import resume_painting

if TYPE_CHECKING:
    from explorer.core.io.scene import Scene
    from explorer.ui.tools.fit.fit_options import FitOptionsForm
    from explorer.ui.tools.fit.fit_plots import FitPlots
    from explorer.ui.tools.host import ToolHost

__all__ = ["SNAPSHOT_SECONDS", "FitDock", "install"]

#: Least time between two weight updates of the document while a fit runs.
SNAPSHOT_SECONDS = 0.25
#: Steps per second in slow motion.
SLOW_RATE = 30.0


class FitDock(QtWidgets.QDockWidget):
    """Target, options, Start / Pause / Stop / Reset, and the live views."""

    form: FitOptionsForm  # made by ensure_built, on the first show

    def __init__(self, host: ToolHost) -> None:
        super().__init__("Fit", host.widget)
        self.setObjectName("FitDock")
        self.document = host.document
        self.controller = host.run
        self.session: FitSession | None = None
        self._before: Scene | None = None  # the scene the running fit started from
        self._last: Scene | None = None  # the last scene the fit put into the document
        self._final: Scene | None = None  # the scene the last finished fit left
        self._group: object | None = None
        self._target_text = self._target_name = ""
        self._discard = False
        self._last_snapshot = 0.0
        self._step_total = 0
        self._record: FitRecord | None = None
        self._built = False
        self._plots: FitPlots | None = None  # made on the turn after the form (see plots)
        # the widgets are made on the first show: start-up pays nothing for a hidden dock
        self.visibilityChanged.connect(lambda visible: visible and self.ensure_built())
        connect_while_alive(self.document.changed, self._on_scene_changed, self)

    def ensure_built(self) -> None:
        """Make the form, the buttons and the plots (once)."""
        if self._built:
            return
        self._built = True
        from explorer.ui.tools.fit.fit_options import FitOptionsForm

        self.form = FitOptionsForm()
        self.start_button = QtWidgets.QPushButton("Start")
        self.pause_button = QtWidgets.QPushButton("Pause")
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.reset_button = QtWidgets.QPushButton("Reset")
        self.start_button.setToolTip("Train the checked layers toward the target")
        self.stop_button.setToolTip("Stop now and keep the best weights so far")
        self.reset_button.setToolTip("Put back the weights from before the fit (undo it)")
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.reset_button.clicked.connect(self.reset)
        self.options_button = QtWidgets.QToolButton()
        self.options_button.setText("Options")
        self.options_button.setCheckable(True)
        self.options_button.setChecked(True)
        self.options_button.setToolTip("Show or hide the target and the options")
        self.options_button.toggled.connect(lambda _: self._update_buttons())
        buttons = QtWidgets.QHBoxLayout()
        for b in (
            self.start_button,
            self.pause_button,
            self.stop_button,
            self.reset_button,
            self.options_button,
        ):
            buttons.addWidget(b)
        self.status = QtWidgets.QLabel("Choose a target and press Start.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        scroll = self._form_scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left = self._left = QtWidgets.QWidget()
        left_layout = QtWidgets.QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(buttons)  # first: always in view, however short the dock
        left_layout.addWidget(self.status)
        left_layout.addWidget(scroll, 1)
        left.setMinimumWidth(300)
        body = self._body = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        body.setChildrenCollapsible(False)
        body.addWidget(left)
        self.setWidget(body)
        self.dockLocationChanged.connect(self._arrange)
        self._arrange()
        self._on_scene_changed(self.document.scene)
        self._update_buttons()
        # the plots (a PlotItem alone is 10-20 ms) on the next turn: one turn with all of it
        # held the GUI thread 35-42 ms in monkey runs; the dock is painted once, with them.
        # A real timer (1 ms), not a posted call (0 ms): that ran in the same pass of the
        # event loop as this turn, so both still filled one heartbeat gap (48-51 ms, s9e)
        if self.updatesEnabled():
            self.setUpdatesEnabled(False)
        QtCore.QTimer.singleShot(1, self, lambda: self.plots)

    @property
    def plots(self) -> FitPlots:
        """Loss curve, residual map and weights: made on the turn after the rest of the dock
        (:meth:`ensure_built`), or at once when asked for before."""
        if self._plots is None:
            from explorer.ui.tools.fit.fit_plots import FitPlots

            self.ensure_built()
            plots = self._plots = FitPlots()
            self._body.addWidget(plots)
            self._body.setStretchFactor(0, 0)
            self._body.setStretchFactor(1, 1)
            self._arrange()
            # painted again once the layout with the plots has settled (the next turn)
            QtCore.QTimer.singleShot(0, self, lambda: resume_painting(self))
        return self._plots

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        """Ask for room for the loss curve when the dock opens (under the costs)."""
        hint = super().sizeHint()
        return QtCore.QSize(hint.width(), max(hint.height(), 460))

    def _arrange(self, *_: object) -> None:
        """Side by side under the maps; stacked in a side column (or floating)."""
        area = self.parent().dockWidgetArea(self) if self.parent() is not None else None
        areas = QtCore.Qt.DockWidgetArea
        wide = (
            area in (areas.BottomDockWidgetArea, areas.TopDockWidgetArea) and not self.isFloating()
        )
        orientation = QtCore.Qt.Orientation
        self._body.setOrientation(orientation.Horizontal if wide else orientation.Vertical)
        if self._plots is not None:
            self._plots.set_narrow(not wide)
        self._fit_split()

    def _fit_split(self) -> None:
        """In a side column: the buttons, the status (and a few options when idle) on top,
        the plots get the rest."""
        if self._body.orientation() == QtCore.Qt.Orientation.Vertical:
            width = max(200, self._body.width())
            top = (
                self.start_button.sizeHint().height()
                + self.status.heightForWidth(width)
                + 16
                + (110 if self._form_scroll.isVisibleTo(self) else 0)
            )
            self._body.setSizes([top, 10_000])

    # ------------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        """Whether a fit is in progress (possibly paused)."""
        return self.session is not None

    def _update_buttons(self) -> None:
        if not self._built:
            return
        running = self.running
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.reset_button.setEnabled(
            running or (self._final is not None and self.document.scene is self._final)
        )
        self.pause_button.setText(
            "Resume" if running and self.session is not None and self.session.paused else "Pause"
        )
        self.form.setEnabled(not running)
        # while it runs the options are locked anyway: their room goes to the plots
        self._form_scroll.setVisible(not running and self.options_button.isChecked())
        self.options_button.setEnabled(not running)
        self._fit_split()

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setToolTip(text if len(text) > 80 else "")  # whole, if the dock is short
        self._fit_split()

    # ------------------------------------------------------------------ actions
    def start(self) -> None:
        """Start a fit with the options shown; a problem is said in one line."""
        self.ensure_built()
        if self.running:
            return
        scene = self.document.scene
        try:
            text = self.form.target_text()
            parse_target(text)
            options = self.form.options(len(scene.layers))
        except ExplorerError as exc:
            self._say(f"Cannot fit: {exc}")
            return
        if self.controller.error is not None:
            self._say(f"Cannot fit: fix the stack first ({self.controller.error})")
            return
        if not scene.layers:
            self._say("Cannot fit: nothing to train (the stack has no layers)")
            return
        layers, input_spec, seed = scene.layers, scene.input, scene.seed
        session = FitSession(
            layers,
            lambda: prepare_fit(input_spec, seed, text, layers),
            options,
            seed,
            self,
            max_rate=SLOW_RATE if self.form.slow.isChecked() else None,
        )
        session.progress.connect(self._on_progress)
        session.finished.connect(self._on_finished)
        session.failed.connect(self._on_failed)
        self.session = session
        self._before = self._last = scene
        self._group = object()
        self._target_text = parse_target(text).text
        self._target_name = short_target(self._target_text)
        self._options = options
        self._discard = False
        self._step_total = options.steps
        self._last_snapshot = time.monotonic()
        self.plots.clear()
        self._say(f"Fitting to {self._target_name}…")
        self._update_buttons()
        self._launch_when_idle()

    def _launch_when_idle(self) -> None:
        """Start the worker once the controller is idle.

        The fit builds its modules with torch's global seeded generator, as the
        controller's runs do (explorer.core.compute.build); two threads seeding it at once would mix
        their weights, and the fit would not be the same for the same seed.
        """
        session = self.session
        if session is None or session.started:
            return
        if self.controller.busy:
            QtCore.QTimer.singleShot(50, self._launch_when_idle)
            return
        session.start()

    def toggle_pause(self) -> None:
        """Pause or resume the fit."""
        if self.session is None:
            return
        self.session.pause(not self.session.paused)
        self._say("Paused." if self.session.paused else f"Fitting to {self._target_name}…")
        self._update_buttons()

    def stop(self) -> None:
        """Stop now; the best weights so far are kept."""
        if self.session is not None and not self.session.started:
            self._end()  # it was waiting for the controller: nothing ran
            self._say("Stopped before the first step.")
        elif self.session is not None:
            self.session.stop()
            self._say("Stopping…")

    def reset(self) -> None:
        """Put back the weights from before the fit (a running fit is stopped first)."""
        if self.session is not None:
            self._discard = True
            self.stop()
            return
        if self._final is not None and self.document.scene is self._final:
            self.document.undo()
            self._final = None
            self.plots.clear()
            self._say("Reset: the weights from before the fit are back (Redo brings the fit).")
        self._update_buttons()

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop a running fit and wait for its worker (the window is closing)."""
        if self.session is None:
            return True
        self._discard = True
        return self.session.wait(timeout)

    # ------------------------------------------------------------------ document
    def _apply(self, layers: Any, label: str, fit: FitRecord | None = None) -> None:
        assert self._before is not None
        scene = replace(self._before, layers=layers)
        if fit is not None:
            scene = replace(scene, fit=fit)
        self._last = scene  # before set_scene: its changed signal checks it
        self.document.set_scene(scene, label, group=self._group)

    def _on_scene_changed(self, scene: Scene) -> None:
        if not self._built:
            return
        if self.session is not None and scene is not self._last:
            self._discard = True  # someone else edited the scene: do not overwrite it
            self.stop()
            self._say("Stopped: the scene was changed during the fit.")
            return
        if self.session is None:
            self.form.set_layers(scene.layers)
            if scene.fit is not None and scene.fit is not self._record:
                self._record = scene.fit
                if scene is not self._final:
                    self.form.load_record(scene.fit)
                    self._say(record_text(scene.fit))
        self._update_buttons()

    # ------------------------------------------------------------------ session
    def _on_progress(self, steps: list, snapshot: Any) -> None:
        session = self.session
        if session is None or sender_gone(session):
            return
        if steps:
            self.plots.add_losses([s.step for s in steps], [s.loss for s in steps])
            last = steps[-1]
            self._say(
                f"Step {last.step:,} / {self._step_total:,} · loss {last.loss:.4g} · relative "
                f"error {last.relative_error:.3g}" + (" · paused" if session.paused else "")
            )
        if snapshot is not None and not self._discard:
            self._apply(snapshot.layers, f"fit to {self._target_name}")
            trained = [i for i, s in enumerate(snapshot.layers) if s is not self._before.layers[i]]
            self.plots.set_weights(snapshot.layers, trained)
            if session.target is not None:
                self.plots.set_residual(snapshot.output - session.target)
            self._last_snapshot = time.monotonic()
        elif (
            time.monotonic() - self._last_snapshot >= SNAPSHOT_SECONDS and not self.controller.busy
        ):
            session.request_snapshot()

    def _on_finished(self, result: Any) -> None:
        self._end()
        if self._discard:
            self._revert()
            self._say(f"Fit discarded ({result.message}); the weights from before are kept.")
            return
        record = FitRecord(
            target=self._target_text,
            optimizer=self._options.optimizer,
            lr=self._options.lr,
            momentum=self._options.momentum if self._options.optimizer == "sgd" else None,
            steps=self._options.steps,
            loss_function=self._options.loss,
            float64=self._options.float64 or None,
            loss_start=result.loss_start,
            loss_end=result.loss_end,
            relative_error=result.relative_error,
            steps_done=result.steps,
        )
        self._record = record
        self._apply(result.layers, f"fit to {self._target_name} ({result.steps} steps)", record)
        self._final = self._last
        self.options_button.setChecked(False)  # the results get the room; Options brings it back
        self.plots.set_weights(result.layers, result.trained)
        self.plots.set_residual(result.residual)
        self._say(
            f"{result.message[:1].upper()}{result.message[1:]}. Loss {result.loss_start:.4g} → "
            f"{result.loss_end:.4g}, relative error {result.relative_error:.3g} "
            f"(loss / {spread_name(self._options)} of the target); best weights kept, "
            f"one undo step."
        )
        self._update_buttons()

    def _on_failed(self, message: str) -> None:
        self._end()
        self._revert()
        self._say(f"Cannot fit: {message}")
        self._update_buttons()

    def _end(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.deleteLater()
        self._update_buttons()

    def _revert(self) -> None:
        if (
            self._before is not None
            and self.document.scene is self._last
            and self._last is not self._before
        ):
            self._apply(self._before.layers, "fit (undone)")  # the group step vanishes


def install(host: ToolHost) -> FitDock:
    """Add the Fit dock (hidden; Tools ▸ Fit…, Ctrl+Shift+F; View ▸ Panels ▸ Fit)."""
    dock = FitDock(host)
    # on the right, under the costs: a bottom dock would push the window past 720 px
    toggle = host.add_dock(dock, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
    toggle.setText("&Fit…")
    toggle.setShortcut("Ctrl+Shift+F")
    toggle.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    toggle.setStatusTip("Train the stack toward a target and watch the weights learn")
    host.add_action(toggle, "tools")
    host.widget.installEventFilter(StopOnClose(dock))
    return dock
